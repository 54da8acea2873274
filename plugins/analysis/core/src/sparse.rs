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

/// The transpose of a CSR matrix (that is, its CSC form) for several value arrays that share
/// its pattern (counts and log-normalised values), all reordered in the same pass. It is made
/// for storing: indices and values are little-endian bytes already (`into_flattened` turns
/// each into the bytes of a Zarr chunk without a copy).
#[derive(Debug, Clone, PartialEq)]
pub struct Csc<const N: usize> {
    /// `n_cols + 1` offsets into `indices`.
    pub indptr: Vec<usize>,
    /// Row index of each stored value (`u32`, little-endian), sorted within each column.
    pub indices: Vec<[u8; 4]>,
    /// Each value array given (`f32`, little-endian), in CSC order.
    pub values: [Vec<[u8; 4]>; N],
}

/// The CSC form of `csr`'s pattern with each of `values` (arrays in the order of `csr.data`).
///
/// # Errors
/// [`TooLarge`] when the matrix has more than `u32::MAX` stored values.
pub fn csc_transpose<const N: usize>(csr: &Csr, values: [&[f32]; N]) -> Result<Csc<N>, TooLarge> {
    let nnz = csr.nnz();
    if nnz > u32::MAX as usize || csr.n_rows > u32::MAX as usize {
        return Err(TooLarge { nnz });
    }
    debug_assert!(values.iter().all(|v| v.len() == nnz));
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
    let mut next = counts;
    let mut indices = vec![[0u8; 4]; nnz];
    let mut out: [Vec<[u8; 4]>; N] = std::array::from_fn(|_| vec![[0u8; 4]; nnz]);
    let mut put = |pos: usize, row: usize, dst: usize| {
        // In range of u32: checked above.
        #[allow(clippy::cast_possible_truncation)]
        {
            indices[dst] = (row as u32).to_le_bytes();
        }
        for (o, v) in out.iter_mut().zip(&values) {
            o[dst] = v[pos].to_le_bytes();
        }
    };
    if !sorted {
        // A row not sorted by column (not made by this crate): the one-pass scatter.
        for row in 0..csr.n_rows {
            for pos in csr.indptr[row]..csr.indptr[row + 1] {
                let col = csr.indices[pos] as usize;
                put(pos, row, next[col]);
                next[col] += 1;
            }
        }
    } else {
        // Scattering into every column at once writes to `n_cols` places far apart per
        // output array (32,738 on PBMC: more cache lines than the cache holds). Columns go in
        // blocks instead, each a pass over the rows from where the previous block stopped
        // (rows are sorted by column, so a block's entries are a run of each row); the order
        // of the output is the same. The values are read in CSR order, so no random reads.
        let mut cursor: Vec<usize> = csr.indptr[..csr.n_rows].to_vec();
        let mut block_start = 0;
        while block_start < csr.n_cols {
            let block_end = (block_start + CSC_BLOCK).min(csr.n_cols);
            for (row, pos) in cursor.iter_mut().enumerate() {
                let end = csr.indptr[row + 1];
                while *pos < end && (csr.indices[*pos] as usize) < block_end {
                    let col = csr.indices[*pos] as usize;
                    put(*pos, row, next[col]);
                    next[col] += 1;
                    *pos += 1;
                }
            }
            block_start = block_end;
        }
    }
    Ok(Csc {
        indptr,
        indices,
        values: out,
    })
}

/// Columns per pass of [`csc_transpose`]: a few write streams each, 1,024 cache lines per
/// stream at most (1,024 measured a little faster than 4,096 on PBMC).
const CSC_BLOCK: usize = 1024;

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

    fn rows_of<const N: usize>(csc: &Csc<N>) -> Vec<u32> {
        csc.indices.iter().map(|b| u32::from_le_bytes(*b)).collect()
    }

    fn floats(values: &[[u8; 4]]) -> Vec<f32> {
        values.iter().map(|b| f32::from_le_bytes(*b)).collect()
    }

    /// The CSC form computed from scratch, entry by entry, for comparison.
    fn naive(csr: &Csr) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let mut entries: Vec<(u32, u32, usize)> = Vec::new();
        for r in 0..csr.n_rows {
            for pos in csr.indptr[r]..csr.indptr[r + 1] {
                entries.push((csr.indices[pos], r as u32, pos));
            }
        }
        // Stable: duplicates keep their CSR order.
        entries.sort_by_key(|e| (e.0, e.1));
        let mut indptr = vec![0usize; csr.n_cols + 1];
        for e in &entries {
            indptr[e.0 as usize + 1] += 1;
        }
        for i in 0..csr.n_cols {
            indptr[i + 1] += indptr[i];
        }
        let rows = entries.iter().map(|e| e.1).collect();
        let data = entries.iter().map(|e| csr.data[e.2]).collect();
        (indptr, rows, data)
    }

    #[test]
    fn csc_transposes() {
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
        let doubled: Vec<f32> = csr.data.iter().map(|v| 2.0 * v).collect();
        let csc = csc_transpose(&csr, [&csr.data, &doubled]).unwrap();
        assert_eq!(csc.indptr, vec![0, 2, 3, 5]);
        assert_eq!(rows_of(&csc), vec![0, 2, 1, 0, 2]);
        assert_eq!(floats(&csc.values[0]), vec![1.0, 4.0, 3.0, 2.0, 5.0]);
        assert_eq!(floats(&csc.values[1]), vec![2.0, 8.0, 6.0, 4.0, 10.0]);
    }

    #[test]
    fn blocked_transpose_of_a_wide_matrix_equals_the_naive_one() {
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
        let blocked = csc_transpose(&csr, [&csr.data]).unwrap();
        let (ip, rows, data) = naive(&csr);
        assert_eq!((blocked.indptr.clone(), rows_of(&blocked)), (ip, rows));
        assert_eq!(floats(&blocked.values[0]), data);
        // An unsorted row takes the one-pass scatter: rows stay ascending in every column.
        let mut unsorted = csr;
        unsorted.indices[indptr[3]..indptr[4]].reverse();
        let csc = csc_transpose(&unsorted, [&unsorted.data]).unwrap();
        let csc_rows = rows_of(&csc);
        for c in 0..n_cols {
            assert!(csc_rows[csc.indptr[c]..csc.indptr[c + 1]].is_sorted());
        }
    }
}
