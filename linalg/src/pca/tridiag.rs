//! Eigen-decomposition of a symmetric tridiagonal matrix by the implicit QL method (EISPACK's
//! `tql2`, in the form of JAMA's public-domain translation).

/// Eigenvalues (ascending) and eigenvectors (`vectors[i]` for `values[i]`) of the symmetric
/// tridiagonal matrix with diagonal `d` and sub-diagonal `e` (`e.len() == d.len() - 1`).
/// `None` when the input is not finite or the iteration does not converge.
pub(crate) fn tql2(d: &[f64], e: &[f64]) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let n = d.len();
    // z[i] is the i-th eigenvector (a row; JAMA's V column).
    let z: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let mut r = vec![0.0; n];
            r[i] = 1.0;
            r
        })
        .collect();
    ql(d, e, z)
}

/// Eigenvalues (ascending) and the last component of each eigenvector: what a Lanczos
/// convergence test needs, in `O(n²)` instead of `O(n³)`.
pub(crate) fn tql2_last(d: &[f64], e: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let n = d.len();
    let z: Vec<Vec<f64>> = (0..n)
        .map(|i| vec![f64::from(u8::from(i + 1 == n))])
        .collect();
    let (values, rows) = ql(d, e, z)?;
    Some((values, rows.into_iter().map(|r| r[0]).collect()))
}

/// The implicit QL iteration, applying its rotations to the rows of `z` (each row holds the
/// chosen components of one eigenvector).
fn ql(d: &[f64], e: &[f64], mut z: Vec<Vec<f64>>) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
    let n = d.len();
    if d.iter().chain(e).any(|v| !v.is_finite()) || e.len() + 1 != n.max(1) {
        return None;
    }
    let mut d = d.to_vec();
    let mut e: Vec<f64> = e.iter().copied().chain(std::iter::once(0.0)).collect();
    let eps = f64::EPSILON;
    let mut f = 0.0;
    let mut tst1: f64 = 0.0;
    for l in 0..n {
        tst1 = tst1.max(d[l].abs() + e[l].abs());
        let mut m = l;
        while m < n - 1 && e[m].abs() > eps * tst1 {
            m += 1;
        }
        if m > l {
            let mut iter = 0;
            loop {
                iter += 1;
                if iter > 100 {
                    return None;
                }
                let g = d[l];
                let mut p = (d[l + 1] - g) / (2.0 * e[l]);
                let mut r = hypot(p, 1.0);
                if p < 0.0 {
                    r = -r;
                }
                d[l] = e[l] / (p + r);
                d[l + 1] = e[l] * (p + r);
                let dl1 = d[l + 1];
                let mut h = g - d[l];
                for di in d.iter_mut().skip(l + 2) {
                    *di -= h;
                }
                f += h;
                p = d[m];
                let mut c = 1.0;
                let mut c2 = c;
                let mut c3 = c;
                let el1 = e[l + 1];
                let mut s = 0.0;
                let mut s2 = 0.0;
                for i in (l..m).rev() {
                    c3 = c2;
                    c2 = c;
                    s2 = s;
                    let g = c * e[i];
                    h = c * p;
                    r = hypot(p, e[i]);
                    e[i + 1] = s * r;
                    s = e[i] / r;
                    c = p / r;
                    p = c * d[i] - s * g;
                    d[i + 1] = h + s * (c * g + s * d[i]);
                    let (lo, hi) = z.split_at_mut(i + 1);
                    let (zi, zi1) = (&mut lo[i], &mut hi[0]);
                    rotate(zi, zi1, c, s);
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1;
                e[l] = s * p;
                d[l] = c * p;
                if e[l].abs() <= eps * tst1 {
                    break;
                }
            }
        }
        d[l] += f;
        e[l] = 0.0;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| d[a].total_cmp(&d[b]));
    let values = order.iter().map(|&i| d[i]).collect();
    let vectors = order.iter().map(|&i| std::mem::take(&mut z[i])).collect();
    Some((values, vectors))
}

/// `sqrt(a² + b²)` directly when neither square can overflow or underflow (libm's `hypot`,
/// exact in all cases, bounded the convergence checks), else by `hypot`.
#[inline]
fn hypot(a: f64, b: f64) -> f64 {
    let big = a.abs().max(b.abs());
    if big > 1e-150 && big < 1e150 {
        (a * a + b * b).sqrt()
    } else {
        a.hypot(b)
    }
}

/// `(a, b) <- (c a - s b, s a + c b)`, four entries per loop iteration.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn rotate(a: &mut [f64], b: &mut [f64], c: f64, s: f64) {
    let one = |a: &mut f64, b: &mut f64| {
        let hb = *b;
        *b = s * *a + c * hb;
        *a = c * *a - s * hb;
    };
    let mut blocks_a = a.chunks_exact_mut(4);
    let mut blocks_b = b.chunks_exact_mut(4);
    for (a4, b4) in blocks_a.by_ref().zip(blocks_b.by_ref()) {
        for j in 0..4 {
            one(&mut a4[j], &mut b4[j]);
        }
    }
    let (ra, rb) = (blocks_a.into_remainder(), blocks_b.into_remainder());
    for (a, b) in ra.iter_mut().zip(rb) {
        one(a, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toeplitz_eigenvalues_are_known() {
        // tridiag(-1, 2, -1) of size n: eigenvalues 2 - 2 cos(k pi / (n + 1)).
        let n = 40;
        let (values, vectors) = tql2(&vec![2.0; n], &vec![-1.0; n - 1]).unwrap();
        for (k, v) in values.iter().enumerate() {
            let expected =
                2.0 - 2.0 * ((k + 1) as f64 * std::f64::consts::PI / (n + 1) as f64).cos();
            assert!((v - expected).abs() < 1e-12, "{k}: {v} vs {expected}");
        }
        // T v = lambda v.
        for (lambda, v) in values.iter().zip(&vectors) {
            for i in 0..n {
                let left = if i > 0 { -v[i - 1] } else { 0.0 };
                let right = if i + 1 < n { -v[i + 1] } else { 0.0 };
                assert!((left + 2.0 * v[i] + right - lambda * v[i]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn the_last_components_are_those_of_the_full_decomposition() {
        let d: Vec<f64> = (0..30).map(|i| (i as f64 * 0.37).sin() + 2.0).collect();
        let e: Vec<f64> = (0..29)
            .map(|i| 0.3 + (i as f64 * 0.11).cos() * 0.2)
            .collect();
        let (values, vectors) = tql2(&d, &e).unwrap();
        let (values_last, last) = tql2_last(&d, &e).unwrap();
        for i in 0..30 {
            assert!((values[i] - values_last[i]).abs() < 1e-12);
            assert!((vectors[i][29] - last[i]).abs() < 1e-12, "{i}");
        }
    }

    #[test]
    fn not_finite_input_is_refused() {
        assert!(tql2(&[1.0, f64::NAN], &[0.5]).is_none());
        assert_eq!(tql2(&[3.0], &[]).unwrap().0, vec![3.0]);
    }
}
