//! Reservoir sample (Vitter's algorithm R) biased to recent flows: the training window keeps
//! a uniform sample of everything seen, bounded in memory. To follow drift, `decay` restarts
//! the count so older flows are replaced faster after each refit.

use rand::Rng;
use rand::rngs::SmallRng;

pub struct Reservoir<T> {
    items: Vec<T>,
    capacity: usize,
    seen: u64,
    rng: SmallRng,
}

impl<T: Clone> Reservoir<T> {
    pub fn new(capacity: usize, seed: u64) -> Self {
        Reservoir {
            items: Vec::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
            seen: 0,
            rng: crate::learn::sample::rng(seed),
        }
    }

    pub fn push(&mut self, item: T) {
        self.offer(|| item);
    }

    /// Counts one more item and builds it with `make` only if the sample keeps it, so callers
    /// can copy just the survivors (see `Engine::ingest`).
    pub fn offer(&mut self, make: impl FnOnce() -> T) {
        self.seen += 1;
        if self.items.len() < self.capacity {
            self.items.push(make());
            return;
        }
        let j = self.rng.gen_range(0..self.seen);
        if let Some(slot) = self.items.get_mut(j as usize) {
            *slot = make();
        }
    }

    /// Counts the current contents as if just seen, so new flows replace old ones at a rate of
    /// about half per window length instead of ever more slowly.
    pub fn decay(&mut self) {
        self.seen = self.items.len() as u64;
    }

    pub fn items(&self) -> &[T] {
        &self.items
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_samples_the_whole_stream() {
        let mut r = Reservoir::new(1000, 1);
        for i in 0..100_000u32 {
            r.push(i);
        }
        assert_eq!(r.len(), 1000);
        let late = r.items().iter().filter(|&&v| v >= 50_000).count();
        assert!(
            (400..600).contains(&late),
            "{late} of 1000 from the second half"
        );
    }
}
