//! Message framing (RFC 9420 §6): senders, [`FramedContent`], its authentication
//! ([`FramedContentAuthData`], [`FramedContentTbs`], [`AuthenticatedContentTbm`]), and the two
//! protected forms [`PublicMessage`] and [`PrivateMessage`] with the structures encrypted in and
//! authenticated by the latter (§6.3).

use braid_codec::{codec_enum, codec_struct, Decode, Encode, Error, Reader};
use braid_crypto::CryptoError;

use super::{Commit, Mac, MessageError, Proposal, ProposalRef};
use crate::group_context::{GroupContext, ProtocolVersion};
use crate::suite::Suite;
use crate::tree_math::LeafIndex;

braid_codec::code_point!(
    /// `uint16 WireFormat` (§6; IANA "MLS Wire Formats").
    ///
    /// Open, because [`AuthenticatedContent`] carries it as a plain value; where it selects a
    /// structure ([`MlsMessage`](super::MlsMessage)) unknown values are rejected.
    WireFormat: u16 {
        /// `mls_public_message`.
        PUBLIC_MESSAGE = 0x0001,
        /// `mls_private_message`.
        PRIVATE_MESSAGE = 0x0002,
        /// `mls_welcome`.
        WELCOME = 0x0003,
        /// `mls_group_info`.
        GROUP_INFO = 0x0004,
        /// `mls_key_package`.
        KEY_PACKAGE = 0x0005,
    }
);

/// `ContentType` (`uint8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// `application(1)`.
    Application = 1,
    /// `proposal(2)`.
    Proposal = 2,
    /// `commit(3)`.
    Commit = 3,
}
codec_enum!(ContentType: u8 { Application, Proposal, Commit });

/// `SenderType` (`uint8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SenderType {
    /// `member(1)`.
    Member = 1,
    /// `external(2)`.
    External = 2,
    /// `new_member_proposal(3)`.
    NewMemberProposal = 3,
    /// `new_member_commit(4)`.
    NewMemberCommit = 4,
}
codec_enum!(SenderType: u8 {
    Member,
    External,
    NewMemberProposal,
    NewMemberCommit,
});

impl SenderType {
    /// Whether `FramedContentTBS` covers the GroupContext for this sender (`member` and
    /// `new_member_commit`, §6.1).
    pub fn signs_group_context(self) -> bool {
        matches!(self, Self::Member | Self::NewMemberCommit)
    }
}

/// `Sender`: who sent a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sender {
    /// `member`: the member at `leaf_index`.
    Member(LeafIndex),
    /// `external`: the `sender_index`-th entry of the `external_senders` extension.
    External(u32),
    /// `new_member_proposal`: a client proposing to add itself.
    NewMemberProposal,
    /// `new_member_commit`: a client joining by external commit.
    NewMemberCommit,
}

impl Sender {
    /// The `sender_type`.
    pub fn sender_type(&self) -> SenderType {
        match self {
            Self::Member(_) => SenderType::Member,
            Self::External(_) => SenderType::External,
            Self::NewMemberProposal => SenderType::NewMemberProposal,
            Self::NewMemberCommit => SenderType::NewMemberCommit,
        }
    }
}

impl Encode for Sender {
    fn encode(&self, out: &mut Vec<u8>) {
        self.sender_type().encode(out);
        match self {
            Self::Member(leaf_index) => leaf_index.encode(out),
            Self::External(sender_index) => sender_index.encode(out),
            Self::NewMemberProposal | Self::NewMemberCommit => {}
        }
    }
}

impl Decode for Sender {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match SenderType::decode(reader)? {
            SenderType::Member => Self::Member(LeafIndex::decode(reader)?),
            SenderType::External => Self::External(u32::decode(reader)?),
            SenderType::NewMemberProposal => Self::NewMemberProposal,
            SenderType::NewMemberCommit => Self::NewMemberCommit,
        })
    }
}

/// The content a message carries: the `select (content_type)` of `FramedContent` and
/// `PrivateMessageContent`.
///
/// As a field of [`FramedContent`] it encodes as `ContentType content_type` followed by the
/// selected body; [`PrivateMessageContent`] writes the body alone (its type is in the
/// enclosing [`PrivateMessage`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `application`: `opaque application_data<V>`.
    Application(Vec<u8>),
    /// `proposal`.
    Proposal(Proposal),
    /// `commit`.
    Commit(Commit),
}

impl Content {
    /// The `content_type`.
    pub fn content_type(&self) -> ContentType {
        match self {
            Self::Application(_) => ContentType::Application,
            Self::Proposal(_) => ContentType::Proposal,
            Self::Commit(_) => ContentType::Commit,
        }
    }

    /// Writes the selected body, without the content type.
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Self::Application(data) => data.encode(out),
            Self::Proposal(proposal) => proposal.encode(out),
            Self::Commit(commit) => commit.encode(out),
        }
    }

    /// Reads the body that `content_type` selects.
    fn decode_body(content_type: ContentType, reader: &mut Reader<'_>) -> Result<Self, Error> {
        Ok(match content_type {
            ContentType::Application => Self::Application(Vec::decode(reader)?),
            ContentType::Proposal => Self::Proposal(Proposal::decode(reader)?),
            ContentType::Commit => Self::Commit(Commit::decode(reader)?),
        })
    }
}

impl Encode for Content {
    fn encode(&self, out: &mut Vec<u8>) {
        self.content_type().encode(out);
        self.encode_body(out);
    }
}

impl Decode for Content {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let content_type = ContentType::decode(reader)?;
        Self::decode_body(content_type, reader)
    }
}

/// `FramedContent`: a message's content and its sender, before protection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramedContent {
    /// `group_id`.
    pub group_id: Vec<u8>,
    /// `epoch`.
    pub epoch: u64,
    /// `sender`.
    pub sender: Sender,
    /// `authenticated_data`.
    pub authenticated_data: Vec<u8>,
    /// `content_type` and the content it selects.
    pub content: Content,
}
codec_struct!(FramedContent {
    group_id,
    epoch,
    sender,
    authenticated_data,
    content,
});

impl FramedContent {
    /// The `content_type`.
    pub fn content_type(&self) -> ContentType {
        self.content.content_type()
    }
}

/// `FramedContentAuthData`: the sender's signature and, for commits, the confirmation tag.
///
/// `confirmation_tag` is present exactly when the content type is `commit`; decoding
/// ([`decode_with`](Self::decode_with)) guarantees it, and encoding writes the tag when it is
/// present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramedContentAuthData {
    /// `signature`: `SignWithLabel(., "FramedContentTBS", FramedContentTBS)`.
    pub signature: Vec<u8>,
    /// `confirmation_tag` (commits only).
    pub confirmation_tag: Option<Mac>,
}

impl FramedContentAuthData {
    /// Reads the auth data of content of type `content_type` (which selects whether a
    /// confirmation tag follows the signature).
    pub fn decode_with(reader: &mut Reader<'_>, content_type: ContentType) -> Result<Self, Error> {
        let signature = Vec::decode(reader)?;
        let confirmation_tag = match content_type {
            ContentType::Commit => Some(Mac::decode(reader)?),
            ContentType::Application | ContentType::Proposal => None,
        };
        Ok(Self {
            signature,
            confirmation_tag,
        })
    }
}

impl Encode for FramedContentAuthData {
    fn encode(&self, out: &mut Vec<u8>) {
        self.signature.encode(out);
        if let Some(tag) = &self.confirmation_tag {
            tag.encode(out);
        }
    }
}

/// `AuthenticatedContent`: content with its wire format and authentication, as hashed into
/// `ProposalRef`s and transcript hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedContent {
    /// `wire_format` the content is (or will be) sent with.
    pub wire_format: WireFormat,
    /// `content`.
    pub content: FramedContent,
    /// `auth`.
    pub auth: FramedContentAuthData,
}

impl AuthenticatedContent {
    /// The `FramedContentTBS` that `auth.signature` covers (see [`FramedContentTbs::new`]).
    pub fn tbs<'a>(
        &'a self,
        context: Option<&'a GroupContext>,
    ) -> Result<FramedContentTbs<'a>, MessageError> {
        FramedContentTbs::new(self.wire_format, &self.content, context)
    }

    /// `MakeProposalRef` (§5.2): the reference naming the proposal this content carries, in
    /// the group's cipher `suite`.
    pub fn make_proposal_ref(&self, suite: &Suite<'_>) -> Result<ProposalRef, CryptoError> {
        suite.make_proposal_ref(&self.to_bytes()).map(ProposalRef)
    }
}

impl Encode for AuthenticatedContent {
    fn encode(&self, out: &mut Vec<u8>) {
        self.wire_format.encode(out);
        self.content.encode(out);
        self.auth.encode(out);
    }
}

impl Decode for AuthenticatedContent {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let wire_format = WireFormat::decode(reader)?;
        let content = FramedContent::decode(reader)?;
        let auth = FramedContentAuthData::decode_with(reader, content.content_type())?;
        Ok(Self {
            wire_format,
            content,
            auth,
        })
    }
}

/// `FramedContentTBS`, borrowed: what a message's signature covers.
#[derive(Debug, Clone, Copy)]
pub struct FramedContentTbs<'a> {
    wire_format: WireFormat,
    content: &'a FramedContent,
    /// Present exactly when the sender type signs the GroupContext.
    context: Option<&'a GroupContext>,
}

impl<'a> FramedContentTbs<'a> {
    /// The `FramedContentTBS` of `content` sent as `wire_format`.
    ///
    /// `context` (the GroupContext of the current epoch) is required when the sender is a
    /// `member` or a `new_member_commit`, and ignored for the other senders, whose TBS does
    /// not include it.
    pub fn new(
        wire_format: WireFormat,
        content: &'a FramedContent,
        context: Option<&'a GroupContext>,
    ) -> Result<Self, MessageError> {
        let sender_type = content.sender.sender_type();
        let context = if sender_type.signs_group_context() {
            Some(context.ok_or(MessageError::MissingGroupContext(sender_type))?)
        } else {
            None
        };
        Ok(Self {
            wire_format,
            content,
            context,
        })
    }
}

impl Encode for FramedContentTbs<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        ProtocolVersion::MLS10.encode(out);
        self.wire_format.encode(out);
        self.content.encode(out);
        if let Some(context) = self.context {
            context.encode(out);
        }
    }
}

/// `AuthenticatedContentTBM`, borrowed: what a PublicMessage's `membership_tag` covers.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedContentTbm<'a> {
    /// `content_tbs`.
    pub content_tbs: FramedContentTbs<'a>,
    /// `auth`.
    pub auth: &'a FramedContentAuthData,
}

impl Encode for AuthenticatedContentTbm<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.content_tbs.encode(out);
        self.auth.encode(out);
    }
}

/// `PublicMessage`: signed, unencrypted content.
///
/// `membership_tag` is present exactly when the sender is a `member`; decoding guarantees it
/// and encoding writes the tag when it is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicMessage {
    /// `content`.
    pub content: FramedContent,
    /// `auth`.
    pub auth: FramedContentAuthData,
    /// `membership_tag` (member senders only).
    pub membership_tag: Option<Mac>,
}

impl Encode for PublicMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.content.encode(out);
        self.auth.encode(out);
        if let Some(tag) = &self.membership_tag {
            tag.encode(out);
        }
    }
}

impl Decode for PublicMessage {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let content = FramedContent::decode(reader)?;
        let auth = FramedContentAuthData::decode_with(reader, content.content_type())?;
        let membership_tag = match content.sender {
            Sender::Member(_) => Some(Mac::decode(reader)?),
            Sender::External(_) | Sender::NewMemberProposal | Sender::NewMemberCommit => None,
        };
        Ok(Self {
            content,
            auth,
            membership_tag,
        })
    }
}

/// `PrivateMessage`: encrypted content with encrypted sender data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrivateMessage {
    /// `group_id`.
    pub group_id: Vec<u8>,
    /// `epoch`.
    pub epoch: u64,
    /// `content_type`.
    pub content_type: ContentType,
    /// `authenticated_data`.
    pub authenticated_data: Vec<u8>,
    /// `encrypted_sender_data`: the sealed [`SenderData`].
    pub encrypted_sender_data: Vec<u8>,
    /// `ciphertext`: the sealed [`PrivateMessageContent`].
    pub ciphertext: Vec<u8>,
}
codec_struct!(PrivateMessage {
    group_id,
    epoch,
    content_type,
    authenticated_data,
    encrypted_sender_data,
    ciphertext,
});

impl PrivateMessage {
    /// The `SenderDataAAD` of this message.
    pub fn sender_data_aad(&self) -> SenderDataAad<'_> {
        SenderDataAad {
            group_id: &self.group_id,
            epoch: self.epoch,
            content_type: self.content_type,
        }
    }

    /// The `PrivateContentAAD` of this message.
    pub fn content_aad(&self) -> PrivateContentAad<'_> {
        PrivateContentAad {
            group_id: &self.group_id,
            epoch: self.epoch,
            content_type: self.content_type,
            authenticated_data: &self.authenticated_data,
        }
    }
}

/// `PrivateMessageContent`: the plaintext of a PrivateMessage's `ciphertext`.
///
/// `padding` is the number of zero bytes that follow the auth data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateMessageContent {
    /// The content (its type travels in [`PrivateMessage::content_type`]).
    pub content: Content,
    /// `auth`.
    pub auth: FramedContentAuthData,
    /// `length_of_padding`.
    pub padding: usize,
}

impl PrivateMessageContent {
    /// Decodes a whole plaintext holding content of type `content_type`: the content, the auth
    /// data, then padding that runs to the end and must be all zero (§6.3.1).
    pub fn from_bytes_with(bytes: &[u8], content_type: ContentType) -> Result<Self, Error> {
        let mut reader = Reader::new(bytes);
        let content = Content::decode_body(content_type, &mut reader)?;
        let auth = FramedContentAuthData::decode_with(&mut reader, content_type)?;
        let padding = reader.rest();
        if padding.iter().fold(0, |acc, byte| acc | byte) != 0 {
            return Err(Error::Malformed(
                "PrivateMessageContent padding is not all zero",
            ));
        }
        Ok(Self {
            content,
            auth,
            padding: padding.len(),
        })
    }
}

impl Encode for PrivateMessageContent {
    fn encode(&self, out: &mut Vec<u8>) {
        self.content.encode_body(out);
        self.auth.encode(out);
        out.resize(out.len() + self.padding, 0);
    }
}

/// `SenderData`: who sent a PrivateMessage and with which key generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SenderData {
    /// `leaf_index`.
    pub leaf_index: LeafIndex,
    /// `generation`.
    pub generation: u32,
    /// `reuse_guard`.
    pub reuse_guard: [u8; 4],
}

impl Encode for SenderData {
    fn encode(&self, out: &mut Vec<u8>) {
        self.leaf_index.encode(out);
        self.generation.encode(out);
        out.extend_from_slice(&self.reuse_guard);
    }
}

impl Decode for SenderData {
    fn decode(reader: &mut Reader<'_>) -> Result<Self, Error> {
        let leaf_index = LeafIndex::decode(reader)?;
        let generation = u32::decode(reader)?;
        let mut reuse_guard = [0; 4];
        reuse_guard.copy_from_slice(reader.take(4)?);
        Ok(Self {
            leaf_index,
            generation,
            reuse_guard,
        })
    }
}

/// `SenderDataAAD`, borrowed: the associated data of `encrypted_sender_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderDataAad<'a> {
    /// `group_id`.
    pub group_id: &'a [u8],
    /// `epoch`.
    pub epoch: u64,
    /// `content_type`.
    pub content_type: ContentType,
}

impl Encode for SenderDataAad<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group_id.encode(out);
        self.epoch.encode(out);
        self.content_type.encode(out);
    }
}

/// `PrivateContentAAD`, borrowed: the associated data of a PrivateMessage's `ciphertext`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateContentAad<'a> {
    /// `group_id`.
    pub group_id: &'a [u8],
    /// `epoch`.
    pub epoch: u64,
    /// `content_type`.
    pub content_type: ContentType,
    /// `authenticated_data`.
    pub authenticated_data: &'a [u8],
}

impl Encode for PrivateContentAad<'_> {
    fn encode(&self, out: &mut Vec<u8>) {
        SenderDataAad {
            group_id: self.group_id,
            epoch: self.epoch,
            content_type: self.content_type,
        }
        .encode(out);
        self.authenticated_data.encode(out);
    }
}
