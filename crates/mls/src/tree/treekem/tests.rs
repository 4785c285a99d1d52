//! Tests of TreeKEM.
