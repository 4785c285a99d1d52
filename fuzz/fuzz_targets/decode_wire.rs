//! libFuzzer harness of `braid_fuzzing::targets::decode_wire` (see that function for the input layout).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    braid_fuzzing::targets::decode_wire(data);
});
