//! The OpenMLS 0.9 adapter (RFC 9420 through OpenMLS's public API), with the
//! `openmls_rust_crypto` provider (RustCrypto primitives and OpenMLS's in-memory storage) and
//! `openmls_basic_credential` signature keys.
//!
//! What an application has to do with OpenMLS, and nothing more:
//!
//! - Handshakes go out per [`MemberConfig::handshake`]; both wire formats are accepted
//!   (`MIXED_*_WIRE_FORMAT_POLICY`). External Commits are always PublicMessages (§12.4.3.2), as
//!   OpenMLS's external commit builder frames them.
//! - Application messages tolerate reordering within a generation window
//!   ([`OUT_OF_ORDER_TOLERANCE`]) through OpenMLS's `SenderRatchetConfiguration` (§9.1).
//! - Whether the Welcome's GroupInfo carries the `ratchet_tree` extension is chosen per Commit
//!   with the commit builder's `use_ratchet_tree_extension`; no extra exported GroupInfo is
//!   created for the Commit (`create_group_info(false)`), since none is asked for.
//! - External PSKs (§8.4) are stored in the provider's storage under their `Psk` (the storage key
//!   OpenMLS looks them up by, without the nonce), and committed as PreSharedKey proposals by
//!   value with a fresh random nonce of `Nh` bytes.
//! - External joins (§12.4.3.2) use `MlsGroup::external_commit_builder`, which verifies the
//!   GroupInfo's signature against the signer's leaf in the ratchet tree, and the tree hash
//!   against the GroupContext, before building the Commit.
//!
//! State: every member owns its provider, so the provider's `MemoryStorage` holds exactly this
//! member's data (its group, its own KeyPackages not yet used, its external PSKs). The signature
//! key pair is kept by the adapter, as OpenMLS leaves signature keys to the application.

use openmls::prelude::tls_codec::{Deserialize as _, Serialize as _};
use openmls::prelude::{
    BasicCredential, Ciphersuite, CredentialWithKey, GroupId, KeyPackage, KeyPackageIn,
    LeafNodeIndex, MlsGroup, MlsGroupJoinConfig, MlsMessageBodyIn, MlsMessageIn,
    PreSharedKeyProposal, ProcessedMessageContent, Proposal, ProtocolVersion, RatchetTreeIn,
    SenderRatchetConfiguration, StagedWelcome, WireFormatPolicy,
    MIXED_CIPHERTEXT_WIRE_FORMAT_POLICY, MIXED_PLAINTEXT_WIRE_FORMAT_POLICY,
};
use openmls::schedule::{ExternalPsk, PreSharedKeyId, Psk};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use openmls_traits::OpenMlsProvider as _;
use std::fmt;

use crate::{
    CommitOutput, CommitRequest, Error, HandshakeWire, Implementation, Member, MemberConfig,
    Received,
};

/// The cipher suites `openmls_rust_crypto` 0.6 supports without its PQ feature
/// (`RustCrypto::supported_ciphersuites`): X25519/AES-128-GCM/Ed25519,
/// P-256/AES-128-GCM/P-256 and X25519/ChaCha20-Poly1305/Ed25519.
pub const SUITES: &[u16] = &[1, 2, 3];

/// How many past generations of a sender's ratchet stay decryptable (out-of-order
/// application messages within an epoch).
pub const OUT_OF_ORDER_TOLERANCE: u32 = 32;

/// How far ahead of a sender's ratchet a message may be (skipped generations).
pub const MAXIMUM_FORWARD_DISTANCE: u32 = 1000;

const IMPL: Implementation = Implementation::OpenMls;

/// A `map_err` adapter naming the failed operation; OpenMLS's errors are shown with `Debug`,
/// which names the nested variants (their `Display` often drops the inner cause).
fn fail<E: fmt::Debug>(operation: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::new(IMPL, operation, format!("{e:?}"))
}

/// Decodes an `MLSMessage` and returns its body.
fn decode_message(bytes: &[u8], operation: &'static str) -> Result<MlsMessageBodyIn, Error> {
    MlsMessageIn::tls_deserialize_exact(bytes)
        .map(MlsMessageIn::extract)
        .map_err(fail(operation))
}

/// Decodes an out-of-band `ratchet_tree` extension value.
fn decode_tree(
    bytes: Option<&[u8]>,
    operation: &'static str,
) -> Result<Option<RatchetTreeIn>, Error> {
    bytes
        .map(|b| RatchetTreeIn::tls_deserialize_exact(b).map_err(fail(operation)))
        .transpose()
}

/// One OpenMLS client holding at most one group.
pub struct OpenMlsMember {
    provider: OpenMlsRustCrypto,
    signer: SignatureKeyPair,
    credential: CredentialWithKey,
    ciphersuite: Ciphersuite,
    join_config: MlsGroupJoinConfig,
    group: Option<MlsGroup>,
}

impl OpenMlsMember {
    /// A new member with a fresh signature key pair of the suite's scheme and a basic credential
    /// holding `config.identity`.
    pub fn new(config: &MemberConfig) -> Result<Self, Error> {
        let ciphersuite = Ciphersuite::try_from(config.suite).map_err(fail("new"))?;
        if !SUITES.contains(&config.suite) {
            return Err(Error::new(
                IMPL,
                "new",
                format!("cipher suite {} is not supported", config.suite),
            ));
        }
        let signer =
            SignatureKeyPair::new(ciphersuite.signature_algorithm()).map_err(fail("new"))?;
        let credential = CredentialWithKey {
            credential: BasicCredential::new(config.identity.clone()).into(),
            signature_key: signer.public().into(),
        };
        let join_config = MlsGroupJoinConfig::builder()
            .wire_format_policy(wire_format_policy(config.handshake))
            .sender_ratchet_configuration(SenderRatchetConfiguration::new(
                OUT_OF_ORDER_TOLERANCE,
                MAXIMUM_FORWARD_DISTANCE,
            ))
            .build();
        Ok(OpenMlsMember {
            provider: OpenMlsRustCrypto::default(),
            signer,
            credential,
            ciphersuite,
            join_config,
            group: None,
        })
    }

    fn group(&self, operation: &'static str) -> Result<&MlsGroup, Error> {
        self.group
            .as_ref()
            .ok_or_else(|| Error::new(IMPL, operation, "not in a group"))
    }
}

/// Outgoing handshakes per `handshake`; incoming handshakes in either format.
fn wire_format_policy(handshake: HandshakeWire) -> WireFormatPolicy {
    match handshake {
        HandshakeWire::Plaintext => MIXED_PLAINTEXT_WIRE_FORMAT_POLICY,
        HandshakeWire::Ciphertext => MIXED_CIPHERTEXT_WIRE_FORMAT_POLICY,
    }
}

/// The group of `group`, or an error naming `operation`.
fn group_mut<'g>(
    group: &'g mut Option<MlsGroup>,
    operation: &'static str,
) -> Result<&'g mut MlsGroup, Error> {
    group
        .as_mut()
        .ok_or_else(|| Error::new(IMPL, operation, "not in a group"))
}

/// Decodes and validates (signatures, lifetime, §10.1) a KeyPackage `MLSMessage`.
fn decode_key_package(provider: &OpenMlsRustCrypto, bytes: &[u8]) -> Result<KeyPackage, Error> {
    const OP: &str = "commit: decode KeyPackage";
    let key_package: KeyPackageIn = match decode_message(bytes, OP)? {
        MlsMessageBodyIn::KeyPackage(key_package) => key_package,
        _ => return Err(Error::new(IMPL, OP, "the MLSMessage is not a KeyPackage")),
    };
    key_package
        .validate(provider.crypto(), ProtocolVersion::Mls10)
        .map_err(fail(OP))
}

impl Member for OpenMlsMember {
    fn implementation(&self) -> Implementation {
        IMPL
    }

    fn key_package(&mut self) -> Result<Vec<u8>, Error> {
        // The builder stores the bundle (with the init and leaf private keys) in the storage,
        // where the Welcome lookup finds it by its KeyPackageRef.
        let bundle = KeyPackage::builder()
            .build(
                self.ciphersuite,
                &self.provider,
                &self.signer,
                self.credential.clone(),
            )
            .map_err(fail("key_package"))?;
        openmls::prelude::MlsMessageOut::from(bundle)
            .tls_serialize_detached()
            .map_err(fail("key_package"))
    }

    fn create_group(&mut self, group_id: &[u8]) -> Result<(), Error> {
        let group = MlsGroup::builder()
            .with_group_id(GroupId::from_slice(group_id))
            .ciphersuite(self.ciphersuite)
            .with_wire_format_policy(self.join_config.wire_format_policy())
            .sender_ratchet_configuration(*self.join_config.sender_ratchet_configuration())
            .build(&self.provider, &self.signer, self.credential.clone())
            .map_err(fail("create_group"))?;
        self.group = Some(group);
        Ok(())
    }

    fn join(&mut self, welcome: &[u8], ratchet_tree: Option<&[u8]>) -> Result<(), Error> {
        const OP: &str = "join";
        let welcome = match decode_message(welcome, OP)? {
            MlsMessageBodyIn::Welcome(welcome) => welcome,
            _ => return Err(Error::new(IMPL, OP, "the MLSMessage is not a Welcome")),
        };
        let ratchet_tree = decode_tree(ratchet_tree, OP)?;
        let group = StagedWelcome::new_from_welcome(
            &self.provider,
            &self.join_config,
            welcome,
            ratchet_tree,
        )
        .map_err(fail(OP))?
        .into_group(&self.provider)
        .map_err(fail(OP))?;
        self.group = Some(group);
        Ok(())
    }

    fn join_external(
        &mut self,
        group_info: &[u8],
        ratchet_tree: Option<&[u8]>,
    ) -> Result<Vec<u8>, Error> {
        const OP: &str = "join_external";
        let group_info = match decode_message(group_info, OP)? {
            MlsMessageBodyIn::GroupInfo(group_info) => group_info,
            _ => return Err(Error::new(IMPL, OP, "the MLSMessage is not a GroupInfo")),
        };
        let mut builder = MlsGroup::external_commit_builder().with_config(self.join_config.clone());
        if let Some(tree) = decode_tree(ratchet_tree, OP)? {
            builder = builder.with_ratchet_tree(tree);
        }
        // `build_group` verifies the GroupInfo signature with the signer's leaf key from the
        // tree and checks the tree hash against the GroupContext; `finalize` merges the Commit.
        let (group, bundle) = builder
            .build_group(&self.provider, group_info, self.credential.clone())
            .map_err(fail(OP))?
            .load_psks(self.provider.storage())
            .map_err(fail(OP))?
            .build(
                self.provider.rand(),
                self.provider.crypto(),
                &self.signer,
                |_| true,
            )
            .map_err(fail(OP))?
            .finalize(&self.provider)
            .map_err(fail(OP))?;
        self.group = Some(group);
        bundle
            .into_commit()
            .tls_serialize_detached()
            .map_err(fail(OP))
    }

    fn group_info(&mut self, with_tree: bool) -> Result<Vec<u8>, Error> {
        const OP: &str = "group_info";
        self.group(OP)?
            .export_group_info(self.provider.crypto(), &self.signer, with_tree)
            .map_err(fail(OP))?
            .tls_serialize_detached()
            .map_err(fail(OP))
    }

    fn ratchet_tree(&self) -> Result<Vec<u8>, Error> {
        const OP: &str = "ratchet_tree";
        self.group(OP)?
            .export_ratchet_tree()
            .tls_serialize_detached()
            .map_err(fail(OP))
    }

    fn commit(&mut self, request: &CommitRequest) -> Result<CommitOutput, Error> {
        const OP: &str = "commit";
        let Self {
            provider,
            signer,
            group,
            ciphersuite,
            ..
        } = self;
        let group = group_mut(group, OP)?;
        let key_packages = request
            .add
            .iter()
            .map(|bytes| decode_key_package(provider, bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let psk_proposals = request
            .external_psks
            .iter()
            .map(|id| {
                let psk = Psk::External(ExternalPsk::new(id.clone()));
                PreSharedKeyId::new(*ciphersuite, provider.rand(), psk)
                    .map(|psk_id| {
                        Proposal::PreSharedKey(Box::new(PreSharedKeyProposal::new(psk_id)))
                    })
                    .map_err(fail(OP))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let bundle = group
            .commit_builder()
            .propose_adds(key_packages)
            .propose_removals(request.remove.iter().copied().map(LeafNodeIndex::new))
            .add_proposals(psk_proposals)
            .force_self_update(request.force_path)
            .load_psks(provider.storage())
            .map_err(fail(OP))?
            // Only the Welcome's GroupInfo is wanted: `use_ratchet_tree_extension(true)` also
            // switches on an exported GroupInfo, which is switched off again.
            .use_ratchet_tree_extension(request.tree_in_welcome)
            .create_group_info(false)
            .build(provider.rand(), provider.crypto(), &*signer, |_| true)
            .map_err(fail(OP))?
            .stage_commit(&*provider)
            .map_err(fail(OP))?;
        let (commit, welcome, _) = bundle.into_messages();
        Ok(CommitOutput {
            commit: commit.tls_serialize_detached().map_err(fail(OP))?,
            welcome: welcome
                .map(|welcome| welcome.tls_serialize_detached())
                .transpose()
                .map_err(fail(OP))?,
        })
    }

    fn merge_pending_commit(&mut self) -> Result<(), Error> {
        const OP: &str = "merge_pending_commit";
        group_mut(&mut self.group, OP)?
            .merge_pending_commit(&self.provider)
            .map_err(fail(OP))
    }

    fn process(&mut self, message: &[u8]) -> Result<Received, Error> {
        const OP: &str = "process";
        let message = MlsMessageIn::tls_deserialize_exact(message)
            .map_err(fail(OP))?
            .try_into_protocol_message()
            .map_err(fail(OP))?;
        let group = group_mut(&mut self.group, OP)?;
        let processed = group
            .process_message(&self.provider, message)
            .map_err(fail(OP))?;
        Ok(match processed.into_content() {
            ProcessedMessageContent::ApplicationMessage(message) => {
                Received::Application(message.into_bytes())
            }
            ProcessedMessageContent::ProposalMessage(proposal)
            | ProcessedMessageContent::ExternalJoinProposalMessage(proposal) => {
                group
                    .store_pending_proposal(self.provider.storage(), *proposal)
                    .map_err(fail(OP))?;
                Received::Proposal
            }
            ProcessedMessageContent::StagedCommitMessage(staged) => {
                group
                    .merge_staged_commit(&self.provider, *staged)
                    .map_err(fail(OP))?;
                Received::Commit
            }
            ProcessedMessageContent::OwnPendingCommit => {
                group
                    .merge_pending_commit(&self.provider)
                    .map_err(fail(OP))?;
                Received::Commit
            }
            ProcessedMessageContent::OwnPrivateMessage => {
                return Err(Error::new(
                    IMPL,
                    OP,
                    "own PrivateMessage echoed back: OpenMLS cannot decrypt it",
                ))
            }
        })
    }

    fn send(&mut self, data: &[u8]) -> Result<Vec<u8>, Error> {
        const OP: &str = "send";
        group_mut(&mut self.group, OP)?
            .create_message(&self.provider, &self.signer, data)
            .map_err(fail(OP))?
            .tls_serialize_detached()
            .map_err(fail(OP))
    }

    fn store_external_psk(&mut self, id: &[u8], secret: &[u8]) -> Result<(), Error> {
        // OpenMLS stores a PSK under its `Psk` (type and ID), not under the nonce, which is
        // chosen afresh for every proposal; the nonce given here is therefore irrelevant.
        PreSharedKeyId::external(id.to_vec(), Vec::new())
            .store(&self.provider, secret)
            .map_err(fail("store_external_psk"))
    }

    fn epoch(&self) -> u64 {
        self.group
            .as_ref()
            .map_or(0, |group| group.epoch().as_u64())
    }

    fn own_leaf_index(&self) -> u32 {
        self.group
            .as_ref()
            .map_or(0, |group| group.own_leaf_index().u32())
    }

    fn members(&self) -> Vec<u32> {
        // OpenMLS lists members in leaf order (`TreeSync::full_leaves`).
        self.group.as_ref().map_or_else(Vec::new, |group| {
            group.members().map(|member| member.index.u32()).collect()
        })
    }

    fn epoch_authenticator(&self) -> Result<Vec<u8>, Error> {
        Ok(self
            .group("epoch_authenticator")?
            .epoch_authenticator()
            .as_slice()
            .to_vec())
    }

    fn export(&self, label: &str, context: &[u8], length: usize) -> Result<Vec<u8>, Error> {
        const OP: &str = "export";
        self.group(OP)?
            .export_secret(self.provider.crypto(), label, context, length)
            .map_err(fail(OP))
    }

    /// The sum of the lengths of all keys and values in this member's `MemoryStorage` (which
    /// holds nothing but this member's data), as OpenMLS wrote them.
    fn state_bytes(&self) -> Result<usize, Error> {
        let values = self
            .provider
            .storage()
            .values
            .read()
            .map_err(fail("state_bytes"))?;
        Ok(values.iter().map(|(k, v)| k.len() + v.len()).sum())
    }

    /// Copies the storage into a fresh provider and loads the group from it, as an application
    /// restoring a persisted client would; the signature key pair is copied through its encoding.
    fn fork(&self) -> Result<Box<dyn Member>, Error> {
        const OP: &str = "fork";
        let provider = OpenMlsRustCrypto::default();
        {
            let source = self.provider.storage().values.read().map_err(fail(OP))?;
            let mut target = provider.storage().values.write().map_err(fail(OP))?;
            target.clone_from(&source);
        }
        let group = self
            .group
            .as_ref()
            .map(|group| {
                MlsGroup::load(provider.storage(), group.group_id())
                    .map_err(fail(OP))?
                    .ok_or_else(|| Error::new(IMPL, OP, "the group is not in the storage"))
            })
            .transpose()?;
        // `SignatureKeyPair` is `Clone` only with a feature flag; its TLS encoding (public API)
        // carries both keys.
        let signer = self
            .signer
            .tls_serialize_detached()
            .and_then(SignatureKeyPair::tls_deserialize_exact)
            .map_err(fail(OP))?;
        Ok(Box::new(OpenMlsMember {
            provider,
            signer,
            credential: self.credential.clone(),
            ciphersuite: self.ciphersuite,
            join_config: self.join_config.clone(),
            group,
        }))
    }
}
