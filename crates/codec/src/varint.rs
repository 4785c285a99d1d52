//! Variable-length integers of RFC 9420 §2.1.2: 1, 2 or 4 bytes, shortest form only.

use crate::{Error, Reader};

/// The largest value a vector length header can carry (2^30 - 1).
pub const MAX_VARINT: u64 = (1 << 30) - 1;

/// The number of bytes the minimal encoding of `value` takes.
pub fn varint_len(value: u64) -> Result<usize, Error> {
    match value {
        0..=0x3f => Ok(1),
        0x40..=0x3fff => Ok(2),
        0x4000..=MAX_VARINT => Ok(4),
        _ => Err(Error::VarintTooLarge(value)),
    }
}

/// Appends the minimal encoding of `value`.
pub fn write_varint(value: u64, out: &mut Vec<u8>) -> Result<(), Error> {
    varint_len(value)?;
    let mut buf = [0u8; 4];
    let n = write_varint_into(value, &mut buf);
    out.extend(buf.iter().take(n));
    Ok(())
}

/// Writes the minimal encoding of `value` (which must be at most [`MAX_VARINT`]; larger
/// values are a caller bug, as no in-memory vector can reach 1 GiB on the wire here).
pub(crate) fn write_varint_into(value: u64, buf: &mut [u8; 4]) -> usize {
    assert!(
        value <= MAX_VARINT,
        "vector of {value} bytes exceeds 2^30 - 1"
    );
    match value {
        0..=0x3f => {
            buf[0] = value as u8;
            1
        }
        0x40..=0x3fff => {
            buf[..2].copy_from_slice(&(0x4000 | value as u16).to_be_bytes());
            2
        }
        _ => {
            buf.copy_from_slice(&(0x8000_0000 | value as u32).to_be_bytes());
            4
        }
    }
}

/// Reads a variable-length integer, rejecting the `0b11` prefix and non-minimal forms.
pub fn read_varint(reader: &mut Reader<'_>) -> Result<u64, Error> {
    let first = *reader.rest().first().ok_or(Error::UnexpectedEnd {
        needed: 1,
        available: 0,
    })?;
    let len = match first >> 6 {
        0 => 1,
        1 => 2,
        2 => 4,
        _ => return Err(Error::InvalidVarintPrefix),
    };
    let bytes = reader.take(len)?;
    let mut value = u64::from(first & 0x3f);
    for byte in bytes.iter().skip(1) {
        value = (value << 8) | u64::from(*byte);
    }
    if varint_len(value)? != len {
        return Err(Error::NonMinimalVarint { value });
    }
    Ok(value)
}
