//! Application messages (§15): out-of-order delivery within the configured window, replays,
//! late messages of retained past epochs, and padding.

mod common;

use braid_mls::group::{CommitOptions, GroupConfig, GroupError, ProcessedMessage};
use braid_mls::messages::MlsMessageBody;
use braid_mls::secret_tree::{SecretTreeConfig, SecretTreeError};
use common::*;

fn data(message: ProcessedMessage) -> Vec<u8> {
    match message {
        ProcessedMessage::Application(app) => app.data,
        other => panic!("{other:?}"),
    }
}

#[test]
fn out_of_order_within_the_window_and_replays() {
    let config = GroupConfig {
        secret_tree: SecretTreeConfig {
            max_forward_distance: 5,
            max_skipped_keys: 3,
        },
        ..GroupConfig::default()
    };
    let (_, mut groups) = group_of(2, GroupConfig::default());
    for group in &mut groups {
        group.set_config(config);
    }
    // The window applies from the next epoch.
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    let messages: Vec<_> = (0..8u8)
        .map(|i| {
            groups[0]
                .create_application_message(provider(), &[i], b"")
                .unwrap()
        })
        .collect();
    let receiver = &mut groups[1];
    assert_eq!(
        data(
            receiver
                .process_message(provider(), messages[4].clone(), NOW)
                .unwrap()
        ),
        [4]
    );
    assert_eq!(
        data(
            receiver
                .process_message(provider(), messages[2].clone(), NOW)
                .unwrap()
        ),
        [2]
    );
    // Generation 0 fell out of the three kept skipped keys.
    let error = assert_rejected(receiver, messages[0].clone());
    assert!(
        matches!(
            error,
            GroupError::Protection(_)
                | GroupError::SecretTree(SecretTreeError::GenerationConsumed { .. })
        ),
        "{error}"
    );
    assert_eq!(
        data(
            receiver
                .process_message(provider(), messages[3].clone(), NOW)
                .unwrap()
        ),
        [3]
    );
    // A replay is rejected and changes nothing.
    assert_rejected(receiver, messages[3].clone());
    assert_eq!(
        data(
            receiver
                .process_message(provider(), messages[7].clone(), NOW)
                .unwrap()
        ),
        [7]
    );

    // Beyond the forward distance.
    let far: Vec<_> = (0..7u8)
        .map(|i| {
            groups[0]
                .create_application_message(provider(), &[i], b"")
                .unwrap()
        })
        .collect();
    let error = assert_rejected(&mut groups[1], far[6].clone());
    assert!(format!("{error}").contains("ahead"), "{error}");
    assert_eq!(
        data(
            groups[1]
                .process_message(provider(), far[5].clone(), NOW)
                .unwrap()
        ),
        [5]
    );
}

#[test]
fn late_messages_of_past_epochs() {
    let config = GroupConfig {
        max_past_epochs: 1,
        ..GroupConfig::default()
    };
    let (_, mut groups) = group_of(3, config);
    let early = groups[2]
        .create_application_message(provider(), b"epoch 1", b"")
        .unwrap();
    let early2 = groups[2]
        .create_application_message(provider(), b"epoch 1 again", b"")
        .unwrap();
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    match groups[1].process_message(provider(), early, NOW).unwrap() {
        ProcessedMessage::Application(app) => {
            assert_eq!(app.epoch, 1);
            assert_eq!(app.data, b"epoch 1");
        }
        other => panic!("{other:?}"),
    }
    // Two epochs later, epoch 1 is no longer kept.
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    let error = assert_rejected(&mut groups[1], early2);
    assert!(
        matches!(
            error,
            GroupError::WrongEpoch {
                message: 1,
                current: 3
            }
        ),
        "{error}"
    );

    // Without past epochs, a message of the previous epoch is rejected at once.
    let (_, mut groups) = group_of(
        2,
        GroupConfig {
            max_past_epochs: 0,
            ..GroupConfig::default()
        },
    );
    let early = groups[1]
        .create_application_message(provider(), b"x", b"")
        .unwrap();
    let bundle = groups[0]
        .commit(provider(), CommitOptions::default(), NOW)
        .unwrap();
    deliver_commit(&mut groups, 0, &bundle.commit);
    assert!(matches!(
        assert_rejected(&mut groups[0], early),
        GroupError::WrongEpoch { .. }
    ));
}

#[test]
fn padding_hides_the_length() {
    let config = GroupConfig {
        padding_block: 64,
        ..GroupConfig::default()
    };
    let (_, mut groups) = group_of(2, config);
    let lengths: Vec<usize> = [&b"a"[..], &[7u8; 20][..]]
        .iter()
        .map(|data| {
            let message = groups[0]
                .create_application_message(provider(), data, b"")
                .unwrap();
            let MlsMessageBody::PrivateMessage(private) = &message.body else {
                panic!()
            };
            let length = private.ciphertext.len();
            assert_eq!(
                data.to_vec(),
                match groups[1].process_message(provider(), message, NOW).unwrap() {
                    ProcessedMessage::Application(app) => app.data,
                    other => panic!("{other:?}"),
                }
            );
            length
        })
        .collect();
    assert_eq!(lengths[0], lengths[1]);
}
