//! The PCA kernel on a seeded matrix shaped like PBMC 3k's highly variable genes (2,700 rows,
//! 2,000 columns, ~7 % stored, eight groups of rows with their own column means), on one
//! thread and on rayon's whole pool, in the same process.
//!
//! ```text
//! cargo bench -p taskhost-linalg --features parallel --bench pca -- [--repeat N] [--rows N] [--cols N]
//! ```

#![allow(missing_docs, clippy::print_stdout)]

use std::time::{Duration, Instant};

use taskhost_linalg::{Never, SparseRows, pca};

struct Matrix {
    n: usize,
    p: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

/// Rows in eight groups; each column is stored with a probability and a value that depend on
/// the group, so that a few components carry most of the variance (as in cell types).
fn matrix(n: usize, p: usize) -> Matrix {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut indptr, mut indices, mut values) = (vec![0], Vec::new(), Vec::new());
    for r in 0..n {
        let group = r % 8;
        for c in 0..p {
            let bias = if (c / 50) % 8 == group { 4 } else { 1 };
            if next() % 100 < 5 * bias as u64 / 2 + 3 {
                indices.push(c as u32);
                let count = 1.0 + (next() % (2 * bias as u64)) as f32;
                values.push((1.0 + count).ln());
            }
        }
        indptr.push(indices.len());
    }
    Matrix {
        n,
        p,
        indptr,
        indices,
        values,
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let number = |flag: &str, default: usize| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (repeat, n, p, k) = (
        number("--repeat", 7),
        number("--rows", 2700),
        number("--cols", 2000),
        50,
    );
    let m = matrix(n, p);
    let view = SparseRows::new(m.n, m.p, &m.indptr, &m.indices, &m.values).expect("valid");
    let columns: Vec<u32> = (0..p as u32).collect();
    println!(
        "matrix {n} x {p}, {} stored ({:.1} %), k = {k}",
        view.nnz(),
        100.0 * view.nnz() as f64 / (n * p) as f64
    );
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");
    let time = |label: &str, run: &dyn Fn() -> taskhost_linalg::Pca| {
        let reference = run();
        let times: Vec<Duration> = (0..repeat)
            .map(|_| {
                let start = Instant::now();
                let result = run();
                let elapsed = start.elapsed();
                assert_eq!(result, reference, "{label}: not deterministic");
                elapsed
            })
            .collect();
        let med = median(times);
        println!(
            "{label}: median {:.1} ms over {repeat} runs ({} Lanczos steps)",
            med.as_secs_f64() * 1e3,
            reference.steps
        );
        (med, reference)
    };
    let (serial, a) = time("1 thread", &|| {
        one.install(|| pca(&view, &columns, k, &Never).expect("pca"))
    });
    let threads = rayon::current_num_threads();
    let (parallel, b) = time(&format!("{threads} threads"), &|| {
        pca(&view, &columns, k, &Never).expect("pca")
    });
    assert_eq!(a, b, "the thread count changed the result");
    println!(
        "ratio {threads} threads / 1 thread: {:.2}",
        parallel.as_secs_f64() / serial.as_secs_f64()
    );
}
