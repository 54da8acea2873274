//! Eigen-decomposition of a symmetric tridiagonal matrix by the implicit QL method (EISPACK's
//! `tql2`, in the form of JAMA's public-domain translation), and inverse iteration for chosen
//! eigenvectors.

use super::lanczos::{SplitMix, axpy, dot, normalise};

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
pub(crate) fn ql(d: &[f64], e: &[f64], mut z: Vec<Vec<f64>>) -> Option<(Vec<f64>, Vec<Vec<f64>>)> {
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

/// Unit eigenvectors of the symmetric tridiagonal matrix (`d`, `e`) for the eigenvalues
/// `values` (accurate ones, as [`ql`] finds them, in descending order): inverse iteration, as
/// LAPACK's `dstein` does it. Each is three solves of `(T - λ I) x = b` from a seeded start,
/// with a pivoted LU of `T - λ I`; a value within `10 ε ‖T‖` of the previous one is moved by
/// that much (so equal values get independent vectors), and a vector whose value lies within
/// `10⁻³ ‖T‖` of the previous one's is orthogonalised against the vectors of that cluster.
/// `O(n)` per vector, where the QL iteration's vectors cost `O(n²)` each.
pub(crate) fn inverse_iteration(d: &[f64], e: &[f64], values: &[f64]) -> Vec<Vec<f64>> {
    let n = d.len();
    let norm = (0..n)
        .map(|i| {
            let below = if i > 0 { e[i - 1].abs() } else { 0.0 };
            d[i].abs() + below + e.get(i).map_or(0.0, |x| x.abs())
        })
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE);
    let eps = f64::EPSILON;
    let (ortol, pertol) = (1e-3 * norm, 10.0 * eps * norm);
    let mut rng = SplitMix(0x1f1f_2e2e);
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(values.len());
    let mut cluster_start = 0;
    let mut previous: Option<f64> = None;
    for (j, &value) in values.iter().enumerate() {
        let mut shift = value;
        if let Some(prev) = previous {
            if prev - shift > ortol {
                cluster_start = j;
            }
            if prev - shift < pertol {
                shift = prev - pertol;
            }
        }
        previous = Some(shift);
        let lu = ShiftedLu::new(d, e, shift, eps * norm);
        let mut x = rng.unit_vector(n);
        for _ in 0..3 {
            lu.solve(&mut x);
            for v in &out[cluster_start..j] {
                let c = dot(v, &x);
                axpy(-c, v, &mut x);
            }
            normalise(&mut x);
        }
        out.push(x);
    }
    out
}

/// `T - σ I = P L U` for a tridiagonal `T`, with partial pivoting (LAPACK's `dgttrf`); pivots
/// smaller than `tiny` are raised to it, so that a shift at an eigenvalue still solves.
struct ShiftedLu {
    /// Multipliers of `L`.
    dl: Vec<f64>,
    /// Diagonal of `U`.
    d: Vec<f64>,
    /// First and second super-diagonals of `U`.
    du: Vec<f64>,
    du2: Vec<f64>,
    /// Whether rows `i` and `i + 1` were interchanged.
    swapped: Vec<bool>,
}

impl ShiftedLu {
    fn new(diag: &[f64], e: &[f64], shift: f64, tiny: f64) -> Self {
        let n = diag.len();
        let mut d: Vec<f64> = diag.iter().map(|x| x - shift).collect();
        let (mut dl, mut du) = (e.to_vec(), e.to_vec());
        let mut du2 = vec![0.0; n.saturating_sub(2)];
        let mut swapped = vec![false; n.saturating_sub(1)];
        for i in 0..n.saturating_sub(1) {
            if d[i].abs() >= dl[i].abs() {
                if d[i] != 0.0 {
                    let fact = dl[i] / d[i];
                    dl[i] = fact;
                    d[i + 1] -= fact * du[i];
                }
            } else {
                let fact = d[i] / dl[i];
                d[i] = dl[i];
                dl[i] = fact;
                let temp = du[i];
                du[i] = d[i + 1];
                d[i + 1] = temp - fact * d[i + 1];
                if i + 2 < n {
                    du2[i] = du[i + 1];
                    du[i + 1] *= -fact;
                }
                swapped[i] = true;
            }
        }
        for x in &mut d {
            if x.abs() < tiny {
                *x = if *x < 0.0 { -tiny } else { tiny };
            }
        }
        Self {
            dl,
            d,
            du,
            du2,
            swapped,
        }
    }

    /// `b <- (T - σ I)⁻¹ b`.
    fn solve(&self, b: &mut [f64]) {
        let n = b.len();
        for i in 0..n.saturating_sub(1) {
            if self.swapped[i] {
                let temp = b[i];
                b[i] = b[i + 1];
                b[i + 1] = temp - self.dl[i] * b[i];
            } else {
                b[i + 1] -= self.dl[i] * b[i];
            }
        }
        for i in (0..n).rev() {
            let mut x = b[i];
            if i + 1 < n {
                x -= self.du[i] * b[i + 1];
            }
            if i + 2 < n {
                x -= self.du2[i] * b[i + 2];
            }
            b[i] = x / self.d[i];
        }
    }
}

/// `sqrt(a² + b²)` directly when neither square can overflow or underflow (libm's `hypot`,
/// exact in all cases, bounded the convergence checks), else by `hypot`.
#[inline]
pub(crate) fn hypot(a: f64, b: f64) -> f64 {
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
    fn inverse_iteration_gives_the_ql_vectors_also_for_close_values() {
        // Wilkinson's W21+: pairs of eigenvalues equal to 1e-14 and more, and a separated top.
        let n = 21;
        let d: Vec<f64> = (0..n).map(|i| (10.0 - i as f64).abs()).collect();
        let e = vec![1.0; n - 1];
        let (values, _) = tql2(&d, &e).unwrap();
        let top: Vec<f64> = values.iter().rev().take(8).copied().collect();
        let found = inverse_iteration(&d, &e, &top);
        for (j, (x, lambda)) in found.iter().zip(&top).enumerate() {
            // T x = lambda x.
            for i in 0..n {
                let below = if i > 0 { e[i - 1] * x[i - 1] } else { 0.0 };
                let above = if i + 1 < n { e[i] * x[i + 1] } else { 0.0 };
                let r = below + d[i] * x[i] + above - lambda * x[i];
                assert!(r.abs() < 1e-12, "vector {j} row {i}: residual {r}");
            }
            for (l, y) in found.iter().enumerate() {
                let want = f64::from(u8::from(j == l));
                let c: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
                assert!((c - want).abs() < 1e-10, "vectors {j}, {l}: {c}");
            }
        }
        // W21+'s top values come in pairs; on tridiag(-1, 2, -1), whose values are apart,
        // the vectors are QL's up to sign.
        let (d, e) = (vec![2.0; 30], vec![-1.0; 29]);
        let (values, vectors) = tql2(&d, &e).unwrap();
        let top: Vec<f64> = values.iter().rev().take(6).copied().collect();
        for (x, y) in inverse_iteration(&d, &e, &top)
            .iter()
            .zip(vectors.iter().rev())
        {
            let c: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
            assert!((c.abs() - 1.0).abs() < 1e-12, "{c}");
        }
        // Equal values get independent vectors.
        let twice = inverse_iteration(&[1.0, 1.0, 5.0], &[0.0, 0.0], &[1.0, 1.0]);
        let c: f64 = twice[0].iter().zip(&twice[1]).map(|(a, b)| a * b).sum();
        assert!(c.abs() < 1e-10, "{c}");
    }

    #[test]
    fn not_finite_input_is_refused() {
        assert!(tql2(&[1.0, f64::NAN], &[0.5]).is_none());
        assert_eq!(tql2(&[3.0], &[]).unwrap().0, vec![3.0]);
    }
}
