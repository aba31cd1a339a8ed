//! `agora report`: read an instance and an optimal solution of it, print the report's tables,
//! write `report.json` and the SVG charts into a directory (a temporary directory, then a rename).

use std::path::Path;

use anyhow::{Context, Result};

use agora_mechanisms::report::{self, Profile, ReportSettings};
use agora_solver::{BackendChoice, SolutionFile};

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
    let solve = crate::settings_from(args.settings, args.backend, None)?;
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
    // An existing directory is replaced only when it holds nothing but a report's files.
    let names: Vec<&str> = files.iter().map(|f| f.0).collect();
    agora_instances::write_dir_atomic(args.out, &files, agora_instances::ExistingDir::ReplaceIfOnly(&names)).with_context(|| format!("{}: cannot write", args.out.display()))?;
    println!("\nwrote {} ({})", args.out.display(), files.iter().map(|f| f.0).collect::<Vec<_>>().join(", "));
    Ok(())
}

