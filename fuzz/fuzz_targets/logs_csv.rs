#![no_main]
//! cargo fuzz target: see agora_fuzz_harness::logs_csv.
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_fuzz_harness::logs_csv(data));
