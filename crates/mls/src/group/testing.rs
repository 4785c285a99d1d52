//! Seams for adversarial tests and fuzzing (RFC 9420 §6.1–§6.3), behind the `test-utils`
//! feature: messages that an honest member's API never produces, signed and protected with
//! real keys so that they get past signatures, membership tags and encryption and reach the
//! checks behind them.

use braid_crypto::{CryptoProvider, Secret};

use super::{Group, GroupError, Signer};
use crate::messages::{
    FramedContent, Mac, MlsMessage, MlsMessageBody, PrivateMessage, SenderData, WireFormat,
};
use crate::protection::{ratchet_for, seal_private, sign_content};
use crate::suite::KeyAndNonce;

impl Group {
    /// Signs `content` with `signer` as sent in `wire_format` (over this epoch's
    /// GroupContext when the sender type signs it, §6.1), attaches `confirmation_tag`, and
    /// protects it with this epoch's keys: a membership tag for a member's PublicMessage
    /// (§6.2), or the next key of the sender leaf's ratchet in this member's secret tree for
    /// a PrivateMessage (§6.3; the key is consumed here). Nothing else about the content is
    /// checked.
    pub fn forge_message(
        &mut self,
        provider: &dyn CryptoProvider,
        signer: &Signer,
        wire_format: WireFormat,
        content: FramedContent,
        confirmation_tag: Option<Mac>,
    ) -> Result<MlsMessage, GroupError> {
        let suite = self.suite(provider)?;
        let mut signed = sign_content(
            &suite,
            wire_format,
            content,
            Some(&self.epoch.group_context),
            signer.private_key(),
        )?;
        signed.auth.confirmation_tag = confirmation_tag;
        self.protect(&suite, signed)
    }

    /// Encrypts any `plaintext` as the content of a PrivateMessage whose `group_id`, `epoch`,
    /// `content_type` and `authenticated_data` are `header`'s (its ciphertexts are replaced),
    /// with `sender_data` and the key this member's secret tree derives for that leaf,
    /// ratchet and generation, without consuming it (§6.3). When no key can be derived (leaf
    /// outside the tree, generation outside the window) an all-zero key is used: the receiver
    /// must then reject the sender data before it decrypts anything.
    pub fn forge_private_content(
        &self,
        provider: &dyn CryptoProvider,
        header: PrivateMessage,
        sender_data: &SenderData,
        plaintext: &[u8],
    ) -> Result<MlsMessage, GroupError> {
        let suite = self.suite(provider)?;
        let epoch = &self.epoch;
        let key = epoch
            .secret_tree
            .prepare_key(
                &suite,
                sender_data.leaf_index,
                ratchet_for(header.content_type),
                sender_data.generation,
            )
            .map(|prepared| prepared.key().clone())
            .unwrap_or_else(|_| KeyAndNonce {
                key: Secret::zero(suite.aead_key_len()),
                nonce: Secret::zero(suite.aead_nonce_len()),
            });
        let message = seal_private(
            &suite,
            header,
            sender_data,
            &key,
            plaintext,
            epoch.secrets.sender_data_secret.as_bytes(),
        )?;
        Ok(MlsMessage::new(MlsMessageBody::PrivateMessage(message)))
    }
}
