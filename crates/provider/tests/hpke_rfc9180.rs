//! HPKE base mode against the test vectors of RFC 9180 Appendix A (A.1-A.7, mode 0), run on
//! the default provider: `DeriveKeyPair`, `Encap`/`Decap`, the key schedule, every listed
//! encryption and export, and the single-shot APIs.

use std::collections::HashMap;

use braid_crypto::hpke::{self, Context, HpkeSuite};
use braid_crypto::{AeadId, CryptoError, CryptoProvider, KdfId, KemId};
use braid_provider::DefaultProvider;

const VECTORS: &str = include_str!("data/rfc9180-base-mode.txt");

type Fields = HashMap<String, String>;

/// One suite's base-mode vector: the setup fields, the encryptions and the exports.
#[derive(Debug, Default)]
struct Vector {
    name: String,
    setup: Fields,
    encryptions: Vec<Fields>,
    exports: Vec<Fields>,
}

impl Vector {
    fn hex(&self, key: &str) -> Vec<u8> {
        hex_field(&self.setup, key)
    }

    fn number(&self, key: &str) -> u16 {
        self.setup[key]
            .parse()
            .unwrap_or_else(|_| panic!("{}: {key} is not a number", self.name))
    }

    fn suite(&self) -> HpkeSuite {
        HpkeSuite::new(
            KemId(self.number("kem_id")),
            KdfId(self.number("kdf_id")),
            AeadId(self.number("aead_id")),
        )
    }
}

fn hex_field(fields: &Fields, key: &str) -> Vec<u8> {
    hex::decode(&fields[key]).unwrap_or_else(|e| panic!("{key}: {e}"))
}

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Setup,
    Encryptions,
    Exports,
}

/// Parses the RFC's `key: value` blocks; values may continue on the following lines.
fn parse() -> Vec<Vector> {
    let mut vectors: Vec<Vector> = Vec::new();
    let mut block = Block::Setup;
    let mut current_key: Option<String> = None;
    for line in VECTORS.lines() {
        if let Some(name) = line.strip_prefix("## ") {
            vectors.push(Vector {
                name: name.to_owned(),
                ..Vector::default()
            });
            block = Block::Setup;
            continue;
        }
        match line {
            "#### Encryptions" => block = Block::Encryptions,
            "#### Exported Values" => block = Block::Exports,
            _ => {}
        }
        let Some(vector) = vectors.last_mut() else {
            continue;
        };
        if line.starts_with('#') || line.starts_with("~~~") || line.trim().is_empty() {
            continue;
        }
        let field = line.split_once(':').filter(|(k, _)| {
            k.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_' || c == ' ')
        });
        let fields = match block {
            Block::Setup => &mut vector.setup,
            Block::Encryptions => {
                if field.is_some_and(|(k, _)| k == "sequence number") {
                    vector.encryptions.push(Fields::new());
                }
                vector
                    .encryptions
                    .last_mut()
                    .expect("encryption entry starts with its sequence number")
            }
            Block::Exports => {
                if field.is_some_and(|(k, _)| k == "exporter_context") {
                    vector.exports.push(Fields::new());
                }
                vector
                    .exports
                    .last_mut()
                    .expect("export entry starts with its exporter_context")
            }
        };
        match field {
            Some((key, value)) => {
                fields.insert(key.to_owned(), value.trim().to_owned());
                current_key = Some(key.to_owned());
            }
            None => {
                let key = current_key
                    .as_ref()
                    .expect("continuation line follows a key");
                fields
                    .get_mut(key)
                    .expect("key was inserted")
                    .push_str(line.trim());
            }
        }
    }
    vectors
}

#[test]
fn vectors_cover_the_rfc_suites() {
    let names: Vec<String> = parse().into_iter().map(|v| v.name).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    for kem in ["X25519", "P-256", "P-521"] {
        assert!(
            names.iter().any(|n| n.contains(kem)),
            "no {kem} vector in {names:?}"
        );
    }
}

/// `DeriveKeyPair(ikmR)` and `DeriveKeyPair(ikmE)` give the listed key pairs, and
/// `kem_public_key` recomputes the public keys from the private ones.
#[test]
fn derive_key_pair_matches_vectors() {
    let p = DefaultProvider::new();
    for v in parse() {
        let kem = v.suite().kem;
        for who in ["R", "E"] {
            let pair = p
                .kem_derive_key_pair(kem, &v.hex(&format!("ikm{who}")))
                .unwrap();
            assert_eq!(
                pair.private_key.as_bytes(),
                v.hex(&format!("sk{who}m")),
                "{}: sk{who}m",
                v.name
            );
            assert_eq!(
                pair.public_key,
                v.hex(&format!("pk{who}m")),
                "{}: pk{who}m",
                v.name
            );
            assert_eq!(
                p.kem_public_key(kem, pair.private_key.as_bytes()).unwrap(),
                pair.public_key,
                "{}: pk(sk{who}m)",
                v.name
            );
        }
    }
}

/// Deterministic `Encap` with `ikmE` gives `enc` and `shared_secret`; `Decap` agrees.
#[test]
fn encap_and_decap_match_vectors() {
    let p = DefaultProvider::new();
    for v in parse() {
        let kem = v.suite().kem;
        let out = p
            .kem_encap_derand(kem, &v.hex("pkRm"), &v.hex("ikmE"))
            .unwrap();
        assert_eq!(out.enc, v.hex("enc"), "{}: enc", v.name);
        assert_eq!(
            out.shared_secret.as_bytes(),
            v.hex("shared_secret"),
            "{}: shared_secret",
            v.name
        );
        let decapped = p
            .kem_decap(kem, &v.hex("enc"), &v.hex("skRm"), &v.hex("pkRm"))
            .unwrap();
        assert_eq!(
            decapped.as_bytes(),
            v.hex("shared_secret"),
            "{}: Decap",
            v.name
        );
    }
}

fn assert_schedule(v: &Vector, ctx: &Context<'_>, side: &str) {
    assert_eq!(ctx.key().as_bytes(), v.hex("key"), "{} {side}: key", v.name);
    assert_eq!(
        ctx.base_nonce(),
        v.hex("base_nonce"),
        "{} {side}: base_nonce",
        v.name
    );
    assert_eq!(
        ctx.exporter_secret().as_bytes(),
        v.hex("exporter_secret"),
        "{} {side}: exporter_secret",
        v.name
    );
}

/// `KeySchedule` from the listed shared secret, and both setups, give key, base_nonce and
/// exporter_secret.
#[test]
fn key_schedule_matches_vectors() {
    let p = DefaultProvider::new();
    for v in parse() {
        let suite = v.suite();
        let info = v.hex("info");
        let ctx = Context::key_schedule(&p, suite, &v.hex("shared_secret"), &info).unwrap();
        assert_schedule(&v, &ctx, "KeySchedule");
        let (enc, sender) =
            hpke::setup_base_s_derand(&p, suite, &v.hex("pkRm"), &info, &v.hex("ikmE")).unwrap();
        assert_eq!(enc, v.hex("enc"), "{}: SetupBaseS enc", v.name);
        assert_schedule(&v, &sender, "SetupBaseS");
        let receiver =
            hpke::setup_base_r(&p, suite, &enc, &v.hex("skRm"), &v.hex("pkRm"), &info).unwrap();
        assert_schedule(&v, &receiver, "SetupBaseR");
    }
}

/// Every listed encryption, in sequence: the sender's `Seal` gives `ct`, the receiver's `Open`
/// gives `pt` back. Sequence numbers the vectors skip are advanced with filler messages.
#[test]
fn encryptions_match_vectors() {
    let p = DefaultProvider::new();
    let mut checked = 0;
    for v in parse() {
        let suite = v.suite();
        let info = v.hex("info");
        let (enc, mut sender) =
            hpke::setup_base_s_derand(&p, suite, &v.hex("pkRm"), &info, &v.hex("ikmE")).unwrap();
        let mut receiver =
            hpke::setup_base_r(&p, suite, &enc, &v.hex("skRm"), &v.hex("pkRm"), &info).unwrap();
        for e in &v.encryptions {
            let seq: u64 = e["sequence number"].parse().unwrap();
            while sender.seq() < seq {
                let filler = sender.seal(b"", b"filler").unwrap();
                assert_eq!(receiver.open(b"", &filler).unwrap(), b"filler");
            }
            let (aad, pt) = (hex_field(e, "aad"), hex_field(e, "pt"));
            let ct = sender.seal(&aad, &pt).unwrap();
            assert_eq!(ct, hex_field(e, "ct"), "{}: ct of seq {seq}", v.name);
            assert_eq!(
                receiver.open(&aad, &ct).unwrap(),
                pt,
                "{}: pt of seq {seq}",
                v.name
            );
            assert_eq!((sender.seq(), receiver.seq()), (seq + 1, seq + 1));
            checked += 1;
        }
    }
    assert_eq!(checked, 36, "every encryption of the six AEAD suites");
}

/// Every listed export, from the sender's and the receiver's context and single-shot.
#[test]
fn exports_match_vectors() {
    let p = DefaultProvider::new();
    let mut checked = 0;
    for v in parse() {
        let suite = v.suite();
        let (info, sk_r, pk_r) = (v.hex("info"), v.hex("skRm"), v.hex("pkRm"));
        let (enc, sender) =
            hpke::setup_base_s_derand(&p, suite, &pk_r, &info, &v.hex("ikmE")).unwrap();
        let receiver = hpke::setup_base_r(&p, suite, &enc, &sk_r, &pk_r, &info).unwrap();
        for x in &v.exports {
            let context = hex_field(x, "exporter_context");
            let len: usize = x["L"].parse().unwrap();
            let expected = hex_field(x, "exported_value");
            assert_eq!(
                sender.export(&context, len).unwrap().as_bytes(),
                expected,
                "{}: sender export",
                v.name
            );
            assert_eq!(
                receiver.export(&context, len).unwrap().as_bytes(),
                expected,
                "{}: receiver export",
                v.name
            );
            let single =
                hpke::receive_export(&p, suite, &enc, &sk_r, &pk_r, &info, &context, len).unwrap();
            assert_eq!(single.as_bytes(), expected, "{}: ReceiveExport", v.name);
            checked += 1;
        }
    }
    assert_eq!(checked, 21);
}

/// `OpenBase` opens the first listed encryption; a tampered ciphertext, a wrong aad or a wrong
/// info is rejected.
#[test]
fn single_shot_open_matches_vectors_and_rejects_tampering() {
    let p = DefaultProvider::new();
    for v in parse() {
        let Some(first) = v.encryptions.first() else {
            continue;
        };
        let suite = v.suite();
        let (enc, sk_r, pk_r, info) = (v.hex("enc"), v.hex("skRm"), v.hex("pkRm"), v.hex("info"));
        let (aad, pt, ct) = (
            hex_field(first, "aad"),
            hex_field(first, "pt"),
            hex_field(first, "ct"),
        );
        assert_eq!(
            hpke::open_base(&p, suite, &enc, &sk_r, &pk_r, &info, &aad, &ct).unwrap(),
            pt
        );

        let mut tampered = ct.clone();
        tampered[0] ^= 1;
        let open = |info: &[u8], aad: &[u8], ct: &[u8]| {
            hpke::open_base(&p, suite, &enc, &sk_r, &pk_r, info, aad, ct)
        };
        assert_eq!(
            open(&info, &aad, &tampered),
            Err(CryptoError::AeadOpenFailed),
            "{}",
            v.name
        );
        assert_eq!(
            open(&info, b"other aad", &ct),
            Err(CryptoError::AeadOpenFailed),
            "{}",
            v.name
        );
        assert_eq!(
            open(b"other info", &aad, &ct),
            Err(CryptoError::AeadOpenFailed),
            "{}",
            v.name
        );
    }
}

/// A failed `Open` leaves the sequence number alone, so the genuine message still opens.
#[test]
fn failed_open_does_not_advance_sequence_number() {
    let p = DefaultProvider::new();
    let v = &parse()[0];
    let suite = v.suite();
    let (enc, mut sender) =
        hpke::setup_base_s_derand(&p, suite, &v.hex("pkRm"), b"", &v.hex("ikmE")).unwrap();
    let mut receiver =
        hpke::setup_base_r(&p, suite, &enc, &v.hex("skRm"), &v.hex("pkRm"), b"").unwrap();
    let ct = sender.seal(b"aad", b"message").unwrap();
    assert_eq!(
        receiver.open(b"wrong", &ct),
        Err(CryptoError::AeadOpenFailed)
    );
    assert_eq!(receiver.seq(), 0);
    assert_eq!(receiver.open(b"aad", &ct).unwrap(), b"message");
    assert_eq!(receiver.seq(), 1);
}

/// The export-only suite (A.7) exports but refuses to seal or open.
#[test]
fn export_only_context_refuses_seal_and_open() {
    let p = DefaultProvider::new();
    let v = parse()
        .into_iter()
        .find(|v| v.suite().aead == AeadId::EXPORT_ONLY)
        .expect("A.7 is export-only");
    let (_, mut ctx) = hpke::setup_base_s_derand(
        &p,
        v.suite(),
        &v.hex("pkRm"),
        &v.hex("info"),
        &v.hex("ikmE"),
    )
    .unwrap();
    assert!(matches!(
        ctx.seal(b"", b"pt"),
        Err(CryptoError::UnsupportedOperation(_))
    ));
    assert!(matches!(
        ctx.open(b"", b"ct"),
        Err(CryptoError::UnsupportedOperation(_))
    ));
    assert_eq!(ctx.seq(), 0);
}
