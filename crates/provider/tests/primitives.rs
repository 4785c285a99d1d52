//! The default provider's primitives: known answers for hashing, HMAC and HKDF, AEAD and
//! signature round trips with tamper rejection, KEM round trips and `DeriveKeyPair`
//! determinism for every KEM, HPKE round trips for every suite, and rejection of malformed
//! keys with specific errors (never a panic).

use braid_crypto::hpke::{self, HpkeSuite};
use braid_crypto::{
    AeadId, CipherSuite, CryptoError, CryptoProvider, HashAlgorithm, KdfId, KemId, SignatureScheme,
    SuiteDescriptor,
};
use braid_provider::DefaultProvider;

const P: DefaultProvider = DefaultProvider::new();

const KEMS: [KemId; 5] = [
    KemId::DHKEM_X25519,
    KemId::DHKEM_P256,
    KemId::DHKEM_P384,
    KemId::DHKEM_P521,
    KemId::DHKEM_X448,
];
const AEADS: [AeadId; 3] = [
    AeadId::AES_128_GCM,
    AeadId::AES_256_GCM,
    AeadId::CHACHA20_POLY1305,
];
const SCHEMES: [SignatureScheme; 5] = [
    SignatureScheme::ED25519,
    SignatureScheme::ED448,
    SignatureScheme::ECDSA_SECP256R1_SHA256,
    SignatureScheme::ECDSA_SECP384R1_SHA384,
    SignatureScheme::ECDSA_SECP521R1_SHA512,
];

/// The seven RFC 9420 suites.
fn suites() -> Vec<SuiteDescriptor> {
    (1..=7)
        .map(|id| CipherSuite(id).descriptor().unwrap())
        .collect()
}

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn supports_all_seven_suites_and_nothing_unknown() {
    for d in suites() {
        assert!(P.supports_suite(d.suite), "{:?}", d.suite);
    }
    assert!(!P.supports_suite(CipherSuite(0x0008)));
    assert!(!P.supports_kem(KemId(0x0041)));
    assert!(!P.supports_aead(AeadId::EXPORT_ONLY));
    assert!(!P.supports_signature(SignatureScheme(0x0904)));
    assert_eq!(
        P.kem_generate(KemId(0x0041)).unwrap_err(),
        CryptoError::UnsupportedKem(KemId(0x0041))
    );
    assert_eq!(
        P.kdf_extract(KdfId(9), b"", b"").unwrap_err(),
        CryptoError::UnsupportedKdf(KdfId(9))
    );
    assert_eq!(
        P.aead_seal(AeadId(9), &[0; 16], &[0; 12], b"", b"")
            .unwrap_err(),
        CryptoError::UnsupportedAead(AeadId(9))
    );
    assert_eq!(
        P.sign(SignatureScheme(0x0904), &[0; 32], b"").unwrap_err(),
        CryptoError::UnsupportedSignatureScheme(SignatureScheme(0x0904))
    );
    assert_eq!(
        P.verify(SignatureScheme(0x0904), &[0; 32], b"", &[0; 64])
            .unwrap_err(),
        CryptoError::UnsupportedSignatureScheme(SignatureScheme(0x0904))
    );
}

#[test]
fn hashes_match_known_answers() {
    assert_eq!(
        P.hash(HashAlgorithm::Sha256, b"abc").unwrap(),
        h("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    // RFC 4231 test case 1.
    let (key, data) = ([0x0b; 20], b"Hi There");
    assert_eq!(
        P.hmac(HashAlgorithm::Sha256, &key, data).unwrap(),
        h("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    );
    assert_eq!(
        P.hmac(HashAlgorithm::Sha384, &key, data).unwrap(),
        h("afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6")
    );
    assert_eq!(
        P.hmac(HashAlgorithm::Sha512, &key, data).unwrap(),
        h("87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
    );
}

#[test]
fn hkdf_matches_rfc5869_and_bounds_output() {
    // RFC 5869 A.1.
    let prk = P
        .kdf_extract(
            KdfId::HKDF_SHA256,
            &h("000102030405060708090a0b0c"),
            &[0x0b; 22],
        )
        .unwrap();
    assert_eq!(
        prk.as_bytes(),
        h("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
    );
    let okm = P
        .kdf_expand(
            KdfId::HKDF_SHA256,
            prk.as_bytes(),
            &h("f0f1f2f3f4f5f6f7f8f9"),
            42,
        )
        .unwrap();
    assert_eq!(
        okm.as_bytes(),
        h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    );
    // RFC 5869 A.3: empty salt means HashLen zero bytes.
    let prk = P.kdf_extract(KdfId::HKDF_SHA256, b"", &[0x0b; 22]).unwrap();
    assert_eq!(
        prk.as_bytes(),
        h("19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04")
    );
    assert_eq!(
        prk,
        P.kdf_extract(KdfId::HKDF_SHA256, &[0; 32], &[0x0b; 22])
            .unwrap()
    );

    assert_eq!(
        P.kdf_expand(KdfId::HKDF_SHA384, &[1; 48], b"", 0)
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        P.kdf_expand(KdfId::HKDF_SHA512, &[1; 64], b"", 255 * 64)
            .unwrap()
            .len(),
        255 * 64
    );
    assert_eq!(
        P.kdf_expand(KdfId::HKDF_SHA256, &[1; 32], b"", 255 * 32 + 1)
            .unwrap_err(),
        CryptoError::KdfOutputTooLong(255 * 32 + 1)
    );
    // A longer-than-usual PRK is only an HMAC key.
    assert_eq!(
        P.kdf_expand(KdfId::HKDF_SHA256, &[7; 200], b"info", 20)
            .unwrap()
            .len(),
        20
    );
}

#[test]
fn aead_round_trips_and_rejects_tampering() {
    for aead in AEADS {
        let key = vec![0x42; aead.key_len().unwrap()];
        let nonce = [0x24; 12];
        let pt = b"a message to protect";
        let ct = P.aead_seal(aead, &key, &nonce, b"aad", pt).unwrap();
        assert_eq!(ct.len(), pt.len() + 16);
        assert_eq!(P.aead_open(aead, &key, &nonce, b"aad", &ct).unwrap(), pt);
        assert_eq!(
            P.aead_open(
                aead,
                &key,
                &nonce,
                b"aad",
                &P.aead_seal(aead, &key, &nonce, b"aad", b"").unwrap()
            )
            .unwrap(),
            b""
        );

        for i in [0, pt.len(), ct.len() - 1] {
            let mut bad = ct.clone();
            bad[i] ^= 0x80;
            assert_eq!(
                P.aead_open(aead, &key, &nonce, b"aad", &bad),
                Err(CryptoError::AeadOpenFailed),
                "{aead:?} byte {i}"
            );
        }
        assert_eq!(
            P.aead_open(aead, &key, &nonce, b"AAD", &ct),
            Err(CryptoError::AeadOpenFailed)
        );
        assert_eq!(
            P.aead_open(aead, &key, &[0x25; 12], b"aad", &ct),
            Err(CryptoError::AeadOpenFailed)
        );
        let mut other_key = key.clone();
        other_key[0] ^= 1;
        assert_eq!(
            P.aead_open(aead, &other_key, &nonce, b"aad", &ct),
            Err(CryptoError::AeadOpenFailed)
        );
        assert_eq!(
            P.aead_open(aead, &key, &nonce, b"aad", &ct[..15]),
            Err(CryptoError::AeadOpenFailed)
        );
        assert_eq!(
            P.aead_open(aead, &key, &nonce, b"aad", b""),
            Err(CryptoError::AeadOpenFailed)
        );

        assert!(matches!(
            P.aead_seal(aead, &key[1..], &nonce, b"", pt),
            Err(CryptoError::InvalidLength {
                what: "AEAD key",
                ..
            })
        ));
        assert!(matches!(
            P.aead_open(aead, &key, &nonce[1..], b"", &ct),
            Err(CryptoError::InvalidLength {
                what: "AEAD nonce",
                ..
            })
        ));
    }
}

#[test]
fn aes_gcm_matches_known_answer() {
    // McGrew-Viega GCM test case 2 (AES-128, zero key and nonce, one zero block).
    let ct = P
        .aead_seal(AeadId::AES_128_GCM, &[0; 16], &[0; 12], b"", &[0; 16])
        .unwrap();
    assert_eq!(
        ct,
        h("0388dace60b6a392f328c2b971b2fe78ab6e47d42cec13bdf53a67b21257bddf")
    );
}

#[test]
fn signatures_round_trip_and_reject_tampering() {
    for scheme in SCHEMES {
        let pair = P.signature_generate(scheme).unwrap();
        assert_eq!(
            P.signature_public_key(scheme, pair.private_key.as_bytes())
                .unwrap(),
            pair.public_key,
            "{scheme:?}"
        );
        let msg = b"the signed content";
        let sig = P.sign(scheme, pair.private_key.as_bytes(), msg).unwrap();
        P.verify(scheme, &pair.public_key, msg, &sig).unwrap();

        let mut bad_sig = sig.clone();
        let last = bad_sig.len() - 1;
        bad_sig[last] ^= 1;
        assert_eq!(
            P.verify(scheme, &pair.public_key, msg, &bad_sig),
            Err(CryptoError::InvalidSignature),
            "{scheme:?}"
        );
        assert_eq!(
            P.verify(scheme, &pair.public_key, b"other content", &sig),
            Err(CryptoError::InvalidSignature)
        );
        assert_eq!(
            P.verify(scheme, &pair.public_key, msg, &sig[..sig.len() - 1]),
            Err(CryptoError::InvalidSignature)
        );
        assert_eq!(
            P.verify(scheme, &pair.public_key, msg, b""),
            Err(CryptoError::InvalidSignature)
        );
        let other = P.signature_generate(scheme).unwrap();
        assert_ne!(other.public_key, pair.public_key);
        assert_eq!(
            P.verify(scheme, &other.public_key, msg, &sig),
            Err(CryptoError::InvalidSignature)
        );
    }
}

/// Interleaved keys (the provider caches parsed keys per thread) each sign as themselves.
#[test]
fn interleaved_signing_keys_stay_apart() {
    for scheme in SCHEMES {
        let pairs: Vec<_> = (0..6)
            .map(|_| P.signature_generate(scheme).unwrap())
            .collect();
        for round in 0..2 {
            for (i, pair) in pairs.iter().enumerate() {
                let msg = [round, i as u8];
                let sig = P.sign(scheme, pair.private_key.as_bytes(), &msg).unwrap();
                P.verify(scheme, &pair.public_key, &msg, &sig).unwrap();
                let other = &pairs[(i + 1) % pairs.len()];
                assert_eq!(
                    P.verify(scheme, &other.public_key, &msg, &sig),
                    Err(CryptoError::InvalidSignature)
                );
                assert_eq!(
                    P.signature_public_key(scheme, pair.private_key.as_bytes())
                        .unwrap(),
                    pair.public_key
                );
            }
        }
    }
}

#[test]
fn eddsa_signatures_are_deterministic_ecdsa_randomized() {
    for scheme in SCHEMES {
        let pair = P.signature_generate(scheme).unwrap();
        let a = P.sign(scheme, pair.private_key.as_bytes(), b"m").unwrap();
        let b = P.sign(scheme, pair.private_key.as_bytes(), b"m").unwrap();
        let eddsa = matches!(scheme, SignatureScheme::ED25519 | SignatureScheme::ED448);
        assert_eq!(a == b, eddsa, "{scheme:?}");
    }
}

#[test]
fn ed25519_matches_rfc8032_test_1() {
    let sk = h("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    let pk = h("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    let sig = h("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_eq!(
        P.signature_public_key(SignatureScheme::ED25519, &sk)
            .unwrap(),
        pk
    );
    assert_eq!(P.sign(SignatureScheme::ED25519, &sk, b"").unwrap(), sig);
    P.verify(SignatureScheme::ED25519, &pk, b"", &sig).unwrap();
}

#[test]
fn ed448_matches_rfc8032_blank_message() {
    let sk = h("6c82a562cb808d10d632be89c8513ebf6c929f34ddfa8c9f63c9960ef6e348a3528c8a3fcc2f044e39a3fc5b94492f8f032e7549a20098f95b");
    let pk = h("5fd7449b59b461fd2ce787ec616ad46a1da1342485a70e1f8a0ea75d80e96778edf124769b46c7061bd6783df1e50f6cd1fa1abeafe8256180");
    let sig = h("533a37f6bbe457251f023c0d88f976ae2dfb504a843e34d2074fd823d41a591f2b233f034f628281f2fd7a22ddd47d7828c59bd0a21bfd3980ff0d2028d4b18a9df63e006c5d1c2d345b925d8dc00b4104852db99ac5c7cdda8530a113a0f4dbb61149f05a7363268c71d95808ff2e652600");
    assert_eq!(
        P.signature_public_key(SignatureScheme::ED448, &sk).unwrap(),
        pk
    );
    assert_eq!(P.sign(SignatureScheme::ED448, &sk, b"").unwrap(), sig);
    P.verify(SignatureScheme::ED448, &pk, b"", &sig).unwrap();
}

/// Byte length of the group order of each ECDSA curve.
fn ecdsa_scalar_len(scheme: SignatureScheme) -> Option<usize> {
    match scheme {
        SignatureScheme::ECDSA_SECP256R1_SHA256 => Some(32),
        SignatureScheme::ECDSA_SECP384R1_SHA384 => Some(48),
        SignatureScheme::ECDSA_SECP521R1_SHA512 => Some(66),
        _ => None,
    }
}

#[test]
fn ecdsa_scalars_without_leading_zeros_are_accepted() {
    // P-521 scalars are 66 bytes whose top byte is 0 or 1: about every other key has a leading
    // zero, which some encoders (the official vectors among them) strip.
    let scheme = SignatureScheme::ECDSA_SECP521R1_SHA512;
    let pair = (0..64)
        .map(|_| P.signature_generate(scheme).unwrap())
        .find(|pair| pair.private_key.as_bytes()[0] == 0)
        .expect("a P-521 key with a leading zero byte within 64 tries");
    let stripped = &pair.private_key.as_bytes()[1..];
    assert_eq!(
        P.signature_public_key(scheme, stripped).unwrap(),
        pair.public_key
    );
    let signature = P.sign(scheme, stripped, b"message").unwrap();
    P.verify(scheme, &pair.public_key, b"message", &signature)
        .unwrap();
}

#[test]
fn malformed_signature_keys_are_rejected() {
    for scheme in SCHEMES {
        let pair = P.signature_generate(scheme).unwrap();
        let sk = pair.private_key.as_bytes();
        let pk = &pair.public_key;
        // Wrong lengths (a shorter ECDSA scalar is a scalar without leading zeros, see below).
        let longer = [sk, &[0][..]].concat();
        let mut wrong_lengths = vec![&longer[..], &[][..]];
        if ecdsa_scalar_len(scheme).is_none() {
            wrong_lengths.push(&sk[1..]);
        }
        for bad in wrong_lengths {
            assert!(
                matches!(
                    P.sign(scheme, bad, b"m"),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{scheme:?}"
            );
            assert!(matches!(
                P.signature_public_key(scheme, bad),
                Err(CryptoError::InvalidLength { .. })
            ));
        }
        let sig = P.sign(scheme, sk, b"m").unwrap();
        for bad in [&pk[1..], &[&pk[..], &[0][..]].concat()[..], &[][..]] {
            assert!(
                matches!(
                    P.verify(scheme, bad, b"m", &sig),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{scheme:?}"
            );
        }
        if let Some(n) = ecdsa_scalar_len(scheme) {
            // Scalar 0 and scalars >= n (all-ones exceeds every order) are not private keys.
            for bad in [vec![0; n], vec![0xff; n]] {
                assert!(
                    matches!(
                        P.sign(scheme, &bad, b"m"),
                        Err(CryptoError::InvalidPrivateKey(_))
                    ),
                    "{scheme:?}"
                );
            }
            // A point off the curve, a compressed point, the hybrid form.
            let mut off_curve = pk.clone();
            off_curve[n] ^= 1;
            assert!(matches!(
                P.verify(scheme, &off_curve, b"m", &sig),
                Err(CryptoError::InvalidPublicKey(_))
            ));
            let mut hybrid = pk.clone();
            hybrid[0] = 0x06 | (pk[pk.len() - 1] & 1);
            assert!(matches!(
                P.verify(scheme, &hybrid, b"m", &sig),
                Err(CryptoError::InvalidPublicKey(_))
            ));
            let compressed = [&[0x02 | (pk[pk.len() - 1] & 1)][..], &pk[1..=n]].concat();
            assert!(matches!(
                P.verify(scheme, &compressed, b"m", &sig),
                Err(CryptoError::InvalidLength { .. })
            ));
        }
    }
    // Ed448 public keys that are the identity (y = 1) or a non-canonical y >= p.
    let mut identity = vec![0u8; 57];
    identity[0] = 1;
    let non_canonical = [&[0xff; 56][..], &[0][..]].concat();
    for pk in [identity, non_canonical] {
        assert_eq!(
            P.verify(SignatureScheme::ED448, &pk, b"m", &[0; 114]),
            Err(CryptoError::InvalidPublicKey("Ed448"))
        );
    }
}

#[test]
fn derive_key_pair_is_deterministic_for_every_kem() {
    for kem in KEMS {
        let ikm = [7u8; 32];
        let a = P.kem_derive_key_pair(kem, &ikm).unwrap();
        let b = P.kem_derive_key_pair(kem, &ikm).unwrap();
        assert_eq!(a.private_key, b.private_key, "{kem:?}");
        assert_eq!(a.public_key, b.public_key);
        let c = P.kem_derive_key_pair(kem, &[8u8; 32]).unwrap();
        assert_ne!(a.private_key, c.private_key);
        assert_ne!(a.public_key, c.public_key);
        let (_, n_enc, n_pk, n_sk) = kem.sizes().unwrap();
        assert_eq!(
            (a.private_key.len(), a.public_key.len(), n_enc),
            (n_sk, n_pk, n_pk)
        );
        assert_eq!(
            P.kem_public_key(kem, a.private_key.as_bytes()).unwrap(),
            a.public_key
        );
        // Empty and long ikm are fine: DeriveKeyPair extracts first.
        assert!(P.kem_derive_key_pair(kem, b"").is_ok());
        assert!(P.kem_derive_key_pair(kem, &[1; 200]).is_ok());
    }
}

#[test]
fn kem_round_trips_for_every_kem() {
    for kem in KEMS {
        let pair = P.kem_generate(kem).unwrap();
        assert_eq!(
            P.kem_public_key(kem, pair.private_key.as_bytes()).unwrap(),
            pair.public_key,
            "{kem:?}"
        );
        let out = P.kem_encap(kem, &pair.public_key).unwrap();
        let (n_secret, n_enc, _, _) = kem.sizes().unwrap();
        assert_eq!((out.enc.len(), out.shared_secret.len()), (n_enc, n_secret));
        let ss = P
            .kem_decap(kem, &out.enc, pair.private_key.as_bytes(), &pair.public_key)
            .unwrap();
        assert_eq!(ss, out.shared_secret, "{kem:?}");
        // Fresh randomness per encapsulation.
        assert_ne!(P.kem_encap(kem, &pair.public_key).unwrap().enc, out.enc);
        // Another recipient key gives another secret.
        let other = P.kem_generate(kem).unwrap();
        let wrong = P
            .kem_decap(
                kem,
                &out.enc,
                other.private_key.as_bytes(),
                &other.public_key,
            )
            .unwrap();
        assert_ne!(wrong, out.shared_secret);
    }
}

#[test]
fn malformed_kem_keys_are_rejected() {
    for kem in KEMS {
        let pair = P.kem_generate(kem).unwrap();
        let (sk, pk) = (pair.private_key.as_bytes(), &pair.public_key[..]);
        let enc = P.kem_encap(kem, pk).unwrap().enc;
        for bad in [&pk[1..], &[pk, &[0][..]].concat()[..], &[][..]] {
            assert!(
                matches!(
                    P.kem_encap(kem, bad),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{kem:?}"
            );
            assert!(
                matches!(
                    P.kem_decap(kem, bad, sk, pk),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{kem:?}"
            );
            assert!(
                matches!(
                    P.kem_decap(kem, &enc, sk, bad),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{kem:?}"
            );
        }
        for bad in [&sk[1..], &[sk, &[0][..]].concat()[..]] {
            assert!(
                matches!(
                    P.kem_decap(kem, &enc, bad, pk),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{kem:?}"
            );
            assert!(
                matches!(
                    P.kem_public_key(kem, bad),
                    Err(CryptoError::InvalidLength { .. })
                ),
                "{kem:?}"
            );
        }
        match kem {
            KemId::DHKEM_X25519 | KemId::DHKEM_X448 => {
                // u = 0 and u = 1 are small-order points: the DH result is all zero.
                for u in [0u8, 1] {
                    let mut small = vec![0u8; pk.len()];
                    small[0] = u;
                    assert_eq!(
                        P.kem_encap(kem, &small).unwrap_err(),
                        CryptoError::KemFailed("Diffie-Hellman result is all zero"),
                        "{kem:?} u={u}"
                    );
                    assert!(matches!(
                        P.kem_decap(kem, &small, sk, pk),
                        Err(CryptoError::KemFailed(_))
                    ));
                }
            }
            _ => {
                let n = sk.len();
                for bad_sk in [vec![0; n], vec![0xff; n]] {
                    assert!(
                        matches!(
                            P.kem_decap(kem, &enc, &bad_sk, pk),
                            Err(CryptoError::InvalidPrivateKey(_))
                        ),
                        "{kem:?}"
                    );
                }
                let mut off_curve = pk.to_vec();
                let last = off_curve.len() - 1;
                off_curve[last] ^= 1;
                assert!(
                    matches!(
                        P.kem_encap(kem, &off_curve),
                        Err(CryptoError::InvalidPublicKey(_))
                    ),
                    "{kem:?}"
                );
                assert!(matches!(
                    P.kem_decap(kem, &off_curve, sk, pk),
                    Err(CryptoError::InvalidPublicKey(_))
                ));
                let mut hybrid = pk.to_vec();
                hybrid[0] = 0x06 | (pk[last] & 1);
                assert!(
                    matches!(
                        P.kem_encap(kem, &hybrid),
                        Err(CryptoError::InvalidPublicKey(_))
                    ),
                    "{kem:?}"
                );
                assert!(matches!(
                    P.kem_encap(kem, &vec![0; pk.len()]),
                    Err(CryptoError::InvalidPublicKey(_))
                ));
            }
        }
    }
}

#[test]
fn hpke_round_trips_for_every_suite() {
    for d in suites() {
        let suite = HpkeSuite::from(d);
        let pair = P.kem_generate(suite.kem).unwrap();
        let (sk, pk) = (pair.private_key.as_bytes(), &pair.public_key[..]);
        let (enc, ct) = hpke::seal_base(&P, suite, pk, b"info", b"aad", b"hello").unwrap();
        assert_eq!(
            hpke::open_base(&P, suite, &enc, sk, pk, b"info", b"aad", &ct).unwrap(),
            b"hello",
            "{:?}",
            d.suite
        );
        assert_eq!(
            hpke::open_base(&P, suite, &enc, sk, pk, b"info", b"aad", &ct[1..]),
            Err(CryptoError::AeadOpenFailed)
        );

        let (enc, exported) = hpke::send_export(&P, suite, pk, b"info", b"ctx", 48).unwrap();
        let received = hpke::receive_export(&P, suite, &enc, sk, pk, b"info", b"ctx", 48).unwrap();
        assert_eq!(exported, received, "{:?}", d.suite);
        assert_eq!(exported.len(), 48);
        assert_ne!(
            hpke::receive_export(&P, suite, &enc, sk, pk, b"info", b"other", 48).unwrap(),
            exported
        );
    }
}

#[test]
fn hpke_export_length_is_bounded() {
    let suite = HpkeSuite::new(KemId::DHKEM_X25519, KdfId::HKDF_SHA256, AeadId::AES_128_GCM);
    let pair = P.kem_generate(suite.kem).unwrap();
    let (_, ctx) = hpke::setup_base_s(&P, suite, &pair.public_key, b"").unwrap();
    assert_eq!(ctx.export(b"", 255 * 32).unwrap().len(), 255 * 32);
    assert_eq!(
        ctx.export(b"", 255 * 32 + 1).unwrap_err(),
        CryptoError::KdfOutputTooLong(255 * 32 + 1)
    );
    assert_eq!(
        ctx.export(b"", 70_000).unwrap_err(),
        CryptoError::KdfOutputTooLong(70_000)
    );
}

#[test]
fn random_bytes_differ() {
    let a = P.random_bytes(32).unwrap();
    assert_eq!(a.len(), 32);
    assert_ne!(a, P.random_bytes(32).unwrap());
}
