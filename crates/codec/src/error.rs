use thiserror::Error;

/// Why a byte string is not a valid encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// The input ended before the value did.
    #[error("input ended early: needed {needed} more bytes, {available} left")]
    UnexpectedEnd {
        /// Bytes the decoder asked for.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A variable-length header starts with the reserved prefix `0b11` (RFC 9420 §2.1.2).
    #[error("variable-length integer uses the invalid prefix 0b11")]
    InvalidVarintPrefix,
    /// A variable-length header is longer than its value needs (RFC 9420 §2.1.2).
    #[error("variable-length integer {value} is not minimally encoded")]
    NonMinimalVarint {
        /// The decoded value.
        value: u64,
    },
    /// A value does not fit the variable-length integer range.
    #[error("value {0} exceeds the variable-length integer range")]
    VarintTooLarge(u64),
    /// A value that must span the whole input left bytes behind.
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    /// A field has a value the protocol does not allow.
    #[error("invalid {what}: {value}")]
    InvalidValue {
        /// What was being decoded.
        what: &'static str,
        /// The value found.
        value: u64,
    },
    /// A vector element decoded from zero bytes, which would let a vector grow without bound.
    #[error("vector element has an empty encoding")]
    EmptyElement,
    /// A structure-specific rule was broken.
    #[error("malformed {0}")]
    Malformed(&'static str),
}
