use super::*;
use proptest::prelude::*;

#[derive(Debug, Clone, PartialEq)]
struct Sample {
    a: u8,
    b: u16,
    c: u32,
    d: u64,
    bytes: Vec<u8>,
    nested: Vec<Vec<u8>>,
    maybe: Option<u16>,
}
codec_struct!(Sample {
    a,
    b,
    c,
    d,
    bytes,
    nested,
    maybe
});

#[test]
fn varint_boundaries() {
    for (value, encoded) in [
        (0u64, vec![0x00]),
        (0x3f, vec![0x3f]),
        (0x40, vec![0x40, 0x40]),
        (0x3fff, vec![0x7f, 0xff]),
        (0x4000, vec![0x80, 0x00, 0x40, 0x00]),
        (MAX_VARINT, vec![0xbf, 0xff, 0xff, 0xff]),
    ] {
        let mut out = Vec::new();
        write_varint(value, &mut out).unwrap();
        assert_eq!(out, encoded, "encoding {value}");
        assert_eq!(read_varint(&mut Reader::new(&encoded)).unwrap(), value);
    }
    assert_eq!(
        varint_len(MAX_VARINT + 1),
        Err(Error::VarintTooLarge(MAX_VARINT + 1))
    );
}

#[test]
fn varint_rejects_non_minimal_and_reserved_prefix() {
    assert_eq!(
        read_varint(&mut Reader::new(&[0x40, 0x3f])),
        Err(Error::NonMinimalVarint { value: 0x3f })
    );
    assert_eq!(
        read_varint(&mut Reader::new(&[0x80, 0x00, 0x3f, 0xff])),
        Err(Error::NonMinimalVarint { value: 0x3fff })
    );
    assert_eq!(
        read_varint(&mut Reader::new(&[0xc0, 0, 0, 0, 0, 0, 0, 1])),
        Err(Error::InvalidVarintPrefix)
    );
    assert!(matches!(
        read_varint(&mut Reader::new(&[0x80, 0x00])),
        Err(Error::UnexpectedEnd { .. })
    ));
    assert!(matches!(
        read_varint(&mut Reader::new(&[])),
        Err(Error::UnexpectedEnd { .. })
    ));
}

#[test]
fn vectors_reject_overlong_length_and_trailing_bytes() {
    // Claims 5 bytes, has 3.
    assert!(matches!(
        Vec::<u8>::from_bytes(&[5, 1, 2, 3]),
        Err(Error::UnexpectedEnd { .. })
    ));
    assert_eq!(
        Vec::<u8>::from_bytes(&[1, 9, 9]),
        Err(Error::TrailingBytes(1))
    );
    // A vector of u16 whose body has an odd length.
    assert!(matches!(
        Vec::<u16>::from_bytes(&[3, 0, 1, 2]),
        Err(Error::UnexpectedEnd { .. })
    ));
}

#[test]
fn optional_rejects_bad_flag() {
    assert_eq!(Option::<u8>::from_bytes(&[0]).unwrap(), None);
    assert_eq!(Option::<u8>::from_bytes(&[1, 7]).unwrap(), Some(7));
    assert_eq!(
        Option::<u8>::from_bytes(&[2, 7]),
        Err(Error::InvalidValue {
            what: "optional presence flag",
            value: 2
        })
    );
}

#[test]
fn empty_elements_cannot_fill_a_vector() {
    #[derive(Debug)]
    struct Nothing;
    impl Decode for Nothing {
        fn decode(_: &mut Reader<'_>) -> Result<Self, Error> {
            Ok(Nothing)
        }
    }
    assert_eq!(
        Vec::<Nothing>::from_bytes(&[1, 0]).unwrap_err(),
        Error::EmptyElement
    );
}

#[test]
fn integers_are_big_endian() {
    assert_eq!(0x0102u16.to_bytes(), [1, 2]);
    assert_eq!(0x01020304u32.to_bytes(), [1, 2, 3, 4]);
    assert_eq!(u64::from_bytes(&[0, 0, 0, 0, 0, 0, 1, 0]).unwrap(), 256);
}

proptest! {
    #[test]
    fn varint_round_trip(value in 0..=MAX_VARINT) {
        let mut out = Vec::new();
        write_varint(value, &mut out).unwrap();
        prop_assert_eq!(out.len(), varint_len(value).unwrap());
        let mut reader = Reader::new(&out);
        prop_assert_eq!(read_varint(&mut reader).unwrap(), value);
        prop_assert!(reader.is_empty());
    }

    #[test]
    fn struct_round_trip(
        a: u8, b: u16, c: u32, d: u64,
        bytes in proptest::collection::vec(any::<u8>(), 0..20000),
        nested in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..50),
        maybe: Option<u16>,
    ) {
        let value = Sample { a, b, c, d, bytes, nested, maybe };
        let encoded = value.to_bytes();
        prop_assert_eq!(Sample::from_bytes(&encoded).unwrap(), value);
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(input in proptest::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(value) = Sample::from_bytes(&input) {
            prop_assert_eq!(value.to_bytes(), input);
        }
    }
}

#[test]
fn vector_headers_at_every_length_class() {
    // Around each header size (1, 2 and 4 bytes), alone and nested in an outer vector, with
    // bytes before it in the buffer.
    for len in [0usize, 1, 63, 64, 65, 16383, 16384, 70000] {
        let body: Vec<u8> = (0..len).map(|i| i as u8).collect();
        let mut out = vec![0xee];
        body.encode(&mut out);
        let header = match len {
            0..=63 => vec![len as u8],
            64..=16383 => (0x4000 | len as u16).to_be_bytes().to_vec(),
            _ => (0x8000_0000 | len as u32).to_be_bytes().to_vec(),
        };
        assert_eq!(out[0], 0xee, "{len}");
        assert_eq!(&out[1..1 + header.len()], &header[..], "{len}");
        assert_eq!(&out[1 + header.len()..], &body[..], "{len}");

        let nested = vec![body.clone(), Vec::new(), body.clone()];
        let bytes = nested.to_bytes();
        assert_eq!(Vec::<Vec<u8>>::from_bytes(&bytes).unwrap(), nested, "{len}");
    }
}
