//! PCA checked against its definition on small dense data.

use super::*;
use crate::Never;

/// A CSR matrix (indptr, indices, values) of dense rows.
struct Dense {
    n: usize,
    p: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Dense {
    fn new(rows: &[Vec<f32>]) -> Self {
        let mut m = Dense {
            n: rows.len(),
            p: rows[0].len(),
            indptr: vec![0],
            indices: vec![],
            values: vec![],
        };
        for r in rows {
            for (c, &v) in r.iter().enumerate() {
                if v != 0.0 {
                    m.indices.push(c as u32);
                    m.values.push(v);
                }
            }
            m.indptr.push(m.indices.len());
        }
        m
    }

    fn view(&self) -> SparseRows<'_> {
        SparseRows::new(self.n, self.p, &self.indptr, &self.indices, &self.values).unwrap()
    }
}

#[test]
fn two_proportional_genes_have_one_component_along_their_line() {
    // Gene 1 = 2 x gene 0; gene 2 is not selected. The first axis is (1, 2) / sqrt 5 with
    // variance 5 x var(gene 0); the second carries nothing.
    let g0 = [1.0f32, 2.0, 0.0, 4.0, 3.0];
    let rows: Vec<Vec<f32>> = g0.iter().map(|&x| vec![x, 2.0 * x, 9.0]).collect();
    let m = Dense::new(&rows);
    let res = pca(&m.view(), &[0, 1], 1, &Never).unwrap();
    let mean = 2.0;
    let var0: f64 = g0
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / 4.0;
    assert!((res.variance[0] - 5.0 * var0).abs() < 1e-9);
    assert!((res.variance_ratio[0] - 1.0).abs() < 1e-12);
    let s5 = 5f64.sqrt();
    assert!((res.components[0] - 1.0 / s5).abs() < 1e-9);
    assert!((res.components[1] - 2.0 / s5).abs() < 1e-9);
    for (i, &x) in g0.iter().enumerate() {
        let expected = (f64::from(x) - mean) * s5;
        assert!((f64::from(res.coordinates[i]) - expected).abs() < 1e-5);
    }
}

#[test]
fn coordinates_and_variances_follow_the_definition() {
    let (n, p, k) = (40, 12, 4);
    let rows = random_rows(n, p, lcg(1), 3, 1000, 100.0);
    let m = Dense::new(&rows);
    let all: Vec<u32> = (0..p as u32).collect();
    let res = pca(&m.view(), &all, k, &Never).unwrap();
    // Dense centred data and covariance, computed directly.
    let mean: Vec<f64> = (0..p)
        .map(|j| rows.iter().map(|r| f64::from(r[j])).sum::<f64>() / n as f64)
        .collect();
    let centred: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| (0..p).map(|j| f64::from(r[j]) - mean[j]).collect())
        .collect();
    let cov =
        |a: usize, b: usize| centred.iter().map(|r| r[a] * r[b]).sum::<f64>() / (n - 1) as f64;
    let trace: f64 = (0..p).map(|j| cov(j, j)).sum();
    for c in 0..k {
        let v = &res.components[c * p..(c + 1) * p];
        // C v = lambda v.
        for a in 0..p {
            let cv: f64 = (0..p).map(|b| cov(a, b) * v[b]).sum();
            assert!((cv - res.variance[c] * v[a]).abs() < 1e-9, "component {c}");
        }
        assert!((res.variance_ratio[c] - res.variance[c] / trace).abs() < 1e-12);
        // The largest-magnitude loading is positive.
        let big = v
            .iter()
            .copied()
            .fold(0.0f64, |a, x| if x.abs() > a.abs() { x } else { a });
        assert!(big > 0.0);
        for (i, r) in centred.iter().enumerate() {
            let proj: f64 = r.iter().zip(v).map(|(x, w)| x * w).sum();
            assert!((f64::from(res.coordinates[i * k + c]) - proj).abs() < 1e-4);
        }
    }
    assert!(res.variance.windows(2).all(|w| w[0] >= w[1]));
}

#[test]
fn too_many_components_is_invalid_input() {
    let m = Dense::new(&[vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]]);
    assert!(matches!(
        pca(&m.view(), &[0, 1], 2, &Never),
        Err(PcaError::InvalidInput(_))
    ));
}

#[test]
fn dense_and_implicit_covariance_products_give_the_same_pca() {
    // p = 60 takes the single-vector method for the implicit product, p = 240 the block one.
    for p in [60, 240] {
        let (n, k) = (300, 8);
        assert_eq!(block_lanczos::fits(p, k), p == 240);
        let mut rnd = lcg(7);
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|i| {
                (0..p)
                    .map(|j| {
                        if rnd().is_multiple_of(10) || (i % 4 == 0 && j < 5) {
                            (rnd() % 1000) as f32 / 100.0
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect();
        let m = Dense::new(&rows);
        let position: Vec<u32> = (0..p as u32).collect();
        let selected = Selected::new(&m.view(), &position, p).unwrap();
        let dense = finish(&selected, k, Method::Dense, &Never).unwrap();
        let implicit = finish(&selected, k, Method::Implicit, &Never).unwrap();
        for c in 0..k {
            let (a, b) = (dense.variance[c], implicit.variance[c]);
            assert!((a - b).abs() <= 1e-9 * a, "p {p} variance {c}: {a} vs {b}");
            let cos: f64 = dense.components[c * p..(c + 1) * p]
                .iter()
                .zip(&implicit.components[c * p..(c + 1) * p])
                .map(|(x, y)| x * y)
                .sum();
            assert!((cos - 1.0).abs() < 1e-8, "p {p} component {c}: cos {cos}");
        }
        for (x, y) in dense.coordinates.iter().zip(&implicit.coordinates) {
            assert!(
                (x - y).abs() <= 1e-4 * x.abs().max(1.0),
                "p {p}: {x} vs {y}"
            );
        }
    }
}

/// `n x p` rows where an entry is stored one time in `one_in`, with a value of
/// `(rnd() % max) / scale`.
fn random_rows(
    n: usize,
    p: usize,
    mut rnd: impl FnMut() -> u32,
    one_in: u32,
    max: u32,
    scale: f32,
) -> Vec<Vec<f32>> {
    (0..n)
        .map(|_| {
            (0..p)
                .map(|_| {
                    if rnd().is_multiple_of(one_in) {
                        (rnd() % max) as f32 / scale
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect()
}

/// A seeded linear congruential generator: the same test matrices on every machine.
fn lcg(seed: u32) -> impl FnMut() -> u32 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        state >> 8
    }
}

#[test]
fn bad_columns_non_finite_values_and_interrupts_are_errors() {
    let rows: Vec<Vec<f32>> = (0..6)
        .map(|i| vec![i as f32, (i * i) as f32, 1.0 + (i % 2) as f32])
        .collect();
    let m = Dense::new(&rows);
    let invalid = |r: Result<Pca, PcaError>| matches!(r, Err(PcaError::InvalidInput(_)));
    assert!(invalid(pca(&m.view(), &[1, 0, 2], 1, &Never)), "unsorted");
    assert!(invalid(pca(&m.view(), &[0, 0, 2], 1, &Never)), "repeated");
    assert!(invalid(pca(&m.view(), &[0, 1, 3], 1, &Never)), "beyond");
    assert!(invalid(pca(&m.view(), &[0, 1, 2], 0, &Never)), "k = 0");
    let stop = || true;
    assert_eq!(
        pca(&m.view(), &[0, 1, 2], 1, &stop),
        Err(PcaError::Interrupted)
    );
    let mut nan = Dense::new(&rows);
    nan.values[3] = f32::NAN;
    assert_eq!(
        pca(&nan.view(), &[0, 1, 2], 1, &Never),
        Err(PcaError::NotFinite)
    );
}

#[test]
fn the_working_memory_bound_covers_the_result() {
    let (n, p, k) = (50, 20, 5);
    let mut rnd = lcg(3);
    let rows: Vec<Vec<f32>> = (0..n)
        .map(|_| (0..p).map(|_| (rnd() % 4) as f32).collect())
        .collect();
    let m = Dense::new(&rows);
    let all: Vec<u32> = (0..p as u32).collect();
    let res = pca(&m.view(), &all, k, &Never).unwrap();
    let result_bytes = (res.components.len() * 8 + res.coordinates.len() * 4) as u64;
    let bound = working_memory(n, p, m.values.len(), p, k);
    assert!(bound > result_bytes + (res.steps * p * 8) as u64, "{bound}");
}

#[cfg(feature = "parallel")]
#[test]
fn one_thread_and_many_give_the_same_bits() {
    // Large enough that every parallel loop splits into several blocks.
    // 250 columns used: the block method.
    let (n, p, k) = (3000, 500, 10);
    let rows = random_rows(n, p, lcg(11), 20, 500, 50.0);
    let m = Dense::new(&rows);
    let columns: Vec<u32> = (0..p as u32).step_by(2).collect();
    assert!(block_lanczos::fits(columns.len(), k));
    let on = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| pca(&m.view(), &columns, k, &Never).unwrap())
    };
    let one = on(1);
    assert_eq!(one, on(3));
    assert_eq!(one, on(4));
}
