//! The key schedule (RFC 9420 §8), external initialization (§8.3), the exporter (§8.5), the
//! resumption PSK (§8.6) and the epoch authenticator (§8.7).
//!
//! ```text
//!            salt  (RFC 9420: init_secret_[n-1])          <- InitSecretStep::salt
//! commit_secret -> Extract -> ExpandWithLabel(., "joiner", GroupContext_[n]) = joiner_secret
//! psk_secret    -> Extract(joiner_secret, .)                                 = member secret
//!                  +-> DeriveSecret(., "welcome")                            = welcome_secret
//!                  ExpandWithLabel(., "epoch", GroupContext_[n])             = epoch_secret
//!                  +-> DeriveSecret(., <label>) for each epoch-derived secret
//!                  what the next epoch starts from (RFC 9420: DeriveSecret(., "init"))
//!                                                           <- InitSecretStep::next_init_secret
//! ```
//!
//! The two arrows marked `InitSecretStep` form the seam where DMLS plugs in its PPRF-based
//! step (see [`InitSecretStep`]); [`Rfc9420InitStep`] is the RFC's.
//!
//! The commit path derives a [`JoinerSecret`] from the previous epoch; the Welcome path builds
//! one from the `joiner_secret` of `GroupSecrets`. Both then yield [`EpochSecrets`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

use std::borrow::Cow;

use braid_codec::Encode;
use braid_crypto::{hpke, KemKeyPair, Result, Secret};

use crate::group_context::GroupContext;
use crate::suite::{KeyAndNonce, Suite};

/// The exporter context of the external init secret (§8.3).
const EXTERNAL_INIT_LABEL: &[u8] = b"MLS 1.0 external init secret";

/// The init-secret step of the key schedule: how an epoch's secrets hand over to the next
/// epoch's.
///
/// RFC 9420 ([`Rfc9420InitStep`]) carries `init_secret_[n] = DeriveSecret(epoch_secret,
/// "init")` and uses it as the salt of the next epoch's first Extract. DMLS replaces both ends:
/// the state becomes `parent_init_secret = DeriveSecret(epoch_secret, "parent_init")` (a PPRF
/// key; its [`InitSecretStep::InitSecret`] may also carry the epoch id
/// `DeriveSecret(epoch_secret, "epoch")`, which is the last point where `epoch_secret` is
/// seen), and the salt becomes
/// `PPRF(parent_init_secret, ExpandWithLabel(DeriveSecret(commit_secret, "conf"),
/// "child_init", GroupContext_[n], Nh))`, which is why [`InitSecretStep::salt`] sees the commit
/// secret and the new GroupContext.
///
/// Picking a salt never changes the state: a rejected commit leaves the epoch as it was. A
/// step that must puncture its state (DMLS) does so when the new epoch is merged.
pub trait InitSecretStep {
    /// What an epoch keeps to derive its successors' salt (RFC 9420: `init_secret`).
    type InitSecret;

    /// The salt of `KDF.Extract(salt, commit_secret)` for the epoch whose encoded
    /// `GroupContext_[n]` is `group_context`, from the previous epoch's state.
    fn salt<'s>(
        &self,
        suite: &Suite<'_>,
        init_secret: &'s Self::InitSecret,
        commit_secret: &[u8],
        group_context: &[u8],
    ) -> Result<Cow<'s, Secret>>;

    /// The state the next epoch starts from, derived from this epoch's `epoch_secret`.
    fn next_init_secret(&self, suite: &Suite<'_>, epoch_secret: &[u8]) -> Result<Self::InitSecret>;
}

/// RFC 9420's init-secret step: the salt is `init_secret_[n-1]` itself, and
/// `init_secret_[n] = DeriveSecret(epoch_secret, "init")`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rfc9420InitStep;

impl InitSecretStep for Rfc9420InitStep {
    type InitSecret = Secret;

    fn salt<'s>(
        &self,
        _suite: &Suite<'_>,
        init_secret: &'s Secret,
        _commit_secret: &[u8],
        _group_context: &[u8],
    ) -> Result<Cow<'s, Secret>> {
        Ok(Cow::Borrowed(init_secret))
    }

    fn next_init_secret(&self, suite: &Suite<'_>, epoch_secret: &[u8]) -> Result<Secret> {
        suite.derive_secret(epoch_secret, b"init")
    }
}

/// An epoch's `joiner_secret` together with `KDF.Extract(joiner_secret, psk_secret)`, the
/// point where the commit path and the Welcome path meet. It yields the `welcome_secret` and
/// the epoch's secrets.
#[derive(Debug, Clone)]
pub struct JoinerSecret {
    joiner_secret: Secret,
    /// `KDF.Extract(joiner_secret, psk_secret)` (unnamed in the RFC).
    member_secret: Secret,
}

impl JoinerSecret {
    /// The Welcome path: `joiner_secret` from `GroupSecrets` and the `psk_secret` of its
    /// `psks`.
    pub fn new(suite: &Suite<'_>, joiner_secret: Secret, psk_secret: &[u8]) -> Result<Self> {
        let member_secret = suite.extract(joiner_secret.as_bytes(), psk_secret)?;
        Ok(Self {
            joiner_secret,
            member_secret,
        })
    }

    /// The commit path: `joiner_secret = ExpandWithLabel(KDF.Extract(salt, commit_secret),
    /// "joiner", GroupContext_[n], Nh)` with the salt `step` picks from the previous epoch's
    /// `init_secret`. `group_context` is the encoded `GroupContext_[n]`.
    pub fn derive<S: InitSecretStep>(
        suite: &Suite<'_>,
        step: &S,
        init_secret: &S::InitSecret,
        commit_secret: &[u8],
        psk_secret: &[u8],
        group_context: &[u8],
    ) -> Result<Self> {
        let salt = step.salt(suite, init_secret, commit_secret, group_context)?;
        let prk = suite.extract(salt.as_bytes(), commit_secret)?;
        let joiner_secret =
            suite.expand_with_label(prk.as_bytes(), b"joiner", group_context, suite.hash_len())?;
        Self::new(suite, joiner_secret, psk_secret)
    }

    /// `joiner_secret`, which a committer sends to new members in `GroupSecrets`.
    pub fn joiner_secret(&self) -> &Secret {
        &self.joiner_secret
    }

    /// `welcome_secret = DeriveSecret(KDF.Extract(joiner_secret, psk_secret), "welcome")`.
    pub fn welcome_secret(&self, suite: &Suite<'_>) -> Result<Secret> {
        suite.derive_secret(self.member_secret.as_bytes(), b"welcome")
    }

    /// The key and nonce that encrypt the Welcome's `GroupInfo` (§12.4.3.1):
    /// `ExpandWithLabel(welcome_secret, "key" / "nonce", "", AEAD.Nk / AEAD.Nn)`.
    pub fn welcome_key_and_nonce(&self, suite: &Suite<'_>) -> Result<KeyAndNonce> {
        suite.key_and_nonce(self.welcome_secret(suite)?.as_bytes(), &[])
    }

    /// `epoch_secret = ExpandWithLabel(., "epoch", GroupContext_[n], Nh)` and every secret
    /// derived from it. `group_context` is the encoded `GroupContext_[n]`.
    pub fn epoch_secrets<S: InitSecretStep>(
        &self,
        suite: &Suite<'_>,
        step: &S,
        group_context: &[u8],
    ) -> Result<EpochSecrets<S::InitSecret>> {
        let epoch_secret = suite.expand_with_label(
            self.member_secret.as_bytes(),
            b"epoch",
            group_context,
            suite.hash_len(),
        )?;
        EpochSecrets::from_epoch_secret(suite, step, epoch_secret.as_bytes())
    }
}

/// The secrets of one epoch (§8, "Epoch-Derived Secrets"), and the state the next epoch's key
/// schedule starts from. `epoch_secret` itself is not kept. `I` is the init-secret state of the
/// [`InitSecretStep`] in use (RFC 9420: `init_secret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochSecrets<I = Secret> {
    /// `sender_data_secret` ("sender data").
    pub sender_data_secret: Secret,
    /// `encryption_secret` ("encryption"): the root of the secret tree.
    pub encryption_secret: Secret,
    /// `exporter_secret` ("exporter").
    pub exporter_secret: Secret,
    /// `external_secret` ("external"): seed of the external key pair.
    pub external_secret: Secret,
    /// `confirmation_key` ("confirm").
    pub confirmation_key: Secret,
    /// `membership_key` ("membership").
    pub membership_key: Secret,
    /// `resumption_psk` ("resumption", §8.6).
    pub resumption_psk: Secret,
    /// `epoch_authenticator` ("authentication", §8.7).
    pub epoch_authenticator: Secret,
    /// What the next epoch starts from (RFC 9420: `init_secret_[n]`).
    pub init_secret: I,
}

impl<I> EpochSecrets<I> {
    /// The commit path: a new epoch from the previous epoch's `init_secret`, the
    /// `commit_secret`, the `psk_secret` (all-zero without PSKs) and `GroupContext_[n]`. Also
    /// returns the [`JoinerSecret`], which the committer needs for a Welcome.
    pub fn new<S: InitSecretStep<InitSecret = I>>(
        suite: &Suite<'_>,
        step: &S,
        init_secret: &I,
        commit_secret: &[u8],
        psk_secret: &[u8],
        group_context: &GroupContext,
    ) -> Result<(Self, JoinerSecret)> {
        let group_context = group_context.to_bytes();
        let joiner = JoinerSecret::derive(
            suite,
            step,
            init_secret,
            commit_secret,
            psk_secret,
            &group_context,
        )?;
        let secrets = joiner.epoch_secrets(suite, step, &group_context)?;
        Ok((secrets, joiner))
    }

    /// The Welcome path: the epoch a new member joins, from `joiner_secret`, the `psk_secret`
    /// and `GroupContext_[n]` of the Welcome's `GroupInfo`.
    pub fn from_joiner_secret<S: InitSecretStep<InitSecret = I>>(
        suite: &Suite<'_>,
        step: &S,
        joiner_secret: Secret,
        psk_secret: &[u8],
        group_context: &GroupContext,
    ) -> Result<Self> {
        JoinerSecret::new(suite, joiner_secret, psk_secret)?.epoch_secrets(
            suite,
            step,
            &group_context.to_bytes(),
        )
    }

    /// Every secret derived from `epoch_secret`.
    pub fn from_epoch_secret<S: InitSecretStep<InitSecret = I>>(
        suite: &Suite<'_>,
        step: &S,
        epoch_secret: &[u8],
    ) -> Result<Self> {
        let derive = |label: &[u8]| suite.derive_secret(epoch_secret, label);
        Ok(Self {
            sender_data_secret: derive(b"sender data")?,
            encryption_secret: derive(b"encryption")?,
            exporter_secret: derive(b"exporter")?,
            external_secret: derive(b"external")?,
            confirmation_key: derive(b"confirm")?,
            membership_key: derive(b"membership")?,
            resumption_psk: derive(b"resumption")?,
            epoch_authenticator: derive(b"authentication")?,
            init_secret: step.next_init_secret(suite, epoch_secret)?,
        })
    }

    /// `external_priv, external_pub = KEM.DeriveKeyPair(external_secret)` (§8).
    pub fn external_key_pair(&self, suite: &Suite<'_>) -> Result<KemKeyPair> {
        suite.derive_key_pair(self.external_secret.as_bytes())
    }

    /// `MLS-Exporter(label, context, length)` (§8.5):
    /// `ExpandWithLabel(DeriveSecret(exporter_secret, label), "exported", Hash(context),
    /// length)`.
    pub fn mls_exporter(
        &self,
        suite: &Suite<'_>,
        label: &[u8],
        context: &[u8],
        length: usize,
    ) -> Result<Secret> {
        let secret = suite.derive_secret(self.exporter_secret.as_bytes(), label)?;
        let context_hash = suite.hash(context)?;
        suite.expand_with_label(secret.as_bytes(), b"exported", &context_hash, length)
    }
}

/// The joiner's side of external initialization (§8.3): encapsulates to the group's
/// `external_pub` and returns the `kem_output` (for the ExternalInit proposal) and the
/// `init_secret` the new epoch's key schedule starts from.
pub fn external_init_secret(suite: &Suite<'_>, external_pub: &[u8]) -> Result<(Vec<u8>, Secret)> {
    hpke::send_export(
        suite.provider(),
        suite.hpke_suite(),
        external_pub,
        &[],
        EXTERNAL_INIT_LABEL,
        suite.hash_len(),
    )
}

/// The members' side of external initialization (§8.3): the `init_secret` from the
/// `kem_output` of an ExternalInit proposal and the epoch's external key pair.
pub fn receive_external_init_secret(
    suite: &Suite<'_>,
    external_key_pair: &KemKeyPair,
    kem_output: &[u8],
) -> Result<Secret> {
    hpke::receive_export(
        suite.provider(),
        suite.hpke_suite(),
        kem_output,
        external_key_pair.private_key.as_bytes(),
        &external_key_pair.public_key,
        &[],
        EXTERNAL_INIT_LABEL,
        suite.hash_len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extensions::Extensions;
    use crate::group_context::ProtocolVersion;
    use crate::suite::test_suite;
    use braid_crypto::CipherSuite;

    const CS: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;

    fn group_context(epoch: u64) -> GroupContext {
        GroupContext {
            version: ProtocolVersion::MLS10,
            cipher_suite: CS,
            group_id: b"g".to_vec(),
            epoch,
            tree_hash: vec![1; 32],
            confirmed_transcript_hash: vec![2; 32],
            extensions: Extensions::new(),
        }
    }

    #[test]
    fn commit_and_welcome_paths_agree() {
        let suite = test_suite(CS);
        let init = Secret::new(vec![3; 32]);
        let gc = group_context(1);
        let (member, joiner) =
            EpochSecrets::new(&suite, &Rfc9420InitStep, &init, &[4; 32], &[0; 32], &gc).unwrap();
        let joined = EpochSecrets::from_joiner_secret(
            &suite,
            &Rfc9420InitStep,
            joiner.joiner_secret().clone(),
            &[0; 32],
            &gc,
        )
        .unwrap();
        assert_eq!(member, joined);
        // Every derived secret differs from the others.
        let all = [
            &member.sender_data_secret,
            &member.encryption_secret,
            &member.exporter_secret,
            &member.external_secret,
            &member.confirmation_key,
            &member.membership_key,
            &member.resumption_psk,
            &member.epoch_authenticator,
            &member.init_secret,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
        // A different PSK or GroupContext changes everything.
        let (other, _) =
            EpochSecrets::new(&suite, &Rfc9420InitStep, &init, &[4; 32], &[1; 32], &gc).unwrap();
        assert_ne!(other.epoch_authenticator, member.epoch_authenticator);
        let (other, _) = EpochSecrets::new(
            &suite,
            &Rfc9420InitStep,
            &init,
            &[4; 32],
            &[0; 32],
            &group_context(2),
        )
        .unwrap();
        assert_ne!(other.epoch_authenticator, member.epoch_authenticator);
        let kn = joiner.welcome_key_and_nonce(&suite).unwrap();
        assert_eq!((kn.key.len(), kn.nonce.len()), (16, 12));
    }

    /// A step whose salt depends on the commit secret and the GroupContext and whose state is
    /// not a plain secret, as DMLS's is: the seam must carry it through.
    struct TaggedStep;
    impl InitSecretStep for TaggedStep {
        type InitSecret = (Secret, Secret);
        fn salt<'s>(
            &self,
            suite: &Suite<'_>,
            init_secret: &'s (Secret, Secret),
            commit_secret: &[u8],
            group_context: &[u8],
        ) -> Result<Cow<'s, Secret>> {
            let conf = suite.derive_secret(commit_secret, b"conf")?;
            let x = suite.expand_with_label(
                conf.as_bytes(),
                b"child_init",
                group_context,
                suite.hash_len(),
            )?;
            suite
                .mac(init_secret.0.as_bytes(), x.as_bytes())
                .map(|s| Cow::Owned(Secret::new(s)))
        }
        fn next_init_secret(
            &self,
            suite: &Suite<'_>,
            epoch_secret: &[u8],
        ) -> Result<(Secret, Secret)> {
            Ok((
                suite.derive_secret(epoch_secret, b"parent_init")?,
                suite.derive_secret(epoch_secret, b"epoch")?,
            ))
        }
    }

    #[test]
    fn the_init_step_is_pluggable() {
        let suite = test_suite(CS);
        let init = (Secret::new(vec![3; 32]), Secret::default());
        let gc = group_context(1);
        let (tagged, _) =
            EpochSecrets::new(&suite, &TaggedStep, &init, &[4; 32], &[0; 32], &gc).unwrap();
        let (rfc, _) =
            EpochSecrets::new(&suite, &Rfc9420InitStep, &init.0, &[4; 32], &[0; 32], &gc).unwrap();
        assert_ne!(tagged.encryption_secret, rfc.encryption_secret);
        assert_ne!(tagged.init_secret.0, tagged.init_secret.1);
        let (other, _) =
            EpochSecrets::new(&suite, &TaggedStep, &init, &[5; 32], &[0; 32], &gc).unwrap();
        assert_ne!(other.encryption_secret, tagged.encryption_secret);
    }

    #[test]
    fn exporter_and_external_init() {
        let suite = test_suite(CS);
        let (epoch, _) = EpochSecrets::new(
            &suite,
            &Rfc9420InitStep,
            &Secret::new(vec![3; 32]),
            &[4; 32],
            &[0; 32],
            &group_context(1),
        )
        .unwrap();
        let a = epoch.mls_exporter(&suite, b"app", b"ctx", 40).unwrap();
        assert_eq!(a.len(), 40);
        assert_ne!(a, epoch.mls_exporter(&suite, b"app", b"ctX", 40).unwrap());
        assert_ne!(a, epoch.mls_exporter(&suite, b"apP", b"ctx", 40).unwrap());

        let key_pair = epoch.external_key_pair(&suite).unwrap();
        let (kem_output, sent) = external_init_secret(&suite, &key_pair.public_key).unwrap();
        let received = receive_external_init_secret(&suite, &key_pair, &kem_output).unwrap();
        assert_eq!(sent, received);
        assert_eq!(sent.len(), 32);
    }
}
