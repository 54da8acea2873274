//! A checked view of a compressed sparse row (CSR) matrix of `f32` values.

/// Why a matrix was refused: the first broken invariant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sparse matrix: {0}")]
pub struct InvalidMatrix(pub String);

/// A CSR matrix whose invariants have been checked: `indptr` has `n_rows + 1` non-decreasing
/// offsets from 0 to `indices.len() == values.len()`, and each row's column indices are below
/// `n_cols` and strictly increasing (sorted, no duplicates).
#[derive(Debug, Clone, Copy)]
pub struct SparseRows<'a> {
    n_rows: usize,
    n_cols: usize,
    indptr: &'a [usize],
    indices: &'a [u32],
    values: &'a [f32],
}

impl<'a> SparseRows<'a> {
    /// Checks the parts of a CSR matrix (linear in its size).
    ///
    /// # Errors
    /// [`InvalidMatrix`] naming the first broken invariant.
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        indptr: &'a [usize],
        indices: &'a [u32],
        values: &'a [f32],
    ) -> Result<Self, InvalidMatrix> {
        let bad = |m: String| Err(InvalidMatrix(m));
        if indptr.len() != n_rows.saturating_add(1) {
            return bad(format!(
                "indptr has {} offsets for {n_rows} rows (expected rows + 1)",
                indptr.len()
            ));
        }
        if indices.len() != values.len() {
            return bad(format!(
                "{} column indices but {} values",
                indices.len(),
                values.len()
            ));
        }
        if indptr.first() != Some(&0) || indptr.last() != Some(&indices.len()) {
            return bad(format!(
                "indptr must run from 0 to the number of values ({})",
                indices.len()
            ));
        }
        for (row, pair) in indptr.windows(2).enumerate() {
            if pair[0] > pair[1] {
                return bad(format!("indptr decreases at row {row}"));
            }
            let cols = &indices[pair[0]..pair[1]];
            if let Some(&c) = cols.iter().find(|&&c| c as usize >= n_cols) {
                return bad(format!(
                    "row {row} has column index {c}, beyond the {n_cols} columns"
                ));
            }
            if cols.windows(2).any(|w| w[0] >= w[1]) {
                return bad(format!(
                    "the column indices of row {row} are not strictly increasing"
                ));
            }
        }
        Ok(Self {
            n_rows,
            n_cols,
            indptr,
            indices,
            values,
        })
    }

    /// The number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// The number of stored values.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// The column indices and values of row `r`.
    pub fn row(&self, r: usize) -> (&'a [u32], &'a [f32]) {
        let range = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[range.clone()], &self.values[range])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_broken_invariant_is_named() {
        let ok = SparseRows::new(2, 3, &[0, 1, 3], &[2, 0, 1], &[1.0, 2.0, 3.0]);
        assert!(ok.is_ok());
        /// indptr, indices, values, and what the error must say.
        type Case<'a> = (&'a [usize], &'a [u32], &'a [f32], &'a str);
        let cases: [Case<'_>; 6] = [
            (&[0, 1], &[0], &[1.0], "offsets"),
            (&[0, 1, 2], &[0, 1], &[1.0], "values"),
            (&[1, 1, 2], &[0, 1], &[1.0, 1.0], "from 0"),
            (&[0, 2, 1], &[0, 1], &[1.0, 1.0], "from 0"),
            (&[0, 1, 2], &[0, 3], &[1.0, 1.0], "beyond"),
            (&[0, 2, 2], &[1, 1], &[1.0, 1.0], "increasing"),
        ];
        for (indptr, indices, values, says) in cases {
            let err = SparseRows::new(2, 3, indptr, indices, values).unwrap_err();
            assert!(err.0.contains(says), "{err} should say {says:?}");
        }
        let err = SparseRows::new(2, 3, &[0, 2, 1, 2], &[0, 1], &[1.0, 1.0]);
        assert!(err.is_err(), "wrong length");
    }

    #[test]
    fn decreasing_offsets_are_refused_even_when_the_ends_are_right() {
        let err = SparseRows::new(3, 3, &[0, 2, 1, 2], &[0, 1], &[1.0, 1.0]).unwrap_err();
        assert!(err.0.contains("decreases at row 1"), "{err}");
    }
}
