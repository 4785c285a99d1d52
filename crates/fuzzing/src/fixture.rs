//! The live group the processing targets run against, built once per process and the same in
//! every run (see [`DeterministicProvider`]).
//!
//! Four members `m0`…`m3` of one group (suite 0x0001) whose GroupContext names one external
//! sender, two epochs in (creation with three Adds, then an UpdatePath from `m1`), with an
//! Update of `m2` and an external PSK proposal of `m1` stored by every member. Relative to
//! that state the fixture holds real messages of every kind (RFC 9420 §6, §12): application
//! messages; proposals from members, the external sender and a new member; Commits by value
//! and by reference, with and without an UpdatePath, with Adds, Removes, a GroupContext
//! extensions change and a ReInit, as PublicMessages and PrivateMessages; an external Commit;
//! and a Welcome with its decrypted GroupSecrets and GroupInfo. Every member state is the one
//! *before* any of these messages is received.

use std::sync::OnceLock;

use braid_codec::Encode;
use braid_crypto::{CipherSuite, CryptoProvider, Secret, SignatureScheme};
use braid_mls::extensions::{Extension, ExtensionType, Extensions};
use braid_mls::group::{
    decrypt_group_info, decrypt_group_secrets, default_lifetime, external_proposal,
    new_member_proposal, CommitOptions, CreateOptions, ExternalJoinOptions, Group, GroupConfig,
    GroupError, GroupInfoOptions, HandshakeFormat, JoinOptions, KeyPackageBundle,
    KeyPackageOptions, LeafNodeOptions, ProcessedMessage, PskStore, Signer,
};
use braid_mls::group_context::ProtocolVersion;
use braid_mls::key_schedule::JoinerSecret;
use braid_mls::messages::{
    Add, Credential, ExternalSender, FramedContent, GroupContextExtensions, GroupInfo,
    GroupSecrets, KeyPackage, Mac, MlsMessage, MlsMessageBody, Proposal, ReInit,
    RequiredCapabilities, Welcome,
};
use braid_mls::psk::{psk_secret, ExternalPsk, Psk};
use braid_mls::suite::Suite;
use braid_mls::tree_math::LeafIndex;

use crate::provider::DeterministicProvider;

/// The cipher suite of the fixture.
pub const SUITE: CipherSuite = CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
/// The clock of every operation (2023-11-14).
pub const NOW: u64 = 1_700_000_000;
/// The group id.
pub const GROUP_ID: &[u8] = b"braid fuzz group";
/// The id of the external PSK every member holds.
pub const PSK_ID: &[u8] = b"braid fuzz psk";
/// The seed of the provider the fixture is built with.
const FIXTURE_SEED: u64 = 0x6272_6169_645f_6678;
/// The seed of the provider each fuzz input is processed with.
pub const RUN_SEED: u64 = 0x0072_756e;

/// A signing identity whose private key the fixture knows, so that targets can re-sign
/// mutated structures with it.
#[derive(Debug, Clone)]
pub struct KnownSigner {
    /// The signer.
    pub signer: Signer,
    /// Its private key.
    pub private_key: Secret,
}

/// A real message and where it came from.
#[derive(Debug, Clone)]
pub struct SeedMessage {
    /// What it is.
    pub label: &'static str,
    /// The message.
    pub message: MlsMessage,
    /// The signed content and confirmation tag, when it is a PublicMessage.
    pub content: Option<(FramedContent, Option<Mac>)>,
}

/// The fixture; see the module documentation.
#[derive(Debug)]
pub struct Fixture {
    /// The members `m0`…`m3`, at leaves 0…3.
    pub members: Vec<Group>,
    /// `Group::to_bytes` of each member.
    pub member_bytes: Vec<Vec<u8>>,
    /// The signers of the members, then of the external sender, the new member proposing
    /// itself, the external joiner and the Welcome's joiner.
    pub signers: Vec<KnownSigner>,
    /// The PSKs every member holds.
    pub psks: PskStore,
    /// Messages to the group, relative to the members' states.
    pub messages: Vec<SeedMessage>,
    /// The joiner a Welcome adds, with the KeyPackage the Welcome was made for.
    pub joiner: (KnownSigner, KeyPackageBundle),
    /// That Welcome.
    pub welcome: Welcome,
    /// Its GroupSecrets for the joiner.
    pub group_secrets: GroupSecrets,
    /// Its GroupInfo.
    pub group_info: GroupInfo,
    /// KeyPackages of the fixture's clients.
    pub key_packages: Vec<KeyPackage>,
}

/// The index in [`Fixture::signers`] of the external sender.
pub const EXTERNAL_SENDER: usize = 4;
/// The index in [`Fixture::signers`] of the client sending a `new_member_proposal`.
pub const NEW_MEMBER: usize = 5;
/// The index in [`Fixture::signers`] of the client joining by external Commit.
pub const EXTERNAL_JOINER: usize = 6;

/// The fixture of this process, built on first use.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| match Fixture::build() {
        Ok(fixture) => fixture,
        Err(error) => panic!("the fuzz fixture cannot be built: {error}"),
    })
}

/// A signer with a known private key.
fn known_signer(provider: &dyn CryptoProvider, name: &str) -> Result<KnownSigner, GroupError> {
    let pair = provider.signature_generate(SignatureScheme::ED25519)?;
    let signer = Signer::from_private_key(
        provider,
        SUITE,
        Credential::basic(name.as_bytes()),
        pair.private_key.clone(),
    )?;
    Ok(KnownSigner {
        signer,
        private_key: pair.private_key,
    })
}

fn key_package(
    provider: &dyn CryptoProvider,
    signer: &KnownSigner,
) -> Result<KeyPackageBundle, GroupError> {
    KeyPackageBundle::create(
        provider,
        SUITE,
        &signer.signer,
        &KeyPackageOptions::new(NOW),
    )
}

fn add(bundle: &KeyPackageBundle) -> Proposal {
    Proposal::Add(Box::new(Add {
        key_package: bundle.key_package().clone(),
    }))
}

fn welcome_of(message: Option<MlsMessage>) -> Result<Welcome, GroupError> {
    match message.map(|m| m.body) {
        Some(MlsMessageBody::Welcome(welcome)) => Ok(welcome),
        _ => Err(GroupError::NotAGroupMessage(
            braid_mls::messages::WireFormat::WELCOME,
        )),
    }
}

/// Delivers `message` to every member but `sender`, merging Commits.
fn deliver(
    provider: &dyn CryptoProvider,
    members: &mut [Group],
    sender: usize,
    message: &MlsMessage,
) -> Result<(), GroupError> {
    for (i, member) in members.iter_mut().enumerate() {
        if i == sender {
            continue;
        }
        if let ProcessedMessage::Commit(staged) =
            member.process_message(provider, message.clone(), NOW)?
        {
            member.merge_staged_commit(*staged)?;
        }
    }
    Ok(())
}

impl Fixture {
    /// The signer whose public key is `signature_key`.
    pub fn signer_for(&self, signature_key: &[u8]) -> Option<&KnownSigner> {
        self.signers
            .iter()
            .find(|s| s.signer.signature_key().as_slice() == signature_key)
    }

    fn build() -> Result<Self, GroupError> {
        let provider = DeterministicProvider::new(FIXTURE_SEED);
        let provider: &dyn CryptoProvider = &provider;
        let names = [
            "m0",
            "m1",
            "m2",
            "m3",
            "external sender",
            "new member",
            "external joiner",
            "joiner",
        ];
        let signers = names
            .iter()
            .map(|name| known_signer(provider, name))
            .collect::<Result<Vec<_>, _>>()?;
        let signer = |i: usize| signers[i].signer.clone();
        let config = GroupConfig {
            outgoing_handshake: HandshakeFormat::PublicMessage,
            ..GroupConfig::default()
        };
        let external_senders = vec![ExternalSender {
            signature_key: signers[EXTERNAL_SENDER].signer.signature_key().clone(),
            credential: signers[EXTERNAL_SENDER].signer.credential().clone(),
        }];
        let mut extensions = Extensions::new();
        extensions.set(Extension {
            extension_type: ExtensionType::EXTERNAL_SENDERS,
            extension_data: external_senders.to_bytes(),
        });
        let mut creator = Group::create(
            provider,
            config,
            SUITE,
            signer(0),
            CreateOptions {
                group_id: GROUP_ID.to_vec(),
                extensions: extensions.clone(),
                leaf: LeafNodeOptions::default(),
                lifetime: default_lifetime(NOW),
            },
        )?;
        let bundles = (1..4)
            .map(|i| key_package(provider, &signers[i]))
            .collect::<Result<Vec<_>, _>>()?;
        let bundle = creator.commit(
            provider,
            CommitOptions {
                proposals: bundles.iter().map(add).collect(),
                ..CommitOptions::default()
            },
            NOW,
        )?;
        creator.merge_pending_commit()?;
        let welcome = welcome_of(bundle.welcome)?;
        let mut members = vec![creator];
        for (i, bundle) in bundles.iter().enumerate() {
            members.push(Group::join_from_welcome(
                provider,
                config,
                &welcome,
                bundle,
                signer(i + 1),
                JoinOptions::new(NOW),
            )?);
        }
        // An UpdatePath from m1 fills more parent nodes.
        let commit = members[1].commit(provider, CommitOptions::default(), NOW)?;
        members[1].merge_pending_commit()?;
        deliver(provider, &mut members, 1, &commit.commit)?;

        let mut psks = PskStore::new();
        let psk = Secret::new(vec![0x5a; 32]);
        psks.insert_external(PSK_ID, psk.clone());
        for member in &mut members {
            member.add_external_psk(PSK_ID, psk.clone());
        }

        let mut messages = Vec::new();
        let mut seed = |label, message: MlsMessage| {
            let content = match &message.body {
                MlsMessageBody::PublicMessage(public) => {
                    Some((public.content.clone(), public.auth.confirmation_tag.clone()))
                }
                _ => None,
            };
            messages.push(SeedMessage {
                label,
                message,
                content,
            });
        };

        // Application messages, before any proposal is pending.
        seed(
            "application from m0",
            members[0].create_application_message(provider, b"hello", b"aad")?,
        );
        seed(
            "application from m2",
            members[2].create_application_message(provider, &[7; 100], b"")?,
        );

        // Proposals every member stores, so Commits can reference them.
        let update = members[2].propose_update(provider, None)?;
        deliver(provider, &mut members, 2, &update)?;
        let psk_proposal = members[1].propose_psk(
            provider,
            Psk::External(ExternalPsk {
                psk_id: PSK_ID.to_vec(),
            }),
        )?;
        deliver(provider, &mut members, 1, &psk_proposal)?;
        let stored = [update.clone(), psk_proposal.clone()];
        seed("update proposal from m2 (stored)", update);
        seed("psk proposal from m1 (stored)", psk_proposal);

        // Proposals nobody received.
        let mut private = config;
        private.outgoing_handshake = HandshakeFormat::PrivateMessage;
        members[3].set_config(private);
        let remove = members[3].propose_remove(provider, LeafIndex(1))?;
        members[3].set_config(config);
        members[3].clear_pending_proposals();
        // Clearing also dropped what m3 had stored: store those again.
        for message in stored {
            members[3].process_message(provider, message, NOW)?;
        }
        seed("remove proposal from m3 (private)", remove);
        let epoch = members[0].epoch();
        let outsider_kp = key_package(provider, &signers[NEW_MEMBER])?;
        seed(
            "add proposal from the external sender",
            external_proposal(
                provider,
                SUITE,
                GROUP_ID,
                epoch,
                &signers[EXTERNAL_SENDER].signer,
                0,
                add(&outsider_kp),
            )?,
        );
        seed(
            "new member proposal",
            new_member_proposal(
                provider,
                GROUP_ID,
                epoch,
                &signers[NEW_MEMBER].signer,
                outsider_kp.key_package().clone(),
            )?,
        );

        // Commits by m0, each made from the same state and abandoned.
        let joiner_bundle = key_package(provider, &signers[7])?;
        let commit = |members: &mut Vec<Group>,
                      format: HandshakeFormat,
                      options: CommitOptions|
         -> Result<_, GroupError> {
            members[0].set_config(GroupConfig {
                outgoing_handshake: format,
                ..config
            });
            let bundle = members[0].commit(provider, options, NOW);
            members[0].set_config(config);
            members[0].clear_pending_commit();
            bundle
        };
        let by_value = |proposals| CommitOptions {
            proposals,
            include_pending: false,
            ..CommitOptions::default()
        };
        let pending = commit(
            &mut members,
            HandshakeFormat::PublicMessage,
            CommitOptions::default(),
        )?;
        seed("commit of the stored proposals", pending.commit);
        let pending = commit(
            &mut members,
            HandshakeFormat::PrivateMessage,
            CommitOptions::default(),
        )?;
        seed("commit of the stored proposals (private)", pending.commit);
        let adds = commit(
            &mut members,
            HandshakeFormat::PublicMessage,
            by_value(vec![
                add(&joiner_bundle),
                Proposal::Remove(braid_mls::messages::Remove {
                    removed: LeafIndex(3),
                }),
            ]),
        )?;
        seed("commit adding the joiner and removing m3", adds.commit);
        let welcome = welcome_of(adds.welcome)?;
        let required = RequiredCapabilities {
            extension_types: vec![],
            proposal_types: vec![],
            credential_types: vec![],
        };
        let mut new_extensions = extensions.clone();
        new_extensions.set(Extension {
            extension_type: ExtensionType::REQUIRED_CAPABILITIES,
            extension_data: required.to_bytes(),
        });
        let gce = commit(
            &mut members,
            HandshakeFormat::PublicMessage,
            by_value(vec![Proposal::GroupContextExtensions(
                GroupContextExtensions {
                    extensions: new_extensions,
                },
            )]),
        )?;
        seed("commit of group context extensions", gce.commit);
        let no_path = commit(
            &mut members,
            HandshakeFormat::PublicMessage,
            CommitOptions {
                force_path: false,
                ..by_value(vec![add(&key_package(provider, &signers[NEW_MEMBER])?)])
            },
        )?;
        seed("commit of an add without path", no_path.commit);
        let reinit = commit(
            &mut members,
            HandshakeFormat::PrivateMessage,
            by_value(vec![Proposal::ReInit(ReInit {
                group_id: b"braid fuzz reinit".to_vec(),
                version: ProtocolVersion::MLS10,
                cipher_suite: SUITE,
                extensions: Extensions::new(),
            })]),
        )?;
        seed("commit of a reinit (private)", reinit.commit);
        let empty = commit(
            &mut members,
            HandshakeFormat::PublicMessage,
            by_value(vec![]),
        )?;
        seed("empty commit with path", empty.commit);

        // An external Commit.
        let group_info = match members[0]
            .group_info(
                provider,
                GroupInfoOptions {
                    ratchet_tree: true,
                    external_pub: true,
                },
            )?
            .body
        {
            MlsMessageBody::GroupInfo(group_info) => group_info,
            other => return Err(GroupError::NotAGroupMessage(other.wire_format())),
        };
        let (_, external_commit) = Group::join_by_external_commit(
            provider,
            config,
            &group_info,
            signers[EXTERNAL_JOINER].signer.clone(),
            ExternalJoinOptions::new(NOW),
        )?;
        seed("external commit", external_commit);

        // The Welcome of the joiner, opened.
        let suite = Suite::new(provider, SUITE)?;
        let group_secrets = decrypt_group_secrets(
            &suite,
            &welcome,
            joiner_bundle.key_package(),
            joiner_bundle.init_private_key(),
        )?;
        let psk_values = group_secrets
            .psks
            .iter()
            .map(|id| {
                psks.get(&id.psk)
                    .map(|value| (id, value.as_bytes()))
                    .ok_or_else(|| GroupError::MissingPsk(Box::new(id.clone())))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let joiner_secret = JoinerSecret::new(
            &suite,
            group_secrets.joiner_secret.clone(),
            psk_secret(&suite, psk_values)?.as_bytes(),
        )?;
        let welcome_group_info = decrypt_group_info(&suite, &welcome, &joiner_secret)?;

        let member_bytes = members.iter().map(Group::to_bytes).collect();
        let key_packages = bundles
            .iter()
            .chain([&joiner_bundle, &outsider_kp])
            .map(|b| b.key_package().clone())
            .collect();
        let joiner = (signers[7].clone(), joiner_bundle);
        Ok(Self {
            members,
            member_bytes,
            signers,
            psks,
            messages,
            joiner,
            welcome,
            group_secrets,
            group_info: welcome_group_info,
            key_packages,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_is_the_same_in_every_build() {
        let a = Fixture::build().unwrap();
        let b = Fixture::build().unwrap();
        assert_eq!(a.member_bytes, b.member_bytes);
        let encode = |f: &Fixture| -> Vec<Vec<u8>> {
            f.messages.iter().map(|m| m.message.to_bytes()).collect()
        };
        assert_eq!(encode(&a), encode(&b));
        assert_eq!(a.welcome, b.welcome);
    }
}
