//! The prepared experiment as an AnnData Zarr v2 store that `anndata.read_zarr` opens, and
//! readers for the parts the query tasks need.
//!
//! Layout (anndata on-disk spec, `encoding-type`/`encoding-version` attributes on every
//! element):
//!
//! | key | content |
//! |---|---|
//! | `X` | `csc_matrix`, cells x genes, log-normalised `f32`; `data` `<f4`, `indices` `<i4`, `indptr` `<i8` |
//! | `layers/counts` | `csr_matrix` of the raw counts (`f32`, as scanpy reads them): no query reads it by gene, so it is stored as parsed, not transposed |
//! | `obs` | dataframe, index `_index` = barcodes, columns `cell_ids` (`<i8`, 0-based), `barcodes` |
//! | `var` | dataframe, index `_index` = gene ids, columns `gene_ids`, `gene_names`, `means` (`<f8`), `dispersions` (`<f8`), `dispersions_norm` (`<f4`), `highly_variable` (`|b1`) |
//! | `obsm/X_pca` | `n_cells x n_comps` `<f4` |
//! | `uns/pca/variance`, `uns/pca/variance_ratio` | `<f8` |
//! | `varm`, `obsp`, `varp` | empty |
//!
//! Every array is one uncompressed little-endian chunk (`<path>/0`, or `0.0` for 2-D), so gene
//! `j`'s column of `X` is bytes `indptr[j] * 4 .. indptr[j + 1] * 4` of `X/data/0` and of
//! `X/indices/0`.

mod read;

pub use read::{
    Embedding, GeneNames, ObsTable, SparseColumn, VarTable, XColumns, read_gene_names, read_obs,
    read_pca, read_var,
};

use serde_json::{Value, json};

use crate::prepare::PreparedExperiment;
use crate::sparse::{Csr, TooLarge, csc_transpose};
use crate::zarr::{ArrayRef, Dtype, StoreWriter, le_bytes};

/// The var columns, in `column-order`.
pub const VAR_COLUMNS: [&str; 6] = [
    "gene_ids",
    "gene_names",
    "means",
    "dispersions",
    "dispersions_norm",
    "highly_variable",
];

/// The obs columns, in `column-order`.
pub const OBS_COLUMNS: [&str; 2] = ["cell_ids", "barcodes"];

fn enc(kind: &str, version: &str) -> Value {
    json!({"encoding-type": kind, "encoding-version": version})
}

fn array_attrs() -> Option<Value> {
    Some(enc("array", "0.2.0"))
}

fn string_attrs() -> Option<Value> {
    Some(enc("string-array", "0.2.0"))
}

fn dataframe_attrs(columns: &[&str]) -> Option<Value> {
    Some(json!({
        "_index": "_index",
        "column-order": columns,
        "encoding-type": "dataframe",
        "encoding-version": "0.2.0",
    }))
}

/// Encodes `exp` as the `(key, bytes)` pairs of an AnnData Zarr store (keys relative to the
/// store's root): [`encode_x`], [`encode_counts`] and [`encode_annotations`]; the first two need
/// only the counts and their log-normalisation, so they can be stored before HVG and PCA run.
///
/// # Errors
/// [`TooLarge`] when the matrix has more than `u32::MAX` stored values.
pub fn encode(exp: &PreparedExperiment) -> Result<Vec<(String, Vec<u8>)>, TooLarge> {
    let mut store = encode_x(&exp.counts, &exp.log_norm)?;
    store.extend(encode_counts(&exp.counts));
    store.extend(encode_annotations(exp));
    Ok(store)
}

/// The root group and `X`, by gene (the queries read one gene's column). A caller that stores
/// these before calling [`encode_counts`] holds one of the two matrices' encodings at a time.
///
/// # Errors
/// [`TooLarge`] when the matrix has more than `u32::MAX` stored values.
pub fn encode_x(counts: &Csr, log_norm: &[f32]) -> Result<Vec<(String, Vec<u8>)>, TooLarge> {
    let mut w = StoreWriter::new();
    w.group("", Some(enc("anndata", "0.1.0")));
    let csc = csc_transpose(counts, [log_norm])?;
    let nnz = csc.indices.len();
    sparse_group(&mut w, "X", "csc_matrix", counts);
    let [x_data] = csc.values;
    w.array_encoded("X/data", Dtype::F32, nnz, x_data.into_flattened(), None);
    // Rows fit i32 in any matrix a Wasm memory holds: the u32 bytes are the i32 bytes.
    let x_indices = csc.indices.into_flattened();
    w.array_encoded("X/indices", Dtype::I32, nnz, x_indices, None);
    w.array("X/indptr", ArrayRef::I64(&offsets(&csc.indptr)), None);
    Ok(w.finish())
}

/// `layers/counts`, by cell as parsed: no query reads the counts by gene, so they are not
/// transposed.
pub fn encode_counts(counts: &Csr) -> Vec<(String, Vec<u8>)> {
    let mut w = StoreWriter::new();
    w.group("layers", Some(enc("dict", "0.1.0")));
    sparse_group(&mut w, "layers/counts", "csr_matrix", counts);
    w.array("layers/counts/data", ArrayRef::F32(&counts.data), None);
    let indices = le_bytes(&counts.indices, u32::to_le_bytes);
    let nnz = counts.indices.len();
    w.array_encoded("layers/counts/indices", Dtype::I32, nnz, indices, None);
    w.array(
        "layers/counts/indptr",
        ArrayRef::I64(&offsets(&counts.indptr)),
        None,
    );
    w.finish()
}

/// The group of a sparse matrix of `counts`'s shape, stored as `kind`.
fn sparse_group(w: &mut StoreWriter, path: &str, kind: &str, counts: &Csr) {
    w.group(
        path,
        Some(json!({
            "encoding-type": kind,
            "encoding-version": "0.1.0",
            "shape": [counts.n_rows, counts.n_cols],
        })),
    );
}

fn offsets(indptr: &[usize]) -> Vec<i64> {
    #[allow(clippy::cast_possible_wrap)]
    indptr.iter().map(|&p| p as i64).collect()
}

/// Everything but the matrices: `obs`, `var` (with the HVG columns), `obsm/X_pca`, `uns/pca`
/// and the empty `varm`, `obsp`, `varp`.
pub fn encode_annotations(exp: &PreparedExperiment) -> Vec<(String, Vec<u8>)> {
    let n_obs = exp.counts.n_rows;
    let mut w = StoreWriter::new();
    w.group("obs", dataframe_attrs(&OBS_COLUMNS));
    w.array("obs/_index", ArrayRef::Str(&exp.barcodes), string_attrs());
    #[allow(clippy::cast_possible_wrap)]
    let cell_ids: Vec<i64> = (0..n_obs as i64).collect();
    w.array("obs/cell_ids", ArrayRef::I64(&cell_ids), array_attrs());
    w.array("obs/barcodes", ArrayRef::Str(&exp.barcodes), string_attrs());

    w.group("var", dataframe_attrs(&VAR_COLUMNS));
    w.array("var/_index", ArrayRef::Str(&exp.gene_ids), string_attrs());
    w.array("var/gene_ids", ArrayRef::Str(&exp.gene_ids), string_attrs());
    w.array(
        "var/gene_names",
        ArrayRef::Str(&exp.gene_names),
        string_attrs(),
    );
    w.array("var/means", ArrayRef::F64(&exp.hvg.means), array_attrs());
    w.array(
        "var/dispersions",
        ArrayRef::F64(&exp.hvg.dispersions),
        array_attrs(),
    );
    w.array(
        "var/dispersions_norm",
        ArrayRef::F32(&exp.hvg.dispersions_norm),
        array_attrs(),
    );
    w.array(
        "var/highly_variable",
        ArrayRef::Bool(&exp.hvg.highly_variable),
        array_attrs(),
    );

    w.group("obsm", Some(enc("dict", "0.1.0")));
    w.array_2d_f32(
        "obsm/X_pca",
        n_obs,
        exp.pca.n_comps,
        &exp.pca.coordinates,
        array_attrs(),
    );
    w.group("uns", Some(enc("dict", "0.1.0")));
    w.group("uns/pca", Some(enc("dict", "0.1.0")));
    w.array(
        "uns/pca/variance",
        ArrayRef::F64(&exp.pca.variance),
        array_attrs(),
    );
    w.array(
        "uns/pca/variance_ratio",
        ArrayRef::F64(&exp.pca.variance_ratio),
        array_attrs(),
    );
    for empty in ["varm", "obsp", "varp"] {
        w.group(empty, Some(enc("dict", "0.1.0")));
    }
    w.finish()
}

#[cfg(test)]
mod tests;
