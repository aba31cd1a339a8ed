//! `agora import`: a day built from a public data set.

use std::path::PathBuf;

use agora_instances::output::OutputKind;

use super::{check_out, err, Failure};

pub const AFTER_HELP: &str = "Example:\n  scripts/fetch-data.sh\n  agora import movielens data/ml-100k --out movielens.json\n\nmovielens: the MovieLens-100k sample (ml-100k.inter, .item, .user) as a day: 30 segments, the films as items of\ntheir catalog lines, 25 synthetic ad campaigns, the usual rules. Every modelling choice: docs/formats.md.";

/// The data sets `agora import` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Source {
    /// MovieLens-100k (the directory holding ml-100k.inter, .item and .user).
    Movielens,
}

/// Arguments of `agora import`.
#[derive(clap::Args)]
pub struct Args {
    /// The data set.
    source: Source,
    /// Its directory.
    dir: PathBuf,
    /// Where to write the agora.instance/v1 file (written atomically).
    #[arg(long)]
    out: PathBuf,
}

/// Runs `agora import`.
pub fn run(a: Args) -> Result<(), Failure> {
    check_out(Some(&a.out), OutputKind::File, &[])?;
    let inst = match a.source {
        Source::Movielens => agora_instances::import::movielens::import(&a.dir).map_err(|e| err(e.into()))?,
    };
    agora_instances::save(&inst, &a.out).map_err(|e| err(anyhow::Error::new(e).context(format!("{}: cannot write", a.out.display()))))?;
    println!("wrote {} ({})", a.out.display(), inst.shape());
    Ok(())
}
