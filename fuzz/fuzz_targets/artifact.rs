#![no_main]
//! cargo fuzz target: see agora_fuzz_harness::artifact. AGORA_FUZZ_ARTIFACT names a valid
//! artifact directory (fuzz/run.sh exports one); the scratch directory is in /dev/shm when it
//! exists, so that the per-input writes stay in memory.
use std::path::PathBuf;

fn dirs() -> &'static (PathBuf, PathBuf) {
    static DIRS: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    DIRS.get_or_init(|| {
        let seed = PathBuf::from(std::env::var("AGORA_FUZZ_ARTIFACT").expect("AGORA_FUZZ_ARTIFACT names a valid artifact"));
        let base = if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        (seed, base.join(format!("agora-fuzz-artifact-{}", std::process::id())))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (seed, scratch) = dirs();
    agora_fuzz_harness::artifact(data, seed, scratch);
});
