//! The truncated, zero-centred PCA of the columns of a sparse matrix, as scikit-learn's `PCA`
//! computes it with `svd_solver="arpack"` on sparse input (implicitly centred `svds`; what
//! `sc.pp.pca` runs). Instead of ARPACK on the rows x columns operator, the columns x columns
//! covariance `C = (XᵀX - n·μμᵀ) / (n - 1)` is applied without centring (or densifying) `X`,
//! and its top `k` eigenpairs are found by Lanczos with full reorthogonalisation: on blocks of
//! four vectors for the implicit product where the problem is large enough
//! (`block_lanczos`), one vector at a time otherwise (`lanczos`). This gives the same
//! subspace; the signs follow scikit-learn ≥ 1.5's
//! `svd_flip(u_based_decision=False)`: the largest-magnitude loading of each component is
//! positive.

mod band;
mod block_lanczos;
mod covariance;
mod lanczos;
mod tridiag;

pub use lanczos::top_eigenpairs;

use crate::threads::for_chunks_mut;
use crate::{Interrupt, SparseRows};
use block_lanczos::WIDTH;
use covariance::Selected;

/// The result.
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Explained variance of each component, descending.
    pub variance: Vec<f64>,
    /// Explained variance over the total variance of the columns.
    pub variance_ratio: Vec<f64>,
    /// The total variance of the columns (the trace of `C`).
    pub total_variance: f64,
    /// Components, `k x columns.len()` row-major, unit length.
    pub components: Vec<f64>,
    /// Row coordinates `(X - 1μᵀ) V`, `n_rows x k` row-major, `f32` as scikit-learn keeps
    /// them for `f32` input.
    pub coordinates: Vec<f32>,
    /// The size of the Krylov basis the solver built (a measure of its work).
    pub steps: usize,
}

/// Why the PCA cannot be computed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum PcaError {
    /// Bad parameters for the data's shape, or a bad column list.
    #[error("pca: {0}")]
    InvalidInput(String),
    /// The data holds NaN or infinite values.
    #[error("pca: the matrix holds NaN or infinite values")]
    NotFinite,
    /// The eigen solver did not converge within its step limit.
    #[error("pca: the eigen solver did not converge")]
    NoConvergence,
    /// The caller's [`Interrupt`] asked to stop.
    #[error("pca: interrupted")]
    Interrupted,
}

/// Computes `k` principal components of the columns `columns` (strictly increasing indices)
/// of `matrix`, polling `interrupt` between steps.
///
/// # Errors
/// [`PcaError::InvalidInput`] when `k` is 0 or not below both the number of rows and of
/// columns used (scikit-learn's `svds` requires `k < min(shape)`), or when `columns` is not
/// strictly increasing within the matrix; [`PcaError::NotFinite`] for NaN or infinite values in
/// the columns used; [`PcaError::Interrupted`] when `interrupt` said so.
pub fn pca(
    matrix: &SparseRows<'_>,
    columns: &[u32],
    k: usize,
    interrupt: &dyn Interrupt,
) -> Result<Pca, PcaError> {
    crate::threads::on_pool(|| {
        let selected = Selected::new(matrix, &positions(matrix, columns, k)?, columns.len())?;
        let blocks = block_lanczos::fits(selected.p, k);
        let method = if selected.prefer_implicit(expected_steps(k), blocks) {
            Method::Implicit
        } else {
            Method::Dense
        };
        finish(&selected, k, method, interrupt)
    })
}

/// An upper bound of the bytes [`pca`] allocates for `k` components of `p` columns of a matrix
/// of `n_rows` x `n_cols` with `nnz` stored values (the result included), to check against a
/// budget before starting. It assumes the worst of both methods and the largest Krylov basis
/// the solver may build.
pub fn working_memory(n_rows: usize, n_cols: usize, nnz: usize, p: usize, k: usize) -> u64 {
    let steps = lanczos::max_steps(p, k) as u64;
    let (n, p, k, nnz) = (n_rows as u64, p as u64, k as u64, nnz as u64);
    // Selected values (index + value), their row offsets, column positions, means, variances.
    let selected = nnz * 8 + n * 8 + n_cols as u64 * 4 + p * 16;
    let basis = steps * p * 8 + steps * steps * 8;
    // The dense covariance, or the transposed copy and the narrow operator's two blocks of
    // 2^16 rows (or the wide one's `n` rows); the block method's two blocks in flight.
    let width = WIDTH as u64;
    let product =
        (p * p * 8).max(nnz * 8 + (1 << 16) * width * 16 + n * width * 8) + 2 * p * width * 8;
    let result = k * p * 8 + n * k * 4 + p * k * 8;
    selected + basis + product + result
}

/// Each matrix column's position among `columns`, `u32::MAX` when not used.
fn positions(matrix: &SparseRows<'_>, columns: &[u32], k: usize) -> Result<Vec<u32>, PcaError> {
    let (n, p) = (matrix.n_rows(), columns.len());
    if k == 0 || k >= n.min(p) {
        return Err(PcaError::InvalidInput(format!(
            "k={k} components must be between 1 and min(rows={n}, columns={p}) - 1"
        )));
    }
    if columns.windows(2).any(|w| w[0] >= w[1]) {
        return Err(PcaError::InvalidInput(
            "the columns to use must be strictly increasing".into(),
        ));
    }
    let mut position = vec![u32::MAX; matrix.n_cols()];
    for (i, &c) in columns.iter().enumerate() {
        let slot = position.get_mut(c as usize).ok_or_else(|| {
            PcaError::InvalidInput(format!(
                "column {c} is beyond the matrix's {} columns",
                matrix.n_cols()
            ))
        })?;
        // i < p <= n_cols, whose indices fit u32.
        #[allow(clippy::cast_possible_truncation)]
        {
            *slot = i as u32;
        }
    }
    Ok(position)
}

/// How the covariance is applied in the Lanczos loop (see [`covariance`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// Build the `p x p` covariance, then dense products.
    Dense,
    /// A sparse product per step, on blocks of vectors where [`block_lanczos::fits`].
    Implicit,
}

/// About how many Lanczos steps `k` components take (observed: ~4k).
fn expected_steps(k: usize) -> usize {
    4 * k + 10
}

/// The eigen decomposition, signs, projection and ratios.
pub(crate) fn finish(
    selected: &Selected,
    k: usize,
    method: Method,
    interrupt: &dyn Interrupt,
) -> Result<Pca, PcaError> {
    let p = selected.p;
    let total_variance: f64 = selected.variance.iter().sum();
    let (variance, mut vectors, steps) = match method {
        Method::Dense => {
            let c = selected.covariance(interrupt)?;
            lanczos::dense_eigenpairs(&c, p, k, interrupt)?
        }
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
            if block_lanczos::fits(p, k) {
                block_lanczos::block_lanczos(p, k, norm, interrupt, |x, y| {
                    selected.apply(&mut operator, x, y);
                })?
            } else {
                let mut scratch = [vec![[0.0; WIDTH]; p], vec![[0.0; WIDTH]; p]];
                lanczos::lanczos(p, k, norm, interrupt, |x, y| {
                    selected.apply_one(&mut operator, &mut scratch, x, y);
                })?
            }
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
        variance_ratio: variance.iter().map(|v| v / total_variance).collect(),
        variance,
        total_variance,
        components: vectors.concat(),
        coordinates,
        steps,
    })
}

/// Rows per block of the projection.
const PROJECT_ROWS: usize = 256;

/// `(X - μ) V` for each row, as `f32`, blocks of rows in parallel.
fn project(selected: &Selected, vectors: &[Vec<f64>]) -> Vec<f32> {
    let k = vectors.len();
    let p = selected.p;
    // Column-major loadings for a contiguous inner loop.
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
    let mut out = vec![0f32; selected.n * k];
    for_chunks_mut(&mut out, PROJECT_ROWS * k, |block, out| {
        let mut acc = vec![0f64; k];
        for (i, row_out) in out.chunks_exact_mut(k).enumerate() {
            acc.iter_mut().for_each(|a| *a = 0.0);
            let (cols, values) = selected.row(block * PROJECT_ROWS + i);
            for (&h, &v) in cols.iter().zip(values) {
                let v = f64::from(v);
                let line = &loadings[h as usize * k..(h as usize + 1) * k];
                acc.iter_mut().zip(line).for_each(|(a, &w)| *a += v * w);
            }
            #[allow(clippy::cast_possible_truncation)]
            for ((o, a), off) in row_out.iter_mut().zip(&acc).zip(&offset) {
                *o = (a - off) as f32;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests;
