//! `sc.pp.highly_variable_genes(flavor="seurat", n_top_genes=N)` of scanpy 1.11
//! (`_highly_variable_genes_single_batch`), step by step:
//!
//! 1. `expm1` of the log-normalised `f32` values (in `f32`);
//! 2. per-gene mean and variance accumulated in `f64` (the squares are `f32` products, as in
//!    scanpy's numba kernel), `var = E[x²] - mean²` then `* n / (n - 1)` ([`GeneMoments`],
//!    gathered in the normalisation's own pass by the pipeline);
//! 3. a zero mean becomes `1e-12`; `dispersion = var / mean`; a zero dispersion becomes NaN;
//!    `dispersions = ln(dispersion)`, `means = ln_1p(mean)`;
//! 4. 20 bins of `means` as `pd.cut(means, 20)` (equal-width bins from `np.linspace`, the first
//!    edge lowered by 0.1 % of the range, right-closed);
//! 5. per bin, the mean and the sample standard deviation (`ddof=1`) of the non-NaN
//!    dispersions; a bin whose standard deviation is NaN (one gene, or no non-NaN dispersion)
//!    gets `dev = avg, avg = 0`, so a lone gene's normalised dispersion is 1;
//! 6. `dispersions_norm = (dispersions - avg) / dev`, stored as `f32` like scanpy;
//! 7. the cut-off is the N-th highest non-NaN `f64` normalised dispersion and every gene at or
//!    above it is highly variable (ties may flag more than N genes; NaN never is).

use crate::memo::CountMemo;
use crate::sparse::Csr;

/// The per-gene result, as scanpy stores it in `adata.var`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hvg {
    /// `ln_1p` of the mean of `expm1(X)` (`1e-12` before `ln_1p` for a gene without counts).
    pub means: Vec<f64>,
    /// `ln` of the dispersion; NaN when the dispersion is 0.
    pub dispersions: Vec<f64>,
    /// The normalised dispersion, `f32` like scanpy's `adata.var["dispersions_norm"]`.
    pub dispersions_norm: Vec<f32>,
    /// Whether the gene is among the top N.
    pub highly_variable: Vec<bool>,
}

/// Why highly variable genes cannot be computed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum HvgError {
    /// `n_top_genes` or `n_bins` is 0, or the matrix has no cells or no genes.
    #[error("highly variable genes: {0}")]
    InvalidInput(String),
    /// Every normalised dispersion is NaN (scanpy fails with an IndexError there).
    #[error("highly variable genes: no gene has a normalised dispersion (all are NaN)")]
    NoDispersion,
}

/// The default number of mean bins of scanpy.
pub const N_BINS: usize = 20;

/// Computes the seurat-flavour highly variable genes of the log-normalised matrix whose pattern
/// is `pattern` and whose values are `log_norm`.
///
/// # Errors
/// [`HvgError`] for an empty matrix, `n_top_genes == 0`, or when no gene has a dispersion.
pub fn highly_variable_genes(
    pattern: &Csr,
    log_norm: &[f32],
    n_top_genes: usize,
    n_bins: usize,
) -> Result<Hvg, HvgError> {
    highly_variable_genes_from(&GeneMoments::of(pattern, log_norm), n_top_genes, n_bins)
}

/// [`highly_variable_genes`] from the moments of `expm1` of the log-normalised values
/// (gathered while normalising: [`crate::normalize::normalize_log1p_with_moments`]).
///
/// # Errors
/// As [`highly_variable_genes`].
pub fn highly_variable_genes_from(
    moments: &GeneMoments,
    n_top_genes: usize,
    n_bins: usize,
) -> Result<Hvg, HvgError> {
    let (n, g) = (moments.n_rows, moments.sums.len());
    if n == 0 || g == 0 || n_top_genes == 0 || n_bins == 0 {
        return Err(HvgError::InvalidInput(format!(
            "need cells ({n}), genes ({g}), n_top_genes ({n_top_genes}) and n_bins ({n_bins}) \
             above 0"
        )));
    }
    let (mut means, vars) = moments.mean_var();
    let mut dispersions = Vec::with_capacity(g);
    for (mean, var) in means.iter_mut().zip(vars) {
        if *mean == 0.0 {
            *mean = 1e-12;
        }
        let mut d = var / *mean;
        if d == 0.0 {
            d = f64::NAN;
        }
        dispersions.push(d.ln());
        *mean = mean.ln_1p();
    }
    let bins = cut(&means, n_bins);
    let stats = bin_stats(&bins, &dispersions, n_bins);
    let norm: Vec<f64> = dispersions
        .iter()
        .zip(&bins)
        .map(|(&d, b)| match b {
            Some(b) => (d - stats[*b].0) / stats[*b].1,
            None => f64::NAN,
        })
        .collect();
    let cutoff = nth_highest(&norm, n_top_genes.min(g)).ok_or(HvgError::NoDispersion)?;
    let highly_variable = norm.iter().map(|&v| !v.is_nan() && v >= cutoff).collect();
    #[allow(clippy::cast_possible_truncation)]
    let dispersions_norm = norm.iter().map(|&v| v as f32).collect();
    Ok(Hvg {
        means,
        dispersions,
        dispersions_norm,
        highly_variable,
    })
}

/// Per gene, the sums of `expm1` of the log-normalised values (`f32`) and of their squares
/// (`f32` products), in `f64`, added in the matrix's row order: scanpy's
/// `sparse_mean_var_minor_axis`, from which the means and variances follow.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneMoments {
    n_rows: usize,
    sums: Vec<f64>,
    squares: Vec<f64>,
}

impl GeneMoments {
    /// Empty sums for `n_genes` genes of a matrix of `n_rows` cells.
    pub fn new(n_rows: usize, n_genes: usize) -> Self {
        Self {
            n_rows,
            sums: vec![0.0; n_genes],
            squares: vec![0.0; n_genes],
        }
    }

    /// Adds `e`, `expm1` of a value of gene `gene` (values must come in row order).
    #[inline]
    pub fn add(&mut self, gene: u32, e: f32) {
        self.sums[gene as usize] += f64::from(e);
        self.squares[gene as usize] += f64::from(e * e);
    }

    /// The moments of the log-normalised `log_norm` whose pattern is `pattern`, in a pass of
    /// their own.
    pub fn of(pattern: &Csr, log_norm: &[f32]) -> Self {
        let mut moments = Self::new(pattern.n_rows, pattern.n_cols);
        let mut memo = CountMemo::new();
        for ((&col, &v), &count) in pattern.indices.iter().zip(log_norm).zip(&pattern.data) {
            moments.add(col, memo.get(count, v, f32::exp_m1));
        }
        moments
    }

    /// Mean and variance (`ddof=1`) per gene, as `_get_mean_var`'s correction gives them.
    fn mean_var(&self) -> (Vec<f64>, Vec<f64>) {
        #[allow(clippy::cast_precision_loss)]
        let n = self.n_rows as f64;
        let correction = if self.n_rows == 1 { 1.0 } else { n / (n - 1.0) };
        let means: Vec<f64> = self.sums.iter().map(|s| s / n).collect();
        let vars = self
            .squares
            .iter()
            .zip(&self.sums)
            .map(|(sq, s)| (sq / n - (s / n).powi(2)) * correction)
            .collect();
        (means, vars)
    }
}

/// `pd.cut(x, bins=n_bins)` codes: the 0-based bin of each value, `None` for NaN.
pub fn cut(x: &[f64], n_bins: usize) -> Vec<Option<usize>> {
    let finite = x.iter().copied().filter(|v| !v.is_nan());
    let (mut mn, mut mx) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if mn > mx {
        return vec![None; x.len()];
    }
    let edges = if mn == mx {
        mn -= if mn == 0.0 { 0.001 } else { 0.001 * mn.abs() };
        mx += if mx == 0.0 { 0.001 } else { 0.001 * mx.abs() };
        linspace(mn, mx, n_bins + 1)
    } else {
        let mut e = linspace(mn, mx, n_bins + 1);
        e[0] -= (mx - mn) * 0.001;
        e
    };
    x.iter()
        .map(|&v| {
            if v.is_nan() {
                return None;
            }
            // searchsorted(side="left"): the first edge >= v.
            let mut id = edges.partition_point(|&e| e < v);
            if v == edges[0] {
                id = 1;
            }
            (id != 0 && id != edges.len()).then(|| id - 1)
        })
        .collect()
}

/// `np.linspace(start, stop, num)` with its arithmetic (`i * step + start`, exact last value).
fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    let step = (stop - start) / (num - 1) as f64;
    #[allow(clippy::cast_precision_loss)]
    let mut v: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(last) = v.last_mut() {
        *last = stop;
    }
    v
}

/// Per bin `(avg, dev)` after scanpy's single-gene post-processing.
fn bin_stats(bins: &[Option<usize>], values: &[f64], n_bins: usize) -> Vec<(f64, f64)> {
    // Welford (pandas' group_var) for the standard deviation; Kahan (group_mean) for the mean.
    let mut count = vec![0u64; n_bins];
    let mut sum = vec![0f64; n_bins];
    let mut comp = vec![0f64; n_bins];
    let mut wmean = vec![0f64; n_bins];
    let mut m2 = vec![0f64; n_bins];
    for (b, &v) in bins.iter().zip(values) {
        let Some(b) = *b else { continue };
        if v.is_nan() {
            continue;
        }
        count[b] += 1;
        let y = v - comp[b];
        let t = sum[b] + y;
        comp[b] = (t - sum[b]) - y;
        sum[b] = t;
        let old = wmean[b];
        #[allow(clippy::cast_precision_loss)]
        let k = count[b] as f64;
        wmean[b] += (v - old) / k;
        m2[b] += (v - wmean[b]) * (v - old);
    }
    (0..n_bins)
        .map(|b| {
            #[allow(clippy::cast_precision_loss)]
            let k = count[b] as f64;
            let avg = if count[b] == 0 { f64::NAN } else { sum[b] / k };
            let dev = if count[b] < 2 {
                f64::NAN
            } else {
                (m2[b] / (k - 1.0)).sqrt()
            };
            if dev.is_nan() { (0.0, avg) } else { (avg, dev) }
        })
        .collect()
}

/// `_nth_highest`: the n-th highest non-NaN value (all of them when fewer than n).
fn nth_highest(x: &[f64], n: usize) -> Option<f64> {
    let mut v: Vec<f64> = x.iter().copied().filter(|v| !v.is_nan()).collect();
    v.sort_by(|a, b| b.total_cmp(a));
    let n = n.min(v.len());
    n.checked_sub(1).map(|i| v[i])
}

#[cfg(test)]
mod tests;
