//! The `PrepareExperiment` pipeline: read, normalise, HVG, PCA; then [`crate::anndata`] encodes
//! the result.

use crate::hvg::{self, GeneMoments, Hvg, HvgError};
use crate::normalize::normalize_log1p_with_moments;
use crate::pca::{self, Pca, PcaError};
use crate::sparse::Csr;
use crate::tenx::{self, InputFile, ReadError, TenxMatrix};

/// The parameters, defaulting to the single-cell worker's (and the pbmc3k reference's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrepareOptions {
    /// `normalize_total(target_sum=...)`.
    pub target_sum: f32,
    /// `highly_variable_genes(n_top_genes=...)`.
    pub n_top_genes: usize,
    /// `highly_variable_genes(n_bins=...)`.
    pub n_bins: usize,
    /// `pca(n_comps=...)`.
    pub n_comps: usize,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        Self {
            target_sum: 1e4,
            n_top_genes: 2000,
            n_bins: hvg::N_BINS,
            n_comps: 50,
        }
    }
}

/// An experiment ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedExperiment {
    /// The raw counts (cells x genes); their pattern is also `log_norm`'s.
    pub counts: Csr,
    /// Log-normalised values, in the order of `counts.data`.
    pub log_norm: Vec<f32>,
    /// Gene ids.
    pub gene_ids: Vec<String>,
    /// Gene symbols.
    pub gene_names: Vec<String>,
    /// Cell barcodes.
    pub barcodes: Vec<String>,
    /// Highly variable genes.
    pub hvg: Hvg,
    /// PCA on the highly variable genes.
    pub pca: Pca,
}

/// Why an experiment could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// The input files are missing or malformed.
    #[error("reading the 10x matrix: {0}")]
    Read(#[from] ReadError),
    /// Highly variable genes failed.
    #[error(transparent)]
    Hvg(#[from] HvgError),
    /// The PCA failed.
    #[error(transparent)]
    Pca(#[from] PcaError),
}

/// Reads the three files of a 10x folder and runs the pipeline.
///
/// # Errors
/// [`PrepareError`] from the step that failed.
pub fn prepare(
    matrix: InputFile<'_>,
    features: InputFile<'_>,
    barcodes: InputFile<'_>,
    options: &PrepareOptions,
) -> Result<PreparedExperiment, PrepareError> {
    let tenx = tenx::read_10x(matrix, features, barcodes)?;
    prepare_matrix(tenx, options)
}

/// A step of [`prepare_matrix_observed`], announced when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// `normalize_total` + `log1p`.
    Normalise,
    /// Highly variable genes.
    HighlyVariableGenes,
    /// PCA on the highly variable genes.
    Pca,
}

/// Runs the pipeline on an experiment already in memory.
///
/// # Errors
/// [`PrepareError`] from the step that failed.
pub fn prepare_matrix(
    tenx: TenxMatrix,
    options: &PrepareOptions,
) -> Result<PreparedExperiment, PrepareError> {
    prepare_matrix_observed(tenx, options, |_| {})
}

/// [`prepare_matrix`], calling `on_stage` as each step starts (a plugin reports progress there).
///
/// # Errors
/// [`PrepareError`] from the step that failed.
pub fn prepare_matrix_observed(
    tenx: TenxMatrix,
    options: &PrepareOptions,
    mut on_stage: impl FnMut(Stage),
) -> Result<PreparedExperiment, PrepareError> {
    on_stage(Stage::Normalise);
    normalise(tenx, options).analyse(options, on_stage)
}

/// The experiment after `normalize_total` + `log1p`, before HVG and PCA: the matrices are final
/// here, so a plugin can store them while the rest runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    /// The experiment as read.
    pub tenx: TenxMatrix,
    /// Log-normalised values, in the order of `tenx.counts.data`.
    pub log_norm: Vec<f32>,
    /// What highly variable genes need of them, gathered in the same pass.
    pub moments: GeneMoments,
}

/// `normalize_total(target_sum)` + `log1p`: the first step of the pipeline.
pub fn normalise(tenx: TenxMatrix, options: &PrepareOptions) -> Normalised {
    let (log_norm, moments) = normalize_log1p_with_moments(&tenx.counts, options.target_sum);
    Normalised {
        tenx,
        log_norm,
        moments,
    }
}

impl Normalised {
    /// The rest of the pipeline: highly variable genes, then PCA (natively), calling
    /// `on_stage` as each starts.
    ///
    /// # Errors
    /// [`PrepareError`] from the step that failed.
    pub fn analyse(
        self,
        options: &PrepareOptions,
        mut on_stage: impl FnMut(Stage),
    ) -> Result<PreparedExperiment, PrepareError> {
        on_stage(Stage::HighlyVariableGenes);
        let hvg = self.highly_variable_genes(options)?;
        on_stage(Stage::Pca);
        let pca = pca::pca(
            &self.tenx.counts,
            &self.log_norm,
            &hvg.highly_variable,
            options.n_comps,
        )?;
        Ok(self.with(hvg, pca))
    }

    /// `highly_variable_genes(flavor="seurat")` on the log-normalised values.
    ///
    /// # Errors
    /// [`PrepareError::Hvg`] for impossible parameters.
    pub fn highly_variable_genes(&self, options: &PrepareOptions) -> Result<Hvg, PrepareError> {
        Ok(hvg::highly_variable_genes_from(
            &self.moments,
            options.n_top_genes,
            options.n_bins,
        )?)
    }

    /// The prepared experiment, from the results of the two analysis steps (a plugin runs the
    /// PCA through the host and assembles the experiment here).
    pub fn with(self, hvg: Hvg, pca: Pca) -> PreparedExperiment {
        let Self { tenx, log_norm, .. } = self;
        PreparedExperiment {
            counts: tenx.counts,
            log_norm,
            gene_ids: tenx.gene_ids,
            gene_names: tenx.gene_names,
            barcodes: tenx.barcodes,
            hvg,
            pca,
        }
    }
}
