//! `sc.pp.normalize_total(target_sum=...)` followed by `sc.pp.log1p`, in scanpy 1.11's dtypes:
//! the per-cell total is summed in `f64` and stored as `f32`, the size factor `total /
//! target_sum` and the division are `f32`, `log1p` is `f32`. A cell without counts keeps its
//! zeros (scanpy replaces a zero size factor by 1 and warns).

use crate::hvg::GeneMoments;
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
    normalize_rows(counts, target_sum, f32::ln_1p, |_, value| value)
}

/// [`normalize_log1p`], and in the same pass the moments of `expm1` of its values that highly
/// variable genes need ([`crate::hvg::highly_variable_genes_from`]): the same numbers, bit for
/// bit, as [`GeneMoments::of`] in a pass of its own. A value and its `expm1` are memoised
/// together, per count within a cell.
pub fn normalize_log1p_with_moments(counts: &Csr, target_sum: f32) -> (Vec<f32>, GeneMoments) {
    let mut moments = GeneMoments::new(counts.n_rows, counts.n_cols);
    let log_norm = normalize_rows(
        counts,
        target_sum,
        |x| {
            let value = x.ln_1p();
            (value, value.exp_m1())
        },
        |gene, (value, e)| {
            moments.add(gene, e);
            value
        },
    );
    (log_norm, moments)
}

/// The log-normalised values: `f(x / factor)` for each count `x` of a cell (memoised per count
/// within the cell), turned into the value to store by `each(gene, f(...))`.
fn normalize_rows<T: Copy + Default>(
    counts: &Csr,
    target_sum: f32,
    f: impl Fn(f32) -> T,
    mut each: impl FnMut(u32, T) -> f32,
) -> Vec<f32> {
    let totals = cell_totals(counts);
    let mut out = Vec::with_capacity(counts.nnz());
    let mut memo = CountMemo::new();
    for (row, &total) in totals.iter().enumerate() {
        let mut factor = total / target_sum;
        if factor == 0.0 {
            factor = 1.0;
        }
        memo.clear();
        let (genes, values) = counts.row(row);
        out.extend(
            genes
                .iter()
                .zip(values)
                .map(|(&gene, &v)| each(gene, memo.get(v, v, |v| f(v / factor)))),
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
    fn moments_gathered_while_normalising_are_those_of_a_pass_of_their_own() {
        // Repeated small counts, fractional and large ones, an empty cell, genes without
        // counts: the fused pass must add the same values in the same order.
        let mut counts = Csr {
            n_rows: 0,
            n_cols: 9,
            indptr: vec![0],
            indices: vec![],
            data: vec![],
        };
        let mut state = 7u32;
        for row in 0..40 {
            if row % 13 != 5 {
                for gene in 0..7u32 {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    if state >> 30 != 0 {
                        counts.indices.push(gene);
                        let v = match (state >> 8) % 10 {
                            0 => 250.0,
                            1 => 1.5,
                            k => (k % 4 + 1) as f32,
                        };
                        counts.data.push(v);
                    }
                }
            }
            counts.indptr.push(counts.indices.len());
            counts.n_rows += 1;
        }
        let (fused, moments) = normalize_log1p_with_moments(&counts, 1e4);
        let alone = normalize_log1p(&counts, 1e4);
        assert_eq!(
            fused.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            alone.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert_eq!(moments, GeneMoments::of(&counts, &alone));
        // Debug strings: the genes without counts have NaN dispersions, which `==` rejects.
        let fused_hvg = crate::hvg::highly_variable_genes_from(&moments, 3, 2).unwrap();
        let alone_hvg = crate::hvg::highly_variable_genes(&counts, &alone, 3, 2).unwrap();
        assert_eq!(format!("{fused_hvg:?}"), format!("{alone_hvg:?}"));
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
