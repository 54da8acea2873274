//! A seeded synthetic 10x count matrix for benchmarks (the 50,000 cells x 20,000
//! genes, ~2 % non-zero). Pure: it writes the three files' text into the caller's writers
//! (which usually gzip them into a folder), so the same data comes out on every machine.
//!
//! Gene `g` is detected with probability up to 5.9 % (mean ~2 %), 5 cell groups raise a fifth
//! of the genes each; counts are 1 + a geometric variable with a gene-specific mean.

use std::io::{self, Write};

/// Cells of the benchmark matrix.
pub const CELLS: usize = 50_000;
/// Genes of the benchmark matrix.
pub const GENES: usize = 20_000;
/// The folder name the benchmarks generate it under (in the system temp dir).
pub const DIR_NAME: &str = "taskhost-analysis-synthetic-50k-20k";

/// Writes `features.tsv`, `barcodes.tsv` and `matrix.mtx` of a `cells x genes` matrix;
/// returns the number of non-zeros.
///
/// # Errors
/// The writers' errors.
pub fn write_10x(
    cells: usize,
    genes: usize,
    matrix: &mut dyn Write,
    features: &mut dyn Write,
    barcodes: &mut dyn Write,
) -> io::Result<usize> {
    for g in 0..genes {
        writeln!(features, "ENSG{g:011}\tGENE{g}\tGene Expression")?;
    }
    for c in 0..cells {
        writeln!(barcodes, "CELL{c:06}-1")?;
    }
    let mut rng = SplitMix(20_250_101);
    #[allow(clippy::cast_precision_loss)]
    let weight = |g: usize| ((g * 7919) % 1000 + 1) as f64 / 1000.0;
    let p_max: f64 = 0.059;
    // The entry count goes in the size line: generate every cell first.
    let mut per_cell: Vec<Vec<(u32, u32)>> = Vec::with_capacity(cells);
    let mut nnz = 0;
    for c in 0..cells {
        let mut entries = Vec::new();
        let mut g = 0usize;
        loop {
            let u = rng.unit().max(1e-300);
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let skip = (u.ln() / (1.0 - p_max).ln()).floor() as usize;
            g += skip;
            if g >= genes {
                break;
            }
            let boost = if g % 5 == c % 5 { 1.0 } else { 0.6 };
            if rng.unit() < weight(g) * boost {
                let mean = 0.3 + 3.0 * weight((g * 31) % genes) * boost;
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let count = 1 + (-(rng.unit().max(1e-300)).ln() * mean).floor() as u32;
                #[allow(clippy::cast_possible_truncation)]
                entries.push((g as u32 + 1, count));
            }
            g += 1;
        }
        nnz += entries.len();
        per_cell.push(entries);
    }
    writeln!(matrix, "%%MatrixMarket matrix coordinate integer general")?;
    writeln!(matrix, "%synthetic taskhost-analysis benchmark data")?;
    writeln!(matrix, "{genes} {cells} {nnz}")?;
    let mut text = Vec::with_capacity(1 << 20);
    for (c, cell) in per_cell.iter().enumerate() {
        for &(g, v) in cell {
            writeln!(text, "{g} {} {v}", c + 1)?;
        }
        if text.len() > 1 << 20 {
            matrix.write_all(&text)?;
            text.clear();
        }
    }
    matrix.write_all(&text)?;
    Ok(nnz)
}

/// SplitMix64, as a uniform `f64` in `[0, 1)`.
struct SplitMix(u64);

impl SplitMix {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        #[allow(clippy::cast_precision_loss)]
        let unit = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        unit
    }
}

/// The synthetic 10x folder (`matrix.mtx.gz`, `features.tsv.gz`, `barcodes.tsv.gz`) in the
/// system temp dir, generated on first use, with how many non-zeros it holds (`None` when it
/// already existed). The matrix and barcodes are written under a `.part` name and renamed, so
/// a present `barcodes.tsv.gz` marks a complete folder. Benchmarks share it.
pub fn ensure_folder() -> io::Result<(std::path::PathBuf, Option<u64>)> {
    let dir = std::env::temp_dir().join(DIR_NAME);
    if dir.join("barcodes.tsv.gz").exists() {
        return Ok((dir, None));
    }
    std::fs::create_dir_all(&dir)?;
    let gz = |name: &str| -> io::Result<_> {
        let file = std::fs::File::create(dir.join(name))?;
        Ok(flate2::write::GzEncoder::new(
            io::BufWriter::new(file),
            flate2::Compression::fast(),
        ))
    };
    let (mut m, mut f, mut b) = (
        gz("matrix.mtx.gz.part")?,
        gz("features.tsv.gz")?,
        gz("barcodes.tsv.gz.part")?,
    );
    let nnz = write_10x(CELLS, GENES, &mut m, &mut f, &mut b)?;
    f.finish()?.flush()?;
    for (writer, name) in [(m, "matrix.mtx.gz"), (b, "barcodes.tsv.gz")] {
        writer.finish()?.flush()?;
        std::fs::rename(dir.join(format!("{name}.part")), dir.join(name))?;
    }
    Ok((dir, Some(nnz as u64)))
}

#[cfg(test)]
mod tests {
    use super::write_10x;
    use crate::tenx::{InputFile, read_10x};

    #[test]
    fn the_synthetic_matrix_is_seeded_and_reads_as_10x() {
        let run = || {
            let (mut m, mut f, mut b) = (Vec::new(), Vec::new(), Vec::new());
            let nnz = write_10x(200, 300, &mut m, &mut f, &mut b).unwrap();
            (nnz, m, f, b)
        };
        let (nnz, m, f, b) = run();
        assert_eq!(run().1, m, "same seed, same matrix");
        let file = |name, bytes| InputFile { name, bytes };
        let tenx = read_10x(
            file("matrix.mtx", &m),
            file("features.tsv", &f),
            file("barcodes.tsv", &b),
        )
        .unwrap();
        assert_eq!((tenx.counts.n_rows, tenx.counts.n_cols), (200, 300));
        assert_eq!(tenx.counts.nnz(), nnz);
        #[allow(clippy::cast_precision_loss)]
        let density = nnz as f64 / (200.0 * 300.0);
        assert!((0.01..0.04).contains(&density), "{density}");
    }
}
