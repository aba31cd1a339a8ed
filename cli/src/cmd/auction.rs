//! `agora auction`: run an auction file under a pricing rule.

use std::path::PathBuf;

use anyhow::Context;

use agora_mechanisms::auction::{self, file};

use agora_instances::output::Gate;

use super::{err, read_text, write_out, Failure};

pub const AFTER_HELP: &str = "Example:\n  agora auction bids.json --rule vcg\n\nRules: second-price, first-price (one item, optional reserve); gsp, vcg (slots with click-through rates).";

/// Arguments of `agora auction`.
#[derive(clap::Args)]
pub struct Args {
    /// The agora.auction/v1 file.
    file: PathBuf,
    /// second-price, first-price, gsp or vcg.
    #[arg(long)]
    rule: auction::Rule,
    /// Where to write the agora.auction-result/v1 file (written atomically).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Runs `agora auction`.
pub fn run(a: Args) -> Result<(), Failure> {
    let auc = file::parse_str(&read_text(&a.file)?, &a.file).map_err(|e| err(e.into()))?;
    let outcome = auction::run(&auc, a.rule).with_context(|| format!("{}", a.file.display())).map_err(err)?;
    print!("{}", file::summary(&outcome, &auc));
    write_out(a.out.as_deref(), &file::to_json(&outcome, &auc))
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        gate.input(&self.file);
        self.out.iter().for_each(|p| _ = gate.output_file(p));
    }
}
