//! Reading a 10x Genomics MatrixMarket folder (`matrix.mtx[.gz]`, `features.tsv[.gz]` or
//! `genes.tsv[.gz]`, `barcodes.tsv[.gz]`) from bytes, as `sc.read_10x_mtx(dir,
//! var_names="gene_ids")` does: the genes x cells file becomes a cells x genes matrix of `f32`
//! counts (anndata reads MatrixMarket as float32), duplicate coordinates are summed.
//!
//! Gzip is recognised by its magic bytes, not by the file name. Errors name the file and, for
//! malformed content, the 1-based line.

mod gz;
mod mtx;
mod tsv;

pub use mtx::parse_mtx;
pub use tsv::{Features, parse_barcodes, parse_features};

use crate::sparse::Csr;

/// One input file: its name (used in error messages and to pick the files of a folder) and its
/// content, gzip-compressed or not.
#[derive(Debug, Clone, Copy)]
pub struct InputFile<'a> {
    /// The file name or storage key.
    pub name: &'a str,
    /// The raw bytes as stored.
    pub bytes: &'a [u8],
}

/// A 10x experiment read into memory.
#[derive(Debug, Clone, PartialEq)]
pub struct TenxMatrix {
    /// Counts, cells x genes.
    pub counts: Csr,
    /// Gene ids (first column of the features file), one per gene.
    pub gene_ids: Vec<String>,
    /// Gene symbols (second column), one per gene; not unique.
    pub gene_names: Vec<String>,
    /// Cell barcodes, one per cell.
    pub barcodes: Vec<String>,
}

/// Why a 10x folder could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The gzip stream is corrupt or truncated.
    #[error("{file}: gzip decompression failed: {source}")]
    Gzip {
        /// The file name.
        file: String,
        /// What the decoder reported.
        source: std::io::Error,
    },
    /// A line does not have the expected form.
    #[error("{file}:{line}: {message}")]
    Malformed {
        /// The file name.
        file: String,
        /// The 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// The files disagree with each other or the file is incomplete.
    #[error("{file}: {message}")]
    Inconsistent {
        /// The file name.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A file of the folder is missing from a listing.
    #[error("10x folder: no {0} file found")]
    Missing(&'static str),
    /// The matrix does not fit this crate's indices.
    #[error(transparent)]
    TooLarge(#[from] crate::sparse::TooLarge),
}

/// The names of the three files of a 10x folder, picked from a listing of file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenxFileNames {
    /// `matrix.mtx` or `matrix.mtx.gz`.
    pub matrix: String,
    /// `features.tsv[.gz]`, or `genes.tsv[.gz]` when there is no features file.
    pub features: String,
    /// `barcodes.tsv[.gz]`.
    pub barcodes: String,
}

/// Picks the 10x files among `names` (keys or paths; only the last `/`-separated part is
/// compared). A gzipped file is preferred over a plain one of the same name, `features` over
/// `genes`.
///
/// # Errors
/// [`ReadError::Missing`] naming the first file that is absent.
pub fn find_files<S: AsRef<str>>(names: &[S]) -> Result<TenxFileNames, ReadError> {
    let pick = |candidates: &[&str]| -> Option<String> {
        candidates.iter().find_map(|wanted| {
            names
                .iter()
                .map(AsRef::as_ref)
                .find(|n| n.rsplit('/').next() == Some(*wanted))
                .map(str::to_owned)
        })
    };
    Ok(TenxFileNames {
        matrix: pick(&["matrix.mtx.gz", "matrix.mtx"]).ok_or(ReadError::Missing("matrix.mtx"))?,
        features: pick(&[
            "features.tsv.gz",
            "features.tsv",
            "genes.tsv.gz",
            "genes.tsv",
        ])
        .ok_or(ReadError::Missing("features.tsv or genes.tsv"))?,
        barcodes: pick(&["barcodes.tsv.gz", "barcodes.tsv"])
            .ok_or(ReadError::Missing("barcodes.tsv"))?,
    })
}

/// Reads a 10x folder from its three files.
///
/// # Errors
/// [`ReadError`] naming the file (and line) at fault, also when the number of genes or cells of
/// the matrix differs from the features or barcodes file.
pub fn read_10x(
    matrix: InputFile<'_>,
    features: InputFile<'_>,
    barcodes: InputFile<'_>,
) -> Result<TenxMatrix, ReadError> {
    let decoded = gz::reader(matrix.bytes);
    read_10x_streamed(matrix.name, decoded, matrix.bytes.len(), features, barcodes)
}

/// [`read_10x`] with the matrix read from `matrix`, a reader of its decompressed text (a
/// plugin passes the host's decoding reader, so that gunzip runs natively beside the parser);
/// `stored_size` is the size of the matrix file as stored. A read error of `matrix` comes back
/// as [`ReadError::Gzip`] with the reader's error as its source.
///
/// # Errors
/// As [`read_10x`].
pub fn read_10x_streamed(
    matrix_name: &str,
    matrix: impl std::io::Read,
    stored_size: usize,
    features: InputFile<'_>,
    barcodes: InputFile<'_>,
) -> Result<TenxMatrix, ReadError> {
    let Features { ids, names } = parse_features(features)?;
    let barcode_list = parse_barcodes(barcodes)?;
    let counts = mtx::parse_mtx_stream(
        matrix_name,
        matrix,
        stored_size,
        Some(mtx::Expected {
            genes: (ids.len(), features.name),
            cells: (barcode_list.len(), barcodes.name),
        }),
    )?;
    Ok(TenxMatrix {
        counts,
        gene_ids: ids,
        gene_names: names,
        barcodes: barcode_list,
    })
}
