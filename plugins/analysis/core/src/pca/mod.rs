//! `sc.pp.pca(n_comps=K, svd_solver="arpack")` on the highly variable genes of a sparse matrix,
//! zero-centred, as scanpy 1.11 runs it through scikit-learn's `PCA` (implicitly centred
//! `svds`). Instead of ARPACK on the cells x genes operator, the genes x genes covariance is
//! built from the sparse matrix in `f64` (`(XᵀX - n·μμᵀ) / (n - 1)`, never densifying the
//! cells) and its top K eigenpairs are found by Lanczos with full reorthogonalisation
//! ([`lanczos`]). This gives the same subspace; the signs follow scikit-learn ≥ 1.5's
//! `svd_flip(u_based_decision=False)`: the largest-magnitude loading of each component is
//! positive.

mod lanczos;
mod tridiag;

pub use lanczos::top_eigenpairs;

use crate::sparse::Csr;

/// The result, as scanpy stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// The number of components K.
    pub n_comps: usize,
    /// The genes (column indices) the PCA ran on, ascending.
    pub genes: Vec<usize>,
    /// Cell coordinates, `n_cells x K` row-major (`obsm["X_pca"]`, `f32` like scanpy).
    pub coordinates: Vec<f32>,
    /// Components, `K x genes.len()` row-major (`varm["PCs"]` transposed).
    pub components: Vec<f64>,
    /// Explained variance of each component (`uns["pca"]["variance"]`).
    pub variance: Vec<f64>,
    /// Explained variance over the total variance of the genes (`uns["pca"]["variance_ratio"]`).
    pub variance_ratio: Vec<f64>,
}

/// Why the PCA cannot be computed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PcaError {
    /// Bad parameters for the data's shape.
    #[error("pca: {0}")]
    InvalidInput(String),
    /// The data holds NaN or infinite values.
    #[error("pca: the matrix holds NaN or infinite values")]
    NotFinite,
    /// The eigen solver did not converge (a bug or pathological data).
    #[error("pca: the eigen solver did not converge")]
    NoConvergence,
}

/// Computes `n_comps` principal components of the columns of the CSR matrix (`pattern`,
/// `values`) selected by `mask`.
///
/// # Errors
/// [`PcaError::InvalidInput`] when `n_comps` is 0 or not below both the number of cells and of
/// selected genes (scikit-learn's `svds` requires `k < min(shape)`).
pub fn pca(pattern: &Csr, values: &[f32], mask: &[bool], n_comps: usize) -> Result<Pca, PcaError> {
    let genes: Vec<usize> = (0..pattern.n_cols)
        .filter(|&g| mask.get(g) == Some(&true))
        .collect();
    let (n, p, k) = (pattern.n_rows, genes.len(), n_comps);
    if k == 0 || k >= n.min(p) {
        return Err(PcaError::InvalidInput(format!(
            "n_comps={k} must be between 1 and min(cells={n}, genes={p}) - 1"
        )));
    }
    let mut position = vec![u32::MAX; pattern.n_cols];
    for (i, &g) in genes.iter().enumerate() {
        // p <= n_cols, which fits u32 (checked by the reader).
        #[allow(clippy::cast_possible_truncation)]
        let i = i as u32;
        position[g] = i;
    }
    let (mean, cov) = covariance(pattern, values, &position, p)?;
    let total_var: f64 = (0..p).map(|i| cov[i * p + i]).sum();
    let (variance, mut vectors) = top_eigenpairs(&cov, p, k)?;
    drop(cov);
    for v in &mut vectors {
        let mut best = 0;
        for (i, x) in v.iter().enumerate() {
            if x.abs() > v[best].abs() {
                best = i;
            }
        }
        if v[best] < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
    }
    let coordinates = project(pattern, values, &position, &mean, &vectors);
    Ok(Pca {
        n_comps: k,
        genes,
        coordinates,
        variance_ratio: variance.iter().map(|v| v / total_var).collect(),
        variance,
        components: vectors.concat(),
    })
}

/// Means and the dense `p x p` covariance (`ddof=1`) of the selected columns.
fn covariance(
    pattern: &Csr,
    values: &[f32],
    position: &[u32],
    p: usize,
) -> Result<(Vec<f64>, Vec<f64>), PcaError> {
    let n = pattern.n_rows;
    let mut sums = vec![0f64; p];
    let mut gram = vec![0f64; p * p];
    let mut row_entries: Vec<(usize, f64)> = Vec::new();
    for r in 0..n {
        let (idx, _) = pattern.row(r);
        let start = pattern.indptr[r];
        row_entries.clear();
        for (off, &c) in idx.iter().enumerate() {
            let h = position[c as usize];
            if h != u32::MAX {
                let v = f64::from(values[start + off]);
                if !v.is_finite() {
                    return Err(PcaError::NotFinite);
                }
                row_entries.push((h as usize, v));
            }
        }
        for (a, &(ha, va)) in row_entries.iter().enumerate() {
            sums[ha] += va;
            let line = &mut gram[ha * p..(ha + 1) * p];
            for &(hb, vb) in &row_entries[a..] {
                line[hb] += va * vb;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let nf = n as f64;
    let mean: Vec<f64> = sums.iter().map(|s| s / nf).collect();
    for a in 0..p {
        for b in a..p {
            let c = (gram[a * p + b] - nf * mean[a] * mean[b]) / (nf - 1.0);
            gram[a * p + b] = c;
            gram[b * p + a] = c;
        }
    }
    Ok((mean, gram))
}

/// `(X - μ) V` for each cell, as `f32`.
fn project(
    pattern: &Csr,
    values: &[f32],
    position: &[u32],
    mean: &[f64],
    vectors: &[Vec<f64>],
) -> Vec<f32> {
    let k = vectors.len();
    let p = mean.len();
    // Gene-major loadings for a contiguous inner loop.
    let mut loadings = vec![0f64; p * k];
    for (c, v) in vectors.iter().enumerate() {
        for (g, &x) in v.iter().enumerate() {
            loadings[g * k + c] = x;
        }
    }
    let offset: Vec<f64> = vectors
        .iter()
        .map(|v| v.iter().zip(mean).map(|(a, b)| a * b).sum())
        .collect();
    let mut out = Vec::with_capacity(pattern.n_rows * k);
    let mut acc = vec![0f64; k];
    for r in 0..pattern.n_rows {
        acc.iter_mut().for_each(|a| *a = 0.0);
        let (idx, _) = pattern.row(r);
        let start = pattern.indptr[r];
        for (off, &c) in idx.iter().enumerate() {
            let h = position[c as usize];
            if h != u32::MAX {
                let v = f64::from(values[start + off]);
                let l = &loadings[h as usize * k..(h as usize + 1) * k];
                acc.iter_mut().zip(l).for_each(|(a, &w)| *a += v * w);
            }
        }
        #[allow(clippy::cast_possible_truncation)]
        out.extend(acc.iter().zip(&offset).map(|(a, o)| (a - o) as f32));
    }
    out
}

#[cfg(test)]
mod tests;
