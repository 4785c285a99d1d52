//! libFuzzer harness of `braid_fuzzing::targets::welcome` (see that function for the input layout).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    braid_fuzzing::targets::welcome(data);
});
