//! `agora export`: an optimal, checked solution to a serving artifact.

use std::path::Path;

use anyhow::Context;

use agora_mechanisms::serving::{self, ExportError, ExportOptions};
use agora_solver::SolutionFile;

use crate::{err, Failure};

/// Writes the artifact of `solution` (a solution of `instance`) to `out`. Exit 3 when the
/// solution is not optimal, 1 on any other refusal or error; nothing is written then.
pub fn run(
    solution: &Path,
    instance: &Path,
    out: &Path,
    valid_from: Option<String>,
    valid_to: Option<String>,
) -> Result<(), Failure> {
    let (inst, hash) = load_instance_bytes(instance).map_err(err)?;
    let sol: SolutionFile =
        agora_instances::load_json_with(solution, Ok).map_err(|e| err(e.into()))?;
    let opts = ExportOptions {
        valid_from,
        valid_to,
        created_at: None,
    };
    let artifact = serving::build(&inst, &hash, &sol, &opts).map_err(|e| {
        let code = if matches!(e, ExportError::NotOptimal(_)) {
            3
        } else {
            1
        };
        Failure(
            code,
            anyhow::Error::new(e).context(format!("{}: refusing to export", solution.display())),
        )
    })?;
    serving::write_dir(&artifact, out)
        .with_context(|| "export failed; nothing was written".to_string())
        .map_err(err)?;
    let paced = artifact
        .pacing
        .iter()
        .filter(|p| p.multiplier < 1.0)
        .count();
    let planned = artifact.edges.iter().filter(|e| e.rate > 0.0).count();
    println!(
        "wrote {} ({}): instance \"{}\", objective {}, {} of {} edges planned, {} of {} campaigns paced",
        out.display(),
        serving::SERVING_SCHEMA,
        inst.name,
        artifact.manifest.objective,
        planned,
        artifact.edges.len(),
        paced,
        artifact.pacing.len()
    );
    Ok(())
}

/// Loads an instance and the content hash of its file's bytes (what the manifest records).
pub(crate) fn load_instance_bytes(
    path: &Path,
) -> anyhow::Result<(agora_instances::Instance, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8(bytes.clone())
        .with_context(|| format!("{}: not UTF-8", path.display()))?;
    let v = agora_instances::parse_str(&text, path)?;
    for w in &v.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    Ok((v.instance, serving::content_hash(&bytes)))
}
