//! `sc.pp.normalize_total(target_sum=...)` followed by `sc.pp.log1p`, in scanpy 1.11's dtypes:
//! the per-cell total is summed in `f64` and stored as `f32`, the size factor `total /
//! target_sum` and the division are `f32`, `log1p` is `f32`. A cell without counts keeps its
//! zeros (scanpy replaces a zero size factor by 1 and warns).

use crate::memo::CountMemo;
use crate::sparse::Csr;

/// The per-cell totals as scanpy's `_normalize_csr` computes them (summed in `f64`, stored as
/// `f32`).
pub fn cell_totals(counts: &Csr) -> Vec<f32> {
    (0..counts.n_rows)
        .map(|row| {
            let sum: f64 = counts.row(row).1.iter().map(|&v| f64::from(v)).sum();
            #[allow(clippy::cast_possible_truncation)]
            let total = sum as f32;
            total
        })
        .collect()
}

/// The log-normalised values `log1p(x / (total / target_sum))`, in the order (and sparsity
/// pattern) of `counts.data`.
pub fn normalize_log1p(counts: &Csr, target_sum: f32) -> Vec<f32> {
    let totals = cell_totals(counts);
    let mut out = Vec::with_capacity(counts.nnz());
    let mut memo = CountMemo::new();
    for (row, &total) in totals.iter().enumerate() {
        let mut factor = total / target_sum;
        if factor == 0.0 {
            factor = 1.0;
        }
        memo.clear();
        out.extend(
            counts
                .row(row)
                .1
                .iter()
                .map(|&v| memo.get(v, v, |v| (v / factor).ln_1p())),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cell_sums_to_the_target_before_log1p_and_empty_cells_stay_zero() {
        // Cell 0: counts 1 and 3 (total 4); cell 1: no counts; cell 2: an explicit zero.
        let counts = Csr {
            n_rows: 3,
            n_cols: 2,
            indptr: vec![0, 2, 2, 3],
            indices: vec![0, 1, 1],
            data: vec![1.0, 3.0, 0.0],
        };
        let x = normalize_log1p(&counts, 100.0);
        // 1 / (4 / 100) = 25 and 3 / (4 / 100) = 75.
        assert_eq!(x[0], 25f32.ln_1p());
        assert_eq!(x[1], 75f32.ln_1p());
        // Cell 2's total is 0: its factor becomes 1, 0 / 1 = 0.
        assert_eq!(x[2], 0.0);
        let back: f32 = x[..2].iter().map(|v| v.exp_m1()).sum();
        assert!((back - 100.0).abs() < 1e-3);
    }

    #[test]
    fn memoised_values_are_those_computed_directly() {
        // Repeated small counts (memoised per cell), large and fractional ones (not).
        let values = [
            1.0, 2.0, 1.0, 63.0, 64.0, 1000.0, 0.5, 2.0, 1.0, 3.0, 3.0, 1.0,
        ];
        let counts = Csr {
            n_rows: 3,
            n_cols: 6,
            indptr: vec![0, 6, 9, 12],
            indices: vec![0, 1, 2, 3, 4, 5, 0, 2, 4, 1, 3, 5],
            data: values.to_vec(),
        };
        let x = normalize_log1p(&counts, 1e4);
        let totals = cell_totals(&counts);
        for (row, total) in totals.iter().enumerate() {
            let factor = total / 1e4;
            for i in counts.indptr[row]..counts.indptr[row + 1] {
                assert_eq!(x[i].to_bits(), (values[i] / factor).ln_1p().to_bits());
            }
        }
    }
}
