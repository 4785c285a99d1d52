//! braid's MLS core: RFC 9420, sans-IO.
//!
//! The modules follow the RFC's structure; each names the section it implements.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod extensions;
pub mod group;
pub mod group_context;
pub mod key_schedule;
pub mod messages;
pub mod protection;
pub mod psk;
pub mod secret_tree;
pub mod suite;
pub mod transcript;
pub mod tree;
pub mod tree_math;
