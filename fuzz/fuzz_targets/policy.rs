#![no_main]
//! cargo fuzz target: see agora_fuzz_harness::policy (the input is written to a scratch file of this
//! process, since the loader reads a path).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    static SCRATCH: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let dir = SCRATCH.get_or_init(|| std::env::temp_dir().join(format!("agora-fuzz-policy-{}", std::process::id())));
    agora_fuzz_harness::policy(data, dir)
});
