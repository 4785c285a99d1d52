//! braid's MLS core: RFC 9420, sans-IO.
//!
//! The modules follow the RFC's structure; each names the section it implements.
#![forbid(unsafe_code)]

pub mod extensions;
