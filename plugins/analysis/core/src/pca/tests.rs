//! PCA checked against its definition on small dense data.

use super::*;

fn csr_from_dense(rows: &[Vec<f32>]) -> Csr {
    let mut m = Csr {
        n_rows: rows.len(),
        n_cols: rows[0].len(),
        indptr: vec![0],
        indices: vec![],
        data: vec![],
    };
    for r in rows {
        for (c, &v) in r.iter().enumerate() {
            if v != 0.0 {
                m.indices.push(c as u32);
                m.data.push(v);
            }
        }
        m.indptr.push(m.indices.len());
    }
    m
}

#[test]
fn two_proportional_genes_have_one_component_along_their_line() {
    // Gene 1 = 2 x gene 0; gene 2 is not selected. The first axis is (1, 2) / sqrt 5 with
    // variance 5 x var(gene 0); the second carries nothing.
    let g0 = [1.0f32, 2.0, 0.0, 4.0, 3.0];
    let rows: Vec<Vec<f32>> = g0.iter().map(|&x| vec![x, 2.0 * x, 9.0]).collect();
    let m = csr_from_dense(&rows);
    let res = pca(&m, &m.data, &[true, true, false], 1).unwrap();
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
    let mut rnd = lcg(1);
    let rows: Vec<Vec<f32>> = (0..n)
        .map(|_| {
            (0..p)
                .map(|_| {
                    if rnd().is_multiple_of(3) {
                        (rnd() % 1000) as f32 / 100.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let m = csr_from_dense(&rows);
    let res = pca(&m, &m.data, &vec![true; p], k).unwrap();
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
    let m = csr_from_dense(&[vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]]);
    assert!(matches!(
        pca(&m, &m.data, &[true, true], 2),
        Err(PcaError::InvalidInput(_))
    ));
}

#[test]
fn dense_and_implicit_covariance_products_give_the_same_pca() {
    let (n, p, k) = (300, 60, 8);
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
    let m = csr_from_dense(&rows);
    let position: Vec<u32> = (0..p as u32).collect();
    let selected = Selected::new(&m, &m.data, &position, p).unwrap();
    let genes: Vec<usize> = (0..p).collect();
    let dense = finish(&selected, genes.clone(), k, Method::Dense).unwrap();
    let implicit = finish(&selected, genes, k, Method::Implicit).unwrap();
    for c in 0..k {
        let (a, b) = (dense.variance[c], implicit.variance[c]);
        assert!((a - b).abs() <= 1e-9 * a, "variance {c}: {a} vs {b}");
        let cos: f64 = dense.components[c * p..(c + 1) * p]
            .iter()
            .zip(&implicit.components[c * p..(c + 1) * p])
            .map(|(x, y)| x * y)
            .sum();
        assert!((cos - 1.0).abs() < 1e-8, "component {c}: cos {cos}");
    }
    for (x, y) in dense.coordinates.iter().zip(&implicit.coordinates) {
        assert!((x - y).abs() <= 1e-4 * x.abs().max(1.0), "{x} vs {y}");
    }
}

/// A seeded linear congruential generator: the same test matrices on every machine.
fn lcg(seed: u32) -> impl FnMut() -> u32 {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        state >> 8
    }
}
