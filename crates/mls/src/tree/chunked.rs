//! Copy-on-write chunked arrays: the storage of the ratchet tree's node arrays (RFC 9420
//! Appendix C array layout) and of its tree-hash cache (§7.8).
//!
//! A group state is a value, so processing a Commit works on a copy of the tree and the
//! states of past epochs keep theirs. A [`Chunked`] array is a list of reference-counted
//! chunks of [`CHUNK`] rows: copying it copies `len / CHUNK` pointers, and writing a row
//! copies only the chunk holding it, if another array still shares that chunk. A Commit
//! changes one leaf and one direct path, so a copy of the tree and the Commit's changes cost
//! O(CHUNK · log N), and dropping a copy frees only the chunks it no longer shares.

use std::sync::Arc;

/// log2 of the rows per chunk (tiny in unit tests, so that small trees span many chunks).
const CHUNK_BITS: u32 = if cfg!(test) { 2 } else { 6 };
/// Rows per chunk. The nodes of a subtree of `CHUNK` nodes share a chunk, so a direct path
/// spans about `log2(N / CHUNK) + 1` chunks.
pub(super) const CHUNK: usize = 1 << CHUNK_BITS;

/// An array of rows of `row_len` elements each, stored in shared chunks of [`CHUNK`] rows;
/// only the last chunk may be shorter. New rows are filled with the fill value.
#[derive(Clone)]
pub(super) struct Chunked<T> {
    chunks: Vec<Arc<[T]>>,
    rows: usize,
    row_len: usize,
    fill: T,
}

impl<T: Clone> Chunked<T> {
    /// An empty array of rows of `row_len` elements; rows added later hold `fill`.
    pub(super) fn new(row_len: usize, fill: T) -> Self {
        Self {
            chunks: Vec::new(),
            rows: 0,
            row_len,
            fill,
        }
    }

    /// The number of rows.
    pub(super) fn len(&self) -> usize {
        self.rows
    }

    /// The elements of each row.
    pub(super) fn row_len(&self) -> usize {
        self.row_len
    }

    /// Row `i`.
    #[inline]
    pub(super) fn row(&self, i: usize) -> Option<&[T]> {
        let start = (i & (CHUNK - 1)) * self.row_len;
        self.chunks
            .get(i >> CHUNK_BITS)?
            .get(start..start + self.row_len)
    }

    /// Row `i`, writable: its chunk is copied first if another array shares it.
    pub(super) fn row_mut(&mut self, i: usize) -> Option<&mut [T]> {
        let start = (i & (CHUNK - 1)) * self.row_len;
        let chunk = self.chunks.get_mut(i >> CHUNK_BITS)?;
        if chunk.len() < start + self.row_len {
            return None;
        }
        Arc::make_mut(chunk).get_mut(start..start + self.row_len)
    }

    /// The first element of row `i` (the element, for arrays of single-element rows).
    #[inline]
    pub(super) fn get(&self, i: usize) -> Option<&T> {
        self.row(i)?.first()
    }

    /// The first element of row `i`, writable; see [`Chunked::row_mut`].
    pub(super) fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        self.row_mut(i)?.first_mut()
    }

    /// Every element, row by row.
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|chunk| chunk.iter())
    }

    /// Resizes to `rows` rows: rows beyond it are dropped, new rows hold the fill value.
    /// Chunks wholly kept stay shared; only the chunk at the boundary is rebuilt.
    pub(super) fn resize(&mut self, rows: usize) {
        let kept = rows.min(self.rows);
        let whole = kept >> CHUNK_BITS;
        let mut boundary: Vec<T> = match self.chunks.get(whole) {
            Some(chunk) => chunk
                .get(..(kept & (CHUNK - 1)) * self.row_len)
                .unwrap_or_default()
                .to_vec(),
            None => Vec::new(),
        };
        self.chunks.truncate(whole);
        let mut remaining = (rows - (whole << CHUNK_BITS)) * self.row_len;
        while remaining > 0 {
            let chunk_len = remaining.min(CHUNK * self.row_len);
            boundary.resize(chunk_len, self.fill.clone());
            self.chunks.push(Arc::from(std::mem::take(&mut boundary)));
            remaining -= chunk_len;
        }
        self.rows = rows;
    }

    /// Sets every element to the fill value, keeping the length.
    pub(super) fn reset(&mut self) {
        let rows = self.rows;
        self.resize(0);
        self.resize(rows);
    }
}

impl<T: Clone + PartialEq> Chunked<T> {
    /// Whether both arrays hold equal elements, comparing only chunks they do not share.
    pub(super) fn same_elements(&self, other: &Self) -> bool {
        self.rows == other.rows
            && self.row_len == other.row_len
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(array: &Chunked<u32>) -> Vec<u32> {
        array.iter().copied().collect()
    }

    #[test]
    fn resize_keeps_rows_and_fills_new_ones() {
        let mut array = Chunked::new(1, 7u32);
        array.resize(3);
        assert_eq!(contents(&array), [7, 7, 7]);
        *array.get_mut(1).unwrap() = 1;
        array.resize(CHUNK + 2);
        assert_eq!(array.len(), CHUNK + 2);
        assert_eq!(array.get(1), Some(&1));
        assert_eq!(array.get(CHUNK + 1), Some(&7));
        assert_eq!(array.get(CHUNK + 2), None);
        *array.get_mut(CHUNK + 1).unwrap() = 2;
        array.resize(CHUNK + 1);
        array.resize(CHUNK + 2);
        // The dropped row comes back as the fill value.
        assert_eq!(array.get(CHUNK + 1), Some(&7));
        array.resize(1);
        assert_eq!(contents(&array), [7]);
        array.resize(0);
        assert_eq!(array.get(0), None);
        assert_eq!(array.get_mut(0), None);
    }

    #[test]
    fn copies_share_chunks_until_written() {
        let mut array = Chunked::new(1, 0u32);
        array.resize(4 * CHUNK);
        for i in 0..4 * CHUNK {
            *array.get_mut(i).unwrap() = i as u32;
        }
        let mut copy = array.clone();
        *copy.get_mut(CHUNK + 5).unwrap() = 1000;
        assert_eq!(array.get(CHUNK + 5), Some(&(CHUNK as u32 + 5)));
        assert_eq!(copy.get(CHUNK + 5), Some(&1000));
        let shared = array
            .chunks
            .iter()
            .zip(&copy.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(shared, 3);
        assert!(!array.same_elements(&copy));
        *copy.get_mut(CHUNK + 5).unwrap() = CHUNK as u32 + 5;
        assert!(array.same_elements(&copy));
    }

    #[test]
    fn rows_of_several_elements() {
        let mut array = Chunked::new(3, 0u8);
        array.resize(CHUNK + 1);
        array.row_mut(CHUNK).unwrap().copy_from_slice(&[1, 2, 3]);
        array.row_mut(2).unwrap()[2] = 9;
        assert_eq!(array.row(CHUNK), Some(&[1, 2, 3][..]));
        assert_eq!(array.row(2), Some(&[0, 0, 9][..]));
        assert_eq!(array.row(CHUNK + 1), None);
        assert_eq!(array.iter().count(), 3 * (CHUNK + 1));
        array.reset();
        assert!(array.iter().all(|&b| b == 0));
        assert_eq!(array.row_len(), 3);
    }
}
