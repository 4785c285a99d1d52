//! A small deterministic byte mutator (bit flips, byte changes, insertions, deletions,
//! truncation, duplication of a slice): enough for the replay test to push each seed through
//! a few hundred nearby inputs without libFuzzer.

/// An xorshift64* stream.
#[derive(Debug, Clone)]
pub struct Mutator {
    state: u64,
}

impl Mutator {
    /// A mutator seeded with `seed` (0 is replaced by a fixed non-zero value).
    pub fn new(seed: u64) -> Self {
        Self {
            state: if seed == 0 {
                0x9e37_79b9_7f4a_7c15
            } else {
                seed
            },
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `input` with one to four random edits.
    pub fn mutate(&mut self, input: &[u8]) -> Vec<u8> {
        let mut out = input.to_vec();
        let edits = 1 + self.below(4);
        for _ in 0..edits {
            let len = out.len();
            match self.below(6) {
                0 if len > 0 => {
                    let i = self.below(len);
                    out[i] ^= 1 << self.below(8);
                }
                1 if len > 0 => {
                    let i = self.below(len);
                    out[i] = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xff][self.below(8)];
                }
                2 => {
                    let i = self.below(len + 1);
                    out.insert(i, self.next() as u8);
                }
                3 if len > 0 => {
                    let i = self.below(len);
                    out.remove(i);
                }
                4 if len > 0 => out.truncate(self.below(len)),
                _ if len > 0 => {
                    let start = self.below(len);
                    let end = start + self.below((len - start).min(32)) + 1;
                    let slice = out[start..end.min(len)].to_vec();
                    let at = self.below(len + 1);
                    out.splice(at..at, slice);
                }
                _ => out.push(self.next() as u8),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_and_change_the_input() {
        let input = b"the quick brown fox".to_vec();
        let a: Vec<Vec<u8>> = (0..50)
            .map({
                let mut m = Mutator::new(7);
                move |_| m.mutate(&input)
            })
            .collect();
        let mut m = Mutator::new(7);
        let b: Vec<Vec<u8>> = (0..50).map(|_| m.mutate(b"the quick brown fox")).collect();
        assert_eq!(a, b);
        assert!(
            a.iter()
                .filter(|x| x.as_slice() != b"the quick brown fox")
                .count()
                > 40
        );
    }
}
