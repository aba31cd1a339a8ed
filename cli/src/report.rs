//! `agora report`: read an instance and an optimal solution of it, print the report's tables,
//! write `report.json` and the SVG charts into a directory (a temporary directory, then a rename).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use agora_mechanisms::report::{self, Profile, ReportSettings};
use agora_solver::{BackendChoice, Settings, SolutionFile};

/// Options of `agora report`.
pub struct Args<'a> {
    pub instance: &'a Path,
    pub solution: &'a Path,
    pub out: &'a Path,
    pub backend: Option<BackendChoice>,
    pub settings: Option<&'a Path>,
    pub top: usize,
    pub gap_profile: Profile,
}

/// Runs the command; every failure is an error naming the file.
pub fn run(args: Args<'_>) -> Result<()> {
    let inst = &crate::load_instance(args.instance)?;
    let mut solve = match args.settings {
        Some(f) => {
            let text = std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?;
            Settings::from_json(&text).with_context(|| format!("{}", f.display()))?
        }
        None => Settings::default(),
    };
    if let Some(b) = args.backend {
        solve.backend = b;
    }
    let file: SolutionFile = agora_instances::load_json_with(args.solution, |f: SolutionFile| Ok(f))?;
    let settings = ReportSettings {
        solve,
        gap_profile: args.gap_profile,
        ..ReportSettings::default()
    };
    let rep = report::build(inst, &file, &settings).with_context(|| format!("{}", args.solution.display()))?;
    let charts = rep.charts()?;
    print!("{}", report::tables::render(&rep, args.top));
    let mut files: Vec<(&str, String)> = vec![("report.json", rep.to_json())];
    files.extend(charts);
    write_dir_atomic(args.out, &files).with_context(|| format!("{}: cannot write", args.out.display()))?;
    println!("\nwrote {} ({})", args.out.display(), files.iter().map(|f| f.0).collect::<Vec<_>>().join(", "));
    Ok(())
}

/// Writes `files` into `dir` so that `dir` never holds a partial report: everything goes into a
/// temporary sibling directory, which then replaces `dir` (an existing report directory is moved
/// aside first and removed after).
fn write_dir_atomic(dir: &Path, files: &[(&str, String)]) -> Result<()> {
    let name = dir.file_name().with_context(|| "not a directory path")?.to_string_lossy().into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if dir.exists() && !dir.is_dir() {
        bail!("exists and is not a directory");
    }
    let pid = std::process::id();
    let tmp = parent.join(format!(".{name}.tmp-{pid}"));
    let old = parent.join(format!(".{name}.old-{pid}"));
    let write = || -> std::io::Result<()> {
        std::fs::create_dir(&tmp)?;
        for (file, text) in files {
            std::fs::write(tmp.join(file), text)?;
        }
        if dir.exists() {
            std::fs::rename(dir, &old)?;
        }
        if let Err(e) = std::fs::rename(&tmp, dir) {
            if old.exists() {
                let _ = std::fs::rename(&old, dir);
            }
            return Err(e);
        }
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    };
    let result = write();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(result?)
}
