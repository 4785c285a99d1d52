//! The mls-rs adapter: a [`Member`] over mls-rs 0.57's public client and group API (RFC 9420
//! §10–§12, §8.4 PSKs, §8.5 exporter, §8.7 epoch authenticator) with
//! `mls_rs_crypto_awslc::AwsLcCryptoProvider`, the basic identity provider and mls-rs's in-memory
//! storages.
//!
//! mls-rs takes its commit policy from an [`MlsRules`] object fixed in the client configuration
//! (and copied into every group), not from per-commit arguments. The adapter's rules therefore
//! read two flags, set just before each Commit is built, for "send an UpdatePath" and "put the
//! ratchet tree into the Welcome"; the handshake wire format is fixed per member. mls-rs accepts
//! PublicMessage and PrivateMessage handshakes alike when receiving, whatever its rules say.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mls_rs::client_builder::{
    BaseConfig, PaddingMode, WithCryptoProvider, WithIdentityProvider, WithMlsRules,
};
use mls_rs::group::{CommitEffect, ExportedTree, GroupContext, ReceivedMessage, Roster};
use mls_rs::identity::basic::{BasicCredential, BasicIdentityProvider};
use mls_rs::identity::SigningIdentity;
use mls_rs::mls_rules::{
    CommitDirection, CommitOptions, CommitSource, EncryptionOptions, ProposalBundle,
};
use mls_rs::psk::{ExternalPskId, PreSharedKey};
use mls_rs::{
    CipherSuite, CipherSuiteProvider, Client, CryptoProvider, ExtensionList, Group,
    GroupStateStorage, MlsMessage, MlsRules,
};
use mls_rs_crypto_awslc::AwsLcCryptoProvider;

use crate::{
    CommitOutput, CommitRequest, Error, HandshakeWire, Implementation, Member, MemberConfig,
    Received,
};

/// The cipher suites mls-rs-crypto-awslc 0.27 supports without its `post-quantum` feature
/// (`AwsLcCryptoProvider::supported_classical_cipher_suites`): X25519 with AES-128-GCM (1) and
/// ChaCha20-Poly1305 (3), and P-256 (2), P-521 (5) and P-384 (7). The X448 suites (4, 6) are not
/// implemented by it.
pub const SUITES: &[u16] = &[1, 2, 3, 5, 7];

/// The client configuration type of every member.
type Config = WithMlsRules<
    AdapterRules,
    WithIdentityProvider<
        BasicIdentityProvider,
        WithCryptoProvider<AwsLcCryptoProvider, BaseConfig>,
    >,
>;

/// The per-commit choices mls-rs reads through [`MlsRules::commit_options`].
#[derive(Debug, Default)]
struct CommitFlags {
    /// Send an UpdatePath even when the proposals do not require one.
    path_required: AtomicBool,
    /// Put the `ratchet_tree` extension into the Welcome's GroupInfo.
    ratchet_tree_extension: AtomicBool,
}

/// The adapter's [`MlsRules`]: every proposal is accepted (mls-rs applies RFC 9420's own checks
/// after the filter), handshakes are sent per the member's configuration, without padding, and
/// the commit options come from flags the adapter sets before each Commit.
#[derive(Clone, Debug)]
struct AdapterRules {
    /// Send proposals and Commits as PrivateMessage.
    encrypt_handshakes: bool,
    /// Shared with the member, which sets them before building a Commit.
    commit: Arc<CommitFlags>,
}

impl MlsRules for AdapterRules {
    type Error = Infallible;

    fn filter_proposals(
        &self,
        _direction: CommitDirection,
        _source: CommitSource,
        _current_roster: &Roster,
        _current_context: &GroupContext,
        proposals: ProposalBundle,
    ) -> Result<ProposalBundle, Self::Error> {
        Ok(proposals)
    }

    fn commit_options(
        &self,
        _new_roster: &Roster,
        _new_context: &GroupContext,
        _proposals: &ProposalBundle,
    ) -> Result<CommitOptions, Self::Error> {
        Ok(CommitOptions::new()
            .with_path_required(self.commit.path_required.load(Ordering::Relaxed))
            .with_ratchet_tree_extension(self.commit.ratchet_tree_extension.load(Ordering::Relaxed))
            .with_single_welcome_message(true)
            // GroupInfos for external joins are made on request by `group_info`, not with
            // every Commit.
            .with_allow_external_commit(false))
    }

    fn encryption_options(
        &self,
        _current_roster: &Roster,
        _current_context: &GroupContext,
    ) -> Result<EncryptionOptions, Self::Error> {
        Ok(EncryptionOptions::new(
            self.encrypt_handshakes,
            PaddingMode::None,
        ))
    }
}

/// An mls-rs client holding at most one group.
///
/// The client's in-memory stores (KeyPackages, PSKs, group state) are shared by reference with
/// the groups it makes and with their clones (mls-rs's in-memory providers are `Arc`s).
pub struct MlsRsMember {
    client: Client<Config>,
    /// The flags the client's [`AdapterRules`] read.
    commit_flags: Arc<CommitFlags>,
    group: Option<Group<Config>>,
}

/// Wraps an mls-rs error of `operation`.
fn error<E: std::fmt::Display>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |err| Error::new(Implementation::MlsRs, operation, err)
}

/// Decodes an `MLSMessage` from `bytes`.
fn decode_message(bytes: &[u8], operation: &'static str) -> Result<MlsMessage, Error> {
    MlsMessage::from_bytes(bytes).map_err(error(operation))
}

/// Encodes an `MLSMessage`.
fn encode_message(message: &MlsMessage, operation: &'static str) -> Result<Vec<u8>, Error> {
    message.to_bytes().map_err(error(operation))
}

/// Decodes an optional out-of-band `ratchet_tree` extension value.
fn decode_tree(
    bytes: Option<&[u8]>,
    operation: &'static str,
) -> Result<Option<ExportedTree<'static>>, Error> {
    bytes
        .map(|bytes| ExportedTree::from_bytes(bytes).map_err(error(operation)))
        .transpose()
}

impl MlsRsMember {
    /// A member of `config.suite` with a fresh signature key and a basic credential of
    /// `config.identity`, sending handshakes as `config.handshake` and accepting both formats.
    pub fn new(config: &MemberConfig) -> Result<Self, Error> {
        const OP: &str = "new";
        let cipher_suite = CipherSuite::new(config.suite);
        let crypto = AwsLcCryptoProvider::new();
        let suite = crypto.cipher_suite_provider(cipher_suite).ok_or_else(|| {
            Error::new(
                Implementation::MlsRs,
                OP,
                format_args!("cipher suite {} is not supported", config.suite),
            )
        })?;
        let (secret_key, public_key) = suite.signature_key_generate().map_err(error(OP))?;
        let signing_identity = SigningIdentity::new(
            BasicCredential::new(config.identity.clone()).into_credential(),
            public_key,
        );
        let commit_flags = Arc::new(CommitFlags::default());
        let rules = AdapterRules {
            encrypt_handshakes: config.handshake == HandshakeWire::Ciphertext,
            commit: Arc::clone(&commit_flags),
        };
        let client = Client::builder()
            .crypto_provider(crypto)
            .identity_provider(BasicIdentityProvider::new())
            .mls_rules(rules)
            .signing_identity(signing_identity, secret_key, cipher_suite)
            .build();
        Ok(Self {
            client,
            commit_flags,
            group: None,
        })
    }

    /// The group, or an error for `operation` if there is none yet.
    fn group(&self, operation: &'static str) -> Result<&Group<Config>, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::new(Implementation::MlsRs, operation, "not in a group"))
    }

    /// The group, mutably, or an error for `operation` if there is none yet.
    fn group_mut(&mut self, operation: &'static str) -> Result<&mut Group<Config>, Error> {
        self.group
            .as_mut()
            .ok_or_else(|| Error::new(Implementation::MlsRs, operation, "not in a group"))
    }
}

impl Member for MlsRsMember {
    fn implementation(&self) -> Implementation {
        Implementation::MlsRs
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        const OP: &str = "key_package";
        // The private keys go to the client's KeyPackage store, where `join_group` finds them.
        let message = self
            .client
            .generate_key_package_message(ExtensionList::new(), ExtensionList::new(), None)
            .map_err(error(OP))?;
        encode_message(&message, OP)
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        let group = self
            .client
            .create_group_with_id(
                group_id.to_vec(),
                ExtensionList::new(),
                ExtensionList::new(),
                None,
            )
            .map_err(error("create_group"))?;
        self.group = Some(group);
        Ok(())
    }

    fn join(&mut self, welcome: &[u8], ratchet_tree: Option<&[u8]>) -> Result<(), Error> {
        const OP: &str = "join";
        let welcome = decode_message(welcome, OP)?;
        let tree = decode_tree(ratchet_tree, OP)?;
        let (group, _) = self
            .client
            .join_group(tree, &welcome, None)
            .map_err(error(OP))?;
        self.group = Some(group);
        Ok(())
    }

    fn join_external(
        &mut self,
        group_info: &[u8],
        ratchet_tree: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        const OP: &str = "join_external";
        let group_info = decode_message(group_info, OP)?;
        let mut builder = self.client.external_commit_builder().map_err(error(OP))?;
        if let Some(tree) = decode_tree(ratchet_tree, OP)? {
            builder = builder.with_tree_data(tree);
        }
        let (group, commit) = builder.build(group_info).map_err(error(OP))?;
        self.group = Some(group);
        encode_message(&commit, OP)
    }

    fn group_info(&mut self, with_tree: bool) -> Result<Vec<u8>, Error> {
        const OP: &str = "group_info";
        let message = self
            .group(OP)?
            .group_info_message_allowing_ext_commit(with_tree)
            .map_err(error(OP))?;
        encode_message(&message, OP)
    }

    fn ratchet_tree(&self) -> Result<Vec<u8>, Error> {
        const OP: &str = "ratchet_tree";
        // `export_tree` borrows the nodes; only the encoding allocates.
        self.group(OP)?.export_tree().to_bytes().map_err(error(OP))
    }

    fn commit(&mut self, request: &CommitRequest) -> Result<CommitOutput, Error> {
        const OP: &str = "commit";
        self.commit_flags
            .path_required
            .store(request.force_path, Ordering::Relaxed);
        self.commit_flags
            .ratchet_tree_extension
            .store(request.tree_in_welcome, Ordering::Relaxed);
        let group = self.group_mut(OP)?;
        let mut builder = group.commit_builder();
        for key_package in &request.add {
            builder = builder
                .add_member(decode_message(key_package, OP)?)
                .map_err(error(OP))?;
        }
        for &leaf in &request.remove {
            builder = builder.remove_member(leaf).map_err(error(OP))?;
        }
        for id in &request.external_psks {
            builder = builder
                .add_external_psk(ExternalPskId::new(id.clone()))
                .map_err(error(OP))?;
        }
        let output = builder.build().map_err(error(OP))?;
        // With `single_welcome_message`, there is at most one Welcome, for all added members.
        let welcome = output
            .welcome_messages
            .first()
            .map(|welcome| encode_message(welcome, OP))
            .transpose()?;
        Ok(CommitOutput {
            commit: encode_message(&output.commit_message, OP)?,
            welcome,
        })
    }

    fn merge_pending_commit(&mut self) -> Result<(), Error> {
        const OP: &str = "merge_pending_commit";
        self.group_mut(OP)?
            .apply_pending_commit()
            .map_err(error(OP))?;
        Ok(())
    }

    fn process(&mut self, message: &[u8]) -> Result<Received, Error> {
        const OP: &str = "process";
        let message = decode_message(message, OP)?;
        // mls-rs validates and merges a Commit in one step (also for its own pending Commit).
        match self
            .group_mut(OP)?
            .process_incoming_message(message)
            .map_err(error(OP))?
        {
            ReceivedMessage::ApplicationMessage(description) => {
                Ok(Received::Application(description.data().to_vec()))
            }
            ReceivedMessage::Proposal(_) => Ok(Received::Proposal),
            ReceivedMessage::Commit(description) => {
                // A Commit removing this member leaves mls-rs's group in the old epoch, still
                // able to send there; the application is to drop it, as here.
                if matches!(description.effect, CommitEffect::Removed { .. }) {
                    self.group = None;
                }
                Ok(Received::Commit)
            }
            ReceivedMessage::GroupInfo(_)
            | ReceivedMessage::Welcome
            | ReceivedMessage::KeyPackage(_) => Err(Error::new(
                Implementation::MlsRs,
                OP,
                "not a message for the group (a GroupInfo, Welcome or KeyPackage)",
            )),
        }
    }

    fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        const OP: &str = "send";
        let message = self
            .group_mut(OP)?
            .encrypt_application_message(data, Vec::new())
            .map_err(error(OP))?;
        encode_message(&message, OP)
    }

    fn store_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Result<(), Error> {
        // The store is shared with the client's configuration and hence with its group.
        self.client.secret_store().insert(
            ExternalPskId::new(id.to_vec()),
            PreSharedKey::new(secret.to_vec()),
        );
        Ok(())
    }

    /// The current epoch; 0 before this member is in a group or after it was removed.
    fn epoch(&self) -> u64 {
        self.group.as_ref().map_or(0, Group::current_epoch)
    }

    /// This member's leaf index; 0 before this member is in a group.
    fn own_leaf_index(&self) -> u32 {
        self.group.as_ref().map_or(0, Group::current_member_index)
    }

    /// The members' leaf indices, ascending; empty before this member is in a group.
    fn members(&self) -> Vec<u32> {
        let Some(group) = &self.group else {
            return Vec::new();
        };
        // Leaves are the even nodes of the tree (§4.2); a member's leaf is non-blank. Reading the
        // borrowed nodes avoids the roster's copy of every member's identity and capabilities.
        let tree = group.export_tree();
        (0u32..)
            .zip(tree.nodes().iter().step_by(2))
            .filter_map(|(leaf, node)| node.is_some().then_some(leaf))
            .collect()
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        const OP: &str = "epoch_authenticator";
        let secret = self.group(OP)?.epoch_authenticator().map_err(error(OP))?;
        Ok(secret.as_bytes().to_vec())
    }

    fn export(&self, label: &str, context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        const OP: &str = "export";
        let secret = self
            .group(OP)?
            .export_secret(label.as_bytes(), context, length)
            .map_err(error(OP))?;
        Ok(secret.as_bytes().to_vec())
    }

    /// What `Group::write_to_storage` writes to the in-memory `GroupStateStorage`: the group
    /// snapshot plus the prior-epoch records the storage retains (mls-rs keeps the last 3 by
    /// default, for late messages of earlier epochs).
    ///
    /// A clone of the group is written, so the live group keeps its unwritten prior epochs; the
    /// record is deleted from the storage afterwards, leaving the storage as it was.
    fn state_bytes(&self) -> Result<usize, Error> {
        const OP: &str = "state_bytes";
        let mut copy = self.group(OP)?.clone();
        copy.write_to_storage().map_err(error(OP))?;
        let storage = self.client.group_state_storage();
        let group_id = copy.group_id();
        // The in-memory storage's error type is `Infallible`.
        let measured = (|| {
            let state = storage.state(group_id)?.map_or(0, |state| state.len());
            let mut epochs = 0;
            let mut next = storage.max_epoch_id(group_id)?;
            while let Some(epoch_id) = next {
                let Some(record) = storage.epoch(group_id, epoch_id)? else {
                    break;
                };
                epochs += record.len();
                next = epoch_id.checked_sub(1);
            }
            Ok::<_, Infallible>(state + epochs)
        })();
        storage.delete_group(group_id);
        measured.map_err(error(OP))
    }

    /// A clone of the client and of the group: every secret, tree, cache and prior epoch is
    /// copied. The clone shares the client's in-memory stores (KeyPackages, PSKs, the group
    /// state storage, which the adapter only writes in [`Member::state_bytes`]) and the commit
    /// flags, which are set afresh before every Commit.
    fn fork(&self) -> Result<Box<dyn Member>, Error> {
        Ok(Box::new(Self {
            client: self.client.clone(),
            commit_flags: Arc::clone(&self.commit_flags),
            group: self.group.clone(),
        }))
    }
}
