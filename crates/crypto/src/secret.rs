use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret bytes: zeroized on drop, never printed, compared in constant time (`==` too).
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

/// Constant-time: `==` on secrets must not leak where two values first differ.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other.as_bytes())
    }
}

impl Eq for Secret {}

impl Secret {
    /// Wraps `bytes`, taking ownership so no other copy stays behind.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A copy of `bytes` as a secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// `len` zero bytes (the all-zero vector RFC 9420 uses as a default secret).
    pub fn zero(len: usize) -> Self {
        Self::new(vec![0; len])
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality with `other` (lengths are not secret).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        self.0.len() == other.len() && bool::from(self.0.as_slice().ct_eq(other))
    }
}

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<redacted, {} bytes>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_compares_length_and_bytes() {
        let a = Secret::from_slice(&[1, 2, 3]);
        assert_eq!(a, Secret::new(vec![1, 2, 3]));
        assert_ne!(a, Secret::from_slice(&[1, 2, 4]));
        assert_ne!(a, Secret::from_slice(&[1, 2]));
        assert_eq!(Secret::default(), Secret::zero(0));
        assert!(a.ct_eq(&[1, 2, 3]) && !a.ct_eq(&[1, 2, 3, 4]));
    }
}
