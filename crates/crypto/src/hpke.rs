//! HPKE base mode (RFC 9180 §4, §5.1, §5.2, §5.3, §6) over any [`CryptoProvider`].
//!
//! Only `mode_base` (RFC 9180 §5.1.1) is implemented: MLS uses no other mode. The KEM, KDF and
//! AEAD come from the provider by code point, so every provider gets HPKE for free.
//!
//! * [`labeled_extract`] / [`labeled_expand`]: `LabeledExtract` / `LabeledExpand` (§4), shared
//!   with DHKEM ([`crate::dhkem`]), which uses the suite id `"KEM" || I2OSP(kem_id, 2)`.
//! * [`setup_base_s`] / [`setup_base_r`]: `SetupBaseS` / `SetupBaseR` (§5.1.1), returning a
//!   [`Context`] with `Seal`, `Open` (§5.2) and `Export` (§5.3).
//! * [`seal_base`] / [`open_base`] / [`send_export`] / [`receive_export`]: the single-shot APIs
//!   (§6).
//! * [`PreparedInfo`], [`setup_base_s_prepared`], [`seal_base_prepared`]: the same for many
//!   recipients of one `info`, whose `info_hash` (§5.1) is computed once instead of per
//!   recipient (a Welcome's `info` holds the whole encrypted GroupInfo).

use zeroize::Zeroizing;

use crate::{AeadId, CryptoError, CryptoProvider, KdfId, KemId, Result, Secret, SuiteDescriptor};

/// `mode_base` (RFC 9180 §5, Table 1).
pub const MODE_BASE: u8 = 0x00;

/// The version label prefixed to every labeled KDF input: `"HPKE-v1"` (RFC 9180 §4).
const VERSION_LABEL: &[u8] = b"HPKE-v1";

/// An HPKE cipher suite: the KEM, KDF and AEAD of one HPKE instantiation (RFC 9180 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HpkeSuite {
    /// The KEM.
    pub kem: KemId,
    /// The KDF of the key schedule.
    pub kdf: KdfId,
    /// The AEAD (or [`AeadId::EXPORT_ONLY`]).
    pub aead: AeadId,
}

impl HpkeSuite {
    /// A suite from its three algorithms.
    pub const fn new(kem: KemId, kdf: KdfId, aead: AeadId) -> Self {
        Self { kem, kdf, aead }
    }

    /// `suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2), I2OSP(aead_id, 2))`
    /// (RFC 9180 §5.1).
    pub fn suite_id(&self) -> [u8; 10] {
        let [k0, k1] = self.kem.0.to_be_bytes();
        let [d0, d1] = self.kdf.0.to_be_bytes();
        let [a0, a1] = self.aead.0.to_be_bytes();
        [b'H', b'P', b'K', b'E', k0, k1, d0, d1, a0, a1]
    }
}

impl From<SuiteDescriptor> for HpkeSuite {
    /// The HPKE suite an MLS cipher suite uses (RFC 9420 §5.1: its KEM, KDF and AEAD).
    fn from(d: SuiteDescriptor) -> Self {
        Self::new(d.kem, d.kdf, d.aead)
    }
}

impl From<&SuiteDescriptor> for HpkeSuite {
    fn from(d: &SuiteDescriptor) -> Self {
        Self::from(*d)
    }
}

/// `LabeledExtract(salt, label, ikm)` (RFC 9180 §4):
/// `Extract(salt, concat("HPKE-v1", suite_id, label, ikm))`.
pub fn labeled_extract(
    provider: &dyn CryptoProvider,
    kdf: KdfId,
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Result<Secret> {
    // The input keying material is secret: wipe the concatenation after use.
    let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(
        VERSION_LABEL.len() + suite_id.len() + label.len() + ikm.len(),
    ));
    labeled_ikm.extend_from_slice(VERSION_LABEL);
    labeled_ikm.extend_from_slice(suite_id);
    labeled_ikm.extend_from_slice(label);
    labeled_ikm.extend_from_slice(ikm);
    provider.kdf_extract(kdf, salt, &labeled_ikm)
}

/// `LabeledExpand(prk, label, info, L)` (RFC 9180 §4):
/// `Expand(prk, concat(I2OSP(L, 2), "HPKE-v1", suite_id, label, info), L)`.
///
/// Fails with [`CryptoError::KdfOutputTooLong`] if `len` does not fit the two-byte length.
pub fn labeled_expand(
    provider: &dyn CryptoProvider,
    kdf: KdfId,
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    len: usize,
) -> Result<Secret> {
    let len16 = u16::try_from(len).map_err(|_| CryptoError::KdfOutputTooLong(len))?;
    let mut labeled_info =
        Vec::with_capacity(2 + VERSION_LABEL.len() + suite_id.len() + label.len() + info.len());
    labeled_info.extend_from_slice(&len16.to_be_bytes());
    labeled_info.extend_from_slice(VERSION_LABEL);
    labeled_info.extend_from_slice(suite_id);
    labeled_info.extend_from_slice(label);
    labeled_info.extend_from_slice(info);
    provider.kdf_expand(kdf, prk, &labeled_info, len)
}

/// An HPKE encryption context (RFC 9180 §5.2, §5.3): the AEAD key, base nonce, sequence number
/// and exporter secret that `KeySchedule` derived.
///
/// The same type serves the sender (`seal`) and the recipient (`open`); each direction should use
/// only its own operation, as RFC 9180 §5.2 prescribes.
#[derive(Debug)]
pub struct Context<'p> {
    provider: &'p dyn CryptoProvider,
    suite: HpkeSuite,
    key: Secret,
    base_nonce: Vec<u8>,
    seq: u64,
    exporter_secret: Secret,
}

/// The part of `KeySchedule(mode_base, shared_secret, info, "", "")` (RFC 9180 §5.1) that
/// depends only on the suite and `info`: `key_schedule_context = concat(mode, psk_id_hash,
/// info_hash)`.
///
/// Preparing it once and setting up many contexts with it ([`setup_base_s_prepared`],
/// [`seal_base_prepared`]) hashes `info` once however many recipients there are; the results
/// are exactly those of the unprepared functions with the same `info`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedInfo {
    suite: HpkeSuite,
    key_schedule_context: Vec<u8>,
}

impl PreparedInfo {
    /// Computes `psk_id_hash` and `info_hash` of `info` for `suite` (base mode: empty PSK and
    /// PSK id).
    pub fn new(provider: &dyn CryptoProvider, suite: HpkeSuite, info: &[u8]) -> Result<Self> {
        let kdf = suite.kdf;
        let nh = kdf.output_len().ok_or(CryptoError::UnsupportedKdf(kdf))?;
        let suite_id = suite.suite_id();
        // Base mode: psk = psk_id = "" (VerifyPSKInputs holds trivially).
        let psk_id_hash = labeled_extract(provider, kdf, &suite_id, b"", b"psk_id_hash", b"")?;
        let info_hash = labeled_extract(provider, kdf, &suite_id, b"", b"info_hash", info)?;
        let mut key_schedule_context = Vec::with_capacity(1 + 2 * nh);
        key_schedule_context.push(MODE_BASE);
        key_schedule_context.extend_from_slice(psk_id_hash.as_bytes());
        key_schedule_context.extend_from_slice(info_hash.as_bytes());
        Ok(Self {
            suite,
            key_schedule_context,
        })
    }

    /// The suite the info was prepared for.
    pub fn suite(&self) -> HpkeSuite {
        self.suite
    }
}

impl<'p> Context<'p> {
    /// `KeySchedule(mode_base, shared_secret, info, "", "")` (RFC 9180 §5.1).
    pub fn key_schedule(
        provider: &'p dyn CryptoProvider,
        suite: HpkeSuite,
        shared_secret: &[u8],
        info: &[u8],
    ) -> Result<Self> {
        let prepared = PreparedInfo::new(provider, suite, info)?;
        Self::key_schedule_prepared(provider, &prepared, shared_secret)
    }

    /// `KeySchedule(mode_base, shared_secret, info, "", "")` (RFC 9180 §5.1) with the
    /// `info` of `prepared`.
    pub fn key_schedule_prepared(
        provider: &'p dyn CryptoProvider,
        prepared: &PreparedInfo,
        shared_secret: &[u8],
    ) -> Result<Self> {
        let suite = prepared.suite;
        let kdf = suite.kdf;
        let nh = kdf.output_len().ok_or(CryptoError::UnsupportedKdf(kdf))?;
        let nk = suite
            .aead
            .key_len()
            .ok_or(CryptoError::UnsupportedAead(suite.aead))?;
        let nn = suite
            .aead
            .nonce_len()
            .ok_or(CryptoError::UnsupportedAead(suite.aead))?;
        let suite_id = suite.suite_id();
        let secret = labeled_extract(provider, kdf, &suite_id, shared_secret, b"secret", b"")?;
        let expand = |label: &[u8], len: usize| {
            labeled_expand(
                provider,
                kdf,
                &suite_id,
                secret.as_bytes(),
                label,
                &prepared.key_schedule_context,
                len,
            )
        };
        // Export-only suites (Nk = Nn = 0) have no AEAD key or nonce.
        let (key, base_nonce) = if nk == 0 {
            (Secret::default(), Vec::new())
        } else {
            (
                expand(b"key", nk)?,
                expand(b"base_nonce", nn)?.as_bytes().to_vec(),
            )
        };
        let exporter_secret = expand(b"exp", nh)?;
        Ok(Self {
            provider,
            suite,
            key,
            base_nonce,
            seq: 0,
            exporter_secret,
        })
    }

    /// The suite of this context.
    pub fn suite(&self) -> HpkeSuite {
        self.suite
    }

    /// The current sequence number: how many messages were sealed or opened.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The AEAD key (`key`).
    pub fn key(&self) -> &Secret {
        &self.key
    }

    /// The base nonce (`base_nonce`).
    pub fn base_nonce(&self) -> &[u8] {
        &self.base_nonce
    }

    /// The exporter secret (`exporter_secret`).
    pub fn exporter_secret(&self) -> &Secret {
        &self.exporter_secret
    }

    /// `ContextS.Seal(aad, pt)` (RFC 9180 §5.2): encrypts with the nonce of the current sequence
    /// number, then increments it.
    ///
    /// Fails with [`CryptoError::MessageLimitReached`] once the sequence number is exhausted,
    /// without encrypting.
    pub fn seal(&mut self, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>> {
        let next = increment_seq(self.seq)?;
        let nonce = self.compute_nonce()?;
        let ct = self
            .provider
            .aead_seal(self.suite.aead, self.key.as_bytes(), &nonce, aad, pt)?;
        self.seq = next;
        Ok(ct)
    }

    /// `ContextR.Open(aad, ct)` (RFC 9180 §5.2): decrypts with the nonce of the current sequence
    /// number and increments it only on success.
    pub fn open(&mut self, aad: &[u8], ct: &[u8]) -> Result<Vec<u8>> {
        let next = increment_seq(self.seq)?;
        let nonce = self.compute_nonce()?;
        let pt = self
            .provider
            .aead_open(self.suite.aead, self.key.as_bytes(), &nonce, aad, ct)?;
        self.seq = next;
        Ok(pt)
    }

    /// `Context.Export(exporter_context, L)` (RFC 9180 §5.3):
    /// `LabeledExpand(exporter_secret, "sec", exporter_context, L)`.
    pub fn export(&self, exporter_context: &[u8], len: usize) -> Result<Secret> {
        labeled_expand(
            self.provider,
            self.suite.kdf,
            &self.suite.suite_id(),
            self.exporter_secret.as_bytes(),
            b"sec",
            exporter_context,
            len,
        )
    }

    /// `ComputeNonce(seq)` (RFC 9180 §5.2): `base_nonce XOR I2OSP(seq, Nn)`.
    fn compute_nonce(&self) -> Result<Vec<u8>> {
        if self.suite.aead == AeadId::EXPORT_ONLY {
            return Err(CryptoError::UnsupportedOperation(
                "seal or open with an export-only HPKE suite",
            ));
        }
        Ok(compute_nonce(&self.base_nonce, self.seq))
    }
}

/// `base_nonce XOR I2OSP(seq, Nn)`; `seq` is right-aligned in the nonce.
fn compute_nonce(base_nonce: &[u8], seq: u64) -> Vec<u8> {
    let mut nonce = base_nonce.to_vec();
    for (n, s) in nonce.iter_mut().rev().zip(seq.to_le_bytes()) {
        *n ^= s;
    }
    nonce
}

/// `IncrementSeq()` (RFC 9180 §5.2): the next sequence number, or
/// [`CryptoError::MessageLimitReached`]. The counter is a `u64`, far below the `2^(8*Nn) - 1`
/// limit of every AEAD, so the limit enforced is `u64::MAX`.
fn increment_seq(seq: u64) -> Result<u64> {
    seq.checked_add(1).ok_or(CryptoError::MessageLimitReached)
}

/// `SetupBaseS(pkR, info)` (RFC 9180 §5.1.1): encapsulates to `pk_r` and returns `enc` and the
/// sender's context.
pub fn setup_base_s<'p>(
    provider: &'p dyn CryptoProvider,
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
) -> Result<(Vec<u8>, Context<'p>)> {
    setup_base_s_prepared(provider, &PreparedInfo::new(provider, suite, info)?, pk_r)
}

/// `SetupBaseS(pkR, info)` (RFC 9180 §5.1.1) with the `info` of `prepared`.
pub fn setup_base_s_prepared<'p>(
    provider: &'p dyn CryptoProvider,
    prepared: &PreparedInfo,
    pk_r: &[u8],
) -> Result<(Vec<u8>, Context<'p>)> {
    let kem_output = provider.kem_encap(prepared.suite.kem, pk_r)?;
    let ctx =
        Context::key_schedule_prepared(provider, prepared, kem_output.shared_secret.as_bytes())?;
    Ok((kem_output.enc, ctx))
}

/// `SetupBaseS` with the deterministic `Encap` of the test vectors: the ephemeral key pair is
/// `DeriveKeyPair(ikm_e)` (RFC 9180 Appendix A). For tests and fuzzing only: reusing `ikm_e`
/// reuses the ephemeral key.
pub fn setup_base_s_derand<'p>(
    provider: &'p dyn CryptoProvider,
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    ikm_e: &[u8],
) -> Result<(Vec<u8>, Context<'p>)> {
    let kem_output = provider.kem_encap_derand(suite.kem, pk_r, ikm_e)?;
    let ctx = Context::key_schedule(provider, suite, kem_output.shared_secret.as_bytes(), info)?;
    Ok((kem_output.enc, ctx))
}

/// `SetupBaseR(enc, skR, info)` (RFC 9180 §5.1.1): decapsulates `enc` with `sk_r` and returns
/// the recipient's context. `pk_r` is the public key of `sk_r`, which DHKEM binds into the
/// shared secret (passing it avoids recomputing it).
pub fn setup_base_r<'p>(
    provider: &'p dyn CryptoProvider,
    suite: HpkeSuite,
    enc: &[u8],
    sk_r: &[u8],
    pk_r: &[u8],
    info: &[u8],
) -> Result<Context<'p>> {
    let shared_secret = provider.kem_decap(suite.kem, enc, sk_r, pk_r)?;
    Context::key_schedule(provider, suite, shared_secret.as_bytes(), info)
}

/// Single-shot `SealBase(pkR, info, aad, pt)` (RFC 9180 §6.1): returns `(enc, ct)`.
pub fn seal_base(
    provider: &dyn CryptoProvider,
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let prepared = PreparedInfo::new(provider, suite, info)?;
    seal_base_prepared(provider, &prepared, pk_r, aad, pt)
}

/// Single-shot `SealBase(pkR, info, aad, pt)` (RFC 9180 §6.1) with the `info` of `prepared`:
/// returns `(enc, ct)`.
pub fn seal_base_prepared(
    provider: &dyn CryptoProvider,
    prepared: &PreparedInfo,
    pk_r: &[u8],
    aad: &[u8],
    pt: &[u8],
) -> Result<(Vec<u8>, Vec<u8>)> {
    let (enc, mut ctx) = setup_base_s_prepared(provider, prepared, pk_r)?;
    let ct = ctx.seal(aad, pt)?;
    Ok((enc, ct))
}

/// Single-shot `OpenBase(enc, skR, info, aad, ct)` (RFC 9180 §6.1).
#[allow(clippy::too_many_arguments)]
pub fn open_base(
    provider: &dyn CryptoProvider,
    suite: HpkeSuite,
    enc: &[u8],
    sk_r: &[u8],
    pk_r: &[u8],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>> {
    setup_base_r(provider, suite, enc, sk_r, pk_r, info)?.open(aad, ct)
}

/// Single-shot `SendExport(pkR, info, exporter_context, L)` (RFC 9180 §6.2): returns `enc` and
/// the exported secret.
pub fn send_export(
    provider: &dyn CryptoProvider,
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    exporter_context: &[u8],
    len: usize,
) -> Result<(Vec<u8>, Secret)> {
    let (enc, ctx) = setup_base_s(provider, suite, pk_r, info)?;
    Ok((enc, ctx.export(exporter_context, len)?))
}

/// Single-shot `ReceiveExport(enc, skR, info, exporter_context, L)` (RFC 9180 §6.2).
#[allow(clippy::too_many_arguments)]
pub fn receive_export(
    provider: &dyn CryptoProvider,
    suite: HpkeSuite,
    enc: &[u8],
    sk_r: &[u8],
    pk_r: &[u8],
    info: &[u8],
    exporter_context: &[u8],
    len: usize,
) -> Result<Secret> {
    setup_base_r(provider, suite, enc, sk_r, pk_r, info)?.export(exporter_context, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suite_id_is_hpke_and_three_code_points() {
        let suite = HpkeSuite::new(KemId::DHKEM_P521, KdfId::HKDF_SHA512, AeadId::EXPORT_ONLY);
        assert_eq!(suite.suite_id(), *b"HPKE\x00\x12\x00\x03\xff\xff");
    }

    #[test]
    fn suite_from_descriptor_takes_kem_kdf_aead() {
        let d = crate::CipherSuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256
            .descriptor()
            .unwrap();
        assert_eq!(
            HpkeSuite::from(d),
            HpkeSuite::new(KemId::DHKEM_P256, KdfId::HKDF_SHA256, AeadId::AES_128_GCM)
        );
    }

    #[test]
    fn nonce_xors_sequence_number_right_aligned() {
        // RFC 9180 A.3.1.1: base_nonce 4e0bc5018beba4bf004cca59, seq 256 -> ...ccb59.
        let base = [
            0x4e, 0x0b, 0xc5, 0x01, 0x8b, 0xeb, 0xa4, 0xbf, 0x00, 0x4c, 0xca, 0x59,
        ];
        let nonce = compute_nonce(&base, 256);
        assert_eq!(nonce[..10], base[..10]);
        assert_eq!(nonce[10..], [0xcb, 0x59]);
        assert_eq!(compute_nonce(&base, 0), base);
    }

    #[test]
    fn sequence_number_overflow_is_message_limit_reached() {
        assert_eq!(increment_seq(7), Ok(8));
        assert_eq!(
            increment_seq(u64::MAX),
            Err(CryptoError::MessageLimitReached)
        );
    }
}
