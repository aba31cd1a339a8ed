//! `agora import`: a day (and, for logged data, its logs) built from a public data set.

use std::path::{Path, PathBuf};

use agora_instances::import::obd::SegmentBy;
use agora_instances::output::{Gate, OutputKind, Role};

use super::{err, read_options, usage, Failure};

pub const AFTER_HELP: &str = "Examples:\n  scripts/fetch-data.sh\n  agora import movielens data/ml-100k --out movielens.json\n  agora import movielens data/ml-100k --creators directors --out directors.json\n  agora import obd data/obd/bts/all --segment-by position --out obd-bts\n\nmovielens: the MovieLens-100k sample (ml-100k.inter, .item, .user) as a day: 30 segments, the films as items of\ntheir catalog lines, 25 synthetic ad campaigns, the usual rules; with --creators directors (which also reads ml-100k.link\nand .kg) the films' directors as creators, 25 production companies as campaigns, user cohorts as segments and\nthat day's rules. Every modelling choice: docs/formats.md.\nobd: an Open Bandit Dataset directory (NAME.csv and item_context.csv) as PREFIX.logs.csv (agora.logs/v1) and\nPREFIX.json (a day: one segment per --segment-by value, an edge per logged (segment, item)); docs/estimates.md.";

/// The data sets `agora import` reads.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Source {
    /// MovieLens-100k (the directory holding ml-100k.inter, .item and .user).
    Movielens,
    /// The Open Bandit Dataset's sample (a directory such as data/obd/bts/all).
    Obd,
}

/// Who makes a MovieLens day's films (`--creators`).
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum Creators {
    /// Catalog lines (first genre x release year) and synthetic ads: the day of docs/formats.md,
    /// "MovieLens-100k".
    #[default]
    CatalogLines,
    /// The films' directors from the knowledge graph (ml-100k.link, .kg), production companies as
    /// campaigns, user cohorts as segments: docs/formats.md, "MovieLens-100k with directors".
    Directors,
}

/// Arguments of `agora import`.
#[derive(clap::Args)]
pub struct Args {
    /// The data set.
    source: Source,
    /// Its directory.
    dir: PathBuf,
    /// movielens: the agora.instance/v1 file to write. obd: the PREFIX of PREFIX.json and PREFIX.logs.csv.
    /// Written atomically.
    #[arg(long)]
    out: PathBuf,
    /// obd only: what makes a segment: position, or a hashed user feature user_feature_0 .. user_feature_3.
    #[arg(long, value_name = "KEY")]
    segment_by: Option<SegmentBy>,
    /// movielens only: who makes the films, catalog-lines (default) or directors; the two build
    /// different days (docs/formats.md).
    #[arg(long, value_name = "WHO")]
    creators: Option<Creators>,
}

/// Runs `agora import`.
pub fn run(a: Args) -> Result<(), Failure> {
    let write_day = |inst: &agora_instances::Instance, path: &Path| -> Result<(), Failure> {
        super::paths::recheck(path, OutputKind::File)?;
        agora_instances::save(inst, path).map_err(|e| err(anyhow::Error::new(e).context(format!("{}: cannot write", path.display()))))?;
        println!("wrote {} ({})", path.display(), inst.shape());
        Ok(())
    };
    match a.source {
        Source::Movielens => {
            if a.segment_by.is_some() {
                return Err(usage("--segment-by is for obd; movielens segments are fixed (docs/formats.md)".into()));
            }
            let inst = match a.creators.unwrap_or_default() {
                Creators::CatalogLines => agora_instances::import::movielens::import_with(&a.dir, read_options()),
                Creators::Directors => agora_instances::import::directors::import_with(&a.dir, read_options()),
            }
            .map_err(|e| err(e.into()))?;
            write_day(&inst, &a.out)
        }
        Source::Obd => {
            if a.creators.is_some() {
                return Err(usage("--creators is for movielens (docs/formats.md); an obd day's items are their own makers".into()));
            }
            let by = a.segment_by.unwrap_or(SegmentBy::Position);
            let [day, logs] = obd_outputs(&a.out);
            let imported = agora_instances::import::obd::import_with(&a.dir, by, read_options()).map_err(|e| err(e.into()))?;
            super::paths::recheck(&logs, OutputKind::File)?;
            agora_instances::write_atomic(&logs, imported.logs.to_csv().as_bytes())
                .map_err(|e| err(anyhow::Error::new(e).context(format!("{}: cannot write", logs.display()))))?;
            println!("wrote {} ({} rounds, mean reward {:.6})", logs.display(), imported.logs.rounds.len(), imported.logs.mean_reward());
            write_day(&imported.instance, &day)
        }
    }
}

/// The day and the logs an obd import writes for `--out PREFIX` (PREFIX may be given with the
/// day's extension: obd-bts.json means obd-bts).
fn obd_outputs(out: &Path) -> [PathBuf; 2] {
    let prefix = if out.extension().is_some_and(|x| x == "json") { out.with_extension("") } else { out.to_path_buf() };
    let name = prefix.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "obd".into());
    [prefix.with_file_name(format!("{name}.json")), prefix.with_file_name(format!("{name}.logs.csv"))]
}

impl super::paths::Declare for Args {
    fn declare(&self, gate: &mut Gate) {
        match self.source {
            Source::Movielens => {
                // It reads three (with --creators directors five) files of the directory by name:
                // an output may sit beside them.
                gate.declare(&self.dir, Role::SourceDir);
                let files: &[&str] = match self.creators.unwrap_or_default() {
                    Creators::CatalogLines => &agora_instances::import::movielens::FILES,
                    Creators::Directors => &agora_instances::import::directors::FILES,
                };
                files.iter().for_each(|f| _ = gate.input(self.dir.join(f)));
                gate.output_file(&self.out);
            }
            Source::Obd => {
                // It lists the directory for its rounds file: a CSV written there would be read
                // next time, so the directory is read as a whole. A directory that cannot be
                // listed fails the import itself.
                gate.declare(&self.dir, Role::InputDir);
                if let Ok(files) = agora_instances::import::obd::source_files(&self.dir) {
                    files.into_iter().for_each(|f| _ = gate.input(f));
                }
                obd_outputs(&self.out).into_iter().for_each(|f| _ = gate.output_file(f));
            }
        }
    }
}
