//! Readers of the stored experiment for the query tasks: whole var/obs tables, one gene's
//! column of `X` by byte ranges, and the PCA embedding.

use crate::zarr::{
    ArrayData, Dtype, StoreSource, ZarrError, fetch_range, read_array, read_attrs, read_meta,
};

/// The `var` dataframe.
#[derive(Debug, Clone, PartialEq)]
pub struct VarTable {
    /// Gene ids (the index).
    pub gene_ids: Vec<String>,
    /// Gene symbols.
    pub gene_names: Vec<String>,
    /// HVG means.
    pub means: Vec<f64>,
    /// HVG dispersions.
    pub dispersions: Vec<f64>,
    /// HVG normalised dispersions.
    pub dispersions_norm: Vec<f32>,
    /// HVG flags.
    pub highly_variable: Vec<bool>,
}

impl VarTable {
    /// The number of genes.
    pub fn len(&self) -> usize {
        self.gene_ids.len()
    }

    /// Whether there are no genes.
    pub fn is_empty(&self) -> bool {
        self.gene_ids.is_empty()
    }
}

/// The `obs` dataframe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObsTable {
    /// Cell ids (0-based cell indices).
    pub cell_ids: Vec<i64>,
    /// Barcodes.
    pub barcodes: Vec<String>,
}

/// The PCA embedding.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedding {
    /// Number of cells.
    pub n_cells: usize,
    /// Number of components.
    pub n_comps: usize,
    /// `n_cells x n_comps`, row-major.
    pub coordinates: Vec<f32>,
}

/// One gene's stored values: the cells (ascending) and their values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SparseColumn {
    /// Cell indices.
    pub cells: Vec<u32>,
    /// Values, one per cell.
    pub values: Vec<f32>,
}

fn wrong(path: &str, what: &str) -> ZarrError {
    ZarrError::invalid(path, format!("expected {what}"))
}

fn strings(src: &mut dyn StoreSource, path: &str) -> Result<Vec<String>, ZarrError> {
    match read_array(src, path)?.1 {
        ArrayData::Str(v) => Ok(v),
        _ => Err(wrong(path, "a string array")),
    }
}

fn floats(src: &mut dyn StoreSource, path: &str) -> Result<Vec<f64>, ZarrError> {
    match read_array(src, path)?.1 {
        ArrayData::F64(v) => Ok(v),
        ArrayData::F32(v) => Ok(v.into_iter().map(f64::from).collect()),
        _ => Err(wrong(path, "a float array")),
    }
}

fn check_len(path: &str, len: usize, expected: usize) -> Result<(), ZarrError> {
    if len == expected {
        Ok(())
    } else {
        Err(ZarrError::invalid(
            path,
            format!("{len} elements, expected {expected}"),
        ))
    }
}

/// Reads `var`.
///
/// # Errors
/// [`ZarrError`] for a missing or malformed column, or columns of different lengths.
pub fn read_var(src: &mut dyn StoreSource) -> Result<VarTable, ZarrError> {
    let gene_ids = strings(src, "var/gene_ids")?;
    let n = gene_ids.len();
    let gene_names = strings(src, "var/gene_names")?;
    check_len("var/gene_names", gene_names.len(), n)?;
    let means = floats(src, "var/means")?;
    check_len("var/means", means.len(), n)?;
    let dispersions = floats(src, "var/dispersions")?;
    check_len("var/dispersions", dispersions.len(), n)?;
    let dispersions_norm = match read_array(src, "var/dispersions_norm")?.1 {
        ArrayData::F32(v) => v,
        _ => return Err(wrong("var/dispersions_norm", "a float32 array")),
    };
    check_len("var/dispersions_norm", dispersions_norm.len(), n)?;
    let highly_variable = match read_array(src, "var/highly_variable")?.1 {
        ArrayData::Bool(v) => v,
        _ => return Err(wrong("var/highly_variable", "a bool array")),
    };
    check_len("var/highly_variable", highly_variable.len(), n)?;
    Ok(VarTable {
        gene_ids,
        gene_names,
        means,
        dispersions,
        dispersions_norm,
        highly_variable,
    })
}

/// Reads only `var`'s gene ids and symbols (what a gene lookup needs).
///
/// # Errors
/// [`ZarrError`] for a missing or malformed column, or columns of different lengths.
pub fn read_gene_names(src: &mut dyn StoreSource) -> Result<GeneNames, ZarrError> {
    let ids = strings(src, "var/gene_ids")?;
    let names = strings(src, "var/gene_names")?;
    check_len("var/gene_names", names.len(), ids.len())?;
    Ok(GeneNames { ids, names })
}

/// `var`'s gene ids and symbols.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneNames {
    /// Gene ids (the index).
    pub ids: Vec<String>,
    /// Gene symbols (not unique).
    pub names: Vec<String>,
}

/// Reads `obs`.
///
/// # Errors
/// [`ZarrError`] for a missing or malformed column.
pub fn read_obs(src: &mut dyn StoreSource) -> Result<ObsTable, ZarrError> {
    let cell_ids = match read_array(src, "obs/cell_ids")?.1 {
        ArrayData::I64(v) => v,
        ArrayData::I32(v) => v.into_iter().map(i64::from).collect(),
        _ => return Err(wrong("obs/cell_ids", "an integer array")),
    };
    let barcodes = strings(src, "obs/barcodes")?;
    check_len("obs/barcodes", barcodes.len(), cell_ids.len())?;
    Ok(ObsTable { cell_ids, barcodes })
}

/// Reads `obsm/X_pca`.
///
/// # Errors
/// [`ZarrError`] when it is missing or not a 2-D `f32` array.
pub fn read_pca(src: &mut dyn StoreSource) -> Result<Embedding, ZarrError> {
    let (meta, data) = read_array(src, "obsm/X_pca")?;
    match (data, &meta.shape[..]) {
        (ArrayData::F32(coordinates), &[n_cells, n_comps]) => Ok(Embedding {
            n_cells,
            n_comps,
            coordinates,
        }),
        _ => Err(wrong("obsm/X_pca", "a 2-D float32 array")),
    }
}

/// Access to the columns of the stored `X` (`csc_matrix`): the shape and `indptr` are read
/// once, then each gene costs two byte-range reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XColumns {
    /// Number of cells.
    pub n_cells: usize,
    /// Number of genes.
    pub n_genes: usize,
    indptr: Vec<i64>,
}

impl XColumns {
    /// Reads `X`'s attributes, its `data` and `indices` metadata and its `indptr`.
    ///
    /// # Errors
    /// [`ZarrError`] when `X` is not a `csc_matrix` of `f32` with `i32` indices as
    /// [`super::encode`] writes it.
    pub fn open(src: &mut dyn StoreSource) -> Result<Self, ZarrError> {
        let attrs = read_attrs(src, "X")?;
        if attrs.get("encoding-type").and_then(|v| v.as_str()) != Some("csc_matrix") {
            return Err(wrong("X/.zattrs", "encoding-type csc_matrix"));
        }
        let shape: Option<Vec<usize>> =
            attrs.get("shape").and_then(|s| s.as_array()).and_then(|a| {
                a.iter()
                    .map(|x| x.as_u64().and_then(|x| usize::try_from(x).ok()))
                    .collect()
            });
        let [n_cells, n_genes] = shape.as_deref().unwrap_or_default()[..] else {
            return Err(wrong("X/.zattrs", "a 2-D shape"));
        };
        for (path, dtype) in [("X/data", Dtype::F32), ("X/indices", Dtype::I32)] {
            let meta = read_meta(src, path)?;
            if meta.dtype != dtype || meta.chunks != meta.shape {
                return Err(wrong(path, "a single-chunk array of the writer's dtype"));
            }
        }
        let indptr = match read_array(src, "X/indptr")?.1 {
            ArrayData::I64(v) => v,
            ArrayData::I32(v) => v.into_iter().map(i64::from).collect(),
            _ => return Err(wrong("X/indptr", "an integer array")),
        };
        check_len("X/indptr", indptr.len(), n_genes + 1)?;
        if indptr.first() != Some(&0) || indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err(wrong("X/indptr", "non-decreasing offsets from 0"));
        }
        Ok(Self {
            n_cells,
            n_genes,
            indptr,
        })
    }

    /// Byte range of gene `gene` in an array of `itemsize`-byte elements.
    fn range(&self, gene: usize, itemsize: u64) -> (u64, u64) {
        #[allow(clippy::cast_sign_loss)]
        let (a, b) = (self.indptr[gene] as u64, self.indptr[gene + 1] as u64);
        (a * itemsize, b * itemsize)
    }

    /// Reads gene `gene`'s stored values.
    ///
    /// # Errors
    /// [`ZarrError`] from the storage, for a gene index out of range, or a cell index out of
    /// range.
    pub fn column(
        &self,
        src: &mut dyn StoreSource,
        gene: usize,
    ) -> Result<SparseColumn, ZarrError> {
        if gene >= self.n_genes {
            return Err(ZarrError::invalid(
                "X",
                format!("gene {gene} out of range (0..{})", self.n_genes),
            ));
        }
        let (s, e) = self.range(gene, 4);
        if s == e {
            return Ok(SparseColumn::default());
        }
        let data = fetch_range(src, "X/data/0", s, e)?;
        let indices = fetch_range(src, "X/indices/0", s, e)?;
        if data.len() as u64 != e - s || indices.len() as u64 != e - s {
            return Err(ZarrError::invalid("X", "short byte-range read"));
        }
        let values = data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let cells = indices
            .chunks_exact(4)
            .map(|c| {
                let i = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                u32::try_from(i)
                    .ok()
                    .filter(|&i| (i as usize) < self.n_cells)
                    .ok_or_else(|| {
                        ZarrError::invalid("X/indices/0", format!("cell index {i} out of range"))
                    })
            })
            .collect::<Result<Vec<u32>, ZarrError>>()?;
        Ok(SparseColumn { cells, values })
    }
}
