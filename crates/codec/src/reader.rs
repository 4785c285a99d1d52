use crate::{varint, Error};

/// A cursor over an input byte string. Every read checks the bounds first.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    input: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Self { input }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.input.len()
    }

    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    /// The bytes not read yet, without consuming them.
    pub fn rest(&self) -> &'a [u8] {
        self.input
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.input.len() {
            return Err(Error::UnexpectedEnd {
                needed: n,
                available: self.input.len(),
            });
        }
        let (head, tail) = self.input.split_at(n);
        self.input = tail;
        Ok(head)
    }

    /// Reads a variable-length vector header and returns a reader over the vector's body.
    pub fn vector(&mut self) -> Result<Reader<'a>, Error> {
        let len = varint::read_varint(self)?;
        let len = usize::try_from(len).map_err(|_| Error::VarintTooLarge(len))?;
        Ok(Reader::new(self.take(len)?))
    }

    /// Reads an `opaque v<V>` without copying it.
    pub fn opaque(&mut self) -> Result<&'a [u8], Error> {
        Ok(self.vector()?.input)
    }

    /// Fails unless every byte has been read.
    pub fn finish(&self) -> Result<(), Error> {
        if self.input.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes(self.input.len()))
        }
    }
}
