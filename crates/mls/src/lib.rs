//! braid's MLS core: RFC 9420, sans-IO.
//!
//! The modules follow the RFC's structure; each names the section it implements.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod extensions;
pub mod messages;
pub mod tree_math;
pub mod tree;
pub mod suite;
pub mod group_context;
pub mod psk;
pub mod key_schedule;
pub mod secret_tree;
pub mod transcript;
pub mod protection;
pub mod group;
