//! Compressed sparse matrices (CSR for computing, CSC for storing) and the conversion between
//! them. Indices are `u32` (a matrix dimension beyond 4 billion does not fit a Wasm memory
//! anyway) and row pointers are `usize`.

/// A compressed sparse row matrix of `f32` values; column indices are sorted within each row
/// and unique.
#[derive(Debug, Clone, PartialEq)]
pub struct Csr {
    /// Number of rows (cells).
    pub n_rows: usize,
    /// Number of columns (genes).
    pub n_cols: usize,
    /// `n_rows + 1` offsets into `indices` and `data`.
    pub indptr: Vec<usize>,
    /// Column index of each stored value.
    pub indices: Vec<u32>,
    /// Stored values.
    pub data: Vec<f32>,
}

impl Csr {
    /// The number of stored values.
    pub fn nnz(&self) -> usize {
        self.data.len()
    }

    /// The stored column indices and values of row `row`.
    pub fn row(&self, row: usize) -> (&[u32], &[f32]) {
        let range = self.indptr[row]..self.indptr[row + 1];
        (&self.indices[range.clone()], &self.data[range])
    }
}

/// The structure of the transpose of a CSR pattern (that is, its CSC form) plus the position in
/// the CSR data of each CSC entry, so that several value arrays sharing one pattern (counts and
/// log-normalised values) are reordered without recomputing it.
#[derive(Debug, Clone, PartialEq)]
pub struct CscPattern {
    /// `n_cols + 1` offsets into `indices`.
    pub indptr: Vec<usize>,
    /// Row index of each stored value, sorted within each column.
    pub indices: Vec<u32>,
    /// For each CSC position, the CSR position of the same entry.
    pub source: Vec<u32>,
}

/// The CSC pattern of `csr`.
///
/// # Errors
/// [`TooLarge`] when the matrix has more than `u32::MAX` stored values.
pub fn csc_pattern(csr: &Csr) -> Result<CscPattern, TooLarge> {
    let nnz = csr.nnz();
    if nnz > u32::MAX as usize || csr.n_rows > u32::MAX as usize {
        return Err(TooLarge { nnz });
    }
    let mut counts = vec![0usize; csr.n_cols + 1];
    for &c in &csr.indices {
        counts[c as usize + 1] += 1;
    }
    for i in 0..csr.n_cols {
        counts[i + 1] += counts[i];
    }
    let indptr = counts.clone();
    let mut next = counts;
    let mut indices = vec![0u32; nnz];
    let mut source = vec![0u32; nnz];
    for row in 0..csr.n_rows {
        for pos in csr.indptr[row]..csr.indptr[row + 1] {
            let col = csr.indices[pos] as usize;
            let dst = next[col];
            next[col] += 1;
            // Both casts are in range: checked above.
            indices[dst] = row as u32;
            source[dst] = pos as u32;
        }
    }
    Ok(CscPattern {
        indptr,
        indices,
        source,
    })
}

impl CscPattern {
    /// Reorders CSR-ordered `values` into this CSC order.
    pub fn gather(&self, values: &[f32]) -> Vec<f32> {
        self.source.iter().map(|&s| values[s as usize]).collect()
    }
}

/// The matrix has more stored values than this crate indexes with `u32`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "sparse matrix too large: {nnz} stored values (at most {} supported)",
    u32::MAX
)]
pub struct TooLarge {
    /// The number of stored values.
    pub nnz: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csc_pattern_transposes() {
        // [[1, 0, 2],
        //  [0, 3, 0],
        //  [4, 0, 5]]
        let csr = Csr {
            n_rows: 3,
            n_cols: 3,
            indptr: vec![0, 2, 3, 5],
            indices: vec![0, 2, 1, 0, 2],
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0],
        };
        let csc = csc_pattern(&csr).unwrap();
        assert_eq!(csc.indptr, vec![0, 2, 3, 5]);
        assert_eq!(csc.indices, vec![0, 2, 1, 0, 2]);
        assert_eq!(csc.gather(&csr.data), vec![1.0, 4.0, 3.0, 2.0, 5.0]);
    }
}
