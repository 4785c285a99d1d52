//! libFuzzer harness of `braid_fuzzing::targets::process_message` (see that function for the input layout).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    braid_fuzzing::targets::process_message(data);
});
