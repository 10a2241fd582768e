//! RBF-kernel expansions from linfa-svm's solutions, shared by the one-class SVM detector and
//! the SVM classifier. linfa keeps its support vectors private, so a model keeps the training
//! rows with non-zero dual weights and evaluates Σ αᵢ K(xᵢ, x) itself with one GEMM per block.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::distance;

/// γ as scikit-learn's `gamma="scale"`: 1 / (d · Var(X)); `None` when all rows are identical.
pub fn gamma_scale(x: &Array2<f64>) -> Option<f64> {
    let var = x.var(0.0);
    (var > 0.0 && var.is_finite()).then(|| 1.0 / (x.ncols() as f64 * var))
}

/// The rows of `train` whose dual weight is not zero (as linfa counts them), with those
/// weights; `None` when there are none.
pub fn support_vectors(train: &Array2<f64>, alpha: &[f64]) -> Option<(Array2<f64>, Array1<f64>)> {
    let keep: Vec<usize> = alpha
        .iter()
        .enumerate()
        .filter(|(_, a)| a.abs() > 100.0 * f64::EPSILON)
        .map(|(i, _)| i)
        .collect();
    if keep.is_empty() {
        return None;
    }
    Some((
        train.select(Axis(0), &keep),
        keep.iter().map(|&i| alpha[i]).collect(),
    ))
}

/// Σ αᵢ exp(−γ‖sᵢ − x‖²) for every row x of `block` (`norms` = squared norms of `support`).
pub fn weighted_sum(
    block: ArrayView2<f64>,
    support: ArrayView2<f64>,
    norms: ArrayView1<f64>,
    alpha: &Array1<f64>,
    gamma: f64,
) -> Array1<f64> {
    let mut k = distance::sq_dists(block, support, norms);
    k.mapv_inplace(|d| (-gamma * d).exp());
    k.dot(alpha)
}
