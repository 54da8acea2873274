//! `sc.pp.pca(n_comps=K, svd_solver="arpack")` on the highly variable genes, zero-centred, as
//! scanpy 1.11 stores it. The computation is [`taskhost_linalg::pca()`]: called directly here
//! (natively: the tests against scanpy, the benches), and run by the host for the
//! `prepare-experiment` plugin through the SDK's `linalg` import, which calls the same code.

use crate::sparse::Csr;

pub use taskhost_linalg::PcaError;

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

impl Pca {
    /// The stored form of a PCA of the columns `genes` (ascending) with `variance.len()`
    /// components, from the kernel's outputs.
    pub fn new(
        genes: &[u32],
        variance: Vec<f64>,
        total_variance: f64,
        components: Vec<f64>,
        coordinates: Vec<f32>,
    ) -> Self {
        Self {
            n_comps: variance.len(),
            genes: genes.iter().map(|&g| g as usize).collect(),
            coordinates,
            components,
            variance_ratio: variance.iter().map(|v| v / total_variance).collect(),
            variance,
        }
    }
}

/// The columns flagged in `mask`, ascending: what the PCA runs on.
pub fn columns(mask: &[bool]) -> Vec<u32> {
    // A mask has one flag per column, and column indices fit u32 (checked by the reader).
    #[allow(clippy::cast_possible_truncation)]
    mask.iter()
        .enumerate()
        .filter(|&(_, &m)| m)
        .map(|(g, _)| g as u32)
        .collect()
}

/// Computes `n_comps` principal components of the columns of the CSR matrix (`pattern`,
/// `values`) selected by `mask`, natively.
///
/// # Errors
/// [`PcaError::InvalidInput`] when `n_comps` is 0 or not below both the number of cells and of
/// selected genes (scikit-learn's `svds` requires `k < min(shape)`), or when `values` does not
/// match the pattern; [`PcaError::NotFinite`] for NaN or infinite values.
pub fn pca(pattern: &Csr, values: &[f32], mask: &[bool], n_comps: usize) -> Result<Pca, PcaError> {
    let rows = taskhost_linalg::SparseRows::new(
        pattern.n_rows,
        pattern.n_cols,
        &pattern.indptr,
        &pattern.indices,
        values,
    )
    .map_err(|e| PcaError::InvalidInput(e.to_string()))?;
    let genes = columns(mask);
    let result = taskhost_linalg::pca(&rows, &genes, n_comps, &taskhost_linalg::Never)?;
    Ok(Pca::new(
        &genes,
        result.variance,
        result.total_variance,
        result.components,
        result.coordinates,
    ))
}
