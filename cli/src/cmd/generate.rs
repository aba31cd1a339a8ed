//! `agora generate`: a realistic, reproducible day.

use std::path::PathBuf;

use anyhow::Context;

use agora_instances::columnar::EdgesFormat;
use agora_instances::output::OutputKind;
use agora_instances::Size;

use super::{err, usage, Failure};

/// The smallest `--edges`: the large preset scaled below this is not the day asked for.
pub const MIN_EDGES: usize = 1_000;
/// The largest `--edges`: 2 * 10^8 edges, about 80 GB to solve on one machine.
pub const MAX_EDGES: usize = 200_000_000;

/// Bytes in the unit a person reads.
pub fn human_bytes(b: f64) -> String {
    match b {
        b if b >= 1e9 => format!("{:.0} GB", b / 1e9),
        b if b >= 1e6 => format!("{:.0} MB", b / 1e6),
        b => format!("{:.0} kB", b / 1e3),
    }
}

pub const AFTER_HELP: &str = "Example:\n  agora generate --size small --seed 7 --out small-7.json\n  agora generate --size large --edges 10000000 --out big.json   (edges in big.edges.csv)\n  agora generate --size medium --parquet --out medium.json      (edges in medium.edges.parquet)\n\nSizes: tiny (~50 edges), small (~thousands), medium (~10^5), large (>= 10^6, columnar).";

/// Arguments of `agora generate`.
#[derive(clap::Args)]
pub struct Args {
    /// tiny, small, medium or large.
    #[arg(long)]
    size: Size,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long)]
    out: PathBuf,
    /// Scale the large preset to about this many edges (e.g. 10000000); --size is then ignored.
    #[arg(long)]
    edges: Option<usize>,
    /// Write the edges to OUT's stem + .edges.csv (the default for large days and --edges).
    #[arg(long)]
    columnar: bool,
    /// Write the edges to OUT's stem + .edges.parquet instead (Snappy, dictionary-encoded ids).
    #[arg(long)]
    parquet: bool,
}

/// Runs `agora generate`.
pub fn run(a: Args) -> Result<(), Failure> {
    if let Some(n) = a.edges {
        if !(MIN_EDGES..=MAX_EDGES).contains(&n) {
            return Err(usage(format!(
                "--edges {n} is outside {MIN_EDGES}..={MAX_EDGES}: a day of {n} edges needs about {} of memory to generate and solve (about 400 bytes per edge)",
                human_bytes(400.0 * n as f64)
            )));
        }
    }
    let config = match a.edges {
        Some(n) => agora_instances::GenerateConfig::for_edges(n),
        None => agora_instances::GenerateConfig::for_size(a.size),
    };
    let inst = agora_instances::generate_with(&config, a.seed);
    let out = &a.out;
    if let Some(format) = a.edges_format() {
        super::paths::recheck(out, OutputKind::File)?;
        let csv = agora_instances::columnar::save_columnar_as(&inst, out, format).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("wrote {} and {} ({})", out.display(), csv.display(), inst.shape());
    } else {
        super::paths::recheck(out, OutputKind::File)?;
        agora_instances::save(&inst, out).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("wrote {} ({})", out.display(), inst.shape());
    }
    Ok(())
}

impl Args {
    /// The format of the edges file written beside the day, when it has one.
    fn edges_format(&self) -> Option<EdgesFormat> {
        (self.columnar || self.parquet || self.edges.is_some() || self.size == Size::Large).then_some(if self.parquet {
            EdgesFormat::Parquet
        } else {
            EdgesFormat::Csv
        })
    }
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut agora_instances::output::Gate) {
        gate.output_file(&self.out);
        if let Some(format) = self.edges_format() {
            gate.output_file(agora_instances::columnar::columnar_edges_file(&self.out, format).0);
        }
    }
}
