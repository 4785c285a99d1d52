//! `braid state-size`: the bytes one member stores for a group (the group layer's state as
//! [`braid_client::Client`] writes it, RFC 9420 §8–§9 secrets, tree and past epochs included),
//! per member of the group.
//!
//! For each size N, member 0 creates the group and adds N − 1 members in one Commit; one of
//! them joins from the Welcome through its own client. Then member 0 commits three path
//! updates. Reported: the joiner's state right after joining (the current epoch alone) and
//! member 0's after the three Commits, which holds the current epoch and the
//! [`GroupConfig::max_past_epochs`] (default 2) past epochs kept for late messages.

use std::fmt;

use braid_client::Client;
use braid_mls::group::{
    default_lifetime, CommitOptions, CreateOptions, GroupConfig, JoinOptions, KeyPackageBundle,
    KeyPackageOptions, LeafNodeOptions, Signer,
};
use braid_mls::messages::{Add, Credential, MlsMessageBody, Proposal};
use braid_storage::MemoryStore;
use rayon::prelude::*;

use crate::demo::{unix_now, DemoError};

const SUITE: braid_crypto::CipherSuite =
    braid_crypto::CipherSuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519;
static PROVIDER: braid_provider::DefaultProvider = braid_provider::DefaultProvider::new();

/// Path-update Commits member 0 makes before its state is measured.
const COMMITS: usize = 3;

/// The stored state sizes of one group size.
pub struct StateSize {
    /// Members of the group.
    pub members: usize,
    /// A joiner's stored state right after joining, in bytes.
    pub joined: usize,
    /// Member 0's stored state after [`COMMITS`] Commits, in bytes.
    pub steady: usize,
    /// Past epochs that state holds.
    pub past_epochs: u16,
}

impl StateSize {
    /// The table header.
    pub const HEADER: &'static str =
        "| members | after join | per member | after 3 commits (+past epochs) | per member |\n|---:|---:|---:|---:|---:|";
}

impl fmt::Display for StateSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.members;
        write!(
            f,
            "| {n} | {} B | {} B | {} B (+{}) | {} B |",
            self.joined,
            self.joined / n,
            self.steady,
            self.past_epochs,
            self.steady / n
        )
    }
}

/// Measures a group of `members` (at least 2) members.
pub fn measure(members: usize) -> Result<StateSize, DemoError> {
    if members < 2 {
        return Err("state-size needs groups of at least 2 members".into());
    }
    let provider = &PROVIDER;
    let now = unix_now();
    let config = GroupConfig::default();
    let mut creator = Client::new(MemoryStore::new());
    let signer = creator.generate_signer(provider, SUITE, Credential::basic("member 0"))?;
    let mut group = creator.create_group(
        provider,
        config,
        SUITE,
        signer,
        CreateOptions {
            group_id: b"state size".to_vec(),
            extensions: Default::default(),
            leaf: LeafNodeOptions::default(),
            lifetime: default_lifetime(now),
        },
    )?;
    let mut joiner = Client::new(MemoryStore::new());
    let joiner_signer = joiner.generate_signer(provider, SUITE, Credential::basic("joiner"))?;
    let joiner_kp = joiner.create_key_package(
        provider,
        SUITE,
        &joiner_signer,
        &KeyPackageOptions::new(now),
        false,
    )?;
    let mut key_packages: Vec<_> = (2..members)
        .into_par_iter()
        .map(|i| {
            let signer =
                Signer::generate(provider, SUITE, Credential::basic(format!("member {i}")))?;
            KeyPackageBundle::create(provider, SUITE, &signer, &KeyPackageOptions::new(now))
                .map(|b| b.key_package().clone())
        })
        .collect::<Result<_, _>>()?;
    key_packages.push(joiner_kp);
    let proposals = key_packages
        .into_iter()
        .map(|key_package| Proposal::Add(Box::new(Add { key_package })))
        .collect();
    let options = CommitOptions {
        proposals,
        ..CommitOptions::default()
    };
    let bundle = creator.commit(provider, &mut group, options, now)?;
    creator.merge_pending_commit(&mut group)?;
    let Some(MlsMessageBody::Welcome(welcome)) = bundle.welcome.map(|m| m.body) else {
        return Err("a Commit with Adds came without a Welcome".into());
    };
    let joined = joiner.join_from_welcome(provider, config, &welcome, JoinOptions::new(now))?;
    for _ in 0..COMMITS {
        creator.commit(provider, &mut group, CommitOptions::default(), now)?;
        creator.merge_pending_commit(&mut group)?;
    }
    let size = |client: &Client<MemoryStore>, group_id: &[u8]| {
        client
            .stored_state_size(group_id)
            .map(Option::unwrap_or_default)
    };
    Ok(StateSize {
        members,
        joined: size(&joiner, joined.group_id())?,
        steady: size(&creator, group.group_id())?,
        past_epochs: config.max_past_epochs.min(COMMITS as u16),
    })
}
