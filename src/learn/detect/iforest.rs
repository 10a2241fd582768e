//! Isolation Forest (Liu, Ting & Zhou 2008), as scikit-learn builds it: 100 trees on random
//! subsamples of 256 rows, random feature, split uniform between the node's min and max; the
//! score is 2^(−E[h(x)] / c(ψ)).

use crate::learn::model::Inconsistency;
use ndarray::{Array1, ArrayView2};
use rand::Rng;
use rand::rngs::SmallRng;
use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind, FitError, MIN_TRAIN_ROWS, distance, require_rows, sample};

const TREES: usize = 100;
const SUBSAMPLE: usize = 256;

/// 16 bytes, children side by side: rows with `x[feature] < value` go to `left`, the rest to
/// `left + 1`. A leaf points to itself with threshold `LEAF` (`f64::MAX`: pipeline features are
/// clipped far below it, so no row ever passes), and all rows can take the same number of
/// steps without branching.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Node {
    feature: u32,
    left: u32,
    value: f64,
}

const LEAF: f64 = f64::MAX;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Tree {
    nodes: Vec<Node>,
    /// Per node: for a leaf, its depth plus c(size), the expected depth still needed to
    /// isolate the rows it holds (precomputed: scoring takes no logarithms); 0 for splits.
    path: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IsolationForest {
    trees: Vec<Tree>,
    /// Steps that reach a leaf from the root in every tree.
    max_depth: usize,
    /// c(ψ): the average path length of an unsuccessful BST search over ψ rows.
    norm: f64,
}

/// Average path length of an unsuccessful search in a binary search tree of n nodes.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + 0.577_215_664_901_532_9) - 2.0 * (n - 1.0) / n
        }
    }
}

impl Detector for IsolationForest {
    const KIND: DetectorKind = DetectorKind::Iforest;

    fn fit(x: ArrayView2<f64>, seed: u64) -> Result<Self, FitError> {
        require_rows(x, MIN_TRAIN_ROWS)?;
        let mut rng = sample::rng(seed);
        let psi = SUBSAMPLE.min(x.nrows());
        let max_depth = (psi as f64).log2().ceil() as usize;
        let trees = (0..TREES)
            .map(|_| {
                let mut rows = rand::seq::index::sample(&mut rng, x.nrows(), psi).into_vec();
                let mut tree = Tree {
                    nodes: Vec::with_capacity(2 * psi),
                    path: Vec::with_capacity(2 * psi),
                };
                tree.push_blank();
                grow(x, &mut rows, 0, 0, max_depth, &mut rng, &mut tree);
                tree
            })
            .collect();
        Ok(IsolationForest {
            trees,
            max_depth,
            norm: average_path_length(psi),
        })
    }

    fn score(&self, x: ArrayView2<f64>) -> Array1<f64> {
        let scale = -1.0 / (self.norm * self.trees.len() as f64);
        distance::par_rows(x, |part| {
            distance::by_block(part, |block| {
                let owned;
                let flat = if let Some(f) = block.as_slice() {
                    f
                } else {
                    owned = block.as_standard_layout().into_owned();
                    owned.as_slice().unwrap_or_default()
                };
                let rows: Vec<&[f64]> = flat.chunks(block.ncols().max(1)).collect();
                // Tree by tree over the block: one tree stays in cache for all its rows.
                let mut total = vec![0.0; rows.len()];
                for t in &self.trees {
                    for (acc, rows) in total.chunks_mut(LANES).zip(rows.chunks(LANES)) {
                        t.walk(rows, self.max_depth, acc);
                    }
                }
                total.into_iter().map(|h| 2f64.powf(h * scale)).collect()
            })
        })
    }
}

/// Rows walked through a tree together: their loads overlap instead of waiting on each other.
const LANES: usize = 8;

impl Tree {
    fn push_blank(&mut self) -> usize {
        let me = self.nodes.len();
        self.nodes.push(Node {
            feature: 0,
            left: me as u32,
            value: LEAF,
        });
        self.path.push(0.0);
        me
    }

    /// Adds the path length of each row (at most LANES) to `acc`: every row takes
    /// `max_depth` steps; rows that reached a leaf stay on it.
    fn walk(&self, rows: &[&[f64]], max_depth: usize, acc: &mut [f64]) {
        let mut at = [0usize; LANES];
        for _ in 0..max_depth {
            for (lane, row) in rows.iter().enumerate().take(LANES) {
                let n = self.nodes[at[lane]];
                let right = row.get(n.feature as usize).is_some_and(|&v| v >= n.value);
                at[lane] = n.left as usize + usize::from(right);
            }
        }
        for (a, &i) in acc.iter_mut().zip(&at).take(rows.len()) {
            *a += self.path[i];
        }
    }
}

/// Grows the subtree over `rows` into node `me` (already allocated as a leaf), appending
/// children in pairs.
fn grow(
    x: ArrayView2<f64>,
    rows: &mut [usize],
    me: usize,
    depth: usize,
    max_depth: usize,
    rng: &mut SmallRng,
    tree: &mut Tree,
) {
    tree.path[me] = depth as f64 + average_path_length(rows.len());
    if rows.len() <= 1 || depth >= max_depth {
        return;
    }
    // Like scikit-learn's random splitter: draw features until one is not constant here.
    let d = x.ncols();
    let mut choice = None;
    for _ in 0..d {
        let f = rng.gen_range(0..d);
        let (lo, hi) = rows
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &r| {
                let v = x[[r, f]];
                (lo.min(v), hi.max(v))
            });
        if hi > lo {
            choice = Some((f, lo, hi));
            break;
        }
    }
    let Some((feature, lo, hi)) = choice else {
        return;
    };
    let threshold = rng.gen_range(lo..hi);
    let mut split = 0;
    for i in 0..rows.len() {
        if x[[rows[i], feature]] < threshold {
            rows.swap(i, split);
            split += 1;
        }
    }
    let left = tree.push_blank();
    tree.push_blank();
    tree.nodes[me] = Node {
        feature: feature as u32,
        left: left as u32,
        value: threshold,
    };
    tree.path[me] = 0.0;
    let (l, r) = rows.split_at_mut(split);
    grow(x, l, left, depth + 1, max_depth, rng, tree);
    grow(x, r, left + 1, depth + 1, max_depth, rng, tree);
}

/// One row, the plain way (tests check the lane walk against it).
impl IsolationForest {
    /// A loaded model's consistency: every child after its parent and in range (a walk can
    /// neither leave the tree nor loop), every feature below `d`.
    pub(crate) fn check(&self, d: usize) -> Result<(), Inconsistency> {
        if self.trees.is_empty() || !self.norm.is_finite() || self.norm <= 0.0 {
            return Err(Inconsistency::new(
                "isolation forest: no trees or a bad normaliser",
            ));
        }
        if self.max_depth > 64 {
            return Err(Inconsistency::new(format!(
                "isolation forest: depth {} past 64",
                self.max_depth
            )));
        }
        for (t, tree) in self.trees.iter().enumerate() {
            if tree.nodes.is_empty() || tree.path.len() != tree.nodes.len() {
                return Err(Inconsistency::new(format!(
                    "isolation forest: tree {t} has {} nodes and {} path lengths",
                    tree.nodes.len(),
                    tree.path.len()
                )));
            }
            for (i, n) in tree.nodes.iter().enumerate() {
                let left = n.left as usize;
                let ok = if n.value == LEAF {
                    left == i
                } else {
                    left > i && left + 1 < tree.nodes.len() && (n.feature as usize) < d
                };
                if !ok {
                    return Err(Inconsistency::new(format!(
                        "isolation forest: tree {t} node {i} points out of the tree or at feature {} of {d}",
                        n.feature
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
fn path_length(tree: &Tree, row: ndarray::ArrayView1<f64>) -> f64 {
    let mut i = 0usize;
    loop {
        let n = tree.nodes[i];
        if n.value == LEAF {
            return tree.path[i];
        }
        i = n.left as usize + usize::from(row[n.feature as usize] >= n.value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::detect::testdata;

    #[test]
    fn path_length_normaliser_matches_the_paper() {
        assert_eq!(average_path_length(2), 1.0);
        assert!((average_path_length(256) - 10.244_770_920_116_851).abs() < 1e-9);
    }

    #[test]
    fn planted_outliers_score_highest() {
        testdata::assert_finds_planted_outliers::<IsolationForest>(0.95);
    }

    #[test]
    fn lane_walk_equals_one_row_at_a_time() {
        let (x, _) = testdata::blob_with_outliers();
        let f = IsolationForest::fit(x.view(), 9).expect("fits");
        let flat = x.as_slice().expect("standard layout");
        let rows: Vec<&[f64]> = flat.chunks(x.ncols()).take(11).collect();
        for t in &f.trees {
            let mut acc = vec![0.0; rows.len()];
            for (a, r) in acc.chunks_mut(LANES).zip(rows.chunks(LANES)) {
                t.walk(r, f.max_depth, a);
            }
            for (a, r) in acc.iter().zip(x.rows()) {
                assert_eq!(*a, path_length(t, r));
            }
        }
    }
}
