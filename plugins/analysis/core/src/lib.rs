//! Numerical core of taskhost's single-cell analysis plugins.
//!
//! Everything here is pure Rust, single-threaded and free of I/O, so that it runs unchanged in
//! the `wasm32-wasip2` sandbox: functions take bytes or slices (what the storage API returns)
//! and return data structures or bytes (what the plugin then stores or publishes).
//!
//! The pipeline of the `PrepareExperiment` task reproduces scanpy 1.11:
//!
//! | step | module | scanpy |
//! |---|---|---|
//! | read a 10x MatrixMarket folder | [`tenx`] | `sc.read_10x_mtx(dir, var_names="gene_ids")` |
//! | normalise and log-transform | [`normalize`] | `sc.pp.normalize_total(target_sum=1e4)`, `sc.pp.log1p` |
//! | highly variable genes | [`hvg`] | `sc.pp.highly_variable_genes(flavor="seurat", n_top_genes=N)` |
//! | PCA on the HVGs | [`pca`] | `sc.pp.pca(n_comps=K, svd_solver="arpack")` |
//! | store as AnnData Zarr | [`anndata`] | `anndata.read_zarr` opens the result |
//!
//! [`prepare`] chains them; [`query`] answers `ListGenes` and `GeneExpression` from the stored
//! experiment, reading only what it needs through [`zarr::StoreSource`].
//!
//! With the feature `sdk`, [`plugin`] holds what the four plugin crates share: the store over
//! the SDK's storage and the mapping of this crate's errors onto the SDK's.

pub mod anndata;
pub mod hvg;
mod memo;
pub mod normalize;
pub mod pca;
#[cfg(feature = "sdk")]
pub mod plugin;
pub mod prepare;
pub mod query;
pub mod sparse;
pub mod synthetic;
pub mod tenx;
pub mod zarr;

#[cfg(test)]
mod testutil;

pub use prepare::{
    Normalised, PrepareError, PrepareOptions, PreparedExperiment, Stage, normalise, prepare,
    prepare_matrix, prepare_matrix_observed,
};
