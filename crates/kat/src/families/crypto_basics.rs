//! `crypto-basics.json`: `RefHash`, `ExpandWithLabel`, `DeriveSecret`, `DeriveTreeSecret`,
//! `SignWithLabel` and `EncryptWithLabel` (RFC 9420 §5.1, §5.2, §8, §9.1).

use braid_mls::suite::{HpkeCiphertext, Suite};
use braid_provider::DefaultProvider;

use crate::{check_bytes, Case, CaseResult};

static PROVIDER: DefaultProvider = DefaultProvider::new();

/// The case's cipher suite bound to the default provider (shared by the key-schedule
/// families).
pub(crate) fn case_suite(case: &Case<'_>) -> Result<Suite<'static>, String> {
    let cipher_suite = case.cipher_suite()?;
    Suite::new(&PROVIDER, cipher_suite).map_err(|e| format!("cipher suite: {e}"))
}

/// A `uint` field that must fit `T`.
pub(crate) fn int<T: TryFrom<u64>>(case: &Case<'_>, field: &str) -> Result<T, String> {
    let value = case.u64(field)?;
    T::try_from(value).map_err(|_| format!("field `{field}` = {value} out of range"))
}

/// A mapper from a crypto error to a message naming the operation.
pub(crate) fn err(what: &'static str) -> impl Fn(braid_crypto::CryptoError) -> String {
    move |e| format!("{what}: {e}")
}

/// Checks one cipher suite.
pub fn check(case: Case<'_>) -> CaseResult {
    let suite = case_suite(&case)?;

    let c = case.object("ref_hash")?;
    let out = suite
        .ref_hash(c.str("label")?.as_bytes(), &c.hex("value")?)
        .map_err(err("ref_hash"))?;
    check_bytes("ref_hash", &out, &c.hex("out")?)?;

    let c = case.object("expand_with_label")?;
    let out = suite
        .expand_with_label(
            &c.hex("secret")?,
            c.str("label")?.as_bytes(),
            &c.hex("context")?,
            int::<u16>(&c, "length")?.into(),
        )
        .map_err(err("expand_with_label"))?;
    check_bytes("expand_with_label", out.as_bytes(), &c.hex("out")?)?;

    let c = case.object("derive_secret")?;
    let out = suite
        .derive_secret(&c.hex("secret")?, c.str("label")?.as_bytes())
        .map_err(err("derive_secret"))?;
    check_bytes("derive_secret", out.as_bytes(), &c.hex("out")?)?;

    let c = case.object("derive_tree_secret")?;
    let out = suite
        .derive_tree_secret(
            &c.hex("secret")?,
            c.str("label")?.as_bytes(),
            int(&c, "generation")?,
            int::<u16>(&c, "length")?.into(),
        )
        .map_err(err("derive_tree_secret"))?;
    check_bytes("derive_tree_secret", out.as_bytes(), &c.hex("out")?)?;

    let c = case.object("sign_with_label")?;
    let (private, public) = (c.hex("priv")?, c.hex("pub")?);
    let (label, content) = (c.str("label")?.as_bytes(), c.hex("content")?);
    suite
        .verify_with_label(&public, label, &content, &c.hex("signature")?)
        .map_err(err("given signature"))?;
    let fresh = suite
        .sign_with_label(&private, label, &content)
        .map_err(err("sign_with_label"))?;
    suite
        .verify_with_label(&public, label, &content, &fresh)
        .map_err(err("fresh signature"))?;

    let c = case.object("encrypt_with_label")?;
    let (private, public) = (c.hex("priv")?, c.hex("pub")?);
    let (label, context) = (c.str("label")?.as_bytes(), c.hex("context")?);
    let plaintext = c.hex("plaintext")?;
    let given = HpkeCiphertext {
        kem_output: c.hex("kem_output")?,
        ciphertext: c.hex("ciphertext")?,
    };
    let opened = suite
        .decrypt_with_label(&private, &public, label, &context, &given)
        .map_err(err("decrypt given ciphertext"))?;
    check_bytes("decrypted plaintext", opened.as_bytes(), &plaintext)?;
    let fresh = suite
        .encrypt_with_label(&public, label, &context, &plaintext)
        .map_err(err("encrypt_with_label"))?;
    let opened = suite
        .decrypt_with_label(&private, &public, label, &context, &fresh)
        .map_err(err("decrypt fresh ciphertext"))?;
    check_bytes("fresh round trip", opened.as_bytes(), &plaintext)
}
