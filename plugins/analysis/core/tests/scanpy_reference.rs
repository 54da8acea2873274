//! Comparison with scanpy 1.11 on pbmc3k (feature `scanpy-reference`).
//!
//! Produce the reference with
//! `python reference/scanpy_reference.py testdata/pbmc3k <dir>` and run
//! `TASKHOST_SCANPY_REFERENCE=<dir> cargo test -p taskhost-analysis --release --features
//! scanpy-reference`. Without the variable the tests fail; they are never skipped.

#![cfg(feature = "scanpy-reference")]

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::{Npy, prepare_pbmc3k, read_npy, required_env};
use taskhost_analysis::PreparedExperiment;

const HOW: &str = "Create it with `python plugins/analysis/core/reference/scanpy_reference.py \
    plugins/analysis/core/testdata/pbmc3k <dir>` (in a venv with \
    plugins/analysis/core/reference/requirements.txt) and set TASKHOST_SCANPY_REFERENCE=<dir>.";

fn reference(name: &str) -> Npy {
    let dir: PathBuf = required_env("TASKHOST_SCANPY_REFERENCE", HOW);
    read_npy(&dir.join(format!("{name}.npy")))
}

fn experiment() -> &'static PreparedExperiment {
    static EXP: OnceLock<PreparedExperiment> = OnceLock::new();
    EXP.get_or_init(prepare_pbmc3k)
}

/// Relative agreement with NaN only where the reference has NaN.
fn assert_close(what: &str, ours: &[f64], theirs: &[f64], rel: f64) {
    assert_close_beyond(what, ours, theirs, rel, 1e-300);
}

/// Agreement within `rel` of `max(|scanpy|, floor)`: relative for values beyond `floor`,
/// absolute (`rel * floor`) below it.
fn assert_close_beyond(what: &str, ours: &[f64], theirs: &[f64], rel: f64, floor: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}: length");
    let mut worst = (0.0, 0);
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(a.is_nan(), b.is_nan(), "{what}[{i}]: ours {a}, scanpy {b}");
        if a.is_nan() {
            continue;
        }
        let err = (a - b).abs() / b.abs().max(floor);
        if err > worst.0 {
            worst = (err, i);
        }
    }
    let i = worst.1;
    assert!(
        worst.0 <= rel,
        "{what}: worst relative difference {:e} at {i} (ours {}, scanpy {})",
        worst.0,
        ours[i],
        theirs[i]
    );
}

#[test]
fn hvg_means_dispersions_and_flags_match_scanpy() {
    let hvg = &experiment().hvg;
    assert_close("means", &hvg.means, &reference("means").f64s(), 1e-4);
    assert_close(
        "dispersions",
        &hvg.dispersions,
        &reference("dispersions").f64s(),
        1e-4,
    );
    let norm: Vec<f64> = hvg.dispersions_norm.iter().map(|&v| f64::from(v)).collect();
    // scanpy computes the z-scores in float32 as (dispersion - bin mean) / bin std: where a
    // gene's dispersion is close to its bin's mean the difference cancels, so a z-score of
    // 1e-4 carries float32 rounding of the O(1) terms (~1e-7 absolute). Compare relatively
    // beyond one standard deviation and absolutely (1e-4) below it.
    assert_close_beyond(
        "dispersions_norm",
        &norm,
        &reference("dispersions_norm").f64s(),
        1e-4,
        1.0,
    );
    let theirs = reference("highly_variable").bools();
    assert_eq!(theirs.iter().filter(|&&b| b).count(), 2000);
    let differ: Vec<usize> = (0..theirs.len())
        .filter(|&g| theirs[g] != hvg.highly_variable[g])
        .collect();
    assert!(
        differ.is_empty(),
        "highly_variable differs for genes {differ:?}"
    );
}

#[test]
fn log_normalised_values_match_scanpy() {
    let exp = experiment();
    let indptr: Vec<usize> = reference("X_csr_indptr")
        .f64s()
        .iter()
        .map(|&v| v as usize)
        .collect();
    let indices: Vec<u32> = reference("X_csr_indices")
        .f64s()
        .iter()
        .map(|&v| v as u32)
        .collect();
    assert_eq!(indptr, exp.counts.indptr, "X pattern (indptr)");
    assert_eq!(indices, exp.counts.indices, "X pattern (indices)");
    let data = reference("X_csr_data").f64s();
    let worst = data
        .iter()
        .zip(&exp.log_norm)
        .map(|(&b, &a)| (f64::from(a) - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 1e-5,
        "log-normalised X: worst absolute difference {worst:e}"
    );
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[test]
fn pca_matches_scanpy_up_to_sign() {
    let pca = &experiment().pca;
    let theirs = reference("X_pca");
    assert_eq!(theirs.shape, vec![2700, 50]);
    let theirs = theirs.f64s();
    let k = pca.n_comps;
    assert_eq!(k, 50);
    for c in 0..10 {
        let a: Vec<f64> = (0..2700)
            .map(|i| f64::from(pca.coordinates[i * k + c]))
            .collect();
        let b: Vec<f64> = (0..2700).map(|i| theirs[i * 50 + c]).collect();
        let r = pearson(&a, &b).abs();
        assert!(r >= 0.9999, "component {c}: |correlation| {r}");
    }
    let variance = reference("pca_variance").f64s();
    let ratio = reference("pca_variance_ratio").f64s();
    assert_close(
        "variance (first 10)",
        &pca.variance[..10],
        &variance[..10],
        1e-4,
    );
    assert_close(
        "variance_ratio (first 10)",
        &pca.variance_ratio[..10],
        &ratio[..10],
        1e-4,
    );
}
