//! The synthetic 10x folder of the core's generator (`taskhost_analysis::synthetic`), written
//! gzipped once in the system temp dir; the same folder the core's own benchmark uses.

use std::path::PathBuf;
use std::time::Instant;

use taskhost_analysis::synthetic;

/// The folder, generated on first use.
pub fn synthetic_dir() -> PathBuf {
    let t = Instant::now();
    let (dir, generated) = synthetic::ensure_folder().expect("temp dir is writable");
    if let Some(nnz) = generated {
        println!(
            "synthetic data: {} ({nnz} non-zeros, generated in {:.1} s)",
            dir.display(),
            t.elapsed().as_secs_f64()
        );
    }
    dir
}
