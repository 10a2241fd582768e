//! The one conversion point between the two ML stacks: linfa works on ndarray 0.16 arrays,
//! smartcore on its own `DenseMatrix` (its ndarray bindings target ndarray 0.17, which would
//! put a second, incompatible ndarray in the build). Every smartcore call goes through here.

use ndarray::{Array2, ArrayView2};
use smartcore::linalg::basic::arrays::Array;
use smartcore::linalg::basic::matrix::DenseMatrix;

/// Copies a row-major view into a smartcore matrix.
pub fn to_smartcore(x: ArrayView2<f64>) -> Result<DenseMatrix<f64>, String> {
    let (rows, cols) = x.dim();
    DenseMatrix::new(
        rows,
        cols,
        x.as_standard_layout().iter().copied().collect(),
        false,
    )
    .map_err(|e| e.to_string())
}

/// Copies a smartcore matrix back into an ndarray.
pub fn from_smartcore(m: &DenseMatrix<f64>) -> Array2<f64> {
    let (rows, cols) = m.shape();
    Array2::from_shape_fn((rows, cols), |(r, c)| *m.get((r, c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::DatasetBase;
    use ndarray::array;

    #[test]
    fn round_trips_and_shares_ndarray_with_linfa() {
        let x = array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]];
        // The same array type feeds linfa directly: one ndarray version in the build.
        let ds = DatasetBase::from(x.clone());
        assert_eq!(ds.records().dim(), (2, 3));
        let m = to_smartcore(x.view()).expect("convert");
        assert_eq!(*m.get((1, 0)), 4.0);
        assert_eq!(from_smartcore(&m), x);
        // A transposed (column-major) view is copied in logical order.
        let t = to_smartcore(x.t()).expect("convert");
        assert_eq!(*t.get((0, 1)), 4.0);
    }
}
