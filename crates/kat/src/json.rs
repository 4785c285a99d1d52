//! Typed access to the fields of one test case, with errors that name the field.

use serde_json::Value;

/// One test case (a JSON object) of a vector file.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a>(pub &'a Value);

impl<'a> Case<'a> {
    /// The raw JSON value of `field`.
    pub fn get(&self, field: &str) -> Result<&'a Value, String> {
        self.0
            .get(field)
            .ok_or_else(|| format!("missing field `{field}`"))
    }

    /// A hex-string field as bytes.
    pub fn hex(&self, field: &str) -> Result<Vec<u8>, String> {
        decode_hex(self.get(field)?, field)
    }

    /// An optional hex field (absent or `null` gives `None`).
    pub fn opt_hex(&self, field: &str) -> Result<Option<Vec<u8>>, String> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => decode_hex(value, field).map(Some),
        }
    }

    /// An unsigned integer field.
    pub fn u64(&self, field: &str) -> Result<u64, String> {
        self.get(field)?
            .as_u64()
            .ok_or_else(|| format!("field `{field}` is not an unsigned integer"))
    }

    /// A string field.
    pub fn str(&self, field: &str) -> Result<&'a str, String> {
        self.get(field)?
            .as_str()
            .ok_or_else(|| format!("field `{field}` is not a string"))
    }

    /// An array field, each element as a case.
    pub fn array(&self, field: &str) -> Result<Vec<Case<'a>>, String> {
        Ok(self
            .get(field)?
            .as_array()
            .ok_or_else(|| format!("field `{field}` is not an array"))?
            .iter()
            .map(Case)
            .collect())
    }

    /// A nested object as a case.
    pub fn object(&self, field: &str) -> Result<Case<'a>, String> {
        let value = self.get(field)?;
        if value.is_object() {
            Ok(Case(value))
        } else {
            Err(format!("field `{field}` is not an object"))
        }
    }

    /// The `cipher_suite` field.
    pub fn cipher_suite(&self) -> Result<braid_crypto::CipherSuite, String> {
        let value = self.u64("cipher_suite")?;
        u16::try_from(value)
            .map(braid_crypto::CipherSuite)
            .map_err(|_| format!("cipher_suite {value} out of range"))
    }
}

/// Decodes a JSON hex string.
pub fn decode_hex(value: &Value, field: &str) -> Result<Vec<u8>, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("field `{field}` is not a hex string"))?;
    hex::decode(text).map_err(|e| format!("field `{field}` is not valid hex: {e}"))
}

/// Fails with a message naming `what` unless `actual == expected`.
pub fn check_eq<T: PartialEq + std::fmt::Debug>(
    what: &str,
    actual: T,
    expected: T,
) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!("{what}: got {actual:?}, expected {expected:?}"))
    }
}

/// Like [`check_eq`] for byte strings, printed as hex.
pub fn check_bytes(what: &str, actual: &[u8], expected: &[u8]) -> Result<(), String> {
    if actual == expected {
        Ok(())
    } else {
        Err(format!(
            "{what}: got {}, expected {}",
            hex::encode(actual),
            hex::encode(expected)
        ))
    }
}
