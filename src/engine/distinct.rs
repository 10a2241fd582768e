//! Distinct sources / destinations per bucket in fixed memory: a HyperLogLog sketch (2^10
//! one-byte registers, about 3 % standard error, linear counting below ~2,500 so small counts
//! are near exact). Sketches merge register by register, which the auto-sized replay series
//! needs when it doubles its buckets; exact sets would grow with the hosts of a scan.

use std::hash::{DefaultHasher, Hash, Hasher};

const P: u32 = 10;
const M: usize = 1 << P;

#[derive(Clone, PartialEq)]
pub struct Distinct {
    registers: Box<[u8; M]>,
    empty: bool,
}

impl Default for Distinct {
    fn default() -> Self {
        Distinct {
            registers: Box::new([0; M]),
            empty: true,
        }
    }
}

impl std::fmt::Debug for Distinct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Distinct(~{})", self.estimate())
    }
}

/// One 64-bit hash per value; SipHash with fixed keys, so counts are reproducible.
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
        let r = &mut self.registers[index];
        *r = (*r).max(rank);
        self.empty = false;
    }

    pub fn merge(&mut self, other: &Distinct) {
        for (a, b) in self.registers.iter_mut().zip(other.registers.iter()) {
            *a = (*a).max(*b);
        }
        self.empty &= other.empty;
    }

    /// Estimated number of distinct values inserted, rounded.
    pub fn estimate(&self) -> u32 {
        if self.empty {
            return 0;
        }
        let m = M as f64;
        let zeros = self.registers.iter().filter(|r| **r == 0).count();
        let raw = {
            let sum: f64 = self
                .registers
                .iter()
                .map(|r| 2f64.powi(-i32::from(*r)))
                .sum();
            let alpha = 0.7213 / (1.0 + 1.079 / m);
            alpha * m * m / sum
        };
        let e = if raw <= 2.5 * m && zeros > 0 {
            m * (m / zeros as f64).ln()
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
        a.merge(&b);
        assert!(within(a.estimate(), 100_000.0), "{}", a.estimate());
    }
}
