//! One CART classification tree grown on binned features: Gini impurity, a random subset of
//! features per node (scikit-learn draws until it has examined that many non-constant ones),
//! grown until leaves are pure, as scikit-learn's `RandomForestClassifier` does by default.

use rand::Rng;
use rand::rngs::SmallRng;

use super::bins::{Binned, MAX_BINS};

/// Marks a leaf in `Node::feature`.
pub const LEAF: u32 = u32::MAX;
const MAX_DEPTH: usize = 64;

/// Preorder layout: the left child of an inner node is the next node. For a leaf, `right` is
/// the offset of its class distribution in the tree's leaf table.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Node {
    pub threshold: f32,
    pub feature: u32,
    pub right: u32,
}

pub struct Grown {
    pub nodes: Vec<Node>,
    /// `classes` weighted class fractions per leaf.
    pub leaves: Vec<f32>,
    /// Weighted impurity decrease per feature (unnormalised).
    pub importance: Vec<f64>,
}

pub struct Grower<'a> {
    pub data: &'a Binned,
    pub y: &'a [u32],
    /// Per row: bootstrap count × class weight; rows with weight 0 are out of the bag.
    pub weight: &'a [f32],
    pub classes: usize,
    /// Features examined per node.
    pub mtry: usize,
}

struct State<'g> {
    g: &'g Grower<'g>,
    rng: SmallRng,
    nodes: Vec<Node>,
    leaves: Vec<f32>,
    importance: Vec<f64>,
    hist: Vec<f64>,
    features: Vec<usize>,
}

impl Grower<'_> {
    pub fn grow(&self, rows: &mut [u32], rng: SmallRng) -> Grown {
        let features = self.data.cuts.len();
        let mut s = State {
            g: self,
            rng,
            nodes: Vec::new(),
            leaves: Vec::new(),
            importance: vec![0.0; features],
            hist: vec![0.0; (MAX_BINS + 1) * self.classes],
            features: (0..features).collect(),
        };
        s.grow(rows, 0);
        Grown {
            nodes: s.nodes,
            leaves: s.leaves,
            importance: s.importance,
        }
    }
}

struct Split {
    feature: usize,
    bin: usize,
    gain: f64,
}

impl State<'_> {
    fn grow(&mut self, rows: &mut [u32], depth: usize) -> u32 {
        let k = self.g.classes;
        let mut totals = vec![0.0f64; k];
        for &r in rows.iter() {
            totals[self.g.y[r as usize] as usize] += f64::from(self.g.weight[r as usize]);
        }
        let id = self.nodes.len() as u32;
        let pure = totals.iter().filter(|&&t| t > 0.0).count() <= 1;
        let split = if pure || rows.len() < 2 || depth >= MAX_DEPTH {
            None
        } else {
            self.best_split(rows, &totals)
        };
        let Some(split) = split else {
            self.leaf(&totals);
            return id;
        };
        self.importance[split.feature] += split.gain;
        let codes = self.g.data.column(split.feature);
        let mid = partition(rows, |r| codes[r as usize] as usize <= split.bin);
        self.nodes.push(Node {
            threshold: self.g.data.cuts[split.feature][split.bin],
            feature: split.feature as u32,
            right: 0,
        });
        let (left, right) = rows.split_at_mut(mid);
        self.grow(left, depth + 1);
        let r = self.grow(right, depth + 1);
        self.nodes[id as usize].right = r;
        id
    }

    fn leaf(&mut self, totals: &[f64]) {
        let sum: f64 = totals.iter().sum();
        self.nodes.push(Node {
            threshold: 0.0,
            feature: LEAF,
            right: self.leaves.len() as u32,
        });
        self.leaves.extend(
            totals
                .iter()
                .map(|&t| (t / sum.max(f64::MIN_POSITIVE)) as f32),
        );
    }

    /// The split with the largest weighted Gini decrease among `mtry` non-constant features.
    fn best_split(&mut self, rows: &[u32], totals: &[f64]) -> Option<Split> {
        let k = self.g.classes;
        let total: f64 = totals.iter().sum();
        let parent = totals.iter().map(|t| t * t).sum::<f64>() / total;
        let mut best: Option<Split> = None;
        let mut examined = 0;
        let n_features = self.features.len();
        let mut drawn = 0;
        while examined < self.g.mtry && drawn < n_features {
            let j = self.rng.gen_range(drawn..n_features);
            self.features.swap(drawn, j);
            let f = self.features[drawn];
            drawn += 1;
            let codes = self.g.data.column(f);
            let bins = self.g.data.cuts[f].len() + 1;
            let hist = &mut self.hist[..bins * k];
            hist.fill(0.0);
            for &r in rows {
                let r = r as usize;
                hist[codes[r] as usize * k + self.g.y[r] as usize] += f64::from(self.g.weight[r]);
            }
            let occupied = hist
                .chunks(k)
                .filter(|c| c.iter().any(|&w| w > 0.0))
                .count();
            if occupied < 2 {
                continue;
            }
            examined += 1;
            let mut left = vec![0.0; k];
            let mut left_w = 0.0;
            for b in 0..bins - 1 {
                let h = &hist[b * k..(b + 1) * k];
                let w: f64 = h.iter().sum();
                if w == 0.0 {
                    continue;
                }
                for (l, &v) in left.iter_mut().zip(h) {
                    *l += v;
                }
                left_w += w;
                let right_w = total - left_w;
                if right_w <= total * 1e-12 {
                    break;
                }
                let (mut sl, mut sr) = (0.0, 0.0);
                for (l, t) in left.iter().zip(totals) {
                    sl += l * l;
                    sr += (t - l) * (t - l);
                }
                // Weighted Gini decrease = Σl²/W_l + Σr²/W_r − Σt²/W.
                let gain = sl / left_w + sr / right_w - parent;
                if gain > 1e-12 * total && best.as_ref().is_none_or(|s| gain > s.gain) {
                    best = Some(Split {
                        feature: f,
                        bin: b,
                        gain,
                    });
                }
            }
        }
        best
    }
}

/// Moves rows for which `left` holds to the front; returns how many there are.
fn partition(rows: &mut [u32], left: impl Fn(u32) -> bool) -> usize {
    let mut mid = 0;
    for i in 0..rows.len() {
        if left(rows[i]) {
            rows.swap(mid, i);
            mid += 1;
        }
    }
    mid
}
