//! libFuzzer harness of `braid_fuzzing::targets::key_package` (see that function for the input layout).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    braid_fuzzing::targets::key_package(data);
});
