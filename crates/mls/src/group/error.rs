//! Errors of the group layer (RFC 9420 §10–§12, §15).
//!
//! [`GroupError`] says which input was wrong and how; [`ProposalError`] names the rule of
//! §12.1 / §12.2 that a proposal or a proposal list breaks; [`StateError`] covers stored group
//! states that cannot be read back.

use braid_crypto::{CipherSuite, CryptoError};

use crate::extensions::ExtensionType;
use crate::group_context::ProtocolVersion;
use crate::messages::{
    ContentType, KeyPackageRef, MessageError, ProposalRef, ProposalType, Sender, WireFormat,
};
use crate::protection::ProtectionError;
use crate::psk::{PreSharedKeyId, PskError};
use crate::secret_tree::SecretTreeError;
use crate::tree::treekem::TreeKemError;
use crate::tree::{LeafNodeError, TreeError};
use crate::tree_math::LeafIndex;

/// Why a group operation failed or an incoming message, Welcome or GroupInfo was rejected.
///
/// Whatever the variant, the group the operation ran on is left exactly as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// A cryptographic primitive failed.
    #[error("crypto: {0}")]
    Crypto(#[from] CryptoError),
    /// A structure inside a message or state does not decode.
    #[error("malformed encoding: {0}")]
    Codec(#[from] braid_codec::Error),
    /// A to-be-signed encoding could not be built.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// Message protection (signature, membership tag, encryption) failed (§6).
    #[error("message protection: {0}")]
    Protection(#[from] ProtectionError),
    /// The secret tree has no key for a message (§9).
    #[error("secret tree: {0}")]
    SecretTree(#[from] SecretTreeError),
    /// The ratchet tree rejected an operation or failed validation (§7).
    #[error("ratchet tree: {0}")]
    Tree(#[from] TreeError),
    /// Creating or applying an UpdatePath failed (§7.5, §7.6).
    #[error("update path: {0}")]
    TreeKem(#[from] TreeKemError),
    /// The PSK secret could not be computed (§8.4).
    #[error("psk: {0}")]
    Psk(#[from] PskError),
    /// A proposal, or the list of proposals of a Commit, breaks a rule of §12.1 or §12.2.
    #[error("proposal {index:?}: {error}")]
    InvalidProposal {
        /// The position of the proposal in the Commit's list (`None` for a proposal received
        /// on its own, or a rule about the list as a whole).
        index: Option<usize>,
        /// The rule it breaks.
        error: ProposalError,
    },
    /// A KeyPackage is invalid (§10.1).
    #[error("key package: {0}")]
    InvalidKeyPackage(#[from] KeyPackageError),
    /// The cipher suite is not implemented by braid or the provider.
    #[error("cipher suite {0:?} is not supported")]
    UnsupportedCipherSuite(CipherSuite),
    /// A message carries a protocol version other than `mls10`.
    #[error("protocol version {0:?} is not supported")]
    UnsupportedVersion(ProtocolVersion),
    /// `process_message` was given a message that is not a PublicMessage or PrivateMessage.
    #[error("wire format {0:?} is not a group message")]
    NotAGroupMessage(WireFormat),
    /// The message belongs to another group.
    #[error("message is for another group")]
    WrongGroup,
    /// The message's epoch is neither the current one nor a retained past epoch (or is a past
    /// epoch for content that must be current).
    #[error("message epoch {message} does not match the group's epoch {current}")]
    WrongEpoch {
        /// The epoch of the message.
        message: u64,
        /// The group's current epoch.
        current: u64,
    },
    /// The handshake message uses a wire format the group's policy does not accept.
    #[error(
        "{content_type:?} sent as {wire_format:?} is not allowed by the group's wire-format policy"
    )]
    WireFormatNotAllowed {
        /// The wire format of the message.
        wire_format: WireFormat,
        /// The message's content type.
        content_type: ContentType,
    },
    /// The sender of a message is not allowed to send this content (§6: `external`,
    /// `new_member_proposal` and `new_member_commit` senders are restricted).
    #[error("sender {sender:?} cannot send this {content_type:?} message")]
    SenderNotAllowed {
        /// The sender.
        sender: Sender,
        /// The content type.
        content_type: ContentType,
    },
    /// The message's sender leaf is blank or outside the tree.
    #[error("sender leaf {0:?} is not a member")]
    UnknownMember(LeafIndex),
    /// An `external` sender index is not in the `external_senders` extension.
    #[error("external sender {0} is not in the group's external_senders")]
    UnknownExternalSender(u32),
    /// A commit names a proposal by a reference the group has not seen this epoch.
    #[error("commit references unknown proposal {0:?}")]
    UnknownProposal(ProposalRef),
    /// The Commit has no UpdatePath although its proposals require one (§12.4).
    #[error("commit has no path but its proposals require one")]
    PathRequired,
    /// The Commit's confirmation tag does not match (§8.2, §12.4.2).
    #[error("confirmation tag does not verify")]
    BadConfirmationTag,
    /// A commit claims to come from this member's own leaf but is not its pending commit.
    #[error("commit from this member's own leaf is not its pending commit")]
    CommitFromSelf,
    /// The Welcome has no `EncryptedGroupSecrets` for the given KeyPackage.
    #[error("welcome holds no secrets for key package {0:?}")]
    NotInvited(KeyPackageRef),
    /// The Welcome, GroupInfo or KeyPackage cipher suites disagree.
    #[error("cipher suite {found:?} does not match {expected:?}")]
    CipherSuiteMismatch {
        /// The cipher suite required.
        expected: CipherSuite,
        /// The cipher suite found.
        found: CipherSuite,
    },
    /// Neither the GroupInfo's `ratchet_tree` extension nor the caller supplied a tree.
    #[error("no ratchet tree: not in the GroupInfo and none supplied")]
    MissingRatchetTree,
    /// The GroupInfo's signer is blank, or its signature does not verify (§12.4.3).
    #[error("GroupInfo signature from leaf {0:?} does not verify")]
    BadGroupInfoSignature(LeafIndex),
    /// The joiner's KeyPackage leaf is not in the tree of the Welcome (§12.4.3.1).
    #[error("the key package's leaf node is not in the group's tree")]
    OwnLeafNotFound,
    /// The joiner does not support a GroupContext extension (§13.4).
    #[error("group context extension {0:?} is not supported")]
    UnsupportedGroupExtension(ExtensionType),
    /// A GroupContext or GroupInfo extension has a malformed body.
    #[error("extension {0:?} has a malformed body")]
    MalformedExtension(ExtensionType),
    /// A GroupInfo lacks the `external_pub` extension needed for an external commit.
    #[error("group info has no external_pub extension")]
    MissingExternalPub,
    /// A PSK is not available (§8.4, §12.4.2, §12.4.3.1).
    #[error("pre-shared key {0:?} is not available")]
    MissingPsk(Box<PreSharedKeyId>),
    /// A Welcome that resumes a group (ReInit or branch) does not satisfy §11.2 / §11.3 /
    /// §12.4.3.1.
    #[error("resumption check failed: {0}")]
    InvalidResumption(&'static str),
    /// The group is no longer usable: this member was removed, or a ReInit closed it.
    #[error("the group is inactive ({0})")]
    Inactive(&'static str),
    /// A commit of this member is already waiting for the delivery service's confirmation.
    #[error("a commit is already pending")]
    PendingCommitExists,
    /// There is no pending commit to merge.
    #[error("no commit is pending")]
    NoPendingCommit,
    /// A staged commit no longer applies: the group moved to another epoch since.
    #[error("staged commit was made for epoch {staged}, the group is in epoch {current}")]
    StaleStagedCommit {
        /// The epoch the commit was staged for.
        staged: u64,
        /// The group's current epoch.
        current: u64,
    },
    /// Application data cannot be sent while valid proposals of the epoch are uncommitted
    /// (§12.4).
    #[error("proposals are pending: commit them before sending application data")]
    PendingProposals,
    /// A leaf index outside the tree or blank, as an argument.
    #[error("leaf {0:?} is not a member of the group")]
    NotAMember(LeafIndex),
    /// A stored group state cannot be read.
    #[error("stored state: {0}")]
    State(#[from] StateError),
    /// An encoded message is larger than the group's
    /// [`max_message_size`](super::GroupConfig::max_message_size); it was not decoded.
    #[error("message of {size} bytes exceeds the limit of {max}")]
    MessageTooLarge {
        /// The message's size in bytes.
        size: usize,
        /// The configured limit.
        max: u32,
    },
    /// The group already stores
    /// [`max_pending_proposals`](super::GroupConfig::max_pending_proposals) proposals; a
    /// Commit must clear them before more are accepted.
    #[error("{max} proposals are pending already")]
    TooManyProposals {
        /// The configured limit.
        max: u16,
    },
}

/// The rules of §12.1 (single proposals) and §12.2 (proposal lists) a Commit or proposal can
/// break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposalError {
    /// An Add's KeyPackage is invalid (§12.1.1).
    #[error("add: {0}")]
    InvalidKeyPackage(KeyPackageError),
    /// An Update's leaf node is invalid (§12.1.2, §7.3).
    #[error("update: {0}")]
    InvalidUpdate(LeafNodeError),
    /// The leaf an Update or Remove applies to is blank or outside the tree.
    #[error("leaf {0:?} is not a member")]
    NotAMember(LeafIndex),
    /// An Update was sent by a non-member.
    #[error("update from a sender that is not a member")]
    UpdateFromNonMember,
    /// A non-external Commit contains an Update generated by the committer.
    #[error("commit contains an update from the committer")]
    UpdateFromCommitter,
    /// A non-external Commit removes the committer.
    #[error("commit removes the committer")]
    RemovesCommitter,
    /// Two Update and/or Remove proposals apply to the same leaf.
    #[error("several updates or removes apply to leaf {0:?}")]
    DuplicateLeafChange(LeafIndex),
    /// Two PreSharedKey proposals name the same PSK.
    #[error("the same pre-shared key is proposed twice")]
    DuplicatePsk,
    /// A PreSharedKey's `psk_nonce` is not `KDF.Nh` bytes long.
    #[error("psk_nonce of {found} bytes, {expected} required")]
    BadPskNonce {
        /// `KDF.Nh`.
        expected: usize,
        /// The nonce length found.
        found: usize,
    },
    /// A resumption PSK with usage `reinit` or `branch` outside a ReInit or branch.
    #[error("resumption psk with usage reinit or branch cannot be proposed")]
    RestrictedResumptionPsk,
    /// More than one GroupContextExtensions proposal.
    #[error("several group_context_extensions proposals")]
    MultipleGroupContextExtensions,
    /// A ReInit together with other proposals.
    #[error("reinit must be the only proposal")]
    ReInitNotAlone,
    /// A ReInit with a version lower than the group's.
    #[error("reinit to version {0:?}, lower than the group's")]
    ReInitVersionDowngrade(ProtocolVersion),
    /// An ExternalInit outside an external Commit, or an external Commit without exactly one.
    #[error("external_init is allowed only as the single external_init of an external commit")]
    MisplacedExternalInit,
    /// A proposal type an external Commit may not contain, or a second Remove in one.
    #[error("an external commit cannot contain {0:?} (or more than one remove)")]
    NotAllowedInExternalCommit(ProposalType),
    /// An external Commit includes proposals by reference.
    #[error("an external commit cannot include proposals by reference")]
    ReferenceInExternalCommit,
    /// A GroupContextExtensions proposal names an extension, or requires a capability, that a
    /// member does not support.
    #[error("member {leaf:?} does not support extension or capability {extension:?}")]
    UnsupportedByMember {
        /// The member lacking support.
        leaf: LeafIndex,
        /// The extension type (or the `required_capabilities` extension for other
        /// requirements).
        extension: ExtensionType,
    },
    /// An extension in a GroupContextExtensions proposal has a malformed body.
    #[error("extension {0:?} has a malformed body")]
    MalformedExtension(ExtensionType),
    /// The proposal type cannot be sent by this kind of sender (§12.1.8), or at all on its
    /// own (ExternalInit).
    #[error("proposal type {0:?} cannot be sent by this sender")]
    SenderNotAllowed(ProposalType),
    /// The ratchet tree rejected the proposal's change.
    #[error("tree: {0}")]
    Tree(TreeError),
}

/// Why a KeyPackage is invalid (RFC 9420 §10.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyPackageError {
    /// The KeyPackage's version is not the group's (or not `mls10`).
    #[error("version {0:?} is not the group's")]
    WrongVersion(ProtocolVersion),
    /// The KeyPackage's cipher suite is not the group's.
    #[error("cipher suite {0:?} is not the group's")]
    WrongCipherSuite(CipherSuite),
    /// The KeyPackage's leaf node is invalid (§7.3).
    #[error("leaf node: {0}")]
    InvalidLeafNode(LeafNodeError),
    /// The signature over `KeyPackageTBS` does not verify.
    #[error("signature over KeyPackageTBS does not verify")]
    BadSignature,
    /// `init_key` equals `leaf_node.encryption_key`.
    #[error("init_key equals the leaf's encryption_key")]
    InitKeyReused,
    /// The leaf does not support a GroupContext extension of the group.
    #[error("group context extension {0:?} is not supported by the leaf")]
    UnsupportedGroupExtension(ExtensionType),
}

/// Why a stored group state cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The bytes do not start with braid's group-state magic.
    #[error("not a braid group state")]
    BadMagic,
    /// The state was written by a format version this build does not read.
    #[error("state format version {0} is not supported")]
    UnsupportedVersion(u16),
    /// A required field is missing.
    #[error("state field {0} is missing")]
    MissingField(u16),
    /// A field is present twice.
    #[error("state field {0} appears twice")]
    DuplicateField(u16),
    /// A field's content is inconsistent with the rest of the state.
    #[error("state is inconsistent: {0}")]
    Inconsistent(&'static str),
}
