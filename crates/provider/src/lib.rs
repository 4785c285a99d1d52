//! Default provider.
