//! The TLS presentation language as MLS uses it (RFC 9420 §2.1, RFC 8446 §3).
//!
//! * Integers `uint8` … `uint64` are big-endian.
//! * Variable-size vectors `T v<V>` carry a length header in the QUIC-style variable-length
//!   integer encoding of RFC 9420 §2.1.2: 1, 2 or 4 bytes, always the *shortest* form. A
//!   non-minimal header or the invalid prefix `0b11` is rejected.
//! * `optional<T>` is a `uint8` presence flag (0 or 1, anything else is rejected) followed by `T`.
//!
//! Types implement [`Encode`] and [`Decode`]; [`codec_struct!`] writes both for a struct whose
//! fields are encoded one after another in declaration order. Decoding never panics and never
//! allocates more than the input's length.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod reader;
mod varint;

pub use error::Error;
pub use reader::Reader;
pub use varint::{read_varint, varint_len, write_varint, MAX_VARINT};

/// A value with a TLS presentation-language encoding.
pub trait Encode {
    /// Appends the encoding of `self` to `out`.
    fn encode(&self, out: &mut Vec<u8>);

    /// Appends the encodings of `items` one after another. Types may override this for a
    /// faster bulk path (bytes do).
    fn encode_items(items: &[Self], out: &mut Vec<u8>)
    where
        Self: Sized,
    {
        for item in items {
            item.encode(out);
        }
    }

    /// The encoding of `self` as a fresh vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// A value that can be read from its TLS presentation-language encoding.
pub trait Decode: Sized {
    /// Reads one value from `reader`, advancing it past the value.
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error>;

    /// Reads values until `reader` is exhausted (the body of a vector). Types may override
    /// this for a faster bulk path (bytes do).
    fn decode_items(reader: &mut Reader<'_>) -> Result<Vec<Self>, Error> {
        let mut items = Vec::new();
        while !reader.is_empty() {
            let before = reader.remaining();
            items.push(Self::decode(reader)?);
            if reader.remaining() == before {
                return Err(Error::EmptyElement);
            }
        }
        Ok(items)
    }

    /// Decodes a value that must span all of `bytes`; trailing bytes are an error.
    fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let value = Self::decode(&mut reader)?;
        reader.finish()?;
        Ok(value)
    }
}

/// Writes `body` behind a minimal variable-length header, as `T v<V>` requires.
///
/// `body` appends the vector's content to the buffer it is given. The header's length is known
/// only afterwards, so two bytes are reserved first: exact for bodies of 64 to 16383 bytes; a
/// shorter body moves one byte left (a cheap move of under 64 bytes) and a longer one gets two
/// more header bytes inserted. Nested vectors thus move their bodies only when they are large,
/// not once per nesting level.
pub fn encode_vector(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    const RESERVED: usize = 2;
    let start = out.len();
    out.extend_from_slice(&[0; RESERVED]);
    body(out);
    let len = out.len() - start - RESERVED;
    let mut header = [0u8; 4];
    let n = varint::write_varint_into(len as u64, &mut header);
    let (fits, rest) = header.split_at(n.min(RESERVED));
    if n < RESERVED {
        // In range: the two reserved bytes at `start` were pushed above.
        out.copy_within(start + RESERVED.., start + n);
        out.truncate(out.len() - (RESERVED - n));
    }
    if let Some(slot) = out.get_mut(start..start + fits.len()) {
        slot.copy_from_slice(fits);
    }
    if n > RESERVED {
        let at = start + RESERVED;
        out.splice(at..at, rest.iter().take(n - RESERVED).copied());
    }
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }
        }
        impl Decode for $t {
            fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
                let bytes = reader.take(std::mem::size_of::<$t>())?;
                let mut array = [0u8; std::mem::size_of::<$t>()];
                array.copy_from_slice(bytes);
                Ok(<$t>::from_be_bytes(array))
            }
        }
    )*};
}
int_codec!(u16, u32, u64);

impl Encode for u8 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
    fn encode_items(items: &[Self], out: &mut Vec<u8>) {
        out.extend_from_slice(items);
    }
}

impl Decode for u8 {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        reader
            .take(1)?
            .first()
            .copied()
            .ok_or(Error::UnexpectedEnd {
                needed: 1,
                available: 0,
            })
    }
    fn decode_items(reader: &mut Reader<'_>) -> Result<Vec<Self>, Error> {
        Ok(reader.take(reader.remaining())?.to_vec())
    }
}

/// `T v<V>`: a variable-size vector. `Vec<u8>` is `opaque v<V>`.
impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_vector(out, |out| T::encode_items(self, out));
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let mut body = reader.vector()?;
        T::decode_items(&mut body)
    }
}

/// `optional<T>`: a presence octet (0 or 1), then the value when present.
impl<T: Encode> Encode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(value) => {
                out.push(1);
                value.encode(out);
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        match u8::decode(reader)? {
            0 => Ok(None),
            1 => Ok(Some(T::decode(reader)?)),
            other => Err(Error::InvalidValue {
                what: "optional presence flag",
                value: u64::from(other),
            }),
        }
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}

impl<T: Encode> Encode for Box<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
}

impl<T: Decode> Decode for Box<T> {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        T::decode(reader).map(Box::new)
    }
}

/// `opaque v<V>` from a borrowed slice (encoding only).
impl Encode for [u8] {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_vector(out, |out| out.extend_from_slice(self));
    }
}

/// Implements [`Encode`] and [`Decode`] for a struct whose wire form is its fields in order.
///
/// ```
/// use braid_codec::{codec_struct, Decode, Encode};
///
/// #[derive(Debug, PartialEq)]
/// struct KdfLabel { length: u16, label: Vec<u8>, context: Vec<u8> }
/// codec_struct!(KdfLabel { length, label, context });
///
/// let value = KdfLabel { length: 32, label: b"MLS 1.0 x".to_vec(), context: vec![] };
/// let bytes = value.to_bytes();
/// assert_eq!(bytes[..3], [0, 32, 9]);
/// assert_eq!(KdfLabel::from_bytes(&bytes).unwrap(), value);
/// ```
#[macro_export]
macro_rules! codec_struct {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl $crate::Encode for $name {
            fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                $( $crate::Encode::encode(&self.$field, out); )*
            }
        }
        impl $crate::Decode for $name {
            fn decode(reader: &mut $crate::Reader<'_>) -> ::std::result::Result<Self, $crate::Error> {
                Ok(Self { $( $field: $crate::Decode::decode(reader)?, )* })
            }
        }
    };
}

/// Implements [`Encode`] and [`Decode`] for a fieldless enum carried as a fixed-width integer.
/// Values not listed are rejected with [`Error::InvalidValue`].
///
/// ```
/// use braid_codec::{codec_enum, Decode, Encode};
///
/// #[derive(Debug, PartialEq, Clone, Copy)]
/// enum ContentType { Application = 1, Proposal = 2, Commit = 3 }
/// codec_enum!(ContentType: u8 { Application, Proposal, Commit });
///
/// assert_eq!(ContentType::from_bytes(&[3]).unwrap(), ContentType::Commit);
/// assert!(ContentType::from_bytes(&[0]).is_err());
/// ```
#[macro_export]
macro_rules! codec_enum {
    ($name:ident : $repr:ty { $($variant:ident),* $(,)? }) => {
        impl $crate::Encode for $name {
            fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                $crate::Encode::encode(&(*self as $repr), out);
            }
        }
        impl $crate::Decode for $name {
            fn decode(reader: &mut $crate::Reader<'_>) -> ::std::result::Result<Self, $crate::Error> {
                let value = <$repr as $crate::Decode>::decode(reader)?;
                $( if value == $name::$variant as $repr { return Ok($name::$variant); } )*
                Err($crate::Error::InvalidValue { what: stringify!($name), value: u64::from(value) })
            }
        }
    };
}

/// Defines an open code point of an IANA registry: a newtype over an integer with named
/// constants. Unknown values still decode (structures that merely list code points, like MLS
/// `Capabilities`, must accept future ones); `Debug` shows the registered name when known.
///
/// ```
/// use braid_codec::{code_point, Decode, Encode};
///
/// code_point!(
///     /// `uint16 ProposalType`.
///     ProposalType: u16 {
///         /// `add`.
///         ADD = 0x0001,
///     }
/// );
/// assert_eq!(ProposalType::from_bytes(&[0, 1]).unwrap(), ProposalType::ADD);
/// assert_eq!(format!("{:?}", ProposalType::ADD), "ADD(0x0001)");
/// assert_eq!(format!("{:?}", ProposalType(9)), "ProposalType(0x0009)");
/// ```
#[macro_export]
macro_rules! code_point {
    ($(#[$doc:meta])* $name:ident : $repr:ty { $($(#[$kdoc:meta])* $konst:ident = $value:expr,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $repr);

        impl $name {
            $($(#[$kdoc])* pub const $konst: Self = Self($value);)*

            /// The registered name of a known value.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $(Self::$konst => Some(stringify!($konst)),)*
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{name}(0x{:04x})", self.0),
                    None => write!(f, "{}(0x{:04x})", stringify!($name), self.0),
                }
            }
        }

        impl $crate::Encode for $name {
            fn encode(&self, out: &mut ::std::vec::Vec<u8>) {
                $crate::Encode::encode(&self.0, out);
            }
        }

        impl $crate::Decode for $name {
            fn decode(reader: &mut $crate::Reader<'_>) -> ::std::result::Result<Self, $crate::Error> {
                <$repr as $crate::Decode>::decode(reader).map(Self)
            }
        }
    };
}

#[cfg(test)]
mod tests;
