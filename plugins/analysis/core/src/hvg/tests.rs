//! Hand-checkable HVG examples; expected values are derived here from the definitions, with a
//! different algorithm (two-pass variance) than the implementation's.

use super::*;

#[test]
fn cut_matches_pandas_equal_width_right_closed_bins() {
    // Edges linspace(0, 10, 6) = 0, 2, 4, 6, 8, 10; the first lowered by 0.1 % of 10 to -0.01.
    // Right-closed: (-0.01, 2], (2, 4], ...
    let x: Vec<f64> = (0..=10).map(f64::from).collect();
    let codes: Vec<Option<usize>> = [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4].map(Some).to_vec();
    assert_eq!(cut(&x, 5), codes);
    assert_eq!(cut(&[f64::NAN, 0.0, 10.0], 5), vec![None, Some(0), Some(4)]);
    // All equal: the range is widened by 0.1 % each side: edges 2.997, 2.9985, 3.0, 3.0015,
    // 3.003; 3.0 sits on the third edge, which closes bin 1.
    assert_eq!(cut(&[3.0, 3.0], 4), vec![Some(1), Some(1)]);
}

/// A cells x genes matrix from dense rows of expm1-space values, log-transformed.
fn matrix(rows: &[&[f32]]) -> (Csr, Vec<f32>) {
    let mut csr = Csr {
        n_rows: rows.len(),
        n_cols: rows[0].len(),
        indptr: vec![0],
        indices: vec![],
        data: vec![],
    };
    for row in rows {
        for (g, &v) in row.iter().enumerate() {
            if v != 0.0 {
                csr.indices.push(g as u32);
                csr.data.push(v.ln_1p());
            }
        }
        csr.indptr.push(csr.indices.len());
    }
    let values = csr.data.clone();
    (csr, values)
}

fn column(csr: &Csr, values: &[f32], g: usize) -> Vec<f64> {
    (0..csr.n_rows)
        .map(|r| {
            let (idx, _) = csr.row(r);
            idx.iter()
                .position(|&c| c as usize == g)
                .map_or(0.0, |p| f64::from(values[csr.indptr[r] + p].exp_m1()))
        })
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn tiny_example_from_first_principles() {
    // Genes 0..=2 have low means (one bin), gene 3 a high mean (alone in the other bin),
    // gene 4 no counts, gene 5 a constant value (variance 0).
    let (csr, x) = matrix(&[
        &[1.0, 0.0, 2.0, 40.0, 0.0, 1.0],
        &[0.0, 1.0, 2.0, 60.0, 0.0, 1.0],
        &[3.0, 1.0, 0.0, 50.0, 0.0, 1.0],
        &[0.0, 2.0, 1.0, 70.0, 0.0, 1.0],
    ]);
    let hvg = highly_variable_genes(&csr, &x, 2, 2).unwrap();
    let mut disp = Vec::new();
    for g in 0..6 {
        let c = column(&csr, &x, g);
        let mean = c.iter().sum::<f64>() / 4.0;
        let var = c.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        let m = if mean == 0.0 { 1e-12 } else { mean };
        assert!(close(hvg.means[g], m.ln_1p()), "gene {g} mean");
        let d = (var / m).ln();
        if var == 0.0 {
            assert!(hvg.dispersions[g].is_nan(), "gene {g} dispersion");
        } else {
            assert!((hvg.dispersions[g] - d).abs() < 1e-6, "gene {g} dispersion");
        }
        disp.push(d);
    }
    // Bins: mean range [~0, ln(56)]: genes 0, 1, 2, 4, 5 low; gene 3 alone high.
    let low = [disp[0], disp[1], disp[2]];
    let avg = low.iter().sum::<f64>() / 3.0;
    let sd = (low.iter().map(|d| (d - avg).powi(2)).sum::<f64>() / 2.0).sqrt();
    for (g, d) in disp.iter().enumerate().take(3) {
        let expected = (d - avg) / sd;
        assert!(
            (f64::from(hvg.dispersions_norm[g]) - expected).abs() < 1e-5,
            "gene {g}"
        );
    }
    // A gene alone in its bin has a normalised dispersion of exactly 1.
    assert_eq!(hvg.dispersions_norm[3], 1.0);
    assert!(hvg.dispersions_norm[4].is_nan() && hvg.dispersions_norm[5].is_nan());
    // Top 2: gene 3 (1.0) and the highest of genes 0..3.
    let best_low = (0..3)
        .max_by(|&a, &b| hvg.dispersions_norm[a].total_cmp(&hvg.dispersions_norm[b]))
        .unwrap();
    let expected: Vec<bool> = (0..6).map(|g| g == 3 || g == best_low).collect();
    assert_eq!(hvg.highly_variable, expected);
}

#[test]
fn more_top_genes_than_dispersions_flags_every_non_nan_gene() {
    let (csr, x) = matrix(&[&[1.0, 0.0, 5.0], &[2.0, 0.0, 1.0]]);
    let hvg = highly_variable_genes(&csr, &x, 10, 20).unwrap();
    assert_eq!(hvg.highly_variable, vec![true, false, true]);
}

#[test]
fn ties_at_the_cutoff_are_all_flagged() {
    // One bin. Genes 0 and 1 have identical columns [1, 3, 0]: mean 4/3, variance 7/3,
    // dispersion 7/4, the highest (gene 2 [1, 1, 2]: 1/4; gene 3 [0, 2, 2]: 1), so the top 1
    // is a tie of two genes and both are flagged.
    let (csr, x) = matrix(&[
        &[1.0, 1.0, 1.0, 0.0],
        &[3.0, 3.0, 1.0, 2.0],
        &[0.0, 0.0, 2.0, 2.0],
    ]);
    let hvg = highly_variable_genes(&csr, &x, 1, 1).unwrap();
    assert_eq!(hvg.dispersions_norm[0], hvg.dispersions_norm[1]);
    assert_eq!(hvg.highly_variable, vec![true, true, false, false]);
}

#[test]
fn no_dispersion_at_all_is_an_error_not_a_panic() {
    let (csr, x) = matrix(&[&[0.0, 1.0], &[0.0, 1.0]]);
    assert_eq!(
        highly_variable_genes(&csr, &x, 1, 20),
        Err(HvgError::NoDispersion)
    );
    assert!(matches!(
        highly_variable_genes(&csr, &x, 0, 20),
        Err(HvgError::InvalidInput(_))
    ));
}
