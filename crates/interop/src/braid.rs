//! The braid adapter: a [`Member`] over braid-mls's group API (RFC 9420 §10–§12, §15) with the
//! default provider (aws-lc-rs).
//!
//! The member keeps its signing identity, the KeyPackage bundles it handed out (until a
//! Welcome consumes one), the external PSKs it was given (§8.4) and at most one [`Group`].
//! Times passed to braid are read from the system clock, in seconds since the Unix epoch.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use braid_codec::{Decode, Encode};
use braid_crypto::{CipherSuite, Secret};
use braid_mls::group::{
    CommitOptions, CreateOptions, ExternalJoinOptions, Group, GroupConfig, GroupInfoOptions,
    HandshakeFormat, IncomingHandshake, JoinOptions, KeyPackageBundle, KeyPackageOptions,
    LeafNodeOptions, ProcessedMessage, PskStore, Signer,
};
use braid_mls::messages::{
    Add, Credential, KeyPackageRef, MlsMessage, MlsMessageBody, PreSharedKey, Proposal,
    RatchetTree, Remove,
};
use braid_mls::psk::{ExternalPsk, PreSharedKeyId, Psk};
use braid_mls::suite::Suite;
use braid_mls::tree_math::LeafIndex;
use braid_provider::DefaultProvider;

use crate::{
    CommitOutput, CommitRequest, Error, HandshakeWire, Implementation, Member, MemberConfig,
    Received,
};

/// The crypto provider of every braid member (stateless).
static PROVIDER: DefaultProvider = DefaultProvider::new();

/// A braid client holding at most one group.
#[derive(Clone, Debug)]
pub struct BraidMember {
    cipher_suite: CipherSuite,
    signer: Signer,
    /// The policy of the groups this member creates or joins.
    config: GroupConfig,
    /// KeyPackages handed out and not yet used by a Welcome, with their references.
    key_packages: Vec<(KeyPackageRef, KeyPackageBundle)>,
    /// External PSKs by id, given to every group this member creates or joins.
    external_psks: BTreeMap<Vec<u8>, Secret>,
    group: Option<Group>,
}

/// Seconds since the Unix epoch (0 if the clock is before it).
fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// Wraps a braid error of `operation`.
fn error<E: std::fmt::Display>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |err| Error::new(Implementation::Braid, operation, err)
}

/// Decodes an `MLSMessage` from `bytes`.
fn decode_message(bytes: &[u8], operation: &'static str) -> Result<MlsMessage, Error> {
    MlsMessage::from_bytes(bytes).map_err(error(operation))
}

/// Decodes an optional out-of-band `ratchet_tree` extension value.
fn decode_tree(
    bytes: Option<&[u8]>,
    operation: &'static str,
) -> Result<Option<RatchetTree>, Error> {
    bytes
        .map(|bytes| RatchetTree::from_bytes(bytes).map_err(error(operation)))
        .transpose()
}

impl BraidMember {
    /// A member of `config.suite` with a fresh signature key and a basic credential of
    /// `config.identity`, sending handshakes as `config.handshake` and accepting both formats.
    pub fn new(config: &MemberConfig) -> Result<Self, Error> {
        let cipher_suite = CipherSuite(config.suite);
        let signer = Signer::generate(
            &PROVIDER,
            cipher_suite,
            Credential::basic(config.identity.clone()),
        )
        .map_err(error("new"))?;
        let outgoing_handshake = match config.handshake {
            HandshakeWire::Plaintext => HandshakeFormat::PublicMessage,
            HandshakeWire::Ciphertext => HandshakeFormat::PrivateMessage,
        };
        Ok(Self {
            cipher_suite,
            signer,
            config: GroupConfig {
                outgoing_handshake,
                incoming_handshake: IncomingHandshake::Any,
                ..GroupConfig::default()
            },
            key_packages: Vec::new(),
            external_psks: BTreeMap::new(),
            group: None,
        })
    }

    /// The group, or an error for `operation` if there is none yet.
    fn group(&self, operation: &'static str) -> Result<&Group, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::new(Implementation::Braid, operation, "not in a group"))
    }

    /// The group, mutably, or an error for `operation` if there is none yet.
    fn group_mut(&mut self, operation: &'static str) -> Result<&mut Group, Error> {
        self.group
            .as_mut()
            .ok_or_else(|| Error::new(Implementation::Braid, operation, "not in a group"))
    }

    /// Sets `group` as this member's group, with the member's external PSKs.
    fn enter(&mut self, mut group: Group) {
        for (id, secret) in &self.external_psks {
            group.add_external_psk(id.clone(), secret.clone());
        }
        self.group = Some(group);
    }
}

impl Member for BraidMember {
    fn implementation(&self) -> Implementation {
        Implementation::Braid
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        const OP: &str = "key_package";
        let bundle = KeyPackageBundle::create(
            &PROVIDER,
            self.cipher_suite,
            &self.signer,
            &KeyPackageOptions::new(now()),
        )
        .map_err(error(OP))?;
        let suite = Suite::new(&PROVIDER, self.cipher_suite).map_err(error(OP))?;
        let reference = bundle.key_package().make_ref(&suite).map_err(error(OP))?;
        let message = MlsMessage::new(MlsMessageBody::KeyPackage(bundle.key_package().clone()));
        self.key_packages.push((reference, bundle));
        Ok(message.to_bytes())
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        let group = Group::create(
            &PROVIDER,
            self.config,
            self.cipher_suite,
            self.signer.clone(),
            CreateOptions {
                group_id: group_id.to_vec(),
                extensions: Default::default(),
                leaf: LeafNodeOptions::default(),
                lifetime: braid_mls::group::default_lifetime(now()),
            },
        )
        .map_err(error("create_group"))?;
        self.enter(group);
        Ok(())
    }

    fn join(&mut self, welcome: &[u8], ratchet_tree: Option<&[u8]>) -> Result<(), Error> {
        const OP: &str = "join";
        let message = decode_message(welcome, OP)?;
        let MlsMessageBody::Welcome(welcome) = &message.body else {
            return Err(Error::new(Implementation::Braid, OP, "not a Welcome"));
        };
        let (position, (_, bundle)) = self
            .key_packages
            .iter()
            .enumerate()
            .find(|(_, (reference, _))| {
                welcome
                    .secrets
                    .iter()
                    .any(|secrets| &secrets.new_member == reference)
            })
            .ok_or_else(|| {
                Error::new(
                    Implementation::Braid,
                    OP,
                    "the Welcome names none of this member's KeyPackages",
                )
            })?;
        let tree = decode_tree(ratchet_tree, OP)?;
        let psks = (!self.external_psks.is_empty()).then(|| {
            let mut store = PskStore::new();
            for (id, secret) in &self.external_psks {
                store.insert_external(id.clone(), secret.clone());
            }
            store
        });
        let group = Group::join_from_welcome(
            &PROVIDER,
            self.config,
            welcome,
            bundle,
            self.signer.clone(),
            JoinOptions {
                ratchet_tree: tree.as_ref(),
                psks: psks.as_ref(),
                ..JoinOptions::new(now())
            },
        )
        .map_err(error(OP))?;
        self.key_packages.swap_remove(position);
        self.enter(group);
        Ok(())
    }

    fn join_external(
        &mut self,
        group_info: &[u8],
        ratchet_tree: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        const OP: &str = "join_external";
        let message = decode_message(group_info, OP)?;
        let MlsMessageBody::GroupInfo(group_info) = &message.body else {
            return Err(Error::new(Implementation::Braid, OP, "not a GroupInfo"));
        };
        let tree = decode_tree(ratchet_tree, OP)?;
        let (group, commit) = Group::join_by_external_commit(
            &PROVIDER,
            self.config,
            group_info,
            self.signer.clone(),
            ExternalJoinOptions {
                ratchet_tree: tree.as_ref(),
                ..ExternalJoinOptions::new(now())
            },
        )
        .map_err(error(OP))?;
        self.enter(group);
        Ok(commit.to_bytes())
    }

    fn group_info(&mut self, with_tree: bool) -> Result<Vec<u8>, Error> {
        const OP: &str = "group_info";
        let options = GroupInfoOptions {
            ratchet_tree: with_tree,
            external_pub: true,
        };
        let message = self
            .group(OP)?
            .group_info(&PROVIDER, options)
            .map_err(error(OP))?;
        Ok(message.to_bytes())
    }

    fn ratchet_tree(&self) -> Result<Vec<u8>, Error> {
        // The tree encodes straight to the extension's value, the same bytes as
        // `export_ratchet_tree()` without cloning every node first.
        Ok(self.group("ratchet_tree")?.ratchet_tree().to_bytes())
    }

    fn commit(&mut self, request: &CommitRequest) -> Result<CommitOutput, Error> {
        const OP: &str = "commit";
        let cipher_suite = self.cipher_suite;
        let group = self.group_mut(OP)?;
        let mut proposals = Vec::with_capacity(
            request.add.len() + request.remove.len() + request.external_psks.len(),
        );
        for bytes in &request.add {
            let MlsMessageBody::KeyPackage(key_package) = decode_message(bytes, OP)?.body else {
                return Err(Error::new(Implementation::Braid, OP, "not a KeyPackage"));
            };
            proposals.push(Proposal::Add(Box::new(Add { key_package })));
        }
        proposals.extend(request.remove.iter().map(|&leaf| {
            Proposal::Remove(Remove {
                removed: LeafIndex(leaf),
            })
        }));
        if !request.external_psks.is_empty() {
            let suite = Suite::new(&PROVIDER, cipher_suite).map_err(error(OP))?;
            for id in &request.external_psks {
                let psk = Psk::External(ExternalPsk { psk_id: id.clone() });
                let psk = PreSharedKeyId::new(&suite, psk).map_err(error(OP))?;
                proposals.push(Proposal::PreSharedKey(PreSharedKey { psk }));
            }
        }
        if group.config().ratchet_tree_in_welcome != request.tree_in_welcome {
            let config = GroupConfig {
                ratchet_tree_in_welcome: request.tree_in_welcome,
                ..*group.config()
            };
            group.set_config(config);
        }
        let bundle = group
            .commit(
                &PROVIDER,
                CommitOptions {
                    proposals,
                    force_path: request.force_path,
                    ..CommitOptions::default()
                },
                now(),
            )
            .map_err(error(OP))?;
        Ok(CommitOutput {
            commit: bundle.commit.to_bytes(),
            welcome: bundle.welcome.map(|welcome| welcome.to_bytes()),
        })
    }

    fn merge_pending_commit(&mut self) -> Result<(), Error> {
        const OP: &str = "merge_pending_commit";
        self.group_mut(OP)?
            .merge_pending_commit()
            .map_err(error(OP))
    }

    fn process(&mut self, message: &[u8]) -> Result<Received, Error> {
        const OP: &str = "process";
        let group = self.group_mut(OP)?;
        match group
            .process_message_bytes(&PROVIDER, message, now())
            .map_err(error(OP))?
        {
            ProcessedMessage::Application(message) => Ok(Received::Application(message.data)),
            ProcessedMessage::Proposal(_) | ProcessedMessage::OwnProposal(_) => {
                Ok(Received::Proposal)
            }
            ProcessedMessage::Commit(staged) => {
                group.merge_staged_commit(*staged).map_err(error(OP))?;
                Ok(Received::Commit)
            }
            ProcessedMessage::OwnCommitMerged => Ok(Received::Commit),
        }
    }

    fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        const OP: &str = "send";
        let message = self
            .group_mut(OP)?
            .create_application_message(&PROVIDER, data, &[])
            .map_err(error(OP))?;
        Ok(message.to_bytes())
    }

    fn store_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Result<(), Error> {
        let secret = Secret::from_slice(secret);
        if let Some(group) = &mut self.group {
            group.add_external_psk(id.to_vec(), secret.clone());
        }
        self.external_psks.insert(id.to_vec(), secret);
        Ok(())
    }

    /// The current epoch; 0 before this member is in a group.
    fn epoch(&self) -> u64 {
        self.group.as_ref().map_or(0, Group::epoch)
    }

    /// This member's leaf index; 0 before this member is in a group.
    fn own_leaf_index(&self) -> u32 {
        self.group
            .as_ref()
            .map_or(0, |group| group.own_leaf_index().0)
    }

    /// The members' leaf indices (the tree lists them in ascending order); empty before this
    /// member is in a group.
    fn members(&self) -> Vec<u32> {
        self.group.as_ref().map_or_else(Vec::new, |group| {
            group.members().map(|(leaf, _)| leaf.0).collect()
        })
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self
            .group("epoch_authenticator")?
            .epoch_authenticator()
            .to_vec())
    }

    fn export(&self, label: &str, context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        const OP: &str = "export";
        let secret = self
            .group(OP)?
            .export_secret(&PROVIDER, label.as_bytes(), context, length)
            .map_err(error(OP))?;
        Ok(secret.as_bytes().to_vec())
    }

    fn state_bytes(&self) -> Result<usize, Error> {
        Ok(self.group("state_bytes")?.to_bytes().len())
    }

    fn fork(&self) -> Result<Box<dyn Member>, Error> {
        Ok(Box::new(self.clone()))
    }
}
