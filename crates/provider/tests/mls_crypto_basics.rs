//! The default provider against the `sign_with_label` and `encrypt_with_label` cases of the
//! official MLS `crypto-basics` vectors (RFC 9420 §5.1.2, §5.1.3), for all seven suites. This
//! is the only external check of DHKEM(X448), DHKEM(P-384), Ed448 and ECDSA P-384/P-521, which
//! RFC 9180 Appendix A does not cover. (The full family runs in braid-kat.)

use braid_codec::Encode;
use braid_crypto::{hpke, CipherSuite, CryptoProvider, HpkeSuite, SuiteDescriptor};
use braid_provider::DefaultProvider;
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../test-vectors/crypto-basics.json"
    );
    let text = std::fs::read_to_string(path).expect("crypto-basics.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn hex_of(case: &Value, key: &str) -> Vec<u8> {
    hex::decode(
        case[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} missing")),
    )
    .expect("hex")
}

fn suite_of(test: &Value) -> SuiteDescriptor {
    let id = u16::try_from(test["cipher_suite"].as_u64().expect("cipher_suite")).expect("u16");
    CipherSuite(id).descriptor().expect("known suite")
}

/// `struct { opaque label<V> = "MLS 1.0 " + Label; opaque content<V>; }`, the shape of both
/// `SignContent` and `EncryptContext`.
fn labeled(label: &str, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    format!("MLS 1.0 {label}").as_bytes().encode(&mut out);
    content.encode(&mut out);
    out
}

#[test]
fn sign_with_label_verifies_and_public_key_matches() {
    let p = DefaultProvider::new();
    let tests = vectors();
    assert_eq!(tests.len(), 7);
    for test in &tests {
        let suite = suite_of(test);
        let case = &test["sign_with_label"];
        let (private, public) = (hex_of(case, "priv"), hex_of(case, "pub"));
        let label = case["label"].as_str().expect("label");
        let content = labeled(label, &hex_of(case, "content"));
        let signature = hex_of(case, "signature");

        assert_eq!(
            p.signature_public_key(suite.signature, &private).unwrap(),
            public,
            "{:?}",
            suite.suite
        );
        p.verify(suite.signature, &public, &content, &signature)
            .unwrap_or_else(|e| panic!("{:?}: vector signature: {e}", suite.suite));
        let ours = p.sign(suite.signature, &private, &content).unwrap();
        p.verify(suite.signature, &public, &content, &ours).unwrap();
    }
}

#[test]
fn encrypt_with_label_opens_with_the_given_key() {
    let p = DefaultProvider::new();
    for test in &vectors() {
        let suite = suite_of(test);
        let case = &test["encrypt_with_label"];
        let (private, public) = (hex_of(case, "priv"), hex_of(case, "pub"));
        let info = labeled(
            case["label"].as_str().expect("label"),
            &hex_of(case, "context"),
        );

        assert_eq!(
            p.kem_public_key(suite.kem, &private).unwrap(),
            public,
            "{:?}",
            suite.suite
        );
        let pt = hpke::open_base(
            &p,
            HpkeSuite::from(suite),
            &hex_of(case, "kem_output"),
            &private,
            &public,
            &info,
            b"",
            &hex_of(case, "ciphertext"),
        )
        .unwrap_or_else(|e| panic!("{:?}: {e}", suite.suite));
        assert_eq!(pt, hex_of(case, "plaintext"), "{:?}", suite.suite);
    }
}
