//! The top eigenpairs of a symmetric operator (a dense matrix, or any `y = A x`) by the
//! Lanczos method with full reorthogonalisation (classical Gram-Schmidt, repeated when the
//! first pass cancels much of the vector), without restarts: the Krylov basis
//! grows until the K largest Ritz pairs have residuals below `1e-9 x ‖A‖` (or until it spans
//! the whole space, where the result is exact). The start vector comes from a fixed seed, so
//! results are deterministic.

use super::PcaError;
use super::tridiag::{tql2, tql2_last};

/// Relative residual below which a Ritz pair counts as converged.
const TOL: f64 = 1e-9;

/// The `k` largest eigenvalues (descending) of the symmetric `n x n` row-major matrix `a`, and
/// their unit eigenvectors.
///
/// # Errors
/// [`PcaError::InvalidInput`] when `k > n` or `a` is not `n x n`; [`PcaError::NotFinite`] for
/// NaN or infinite entries; [`PcaError::NoConvergence`] if the tridiagonal solver fails.
pub fn top_eigenpairs(
    a: &[f64],
    n: usize,
    k: usize,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), PcaError> {
    if a.len() != n * n || k > n {
        return Err(PcaError::InvalidInput(format!(
            "eigen solver: {k} eigenpairs of a {n} x {n} matrix with {} entries",
            a.len()
        )));
    }
    if a.iter().any(|v| !v.is_finite()) {
        return Err(PcaError::NotFinite);
    }
    #[allow(clippy::cast_precision_loss)]
    let norm = a.iter().map(|v| v.abs()).fold(0.0, f64::max) * (n as f64).sqrt();
    lanczos(n, k, norm, |x, y| matvec(a, n, x, y))
}

/// The `k` largest eigenpairs of the symmetric operator `op` (`y = A x`) of dimension `n`,
/// whose scale (an estimate of `‖A‖`) is `norm`: residuals are judged relative to it.
///
/// # Errors
/// [`PcaError::NoConvergence`] if the tridiagonal solver fails.
pub(crate) fn lanczos(
    n: usize,
    k: usize,
    norm: f64,
    mut op: impl FnMut(&[f64], &mut [f64]),
) -> Result<(Vec<f64>, Vec<Vec<f64>>), PcaError> {
    if k == 0 || n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut rng = SplitMix(0x5eed_cafe_f00d);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut alpha: Vec<f64> = Vec::new();
    let mut beta: Vec<f64> = Vec::new();
    let mut q = rng.unit_vector(n);
    let mut checkpoint = (k + k / 2 + 10).min(n);
    let mut w = vec![0.0; n];
    loop {
        op(&q, &mut w);
        let j = basis.len();
        let aj = dot(&q, &w);
        axpy(-aj, &q, &mut w);
        if let (Some(prev), Some(&bj)) = (basis.last(), beta.last()) {
            axpy(-bj, prev, &mut w);
        }
        basis.push(q);
        alpha.push(aj);
        // Full reorthogonalisation, a second pass only when the first removed much of `w`
        // (the DGKS criterion): "twice is enough", and once usually is.
        let before = dot(&w, &w);
        reorthogonalise(&basis, &mut w);
        let mut b2 = dot(&w, &w);
        if b2 < 0.5 * before {
            reorthogonalise(&basis, &mut w);
            b2 = dot(&w, &w);
        }
        let b = b2.sqrt();
        let m = j + 1;
        if m == n || (m >= checkpoint) || b <= f64::EPSILON * norm {
            let (_, last) = tql2_last(&alpha, &beta).ok_or(PcaError::NoConvergence)?;
            let converged = m == n
                || (m >= k
                    && last
                        .iter()
                        .rev()
                        .take(k)
                        .all(|s| (b * s).abs() <= TOL * norm));
            if converged {
                let (values, ritz) = tql2(&alpha, &beta).ok_or(PcaError::NoConvergence)?;
                let vals: Vec<f64> = values.iter().rev().take(k).copied().collect();
                let vecs = ritz
                    .iter()
                    .rev()
                    .take(k)
                    .map(|s| combine(&basis, s, n))
                    .collect();
                return Ok((vals, vecs));
            }
            if m >= checkpoint {
                checkpoint = (m + (m / 16).max(8)).min(n);
            }
        }
        if b <= f64::EPSILON * norm {
            // An invariant subspace: continue with a fresh direction orthogonal to the basis.
            w = rng.unit_vector(n);
            reorthogonalise(&basis, &mut w);
            reorthogonalise(&basis, &mut w);
            let len = dot(&w, &w).sqrt();
            w.iter_mut().for_each(|x| *x /= len);
            beta.push(0.0);
            q = std::mem::replace(&mut w, vec![0.0; n]);
            continue;
        }
        w.iter_mut().for_each(|x| *x /= b);
        beta.push(b);
        q = std::mem::replace(&mut w, vec![0.0; n]);
    }
}

/// `sum_r s[r] * basis[r]`.
fn combine(basis: &[Vec<f64>], s: &[f64], n: usize) -> Vec<f64> {
    let mut y = vec![0.0; n];
    let quads = basis.chunks_exact(4);
    let done = basis.len() - quads.remainder().len();
    for (q, c) in quads.clone().zip(s.chunks_exact(4)) {
        sub4(q, &c.iter().map(|x| -x).collect::<Vec<_>>(), &mut y);
    }
    for (q, &c) in quads.remainder().iter().zip(&s[done..]) {
        axpy(c, q, &mut y);
    }
    let len = dot(&y, &y).sqrt();
    y.iter_mut().for_each(|x| *x /= len);
    y
}

/// Classical Gram-Schmidt of `w` against the basis, four basis vectors per pass over `w`: a
/// quarter of the loads (and stores) of `w` of one vector at a time, which bound this loop.
fn reorthogonalise(basis: &[Vec<f64>], w: &mut [f64]) {
    let quads = basis.chunks_exact(4);
    let rest = quads.remainder();
    let mut coefs: Vec<f64> = Vec::with_capacity(basis.len());
    for q in quads.clone() {
        coefs.extend(dot4(q, w));
    }
    coefs.extend(rest.iter().map(|q| dot(q, w)));
    for (q, c) in quads.zip(coefs.chunks_exact(4)) {
        sub4(q, c, w);
    }
    let done = basis.len() - rest.len();
    for (q, &c) in rest.iter().zip(&coefs[done..]) {
        axpy(-c, q, w);
    }
}

/// `[q[0]·w, q[1]·w, q[2]·w, q[3]·w]`, two partial sums each (SIMD128 lanes in Wasm), eight
/// entries per loop iteration: inside the host the loop-carried sums go through the stack at
/// every iteration (see `selected::sparse_dot_by`), so each iteration adds a small tree of
/// four products to each sum.
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
fn dot4(q: &[Vec<f64>], w: &[f64]) -> [f64; 4] {
    let n = w.len();
    let (a, b, c, d) = (&q[0][..n], &q[1][..n], &q[2][..n], &q[3][..n]);
    let mut acc = [[0.0f64; 2]; 4];
    let lanes = w
        .chunks_exact(8)
        .zip(a.chunks_exact(8))
        .zip(b.chunks_exact(8))
        .zip(c.chunks_exact(8))
        .zip(d.chunks_exact(8));
    for ((((x, a), b), c), d) in lanes {
        for (sums, v) in acc.iter_mut().zip([a, b, c, d]) {
            sums[0] += tree4(v, x, 0);
            sums[1] += tree4(v, x, 1);
        }
    }
    let mut out = acc.map(|s| s[0] + s[1]);
    for i in n - n % 8..n {
        let x = w[i];
        for (o, v) in out.iter_mut().zip([a, b, c, d]) {
            *o += v[i] * x;
        }
    }
    out
}

/// `(v[l] x[l] + v[l+2] x[l+2]) + (v[l+4] x[l+4] + v[l+6] x[l+6])`: one lane of a [`dot4`]
/// iteration.
#[inline(always)]
fn tree4(v: &[f64], x: &[f64], l: usize) -> f64 {
    (v[l] * x[l] + v[l + 2] * x[l + 2]) + (v[l + 4] * x[l + 4] + v[l + 6] * x[l + 6])
}

/// `w -= Σ c[i] q[i]` over four basis vectors in one pass, eight entries per loop iteration:
/// inside the host the four coefficients are reloaded from the stack at every iteration (see
/// [`dot4`]).
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
fn sub4(q: &[Vec<f64>], c: &[f64], w: &mut [f64]) {
    let n = w.len();
    let (a, b, cc, d) = (&q[0][..n], &q[1][..n], &q[2][..n], &q[3][..n]);
    let (c0, c1, c2, c3) = (c[0], c[1], c[2], c[3]);
    let one = |x: &mut f64, a: f64, b: f64, cc: f64, d: f64| {
        *x -= (c0 * a + c1 * b) + (c2 * cc + c3 * d);
    };
    let blocks = w
        .chunks_exact_mut(8)
        .zip(a.chunks_exact(8))
        .zip(b.chunks_exact(8))
        .zip(cc.chunks_exact(8))
        .zip(d.chunks_exact(8));
    for ((((x, a), b), cc), d) in blocks {
        for i in 0..8 {
            one(&mut x[i], a[i], b[i], cc[i], d[i]);
        }
    }
    for i in n - n % 8..n {
        one(&mut w[i], a[i], b[i], cc[i], d[i]);
    }
}

/// `y = A x` reading only the upper triangle of the symmetric `a` (half the memory traffic of
/// a full product). Rows go four at a time: each `x[j]` and `y[j]` past the block is loaded
/// once for four entries, and `y[j]` stored once, instead of once per entry (the loads and
/// stores of `y`, not the matrix, bounded this loop in Wasm). SIMD128 in Wasm.
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
fn matvec(a: &[f64], n: usize, x: &[f64], y: &mut [f64]) {
    y.iter_mut().for_each(|v| *v = 0.0);
    let blocked = n - n % 4;
    for i in (0..blocked).step_by(4) {
        // The 4 x 4 diagonal block.
        for r in i..i + 4 {
            y[r] += a[r * n + r] * x[r];
            for c in r + 1..i + 4 {
                let v = a[r * n + c];
                y[r] += v * x[c];
                y[c] += v * x[r];
            }
        }
        // The rest of the four rows, from column i + 4.
        let lo = i + 4;
        let rows = [
            &a[i * n + lo..(i + 1) * n],
            &a[(i + 1) * n + lo..(i + 2) * n],
            &a[(i + 2) * n + lo..(i + 3) * n],
            &a[(i + 3) * n + lo..(i + 4) * n],
        ];
        let xi = [x[i], x[i + 1], x[i + 2], x[i + 3]];
        let (xs, ys) = (&x[lo..], &mut y[lo..]);
        let mut acc = [[0.0f64; 2]; 4];
        // Four columns per loop iteration (see [`dot4`]).
        let lanes = xs
            .chunks_exact(4)
            .zip(ys.chunks_exact_mut(4))
            .zip(rows[0].chunks_exact(4))
            .zip(rows[1].chunks_exact(4))
            .zip(rows[2].chunks_exact(4))
            .zip(rows[3].chunks_exact(4));
        for (((((xv, yv), r0), r1), r2), r3) in lanes {
            for l in 0..2 {
                let h = l + 2;
                acc[0][l] += r0[l] * xv[l] + r0[h] * xv[h];
                acc[1][l] += r1[l] * xv[l] + r1[h] * xv[h];
                acc[2][l] += r2[l] * xv[l] + r2[h] * xv[h];
                acc[3][l] += r3[l] * xv[l] + r3[h] * xv[h];
                for m in [l, h] {
                    yv[m] += (r0[m] * xi[0] + r1[m] * xi[1]) + (r2[m] * xi[2] + r3[m] * xi[3]);
                }
            }
        }
        let mut sums = acc.map(|s| s[0] + s[1]);
        for j in n - (n - lo) % 4..n {
            for (sum, row) in sums.iter_mut().zip(&rows) {
                *sum += row[j - lo] * x[j];
            }
            y[j] += rows
                .iter()
                .zip(&xi)
                .map(|(row, &xv)| row[j - lo] * xv)
                .sum::<f64>();
        }
        for (r, sum) in sums.iter().enumerate() {
            y[i + r] += sum;
        }
    }
    // The last rows (fewer than four): the triangle they leave, one row at a time.
    for r in blocked..n {
        y[r] += a[r * n + r] * x[r];
        for c in r + 1..n {
            let v = a[r * n + c];
            y[r] += v * x[c];
            y[c] += v * x[r];
        }
    }
}

/// A dot product with four accumulators (vectorises without fast-math; with SIMD128 in Wasm),
/// sixteen entries per loop iteration (see [`dot4`]).
#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] +=
                (x[i] * y[i] + x[i + 4] * y[i + 4]) + (x[i + 8] * y[i + 8] + x[i + 12] * y[i + 12]);
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

#[cfg_attr(target_arch = "wasm32", target_feature(enable = "simd128"))]
fn axpy(c: f64, x: &[f64], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += c * xi;
    }
}

/// SplitMix64, for a reproducible start vector.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit_vector(&mut self, n: usize) -> Vec<f64> {
        #[allow(clippy::cast_precision_loss)]
        let mut v: Vec<f64> = (0..n)
            .map(|_| (self.next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
            .collect();
        let len = dot(&v, &v).sqrt();
        v.iter_mut().for_each(|x| *x /= len);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric matrix Q diag(lambda) Qᵀ with Q a product of Householder reflections.
    fn known(n: usize, lambda: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let mut rng = SplitMix(7);
        let mut q: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
            .collect();
        for _ in 0..3 {
            let u = rng.unit_vector(n);
            for col in &mut q {
                let c = 2.0 * dot(&u, col);
                axpy(-c, &u, col);
            }
        }
        // q[i] is the i-th eigenvector.
        let mut a = vec![0.0; n * n];
        for (l, v) in lambda.iter().zip(&q) {
            for r in 0..n {
                for c in 0..n {
                    a[r * n + c] += l * v[r] * v[c];
                }
            }
        }
        (a, q)
    }

    #[test]
    fn finds_the_largest_eigenpairs_of_a_known_matrix() {
        let n = 300;
        let lambda: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64).powf(1.2)).collect();
        let (a, q) = known(n, &lambda);
        let (values, vectors) = top_eigenpairs(&a, n, 12).unwrap();
        for i in 0..12 {
            assert!((values[i] - lambda[i]).abs() < 1e-10, "value {i}");
            let cos = dot(&vectors[i], &q[i]).abs();
            assert!((cos - 1.0).abs() < 1e-8, "vector {i}: |cos| = {cos}");
        }
    }

    #[test]
    fn repeated_and_zero_eigenvalues_on_a_small_matrix() {
        // Rank 2 with a double eigenvalue: the Krylov space breaks down early.
        let (a, _) = known(6, &[2.0, 2.0, 1.0, 0.0, 0.0, 0.0]);
        let (values, _) = top_eigenpairs(&a, 6, 4).unwrap();
        let expected = [2.0, 2.0, 1.0, 0.0];
        for (v, e) in values.iter().zip(expected) {
            assert!((v - e).abs() < 1e-10, "{values:?}");
        }
    }

    #[test]
    fn the_blocked_product_is_the_plain_one() {
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 30] {
            let mut rng = SplitMix(n as u64);
            let mut a = vec![0.0; n * n];
            for r in 0..n {
                for c in r..n {
                    let v = rng.unit_vector(1)[0] * (r + c + 1) as f64;
                    a[r * n + c] = v;
                    a[c * n + r] = v;
                }
            }
            let x = rng.unit_vector(n);
            let mut y = vec![f64::NAN; n];
            matvec(&a, n, &x, &mut y);
            for r in 0..n {
                let want: f64 = (0..n).map(|c| a[r * n + c] * x[c]).sum();
                assert!(
                    (y[r] - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "n {n} row {r}"
                );
            }
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(top_eigenpairs(&[1.0, f64::NAN, f64::NAN, 1.0], 2, 1).is_err());
        assert!(top_eigenpairs(&[1.0], 1, 2).is_err());
    }
}
