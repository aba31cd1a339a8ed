//! `agora generate`: a realistic, reproducible day.

use std::path::PathBuf;

use anyhow::Context;

use agora_instances::Size;

use super::{err, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora generate --size small --seed 7 --out small-7.json\n  agora generate --size large --edges 10000000 --out big.json   (edges in big.edges.csv)\n\nSizes: tiny (~50 edges), small (~thousands), medium (~10^5), large (>= 10^6, columnar).";

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
}

/// Runs `agora generate`.
pub fn run(a: Args) -> Result<(), Failure> {
    let config = match a.edges {
        Some(n) => agora_instances::GenerateConfig::for_edges(n),
        None => agora_instances::GenerateConfig::for_size(a.size),
    };
    let inst = agora_instances::generate_with(&config, a.seed);
    let out = &a.out;
    if a.columnar || a.edges.is_some() || a.size == Size::Large {
        let csv = agora_instances::columnar::save_columnar(&inst, out).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("wrote {} and {} ({})", out.display(), csv.display(), inst.shape());
    } else {
        agora_instances::save(&inst, out).with_context(|| format!("{}: cannot write", out.display())).map_err(err)?;
        println!("wrote {} ({})", out.display(), inst.shape());
    }
    Ok(())
}
