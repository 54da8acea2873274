//! The synthetic 10x folder of the core's generator (`taskhost_analysis::synthetic`), written
//! gzipped once in the system temp dir; the same folder the core's own benchmark uses.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use taskhost_analysis::synthetic;

/// The folder, generated on first use (`barcodes.tsv.gz` is written last: it marks a
/// complete folder).
pub fn synthetic_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(synthetic::DIR_NAME);
    if dir.join("barcodes.tsv.gz").exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let t = Instant::now();
    let gz = |name: &str| {
        let file = std::fs::File::create(dir.join(name)).expect("temp dir is writable");
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::fast())
    };
    let (mut m, mut f, mut b) = (
        gz("matrix.mtx.gz"),
        gz("features.tsv.gz"),
        gz("barcodes.tsv.gz.part"),
    );
    let nnz = synthetic::write_10x(synthetic::CELLS, synthetic::GENES, &mut m, &mut f, &mut b)
        .expect("temp dir is writable");
    for w in [m, f, b] {
        w.finish()
            .and_then(|mut w| w.flush())
            .expect("temp dir is writable");
    }
    std::fs::rename(
        dir.join("barcodes.tsv.gz.part"),
        dir.join("barcodes.tsv.gz"),
    )
    .expect("temp dir is writable");
    println!(
        "synthetic data: {} ({nnz} non-zeros, generated in {:.1} s)",
        dir.display(),
        t.elapsed().as_secs_f64()
    );
    dir
}
