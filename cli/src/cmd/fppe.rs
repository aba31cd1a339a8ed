//! `agora fppe`: the first-price pacing equilibrium of a market file.

use std::path::PathBuf;

use anyhow::Context;

use agora_mechanisms::fppe::{self, report};
use agora_mechanisms::market;

use agora_instances::output::Gate;

use super::{err, read_text, write_out, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora fppe market.json --out fppe.json\n\nInput: {\"schema\":\"agora.market/v1\",\"goods\":[{\"id\":\"g1\",\"supply\":1}],\"bidders\":[{\"id\":\"b1\",\"budget\":2,\"values\":{\"g1\":2}}]}";

/// Arguments of `agora fppe`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.market/v1 file.
    market: PathBuf,
    /// Where to write the agora.fppe/v1 result (written atomically).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `agora fppe`.
pub fn run(a: Args) -> Result<(), Failure> {
    let m = market::parse_str(&read_text(&a.market)?, &a.market).map_err(|e| err(e.into()))?;
    let result = fppe::solve(&m).with_context(|| format!("{}", a.market.display())).map_err(err)?;
    print!("{}", report::summary(&result, &m));
    write_out(a.out.as_deref(), &report::to_json(&result, &m))
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.market);
        self.out.iter().for_each(|p| _ = gate.output_file(p));
    }
}
