//! Benchmark of the whole `PrepareExperiment` pipeline (read + parse + normalise + HVG + PCA +
//! Zarr encode) on pbmc3k and on a synthetic 50,000 cells x 20,000 genes matrix (~2 %
//! non-zero, seeded), generated once as a 10x folder in the system temp dir so that
//! `reference/bench_scanpy.py` reads the same files.
//!
//! `parse` times the MatrixMarket parser alone on pbmc3k's decompressed text, beside the gzip
//! decoding of the same file (flate2 over zlib-rs, what the host runs on another thread while
//! a plugin parses): the parser keeps up with the decoder when the ratio is below 1.
//!
//! `cargo bench -p taskhost-analysis [-- pbmc3k|synthetic|parse] [--repeat N]`. Run one data set
//! per process for a meaningful peak memory (`VmHWM`).

#![allow(missing_docs, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use taskhost_analysis::tenx::{InputFile, parse_mtx, read_10x};
use taskhost_analysis::{PrepareOptions, Stage, anndata, normalise, synthetic};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repeat = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok());
    let wanted: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| matches!(*a, "pbmc3k" | "synthetic" | "parse"))
        .collect();
    let all = wanted.is_empty();
    if all || wanted.contains(&"pbmc3k") {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pbmc3k");
        run("pbmc3k", &dir, repeat.unwrap_or(7));
    }
    if all || wanted.contains(&"synthetic") {
        let dir = synthetic_dir();
        run("synthetic 50k x 20k", &dir, repeat.unwrap_or(3));
    }
    if all || wanted.contains(&"parse") {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/pbmc3k");
        parse(&dir.join("matrix.mtx.gz"), repeat.unwrap_or(15));
    }
    println!("peak RSS of this process (VmHWM): {}", peak_rss());
}

/// The parser on the decompressed text against gunzip of the file, alternating.
fn parse(file: &Path, repeat: usize) {
    use std::io::Read;
    let gz = std::fs::read(file).expect("the matrix is readable");
    let gunzip = || {
        let mut text = Vec::with_capacity(gz.len() * 4);
        flate2::read::MultiGzDecoder::new(&gz[..])
            .read_to_end(&mut text)
            .expect("the matrix decompresses");
        text
    };
    let text = gunzip();
    let (mut decode, mut parse) = (Vec::new(), Vec::new());
    for _ in 0..repeat {
        let t = Instant::now();
        std::hint::black_box(gunzip());
        decode.push(t.elapsed());
        let t = Instant::now();
        let matrix = parse_mtx(InputFile {
            name: "matrix.mtx",
            bytes: &text,
        })
        .expect("the matrix parses");
        parse.push(t.elapsed());
        std::hint::black_box(matrix);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64()
    };
    let (decode, parse) = (median(decode), median(parse));
    println!(
        "pbmc3k matrix.mtx ({} MB of text): parse {:.1} ms, gunzip {:.1} ms (median of \
         {repeat}); parse / gunzip {:.2}",
        text.len() / 1_000_000,
        parse * 1e3,
        decode * 1e3,
        parse / decode
    );
}

fn run(name: &str, dir: &Path, repeat: usize) {
    let mut totals = Vec::new();
    let mut phases: Vec<[Duration; 5]> = Vec::new();
    let options = PrepareOptions::default();
    for _ in 0..repeat {
        let t0 = Instant::now();
        let read = |f: &str| std::fs::read(dir.join(f)).expect("input files are readable");
        let (m, f, b) = (
            read("matrix.mtx.gz"),
            read("features.tsv.gz"),
            read("barcodes.tsv.gz"),
        );
        let t1 = Instant::now();
        let tenx = read_10x(
            InputFile {
                name: "matrix.mtx.gz",
                bytes: &m,
            },
            InputFile {
                name: "features.tsv.gz",
                bytes: &f,
            },
            InputFile {
                name: "barcodes.tsv.gz",
                bytes: &b,
            },
        )
        .expect("the data parses");
        drop(m);
        let t2 = Instant::now();
        let mut t3 = t2;
        let exp = normalise(tenx, &options)
            .analyse(&options, |stage| {
                if stage == Stage::Pca {
                    t3 = Instant::now();
                }
            })
            .expect("the pipeline runs");
        let t4 = Instant::now();
        let store = anndata::encode(&exp).expect("the store encodes");
        let bytes: usize = store.iter().map(|(_, v)| v.len()).sum();
        let t5 = Instant::now();
        std::hint::black_box(bytes);
        totals.push(t5 - t0);
        phases.push([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4]);
    }
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let phase = |i: usize| median(phases.iter().map(|p| p[i]).collect()).as_secs_f64();
    println!(
        "{name}: median {:.3} s over {repeat} runs (phase medians: read files {:.3} s, parse \
         {:.3} s, normalise+hvg {:.3} s, pca {:.3} s, zarr encode {:.3} s)",
        median(totals).as_secs_f64(),
        phase(0),
        phase(1),
        phase(2),
        phase(3),
        phase(4)
    );
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l[6..].trim().to_owned())
        })
        .unwrap_or_else(|| "n/a".to_owned())
}

/// The synthetic 10x folder ([`taskhost_analysis::synthetic`]), generated on first use.
fn synthetic_dir() -> PathBuf {
    let t = Instant::now();
    let (dir, generated) = synthetic::ensure_folder().expect("temp dir is writable");
    match generated {
        Some(nnz) => println!(
            "synthetic data: {} ({nnz} non-zeros, {:.1} %, generated in {:.1} s)",
            dir.display(),
            100.0 * nnz as f64 / (synthetic::CELLS * synthetic::GENES) as f64,
            t.elapsed().as_secs_f64()
        ),
        None => println!("synthetic data: {}", dir.display()),
    }
    dir
}
