//! Distinct sources / destinations per bucket in fixed memory: a `HyperLogLog` sketch (2^10
//! one-byte registers, about 3 % standard error, linear counting below ~2,500 so small counts
//! are near exact). Sketches merge register by register, which the auto-sized replay series
//! needs when it doubles its buckets; exact sets would grow with the hosts of a scan.

use std::hash::{DefaultHasher, Hash, Hasher};

const P: u32 = 10;
const M: usize = 1 << P;

/// Fixed point of the register sum: 2^-rank scaled by 2^56 is an integer for every rank (≤ 55).
const ONE: u128 = 1 << 56;

/// The sketch keeps its zero-register count and Σ 2^-rank up to date as registers change, so
/// `estimate` is O(1): the series reads it after every flow it adds.
#[derive(Clone, PartialEq)]
pub struct Distinct {
    registers: Box<[u8; M]>,
    zeros: usize,
    /// Σ 2^-register over all registers, in units of 2^-56 (exact).
    sum: u128,
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct {
            registers: Box::new([0; M]),
            zeros: M,
            sum: M as u128 * ONE,
        }
    }
}

impl std::fmt::Debug for Distinct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Distinct(~{})", self.estimate())
    }
}

/// One 64-bit hash per value; `SipHash` with fixed keys, so counts are reproducible.
fn hash(value: &str) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl Distinct {
    pub fn insert(&mut self, value: &str) {
        let h = hash(value);
        let index = (h >> (64 - P)) as usize;
        // Rank of the first set bit in the remaining 54 bits (a guard bit bounds it).
        let rest = (h << P) | (1 << (P - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        let old = self.registers[index];
        if rank > old {
            self.registers[index] = rank;
            self.zeros -= usize::from(old == 0);
            self.sum = self.sum - (ONE >> old) + (ONE >> rank);
        }
    }

    pub fn merge(&mut self, other: &Distinct) {
        for (a, b) in self.registers.iter_mut().zip(other.registers.iter()) {
            *a = (*a).max(*b);
        }
        (self.zeros, self.sum) = self.recount();
    }

    /// Zero registers and Σ 2^-register counted from the registers themselves.
    fn recount(&self) -> (usize, u128) {
        let zeros = self.registers.iter().filter(|r| **r == 0).count();
        (zeros, self.registers.iter().map(|r| ONE >> r).sum())
    }

    /// Estimated number of distinct values inserted, rounded.
    pub fn estimate(&self) -> u32 {
        if self.zeros == M {
            return 0;
        }
        let m = M as f64;
        let raw = {
            let sum = self.sum as f64 / ONE as f64;
            let alpha = 0.7213 / (1.0 + 1.079 / m);
            alpha * m * m / sum
        };
        let e = if raw <= 2.5 * m && self.zeros > 0 {
            m * (m / self.zeros as f64).ln()
        } else {
            raw
        };
        e.round().max(1.0) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_exact_and_duplicates_do_not_count() {
        let mut d = Distinct::default();
        assert_eq!(d.estimate(), 0);
        for _ in 0..3 {
            for i in 0..20 {
                d.insert(&format!("10.0.0.{i}"));
            }
        }
        assert_eq!(d.estimate(), 20);
    }

    #[test]
    fn large_counts_are_within_a_few_percent_and_merge_as_a_union() {
        let (mut a, mut b) = (Distinct::default(), Distinct::default());
        for i in 0..60_000 {
            a.insert(&format!("192.168.{}.{}", i / 256, i % 256));
        }
        for i in 30_000..100_000 {
            b.insert(&format!("192.168.{}.{}", i / 256, i % 256));
        }
        let within = |got: u32, want: f64| (f64::from(got) - want).abs() / want < 0.08;
        assert!(within(a.estimate(), 60_000.0), "{}", a.estimate());
        assert_eq!(
            (a.zeros, a.sum),
            a.recount(),
            "the running totals match the registers"
        );
        a.merge(&b);
        assert!(within(a.estimate(), 100_000.0), "{}", a.estimate());
    }
}
