#![no_main]
//! cargo fuzz target: see agora_fuzz_harness::parquet_edges.
libfuzzer_sys::fuzz_target!(|data: &[u8]| agora_fuzz_harness::parquet_edges(data));
