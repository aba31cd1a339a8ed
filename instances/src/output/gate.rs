//! The gate every command's paths pass before any work: what it reads, what it writes, and the
//! rules between them (the module's documentation lists them).

use std::io::{Error, ErrorKind};
use std::path::{Path, PathBuf};

use super::{check_output, refusal, resolved, same_file, ExistingDir, OutputKind};

/// What a path is to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A file it reads.
    Input,
    /// A directory it reads as a whole (a serving artifact): nothing may be written in it.
    InputDir,
    /// A directory it reads some files of (an import's source): an output may sit beside
    /// them, never replace one of them, and an output directory may not hold the directory.
    SourceDir,
    /// A file it writes.
    OutputFile,
    /// A directory it writes as a whole; an existing one is replaced only when it holds nothing
    /// but these names (none: it must be empty).
    OutputDir(Vec<String>),
}

/// Every path a command reads and writes, checked against the output rules before any work
/// ([`Gate::check`]) and again for a path learnt late, such as the edges file an instance names
/// ([`Gate::admit`]).
#[derive(Debug, Clone, Default)]
pub struct Gate {
    paths: Vec<(PathBuf, Role)>,
}

impl Gate {
    /// A gate with no paths.
    pub fn new() -> Gate {
        Gate::default()
    }

    /// Declares `path` in `role`.
    pub fn declare(&mut self, path: impl Into<PathBuf>, role: Role) -> &mut Gate {
        self.paths.push((path.into(), role));
        self
    }

    /// Declares a file read.
    pub fn input(&mut self, path: impl Into<PathBuf>) -> &mut Gate {
        self.declare(path, Role::Input)
    }

    /// Declares a file written.
    pub fn output_file(&mut self, path: impl Into<PathBuf>) -> &mut Gate {
        self.declare(path, Role::OutputFile)
    }

    /// Declares a directory written, which may replace an existing one holding only `names`.
    pub fn output_dir(&mut self, path: impl Into<PathBuf>, existing: ExistingDir) -> &mut Gate {
        let names = match existing {
            ExistingDir::Refuse => Vec::new(),
            ExistingDir::ReplaceIfOnly(names) => names.iter().map(|n| n.to_string()).collect(),
        };
        self.declare(path, Role::OutputDir(names))
    }

    /// Every path declared, with its role.
    pub fn paths(&self) -> &[(PathBuf, Role)] {
        &self.paths
    }

    /// Declares the files in `paths` as inputs and checks every output against them: for the
    /// inputs a command learns only as it reads (the edges file an instance names).
    pub fn admit<P: AsRef<Path>>(&mut self, paths: &[P]) -> std::io::Result<()> {
        for p in paths {
            if !self.paths.iter().any(|(q, r)| *r == Role::Input && q == p.as_ref()) {
                self.input(p.as_ref());
            }
        }
        self.check()
    }

    /// Checks every output against the rules; the first refusal is the error (kind
    /// `AlreadyExists` or `PermissionDenied`), naming the output and the rule.
    pub fn check(&self) -> std::io::Result<()> {
        for (k, (out, role)) in self.paths.iter().enumerate() {
            let kind = match role {
                Role::OutputFile => OutputKind::File,
                Role::OutputDir(_) => OutputKind::Dir,
                _ => continue,
            };
            self.check_output(out, kind)?;
            if let Role::OutputDir(names) = role {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let existing = if names.is_empty() { ExistingDir::Refuse } else { ExistingDir::ReplaceIfOnly(&names) };
                existing.check(out)?;
            }
            let at = resolved(out);
            for (other, role) in &self.paths[..k] {
                if matches!(role, Role::OutputFile | Role::OutputDir(_)) && resolved(other) == at {
                    return Err(refusal(out, ErrorKind::AlreadyExists, &format!("it is also this command's output {}", other.display())));
                }
            }
        }
        Ok(())
    }

    /// The rules between one output and every input.
    fn check_output(&self, out: &Path, kind: OutputKind) -> std::io::Result<()> {
        let files: Vec<&Path> = self.paths.iter().filter(|(_, r)| *r == Role::Input).map(|(p, _)| p.as_path()).collect();
        check_output(out, kind, &files)?;
        let at = resolved(out);
        for (input, role) in &self.paths {
            let refuse = |why: String| Err::<(), Error>(refusal(out, ErrorKind::AlreadyExists, &why));
            let source = resolved(input);
            match role {
                Role::Input if kind == OutputKind::Dir && source.starts_with(&at) => {
                    refuse(format!("it holds {}, an input of this command, and is replaced as a whole; choose another directory", input.display()))?
                }
                Role::InputDir | Role::SourceDir if at == source => {
                    refuse(format!("it is {}, a directory this command reads; choose another output", input.display()))?
                }
                Role::InputDir if at.starts_with(&source) => {
                    refuse(format!("it is inside {}, a directory this command reads; choose another output", input.display()))?
                }
                Role::InputDir | Role::SourceDir if kind == OutputKind::Dir && source.starts_with(&at) => {
                    refuse(format!("it holds {}, a directory this command reads, and is replaced as a whole; choose another directory", input.display()))?
                }
                _ => {}
            }
        }
        // A hard link to an input inside an output directory names the input's bytes too.
        if kind == OutputKind::Dir {
            if let Ok(entries) = std::fs::read_dir(out) {
                for entry in entries.flatten() {
                    if let Some(input) = files.iter().find(|i| same_file(&entry.path(), i)) {
                        let why = format!(
                            "it holds {}, which is {}, an input of this command; choose another directory",
                            entry.file_name().to_string_lossy(),
                            input.display()
                        );
                        return Err(refusal(out, ErrorKind::AlreadyExists, &why));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_in(dir: &Path, name: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, "{}").unwrap();
        p
    }

    fn refused(g: &Gate, fragment: &str) {
        let e = g.check().unwrap_err();
        assert!(e.to_string().contains(fragment), "{e}");
        assert!(e.to_string().contains("nothing was written"), "{e}");
    }

    #[test]
    fn an_output_directory_holding_an_input_is_refused_whatever_the_input_is_named() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("dir");
        std::fs::create_dir(&dir).unwrap();
        // Named as an output of the command: the directory rule alone would replace it.
        let day = day_in(&dir, "horizon.json");
        let mut g = Gate::new();
        g.input(&day).output_dir(&dir, ExistingDir::ReplaceIfOnly(&["horizon.json"]));
        refused(&g, "an input of this command");
        let mut g = Gate::new();
        g.input(&day).output_dir(root.path(), ExistingDir::ReplaceIfOnly(&["dir"]));
        refused(&g, "an input of this command");
        let mut g = Gate::new();
        g.input(&day).output_dir(root.path().join("elsewhere"), ExistingDir::Refuse);
        g.check().unwrap();
    }

    #[test]
    fn a_directory_read_as_a_whole_takes_no_output_inside_it() {
        let root = tempfile::tempdir().unwrap();
        let art = root.path().join("art");
        std::fs::create_dir(&art).unwrap();
        day_in(&art, "manifest.json");
        let mut g = Gate::new();
        g.declare(&art, Role::InputDir).output_file(art.join("manifest.json"));
        refused(&g, "inside");
        let mut g = Gate::new();
        g.declare(&art, Role::InputDir).output_file(art.join("new.json"));
        refused(&g, "inside");
        let mut g = Gate::new();
        g.declare(&art, Role::InputDir).output_file(root.path().join("sim.json"));
        g.check().unwrap();
    }

    #[test]
    fn a_source_directory_takes_outputs_beside_its_files_but_never_over_them() {
        let root = tempfile::tempdir().unwrap();
        let src = root.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let user = day_in(&src, "ml-100k.user");
        let mut g = Gate::new();
        g.declare(&src, Role::SourceDir).input(&user).output_file(src.join("ml-100k.user"));
        refused(&g, "an input of this command");
        let mut g = Gate::new();
        g.declare(&src, Role::SourceDir).input(&user).output_file(src.join("day.json"));
        g.check().unwrap();
        let mut g = Gate::new();
        g.declare(&src, Role::SourceDir).input(&user).output_dir(root.path(), ExistingDir::ReplaceIfOnly(&["src"]));
        refused(&g, "a directory this command reads");
    }

    #[test]
    fn late_inputs_and_two_outputs_on_one_path_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let day = day_in(root.path(), "day.json");
        let edges = day_in(root.path(), "day.edges.csv");
        let mut g = Gate::new();
        g.input(&day).output_file(root.path().join("day.edges.csv"));
        g.check().unwrap();
        let e = g.admit(&[&edges]).unwrap_err();
        assert!(e.to_string().contains("day.edges.csv"), "{e}");
        let mut g = Gate::new();
        g.output_file(root.path().join("a.json")).output_file(root.path().join("./a.json"));
        refused(&g, "also this command's output");
    }

    #[cfg(unix)]
    #[test]
    fn a_hard_link_of_an_input_in_the_output_directory_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let day = day_in(root.path(), "day.json");
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::hard_link(&day, out.join("report.json")).unwrap();
        let mut g = Gate::new();
        g.input(&day).output_dir(&out, ExistingDir::ReplaceIfOnly(&["report.json"]));
        refused(&g, "an input of this command");
    }
}
