//! `deserialization.json`: variable-length vector headers (RFC 9420 §2.1.2) decode to the
//! given length, and the length encodes back to the same header.

use braid_codec::{read_varint, write_varint, Reader};

use crate::{check_bytes, check_eq, Case, CaseResult};

/// Checks one case.
pub fn check(case: Case<'_>) -> CaseResult {
    let header = case.hex("vlbytes_header")?;
    let length = case.u64("length")?;
    let mut reader = Reader::new(&header);
    let decoded = read_varint(&mut reader).map_err(|e| format!("vlbytes_header: {e}"))?;
    reader
        .finish()
        .map_err(|e| format!("vlbytes_header: {e}"))?;
    check_eq("decoded length", decoded, length)?;
    let mut encoded = Vec::new();
    write_varint(length, &mut encoded).map_err(|e| format!("length: {e}"))?;
    check_bytes("re-encoded header", &encoded, &header)
}
