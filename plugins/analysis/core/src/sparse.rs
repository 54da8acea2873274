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
    let sorted = (0..csr.n_rows).all(|r| {
        csr.indices[csr.indptr[r]..csr.indptr[r + 1]]
            .windows(2)
            .all(|w| w[0] <= w[1])
    });
    if !sorted {
        // A row not sorted by column (not made by this crate): the one-pass scatter.
        return Ok(csc_pattern_unsorted(csr, indptr));
    }
    let mut next = counts;
    let mut indices = vec![0u32; nnz];
    let mut source = vec![0u32; nnz];
    // Scattering into every column at once writes to `2 n_cols` places far apart (2 x 32,738
    // on PBMC: more cache lines than the cache holds). Columns go in blocks instead, each a
    // pass over the rows from where the previous block stopped (rows are sorted by column, so
    // a block's entries are a run of each row); the order of the output is the same.
    let mut cursor: Vec<usize> = csr.indptr[..csr.n_rows].to_vec();
    let mut block_start = 0;
    while block_start < csr.n_cols {
        let block_end = (block_start + CSC_BLOCK).min(csr.n_cols);
        for (row, pos) in cursor.iter_mut().enumerate() {
            let end = csr.indptr[row + 1];
            while *pos < end && (csr.indices[*pos] as usize) < block_end {
                let col = csr.indices[*pos] as usize;
                let dst = next[col];
                next[col] += 1;
                // Both casts are in range: checked above.
                indices[dst] = row as u32;
                source[dst] = *pos as u32;
                *pos += 1;
            }
        }
        block_start = block_end;
    }

    Ok(CscPattern {
        indptr,
        indices,
        source,
    })
}

/// Columns per pass of [`csc_pattern`]: two write streams each, 2,048 cache lines at most
/// (1,024 measured a little faster than 4,096 on PBMC).
const CSC_BLOCK: usize = 1024;

/// [`csc_pattern`] for rows whose columns are not sorted.
fn csc_pattern_unsorted(csr: &Csr, indptr: Vec<usize>) -> CscPattern {
    let mut next = indptr.clone();
    let nnz = csr.nnz();
    let mut indices = vec![0u32; nnz];
    let mut source = vec![0u32; nnz];
    for row in 0..csr.n_rows {
        for pos in csr.indptr[row]..csr.indptr[row + 1] {
            let col = csr.indices[pos] as usize;
            let dst = next[col];
            next[col] += 1;
            // Both casts are in range: checked by the caller.
            indices[dst] = row as u32;
            source[dst] = pos as u32;
        }
    }
    CscPattern {
        indptr,
        indices,
        source,
    }
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

    #[test]
    fn blocked_transpose_of_a_wide_matrix_equals_the_one_pass_scatter() {
        // Columns across several blocks, rows with duplicates, an empty row.
        let n_cols = 3 * CSC_BLOCK + 17;
        let mut state = 12_345u32;
        let mut rnd = move || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 8) as usize
        };
        let (mut indptr, mut indices) = (vec![0], Vec::new());
        for r in 0..40 {
            let mut row: Vec<u32> = (0..if r == 7 { 0 } else { 1 + rnd() % 300 })
                .map(|_| (rnd() % n_cols) as u32)
                .collect();
            row.sort_unstable();
            if let Some(&c) = row.first() {
                row.insert(0, c); // a duplicate
            }
            indices.extend(row);
            indptr.push(indices.len());
        }
        let data = (0..indices.len()).map(|i| i as f32).collect();
        let csr = Csr {
            n_rows: 40,
            n_cols,
            indptr: indptr.clone(),
            indices,
            data,
        };
        let blocked = csc_pattern(&csr).unwrap();
        let mut counts = vec![0usize; n_cols + 1];
        for &c in &csr.indices {
            counts[c as usize + 1] += 1;
        }
        for i in 0..n_cols {
            counts[i + 1] += counts[i];
        }
        assert_eq!(blocked, csc_pattern_unsorted(&csr, counts));
        // An unsorted row takes the one-pass scatter: rows stay ascending in every column.
        let mut unsorted = csr;
        unsorted.indices[indptr[3]..indptr[4]].reverse();
        let csc = csc_pattern(&unsorted).unwrap();
        for c in 0..n_cols {
            assert!(csc.indices[csc.indptr[c]..csc.indptr[c + 1]].is_sorted());
        }
    }
}
