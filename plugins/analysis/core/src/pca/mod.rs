//! `sc.pp.pca(n_comps=K, svd_solver="arpack")` on the highly variable genes of a sparse matrix,
//! zero-centred, as scanpy 1.11 runs it through scikit-learn's `PCA` (implicitly centred
//! `svds`). Instead of ARPACK on the cells x genes operator, the genes x genes covariance is
//! built from the sparse matrix in `f64` (`(XᵀX - n·μμᵀ) / (n - 1)`, never densifying the
//! cells) and its top K eigenpairs are found by Lanczos with full reorthogonalisation
//! ([`lanczos`]). This gives the same subspace; the signs follow scikit-learn ≥ 1.5's
//! `svd_flip(u_based_decision=False)`: the largest-magnitude loading of each component is
//! positive.

mod lanczos;
mod selected;
mod tridiag;

pub use lanczos::top_eigenpairs;

use crate::sparse::Csr;
use selected::Selected;

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
    let selected = Selected::new(pattern, values, &position, p)?;
    let method = if selected.prefer_implicit(expected_steps(k)) {
        Method::Implicit
    } else {
        Method::Dense
    };
    finish(&selected, genes, k, method)
}

/// How the covariance is applied in the Lanczos loop (see [`selected`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Build the `p x p` covariance, then dense products.
    Dense,
    /// Two sparse products per step.
    Implicit,
}

/// About how many Lanczos steps `k` components take (observed: ~4k).
fn expected_steps(k: usize) -> usize {
    4 * k + 10
}

/// The eigen decomposition, signs, projection and ratios.
pub(crate) fn finish(
    selected: &Selected,
    genes: Vec<usize>,
    k: usize,
    method: Method,
) -> Result<Pca, PcaError> {
    let p = selected.p;
    let total_var: f64 = selected.variance.iter().sum();
    let (variance, mut vectors) = match method {
        Method::Dense => top_eigenpairs(&selected.covariance(), p, k)?,
        Method::Implicit => {
            // Covariance entries are bounded by the largest variance (Cauchy-Schwarz): the
            // same scale as the dense path's `max |c| sqrt(p)`.
            let max_var = selected
                .variance
                .iter()
                .fold(0.0, |m: f64, v| m.max(v.abs()));
            #[allow(clippy::cast_precision_loss)]
            let norm = max_var * (p as f64).sqrt();
            if !norm.is_finite() {
                return Err(PcaError::NotFinite);
            }
            let mut operator = selected.operator();
            lanczos::lanczos(p, k, norm, |x, y| {
                selected.apply_with(&mut operator, x, y);
            })?
        }
    };
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
    let coordinates = project(selected, &vectors);
    Ok(Pca {
        n_comps: k,
        genes,
        coordinates,
        variance_ratio: variance.iter().map(|v| v / total_var).collect(),
        variance,
        components: vectors.concat(),
    })
}

/// `(X - μ) V` for each cell, as `f32`.
fn project(selected: &Selected, vectors: &[Vec<f64>]) -> Vec<f32> {
    let k = vectors.len();
    let p = selected.p;
    // Gene-major loadings for a contiguous inner loop.
    let mut loadings = vec![0f64; p * k];
    for (c, v) in vectors.iter().enumerate() {
        for (g, &x) in v.iter().enumerate() {
            loadings[g * k + c] = x;
        }
    }
    let offset: Vec<f64> = vectors
        .iter()
        .map(|v| v.iter().zip(&selected.mean).map(|(a, b)| a * b).sum())
        .collect();
    let mut out = Vec::with_capacity(selected.n * k);
    let mut acc = vec![0f64; k];
    for r in 0..selected.n {
        acc.iter_mut().for_each(|a| *a = 0.0);
        let (cols, values) = selected.row(r);
        // Two entries per pass over `acc`: half its loads and stores.
        let (pairs, pair_values) = (cols.chunks_exact(2), values.chunks_exact(2));
        let (last, last_value) = (pairs.remainder(), pair_values.remainder());
        let line = |h: u32| &loadings[h as usize * k..(h as usize + 1) * k];
        for (h, v) in pairs.zip(pair_values) {
            let (l0, l1) = (line(h[0]), line(h[1]));
            let (v0, v1) = (f64::from(v[0]), f64::from(v[1]));
            for ((a, &w0), &w1) in acc.iter_mut().zip(l0).zip(l1) {
                *a += v0 * w0 + v1 * w1;
            }
        }
        if let (Some(&h), Some(&v)) = (last.first(), last_value.first()) {
            let v = f64::from(v);
            acc.iter_mut().zip(line(h)).for_each(|(a, &w)| *a += v * w);
        }
        #[allow(clippy::cast_possible_truncation)]
        out.extend(acc.iter().zip(&offset).map(|(a, o)| (a - o) as f32));
    }
    out
}

#[cfg(test)]
mod tests;
