//! Plugin `prepare-experiment`, task `PrepareExperiment`: reads a 10x Genomics MatrixMarket
//! folder from the granted bucket `sourceBucket` under `sourceMatrixPath`, runs scanpy's
//! `normalize_total` + `log1p` + `highly_variable_genes(flavor="seurat")` (the
//! `taskhost-analysis` core) and `pca` (the host's `linalg` import, natively on its threads,
//! while this instance encodes the matrices), and stores the experiment as an AnnData Zarr store under
//! `adata.zarr/` of the task's experiment; a `cellsets.json` beside the matrix is copied to the
//! experiment's `cellsets.json`. Returns a small JSON summary.
//!
//! Needs a read grant on the source bucket: `--grant prepare-experiment=read:<bucket>`.

mod source;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use taskhost_analysis::pca::{self, Pca};
use taskhost_analysis::plugin::{CELLSETS_KEY, STORE_DIR, prepare_error, store_key};
use taskhost_analysis::tenx::{InputFile, read_10x_streamed};
use taskhost_analysis::{Normalised, PrepareOptions, anndata, normalise};
use taskhost_sdk::linalg::{self, PcaJob, SparseMatrix};
use taskhost_sdk::{
    Error, Output, Plugin, PluginInfo, Task, export_plugin, log, progress, storage,
};

use source::{SourceFiles, folder_prefix};

/// The task's body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PrepareInput {
    source_bucket: String,
    source_matrix_path: String,
    /// `highly_variable_genes(n_top_genes=...)`, default 2000.
    n_top_genes: Option<usize>,
    /// `pca(n_comps=...)`, default 50.
    n_comps: Option<usize>,
}

/// The task's result.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    cells: usize,
    genes: usize,
    highly_variable_genes: usize,
    components: usize,
    store: &'static str,
    keys_written: usize,
    bytes_written: usize,
    cell_sets: bool,
}

struct PrepareExperiment;

impl Plugin for PrepareExperiment {
    type Input = PrepareInput;

    fn info() -> PluginInfo {
        PluginInfo::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"))
            .handles("PrepareExperiment")
            .memory_limit(4 << 30)
            .timeout(Duration::from_secs(1800))
    }

    fn run(_task: &Task, input: PrepareInput) -> Result<Vec<Output>, Error> {
        let defaults = PrepareOptions::default();
        let options = PrepareOptions {
            n_top_genes: input.n_top_genes.unwrap_or(defaults.n_top_genes),
            n_comps: input.n_comps.unwrap_or(defaults.n_comps),
            ..defaults
        };
        let mut timer = Timer::new();
        progress::report(0.0, "listing the source folder");
        let prefix = folder_prefix(&input.source_matrix_path);
        let files = SourceFiles::find(&input.source_bucket, &prefix)?;

        progress::report(0.02, "reading the 10x files");
        let features = files.read(&files.names.features)?;
        let barcodes = files.read(&files.names.barcodes)?;
        // The matrix streams in, gunzipped by the host on another thread while it is parsed.
        let matrix = files.open_gunzipped(&files.names.matrix)?;
        timer.lap("read");

        progress::report(0.1, "parsing the matrix");
        let tenx = read_10x_streamed(
            &files.names.matrix,
            matrix,
            usize::try_from(files.matrix_size).unwrap_or(usize::MAX),
            input_file(&files.names.features, &features),
            input_file(&files.names.barcodes, &barcodes),
        )
        .map_err(|e| prepare_error(e.into()))?;
        drop((features, barcodes));
        timer.lap("parse");

        progress::report(0.35, "normalising");
        let normalised = normalise(tenx, &options);
        timer.lap("normalise");

        progress::report(0.4, "finding highly variable genes");
        let hvg = normalised
            .highly_variable_genes(&options)
            .map_err(prepare_error)?;
        timer.lap("hvg");

        // The host computes the PCA on its own threads (the `linalg` import) while this
        // instance encodes the matrices, which are final now, and hands them to the host to
        // write in the background. One matrix at a time: the second's encoding reuses the
        // memory the first's was handed over from.
        progress::report(0.45, "computing the PCA; encoding the matrices");
        let genes = pca::columns(&hvg.highly_variable);
        let job = start_pca(&normalised, &genes, options.n_comps)?;
        let counts = &normalised.tenx.counts;
        let x = anndata::encode_x(counts, &normalised.log_norm)
            .map_err(|e| Error::invalid_input(format!("{}: {e}", files.location)))?;
        let mut written = Written::default();
        write_store(x, &mut written, true)?;
        write_store(anndata::encode_counts(counts), &mut written, true)?;
        timer.lap("encode-matrices");

        let found = job.wait()?;
        let pca = Pca::new(
            &genes,
            found.variance,
            found.total_variance,
            found.components,
            found.coordinates,
        );
        let exp = normalised.with(hvg, pca);
        timer.lap("pca-wait");

        progress::report(0.85, "encoding the annotations");
        let mut summary = Summary {
            cells: exp.counts.n_rows,
            genes: exp.counts.n_cols,
            highly_variable_genes: exp.hvg.highly_variable.iter().filter(|&&h| h).count(),
            components: exp.pca.n_comps,
            store: STORE_DIR,
            keys_written: 0,
            bytes_written: 0,
            cell_sets: files.cellsets.is_some(),
        };
        let annotations = anndata::encode_annotations(&exp);
        drop(exp);
        timer.lap("encode");

        write_store(annotations, &mut written, false)?;
        // Cell sets of an earlier preparation must not outlive it.
        match &files.cellsets {
            Some(key) => storage::experiment().put(CELLSETS_KEY, &files.read(key)?)?,
            None => storage::experiment().delete(CELLSETS_KEY)?,
        }
        storage::flush()?;
        timer.lap("write");
        (summary.keys_written, summary.bytes_written) = (written.keys, written.bytes);
        progress::report(1.0, "experiment prepared");
        timer.log();
        Ok(vec![Output::json(&summary)?])
    }
}

/// Starts the PCA of the log-normalised values on the genes `genes` in the host.
fn start_pca(normalised: &Normalised, genes: &[u32], n_comps: usize) -> Result<PcaJob, Error> {
    let counts = &normalised.tenx.counts;
    let too_large = |what: &str| Error::invalid_input(format!("the matrix has too many {what}"));
    let indptr: Vec<u64> = counts.indptr.iter().map(|&o| o as u64).collect();
    let matrix = SparseMatrix {
        rows: u32::try_from(counts.n_rows).map_err(|_| too_large("cells"))?,
        columns: u32::try_from(counts.n_cols).map_err(|_| too_large("genes"))?,
        indptr: &indptr,
        indices: &counts.indices,
        values: &normalised.log_norm,
    };
    let k = u32::try_from(n_comps).map_err(|_| Error::invalid_input("nComps is too large"))?;
    Ok(linalg::start_pca(&matrix, Some(genes), k)?)
}

fn input_file<'a>(key: &'a str, bytes: &'a [u8]) -> InputFile<'a> {
    InputFile { name: key, bytes }
}

/// What has been written so far.
#[derive(Debug, Default)]
struct Written {
    keys: usize,
    bytes: usize,
}

/// Puts every key of `store` (in the background when `background`), freeing each value once
/// handed over.
fn write_store(
    store: Vec<(String, Vec<u8>)>,
    written: &mut Written,
    background: bool,
) -> Result<(), Error> {
    let experiment = storage::experiment();
    for (key, bytes) in store {
        if background {
            experiment.put_background(&store_key(&key), &bytes)?;
        } else {
            experiment.put(&store_key(&key), &bytes)?;
        }
        written.keys += 1;
        written.bytes += bytes.len();
    }
    Ok(())
}

/// Phase timings, logged at the end (clocks are available in the sandbox).
struct Timer {
    last: Instant,
    laps: Vec<(&'static str, String)>,
}

impl Timer {
    fn new() -> Self {
        Self {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        let ms = (now - self.last).as_secs_f64() * 1e3;
        self.laps.push((name, format!("{ms:.0}")));
        self.last = now;
    }

    fn log(&self) {
        let fields: Vec<(&str, &str)> = self.laps.iter().map(|(k, v)| (*k, v.as_str())).collect();
        log::write(log::Level::Info, "phase times (ms)", &fields);
    }
}

export_plugin!(PrepareExperiment);
