//! The top eigenpairs of a symmetric operator (a dense matrix, or any `y = A x`) by the
//! Lanczos method with full reorthogonalisation (classical Gram-Schmidt, repeated when the
//! first pass cancels much of the vector), without restarts: the Krylov basis grows until the
//! K largest Ritz pairs have residuals below `1e-9 x ‖A‖` (or until it spans the whole space,
//! where the result is exact). The start vector comes from a fixed seed, so results are
//! deterministic. The reorthogonalisation, the dense product and the Ritz vectors run in
//! blocks fixed by the sizes (see [`crate::threads`]).

use super::PcaError;
use super::tridiag::{tql2, tql2_last};
use crate::Interrupt;
use crate::threads::{for_chunks_mut, map_blocks};

/// Relative residual below which a Ritz pair counts as converged.
pub(crate) const TOL: f64 = 1e-9;
/// Entries of a vector per block of the reorthogonalisation.
const CHUNK: usize = 1024;
/// Rows of a dense matrix per band of [`matvec`].
const BAND_ROWS: usize = 64;

/// Eigenpairs, descending, and the size of the basis that found them.
pub(crate) type Eigen = (Vec<f64>, Vec<Vec<f64>>, usize);

/// The most Lanczos steps for `k` eigenpairs of an operator of dimension `n`: observed runs
/// take about `4k`; past `max(20k, k + 200)` something is wrong with the operator.
pub(crate) fn max_steps(n: usize, k: usize) -> usize {
    (20 * k).max(k + 200).min(n)
}

/// The `k` largest eigenvalues (descending) of the symmetric `n x n` row-major matrix `a`, and
/// their unit eigenvectors. Only the upper triangle of `a` is read.
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
    let (values, vectors, _) = dense_eigenpairs(a, n, k, &crate::Never)?;
    Ok((values, vectors))
}

/// [`top_eigenpairs`] of the upper triangle `a` (finite, `n x n`), polling `interrupt`.
pub(crate) fn dense_eigenpairs(
    a: &[f64],
    n: usize,
    k: usize,
    interrupt: &dyn Interrupt,
) -> Result<Eigen, PcaError> {
    let mut norm = 0.0f64;
    for r in 0..n {
        norm = a[r * n + r..(r + 1) * n]
            .iter()
            .fold(norm, |m, v| m.max(v.abs()));
    }
    if !norm.is_finite() {
        return Err(PcaError::NotFinite);
    }
    #[allow(clippy::cast_precision_loss)]
    let norm = norm * (n as f64).sqrt();
    lanczos(n, k, norm, interrupt, |x, y| matvec(a, n, x, y))
}

/// The `k` largest eigenpairs of the symmetric operator `op` (`y = A x`) of dimension `n`,
/// whose scale (an estimate of `‖A‖`) is `norm`: residuals are judged relative to it.
///
/// # Errors
/// [`PcaError::NoConvergence`] if the tridiagonal solver fails or the basis reaches
/// [`max_steps`] first; [`PcaError::Interrupted`] when `interrupt` says so (polled every step).
pub(crate) fn lanczos(
    n: usize,
    k: usize,
    norm: f64,
    interrupt: &dyn Interrupt,
    mut op: impl FnMut(&[f64], &mut [f64]),
) -> Result<Eigen, PcaError> {
    if k == 0 || n == 0 {
        return Ok((Vec::new(), Vec::new(), 0));
    }
    let limit = max_steps(n, k);
    let mut rng = SplitMix(0x5eed_cafe_f00d);
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let mut alpha: Vec<f64> = Vec::new();
    let mut beta: Vec<f64> = Vec::new();
    let mut q = rng.unit_vector(n);
    let mut checkpoint = (k + k / 2 + 10).min(limit);
    let mut w = vec![0.0; n];
    loop {
        if interrupt.interrupted() {
            return Err(PcaError::Interrupted);
        }
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
        if m == n || m >= checkpoint || b <= f64::EPSILON * norm {
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
                let wanted: Vec<&Vec<f64>> = ritz.iter().rev().take(k).collect();
                let vecs = map_blocks(wanted.len(), |i| combine(&basis, wanted[i], n));
                return Ok((vals, vecs, m));
            }
            if m >= limit {
                return Err(PcaError::NoConvergence);
            }
            if m >= checkpoint {
                checkpoint = (m + (m / 16).max(8)).min(limit);
            }
        }
        if b <= f64::EPSILON * norm {
            // An invariant subspace: continue with a fresh direction orthogonal to the basis.
            w = rng.unit_vector(n);
            reorthogonalise(&basis, &mut w);
            reorthogonalise(&basis, &mut w);
            normalise(&mut w);
            beta.push(0.0);
            q = std::mem::replace(&mut w, vec![0.0; n]);
            continue;
        }
        w.iter_mut().for_each(|x| *x /= b);
        beta.push(b);
        q = std::mem::replace(&mut w, vec![0.0; n]);
    }
}

/// `sum_r s[r] * basis[r]`, normalised.
fn combine(basis: &[Vec<f64>], s: &[f64], n: usize) -> Vec<f64> {
    let mut y = vec![0.0; n];
    let quads = basis.chunks_exact(4);
    let done = basis.len() - quads.remainder().len();
    for (q, c) in quads.clone().zip(s.chunks_exact(4)) {
        sub4(q, [-c[0], -c[1], -c[2], -c[3]], 0, &mut y);
    }
    for (q, &c) in quads.remainder().iter().zip(&s[done..]) {
        axpy(c, q, &mut y);
    }
    normalise(&mut y);
    y
}

/// Classical Gram-Schmidt of `w` against the basis: the coefficients from partial dots over
/// blocks of [`CHUNK`] entries (added in block order), then each block of `w` updated, four
/// basis vectors per pass over it.
fn reorthogonalise(basis: &[Vec<f64>], w: &mut [f64]) {
    let n = w.len();
    let parts = map_blocks(n.div_ceil(CHUNK), |c| {
        let range = c * CHUNK..((c + 1) * CHUNK).min(n);
        let wc = &w[range.clone()];
        let quads = basis.chunks_exact(4);
        let mut coefs: Vec<f64> = Vec::with_capacity(basis.len());
        for q in quads.clone() {
            coefs.extend(dot4(q, range.clone(), wc));
        }
        coefs.extend(quads.remainder().iter().map(|q| dot(&q[range.clone()], wc)));
        coefs
    });
    let mut coefs = vec![0.0; basis.len()];
    for part in &parts {
        coefs.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
    for_chunks_mut(w, CHUNK, |c, wc| {
        let offset = c * CHUNK;
        let quads = basis.chunks_exact(4);
        let rest = quads.remainder();
        for (q, cq) in quads.zip(coefs.chunks_exact(4)) {
            sub4(q, [cq[0], cq[1], cq[2], cq[3]], offset, wc);
        }
        let done = basis.len() - rest.len();
        for (q, &cr) in rest.iter().zip(&coefs[done..]) {
            axpy(-cr, &q[offset..offset + wc.len()], wc);
        }
    });
}

/// `[q[i][range]·w for i in 0..4]`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn dot4(q: &[Vec<f64>], range: std::ops::Range<usize>, w: &[f64]) -> [f64; 4] {
    let (a, b, c, d) = (
        &q[0][range.clone()],
        &q[1][range.clone()],
        &q[2][range.clone()],
        &q[3][range],
    );
    let mut acc = [[0.0f64; 2]; 4];
    let lanes = w
        .chunks_exact(2)
        .zip(a.chunks_exact(2))
        .zip(b.chunks_exact(2))
        .zip(c.chunks_exact(2))
        .zip(d.chunks_exact(2));
    for ((((x, a), b), c), d) in lanes {
        for (sums, v) in acc.iter_mut().zip([a, b, c, d]) {
            sums[0] += v[0] * x[0];
            sums[1] += v[1] * x[1];
        }
    }
    let mut out = acc.map(|s| s[0] + s[1]);
    if w.len() % 2 == 1 {
        let i = w.len() - 1;
        for (o, v) in out.iter_mut().zip([a, b, c, d]) {
            *o += v[i] * w[i];
        }
    }
    out
}

/// `w -= Σ c[i] q[i][offset..]` over four basis vectors in one pass over `w`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn sub4(q: &[Vec<f64>], c: [f64; 4], offset: usize, w: &mut [f64]) {
    let range = offset..offset + w.len();
    let (a, b, cc, d) = (
        &q[0][range.clone()],
        &q[1][range.clone()],
        &q[2][range.clone()],
        &q[3][range],
    );
    for ((((x, a), b), cc), d) in w.iter_mut().zip(a).zip(b).zip(cc).zip(d) {
        *x -= (c[0] * a + c[1] * b) + (c[2] * cc + c[3] * d);
    }
}

/// `y = A x` reading only the upper triangle of the symmetric `a`: bands of [`BAND_ROWS`]
/// rows in parallel, each into its own partial result (its rows' dots, and the transposed part
/// of the triangle scattered past them), added in band order.
fn matvec(a: &[f64], n: usize, x: &[f64], y: &mut [f64]) {
    let parts = map_blocks(n.div_ceil(BAND_ROWS), |band| {
        let mut part = vec![0.0; n];
        for r in band * BAND_ROWS..((band + 1) * BAND_ROWS).min(n) {
            let row = &a[r * n + r..(r + 1) * n];
            let (xr, xs) = (x[r], &x[r..]);
            let tail = &mut part[r..];
            let mut sum = [0.0f64; 2];
            let pairs = row.chunks_exact(2).zip(xs.chunks_exact(2));
            for (i, (v, xv)) in pairs.enumerate() {
                sum[0] += v[0] * xv[0];
                sum[1] += v[1] * xv[1];
                tail[2 * i] += v[0] * xr;
                tail[2 * i + 1] += v[1] * xr;
            }
            if row.len() % 2 == 1 {
                let i = row.len() - 1;
                sum[0] += row[i] * xs[i];
                tail[i] += row[i] * xr;
            }
            // The diagonal went into both: once is right.
            tail[0] += sum[0] + sum[1] - row[0] * xr;
        }
        part
    });
    y.iter_mut().for_each(|v| *v = 0.0);
    for part in &parts {
        y.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
}

/// A dot product with four accumulators (vectorises without fast-math).
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// `x / ‖x‖`, in place.
pub(crate) fn normalise(x: &mut [f64]) {
    let len = dot(x, x).sqrt();
    x.iter_mut().for_each(|v| *v /= len);
}

#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
pub(crate) fn axpy(c: f64, x: &[f64], y: &mut [f64]) {
    for (yi, &xi) in y.iter_mut().zip(x) {
        *yi += c * xi;
    }
}

/// SplitMix64, for a reproducible start vector.
pub(crate) struct SplitMix(pub(crate) u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn unit_vector(&mut self, n: usize) -> Vec<f64> {
        #[allow(clippy::cast_precision_loss)]
        let mut v: Vec<f64> = (0..n)
            .map(|_| (self.next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5)
            .collect();
        normalise(&mut v);
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
        for n in [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 30, 64, 65, 130] {
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
