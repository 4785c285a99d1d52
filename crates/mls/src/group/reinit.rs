//! Resuming a group in a new one (RFC 9420 §11.2 reinitialization, §11.3 subgroup branching,
//! §8.6 resumption PSKs): the new group is created with its first Commit adding the members'
//! fresh KeyPackages and injecting the old group's `resumption_psk` with usage `reinit` or
//! `branch`; its members join from the Welcome with the old group at hand
//! ([`JoinOptions::resumed_from`](super::JoinOptions::resumed_from)), which checks §11.2 /
//! §11.3.

use braid_crypto::{CipherSuite, CryptoProvider};

use super::commit::CommitBundle;
use super::config::GroupConfig;
use super::create::CreateOptions;
use super::key_package::LeafNodeOptions;
use super::proposals::{CommittedProposal, ResumptionMode, ValidationParams};
use super::{Group, GroupError, Signer, ValidatedKeyPackage};
use crate::extensions::Extensions;
use crate::messages::{Add, Lifetime, MlsMessage, PreSharedKey, Proposal, ProposalOrRef, Sender};
use crate::psk::{PreSharedKeyId, Psk, ResumptionPsk, ResumptionPskUsage};

/// This member's part in the new group of a ReInit or branch.
#[derive(Debug, Clone)]
pub struct ResumeOptions {
    /// This member's signing identity in the new group (its cipher suite may differ after a
    /// ReInit).
    pub signer: Signer,
    /// The new group's policy.
    pub config: GroupConfig,
    /// This member's leaf capabilities and extensions.
    pub leaf: LeafNodeOptions,
    /// This member's leaf lifetime.
    pub lifetime: Lifetime,
    /// The time the KeyPackages' lifetimes are checked against.
    pub now: u64,
}

impl Group {
    /// Creates the group that a merged ReInit asked for (§11.2): its group id, version,
    /// cipher suite and extensions, with the members of `key_packages` (the other members'
    /// new KeyPackages) and a `reinit` resumption PSK of this group's current epoch.
    /// Returns the new group (in epoch 1) and the Welcome for the other members.
    pub fn reinit(
        &self,
        provider: &dyn CryptoProvider,
        key_packages: Vec<ValidatedKeyPackage>,
        options: ResumeOptions,
    ) -> Result<(Group, MlsMessage), GroupError> {
        let reinit = self
            .pending_reinit()
            .ok_or(GroupError::InvalidResumption(
                "no reinit was committed in this group",
            ))?
            .clone();
        self.resume(
            provider,
            ResumptionPskUsage::Reinit,
            reinit.cipher_suite,
            reinit.group_id,
            reinit.extensions,
            key_packages,
            options,
        )
    }

    /// Branches a subgroup off this group (§11.3): a new group `group_id` with the same
    /// version and cipher suite, the members of `key_packages`, and a `branch` resumption PSK
    /// of the current epoch. Returns the new group (in epoch 1) and the Welcome.
    pub fn branch(
        &self,
        provider: &dyn CryptoProvider,
        group_id: Vec<u8>,
        extensions: Extensions,
        key_packages: Vec<ValidatedKeyPackage>,
        options: ResumeOptions,
    ) -> Result<(Group, MlsMessage), GroupError> {
        self.check_active()?;
        self.resume(
            provider,
            ResumptionPskUsage::Branch,
            self.cipher_suite(),
            group_id,
            extensions,
            key_packages,
            options,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn resume(
        &self,
        provider: &dyn CryptoProvider,
        usage: ResumptionPskUsage,
        cipher_suite: CipherSuite,
        group_id: Vec<u8>,
        extensions: Extensions,
        key_packages: Vec<ValidatedKeyPackage>,
        options: ResumeOptions,
    ) -> Result<(Group, MlsMessage), GroupError> {
        let ResumeOptions {
            signer,
            config,
            leaf,
            lifetime,
            now,
        } = options;
        let mut group = Group::create(
            provider,
            config,
            cipher_suite,
            signer,
            CreateOptions {
                group_id,
                extensions,
                leaf,
                lifetime,
            },
        )?;
        let psk_epoch = self.epoch();
        let resumption_psk = self
            .resumption_psk(psk_epoch)
            .ok_or(GroupError::InvalidResumption("the resumption psk is gone"))?
            .clone();
        group.add_resumption_psk(self.group_id(), psk_epoch, resumption_psk);
        let suite = group.suite(provider)?;
        let psk = PreSharedKeyId::new(
            &suite,
            Psk::Resumption(ResumptionPsk {
                usage,
                psk_group_id: self.group_id().to_vec(),
                psk_epoch,
            }),
        )?;
        let mut proposals: Vec<Proposal> = key_packages
            .into_iter()
            .map(|kp| {
                Proposal::Add(Box::new(Add {
                    key_package: kp.into_key_package(),
                }))
            })
            .collect();
        proposals.push(Proposal::PreSharedKey(PreSharedKey { psk }));
        let sender = Sender::Member(group.own_leaf_index());
        let committed = proposals
            .iter()
            .map(|proposal| CommittedProposal {
                proposal: proposal.clone(),
                sender,
                reference: None,
            })
            .collect();
        let list = proposals.into_iter().map(ProposalOrRef::Proposal).collect();
        let params = ValidationParams {
            now: Some(now),
            max_lifetime: group.config.max_lifetime,
            resumption: ResumptionMode::Resuming(usage),
        };
        let CommitBundle { welcome, .. } =
            group.build_commit(&suite, list, committed, &params, true, None, Vec::new())?;
        group.merge_pending_commit()?;
        // The old group's secret was only needed for this Commit.
        group.psks.remove_resumption(self.group_id(), psk_epoch);
        let welcome = welcome.ok_or(GroupError::InvalidResumption(
            "a resumed group needs members",
        ))?;
        Ok((group, welcome))
    }
}
