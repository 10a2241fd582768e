//! SMOTE (Chawla et al. 2002): every class smaller than the largest is topped up with
//! synthetic rows, each on the segment between a real row of the class and one of its k
//! nearest neighbours in the same class. Seeded. (imbalanced-sampling would bring a third
//! ndarray version; this is the whole algorithm on the detectors' k-NN search.)

use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;

use crate::learn::{distance, sample};

pub const K_NEIGHBOURS: usize = 5;

/// Returns the rows and labels with synthetic rows appended; classes with a single row are
/// duplicated instead (there is no neighbour to interpolate towards).
pub fn oversample(
    x: ArrayView2<f64>,
    y: &[u32],
    classes: usize,
    seed: u64,
) -> (Array2<f64>, Vec<u32>) {
    let mut rng = sample::rng(seed ^ 0x5307e);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &c) in y.iter().enumerate() {
        by_class[c as usize].push(i);
    }
    let target = by_class.iter().map(Vec::len).max().unwrap_or(0);
    let mut rows: Vec<f64> = x.as_standard_layout().iter().copied().collect();
    let mut labels = y.to_vec();
    let d = x.ncols();
    for (c, members) in by_class.iter().enumerate() {
        if members.is_empty() || members.len() >= target {
            continue;
        }
        let need = target - members.len();
        let own = x.select(Axis(0), members);
        let norms = distance::sq_norms(own.view());
        // k + 1: the row itself is its own nearest neighbour.
        let k = (K_NEIGHBOURS + 1).min(members.len());
        let bases: Vec<usize> = (0..need).map(|_| rng.gen_range(0..members.len())).collect();
        let mut unique = bases.clone();
        unique.sort_unstable();
        unique.dedup();
        let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
        for chunk in unique.chunks(256) {
            let block = own.select(Axis(0), chunk);
            for (&b, found) in chunk.iter().zip(distance::k_nearest(
                block.view(),
                own.view(),
                norms.view(),
                k,
            )) {
                neighbours[b] = found
                    .into_iter()
                    .map(|(_, j)| j as usize)
                    .filter(|&j| j != b)
                    .collect();
            }
        }
        for b in bases {
            let base = own.row(b);
            let gap: f64 = rng.r#gen();
            match neighbours[b].as_slice() {
                [] => rows.extend(base.iter().copied()),
                ns => {
                    let other = own.row(ns[rng.gen_range(0..ns.len())]);
                    rows.extend(
                        base.iter()
                            .zip(other.iter())
                            .map(|(a, o)| a + gap * (o - a)),
                    );
                }
            }
            labels.push(c as u32);
        }
    }
    let n = labels.len();
    let out = Array2::from_shape_vec((n, d), rows).unwrap_or_else(|_| x.to_owned());
    (out, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minority_classes_are_topped_up_inside_their_own_hull() {
        // Class 0: 100 rows near the origin; class 1: 10 rows near (10, 10).
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..100 {
            rows.extend([f64::from(i % 10) * 0.1, f64::from(i / 10) * 0.1]);
            y.push(0);
        }
        for i in 0..10 {
            rows.extend([10.0 + f64::from(i) * 0.1, 10.0 - f64::from(i) * 0.1]);
            y.push(1);
        }
        let x = Array2::from_shape_vec((110, 2), rows).expect("shape");
        let (xs, ys) = oversample(x.view(), &y, 2, 7);
        assert_eq!(ys.iter().filter(|&&c| c == 1).count(), 100);
        assert_eq!(xs.nrows(), 200);
        for (row, &c) in xs.rows().into_iter().zip(&ys).skip(110) {
            assert_eq!(c, 1);
            assert!(
                (10.0..=10.9).contains(&row[0]) && (9.1..=10.0).contains(&row[1]),
                "{row}"
            );
            assert!(
                (row[0] + row[1] - 20.0).abs() < 1e-9,
                "off the segment: {row}"
            );
        }
        let (_, again) = oversample(x.view(), &y, 2, 7);
        assert_eq!(again, ys);
    }
}
