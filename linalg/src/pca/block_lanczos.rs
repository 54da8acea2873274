//! The top eigenpairs of a symmetric operator applied to [`WIDTH`] vectors at a time: the
//! block Lanczos method with full reorthogonalisation, without restarts.
//!
//! Why blocks: the implicit covariance product is bound by its gathers, one per stored value
//! per vector. Applied to a block, each stored value is read once for [`WIDTH`] vectors, and
//! its gather loads [`WIDTH`] neighbouring values at once (a row of the block): the product of
//! a block costs little more than that of one vector. The Krylov space grows by a block per
//! step and needs a few more vectors than the single-vector method for the same accuracy; the
//! projected matrix is banded, reduced to tridiagonal form by Givens rotations
//! ([`super::band`]) before the QL iteration.
//!
//! A block is stored by rows (`Row` = the components of its vectors at one index), so the
//! products and the reorthogonalisation stream whole rows. Each step:
//! `W = C Q_j - Q_j A_j - Q_{j-1} R_{j-1}ᵀ`, then `W` is orthogonalised against the whole basis
//! (classical Gram-Schmidt by blocks, repeated when it cancelled much of a column) and
//! factored `W = Q_{j+1} R_j` (Gram-Schmidt within the block, twice). A column that vanishes
//! (an invariant subspace) is replaced by a random direction orthogonal to everything, with a
//! zero in `R`. The convergence test: the residual of the Ritz pair `(θ, Q s)` is
//! `‖R_j s_last‖` (`s_last`: the components of `s` in the last block), against `TOL ‖A‖` as for
//! the single-vector method. Tests are scheduled from the rate at which the worst residual
//! fell between the last two. Work is split in blocks fixed by the sizes: the same bits on any
//! number of threads.

use super::PcaError;
use super::band::Tridiagonal;
use super::lanczos::{Eigen, SplitMix, TOL, axpy, dot, max_steps, normalise};
use super::tridiag::{inverse_iteration, ql};
use crate::Interrupt;
use crate::threads::{for_chunks_mut, map_blocks};

/// Vectors per block.
pub(crate) const WIDTH: usize = 4;
/// The components of a block's vectors at one index.
pub(crate) type Row = [f64; WIDTH];
/// A block of [`WIDTH`] vectors, by rows.
type Block = Vec<Row>;
/// A [`WIDTH`] x [`WIDTH`] matrix, by rows.
type Square = [Row; WIDTH];
/// Rows per chunk of the reorthogonalisation and of the Ritz vectors.
const CHUNK: usize = 512;

/// Whether the block method fits an operator of dimension `n` for `k` eigenpairs: the basis
/// may grow to the single-vector method's step limit plus a block without spanning the space
/// (smaller problems take the single-vector method, which handles a basis that spans it).
pub(crate) fn fits(n: usize, k: usize) -> bool {
    n >= (20 * k).max(k + 200) + 2 * WIDTH
}

/// The `k` largest eigenpairs of the symmetric operator `op` (`Y = A X` on a block) of
/// dimension `n` (for which [`fits`] holds), whose scale is `norm`.
///
/// # Errors
/// [`PcaError::NoConvergence`] if the tridiagonal solver fails or the basis reaches the step
/// limit first; [`PcaError::Interrupted`] when `interrupt` says so (polled every step).
pub(crate) fn block_lanczos(
    n: usize,
    k: usize,
    norm: f64,
    interrupt: &dyn Interrupt,
    mut op: impl FnMut(&[Row], &mut [Row]),
) -> Result<Eigen, PcaError> {
    if k == 0 {
        return Ok((Vec::new(), Vec::new(), 0));
    }
    let limit = max_steps(n, k);
    let mut rng = SplitMix(0x5eed_cafe_f00d);
    let mut basis: Vec<Block> = Vec::new();
    let mut diag: Vec<Square> = Vec::new();
    let mut sub: Vec<Square> = Vec::new();
    let mut q = vec![[0.0; WIDTH]; n];
    let zero = [0.0; WIDTH];
    for l in 0..WIDTH {
        let column = fresh_column(&mut rng, &basis, &q, l);
        set_column(&mut q, l, &column);
    }
    let mut schedule = Schedule::new(round_up((3 * k).max(k + 2 * WIDTH)));
    loop {
        if interrupt.interrupted() {
            return Err(PcaError::Interrupted);
        }
        let mut w = vec![zero; n];
        op(&q, &mut w);
        // Q_jᵀ C Q_j, symmetric up to rounding: made exactly so.
        let g = gram(&q, &w);
        let a: Square = std::array::from_fn(|r| std::array::from_fn(|c| 0.5 * (g[r][c] + g[c][r])));
        subtract(&mut w, &q, &a);
        if let (Some(prev), Some(r)) = (basis.last(), sub.last()) {
            subtract(&mut w, prev, &transpose(r));
        }
        basis.push(q);
        diag.push(a);
        // Full reorthogonalisation, a second pass when the first removed much of a column.
        let before = column_norms(&w);
        reorthogonalise(&basis, &mut w);
        if column_norms(&w)
            .iter()
            .zip(&before)
            .any(|(after, before)| *after < 0.5 * before)
        {
            reorthogonalise(&basis, &mut w);
        }
        let r = factor(&mut w, &basis, &mut rng, norm);
        sub.push(r);
        q = w;
        let m = basis.len() * WIDTH;
        if m >= schedule.next || m + WIDTH > limit {
            let (worst, done) = check(&diag, &sub, k, norm)?;
            if let Some((values, vectors)) = done {
                let vectors = ritz_vectors(&basis, &vectors, n);
                return Ok((values, vectors, m));
            }
            if m + WIDTH > limit {
                return Err(PcaError::NoConvergence);
            }
            schedule.after(m, worst);
        }
    }
}

/// `m` rounded up to whole blocks.
fn round_up(m: usize) -> usize {
    m.div_ceil(WIDTH) * WIDTH
}

/// When to test convergence next, from how fast the worst residual fell.
struct Schedule {
    next: usize,
    last: Option<(usize, f64)>,
}

impl Schedule {
    fn new(first: usize) -> Self {
        Self {
            next: first,
            last: None,
        }
    }

    /// After a test at `m` vectors whose worst relative residual was `worst`.
    fn after(&mut self, m: usize, worst: f64) {
        let step = match self.last {
            Some((m0, w0)) if worst > 0.0 && worst < w0 => {
                #[allow(clippy::cast_precision_loss)]
                let rate = (w0 / worst).ln() / (m - m0) as f64;
                let need = (worst / TOL).ln() / rate;
                // Convergence speeds up as the basis grows: the straight-line estimate is long.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let need = (0.4 * need).ceil() as usize;
                need.clamp(WIDTH, (m / 4).max(WIDTH))
            }
            _ => (m / 8).max(WIDTH),
        };
        self.last = Some((m, worst));
        self.next = round_up(m + step);
    }
}

/// The eigen-decomposition of the projected matrix: the worst relative residual of the top `k`
/// Ritz pairs, and when all are below the tolerance, the `k` largest eigenvalues (descending)
/// with their eigenvectors in the basis's coordinates.
#[allow(clippy::type_complexity)]
fn check(
    diag: &[Square],
    sub: &[Square],
    k: usize,
    norm: f64,
) -> Result<(f64, Option<(Vec<f64>, Vec<Vec<f64>>)>), PcaError> {
    let m = diag.len() * WIDTH;
    let mut t = projected(diag, sub);
    let tri = Tridiagonal::from_band(&mut t, m, WIDTH);
    let last: Vec<usize> = (m - WIDTH..m).collect();
    let (values, ends) = ql(&tri.d, &tri.e, tri.rows_of_q(&last)).ok_or(PcaError::NoConvergence)?;
    let r = sub.last().copied().unwrap_or([[0.0; WIDTH]; WIDTH]);
    let worst = ends
        .iter()
        .rev()
        .take(k)
        .map(|s| {
            let residual: f64 = r
                .iter()
                .map(|row| row.iter().zip(s).map(|(a, b)| a * b).sum::<f64>().powi(2))
                .sum();
            residual.sqrt() / norm.max(f64::MIN_POSITIVE)
        })
        .fold(
            0.0,
            |a: f64, b| if b.is_nan() { f64::INFINITY } else { a.max(b) },
        );
    if m < k || worst > TOL {
        return Ok((worst, None));
    }
    // The k wanted eigenvectors of the tridiagonal matrix, then Q times each.
    let top: Vec<f64> = values.iter().rev().take(k).copied().collect();
    let mut vectors = inverse_iteration(&tri.d, &tri.e, &top);
    for u in &mut vectors {
        tri.apply_q(u);
    }
    Ok((worst, Some((top, vectors))))
}

/// The projected matrix `QᵀAQ` (`m x m`, both triangles): `A_j` on the diagonal, `R_j` below
/// it and `R_jᵀ` above.
fn projected(diag: &[Square], sub: &[Square]) -> Vec<f64> {
    let m = diag.len() * WIDTH;
    let mut t = vec![0.0; m * m];
    for (j, a) in diag.iter().enumerate() {
        for (r, row) in a.iter().enumerate() {
            let at = (j * WIDTH + r) * m + j * WIDTH;
            t[at..at + WIDTH].copy_from_slice(row);
        }
    }
    for (j, rj) in sub.iter().enumerate().take(diag.len() - 1) {
        for (r, row) in rj.iter().enumerate() {
            for (c, &v) in row.iter().enumerate() {
                let (below, right) = ((j + 1) * WIDTH + r, j * WIDTH + c);
                t[below * m + right] = v;
                t[right * m + below] = v;
            }
        }
    }
    t
}

/// `sum_v s[v] * (vector v of the basis)` for each `s`, normalised.
fn ritz_vectors(basis: &[Block], coefficients: &[Vec<f64>], n: usize) -> Vec<Vec<f64>> {
    let k = coefficients.len();
    // s[v * k + t]: the coefficient of basis vector v in Ritz vector t.
    let mut s = vec![0.0; basis.len() * WIDTH * k];
    for (t, coef) in coefficients.iter().enumerate() {
        for (v, &c) in coef.iter().enumerate() {
            s[v * k + t] = c;
        }
    }
    let mut out = vec![0.0; n * k];
    for_chunks_mut(&mut out, CHUNK * k, |chunk, out| {
        for (i, acc) in out.chunks_exact_mut(k).enumerate() {
            let row = chunk * CHUNK + i;
            for (j, block) in basis.iter().enumerate() {
                for (l, &q) in block[row].iter().enumerate() {
                    let v = j * WIDTH + l;
                    axpy(q, &s[v * k..(v + 1) * k], acc);
                }
            }
        }
    });
    (0..k)
        .map(|t| {
            let mut y: Vec<f64> = (0..n).map(|row| out[row * k + t]).collect();
            normalise(&mut y);
            y
        })
        .collect()
}

/// Classical Gram-Schmidt of the block `w` against every block of the basis: the coefficients
/// `Q_jᵀ w` from partial sums over chunks of rows (added in chunk order), then each chunk of
/// `w` updated.
fn reorthogonalise(basis: &[Block], w: &mut [Row]) {
    let n = w.len();
    let parts = map_blocks(n.div_ceil(CHUNK), |c| {
        let range = c * CHUNK..((c + 1) * CHUNK).min(n);
        basis
            .iter()
            .map(|q| gram(&q[range.clone()], &w[range.clone()]))
            .collect::<Vec<Square>>()
    });
    let mut coefs = vec![[[0.0; WIDTH]; WIDTH]; basis.len()];
    for part in &parts {
        coefs.iter_mut().zip(part).for_each(|(sum, g)| add(sum, g));
    }
    for_chunks_mut(w, CHUNK, |c, wc| {
        let offset = c * CHUNK;
        for (q, g) in basis.iter().zip(&coefs) {
            subtract(wc, &q[offset..offset + wc.len()], g);
        }
    });
}

/// `qᵀ w`: entry `(l, c)` is the dot of column `l` of `q` with column `c` of `w`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn gram(q: &[Row], w: &[Row]) -> Square {
    // Two sets of sums: rows alternate between them, halving the dependency chains.
    let mut acc = [[[0.0f64; WIDTH]; WIDTH]; 2];
    // `set += qrᵀ wr`.
    let outer = |set: &mut Square, qr: &Row, wr: &Row| {
        for (sums, &ql) in set.iter_mut().zip(qr) {
            for (s, &wc) in sums.iter_mut().zip(wr) {
                *s += ql * wc;
            }
        }
    };
    let (qp, wp) = (q.chunks_exact(2), w.chunks_exact(2));
    let (q_last, w_last) = (qp.remainder().first(), wp.remainder().first());
    for (qp, wp) in qp.zip(wp) {
        for (set, (qr, wr)) in acc.iter_mut().zip(qp.iter().zip(wp)) {
            outer(set, qr, wr);
        }
    }
    if let (Some(qr), Some(wr)) = (q_last, w_last) {
        outer(&mut acc[0], qr, wr);
    }
    let [mut out, second] = acc;
    add(&mut out, &second);
    out
}

/// `a += b`.
fn add(a: &mut Square, b: &Square) {
    for (ar, br) in a.iter_mut().zip(b) {
        ar.iter_mut().zip(br).for_each(|(x, y)| *x += y);
    }
}

/// `w -= q g`.
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn subtract(w: &mut [Row], q: &[Row], g: &Square) {
    for (wr, qr) in w.iter_mut().zip(q) {
        let mut sum = [0.0; WIDTH];
        for (&ql, gl) in qr.iter().zip(g) {
            for (s, &gc) in sum.iter_mut().zip(gl) {
                *s += ql * gc;
            }
        }
        for (x, s) in wr.iter_mut().zip(sum) {
            *x -= s;
        }
    }
}

fn transpose(a: &Square) -> Square {
    let mut t = [[0.0; WIDTH]; WIDTH];
    for (r, row) in a.iter().enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c][r] = v;
        }
    }
    t
}

/// The squared length of each column of `w`.
fn column_norms(w: &[Row]) -> Row {
    let mut out = [0.0; WIDTH];
    for row in w {
        for (o, x) in out.iter_mut().zip(row) {
            *o += x * x;
        }
    }
    out
}

fn column(w: &[Row], l: usize) -> Vec<f64> {
    w.iter().map(|row| row[l]).collect()
}

fn set_column(w: &mut [Row], l: usize, x: &[f64]) {
    for (row, &v) in w.iter_mut().zip(x) {
        row[l] = v;
    }
}

/// Removes from `x` its components along every vector of the basis and along the columns
/// `0..l` of `block`.
fn project_out(basis: &[Block], block: &[Row], l: usize, x: &mut [f64]) {
    for q in basis {
        let mut g = [0.0; WIDTH];
        for (row, &xi) in q.iter().zip(x.iter()) {
            g.iter_mut().zip(row).for_each(|(a, b)| *a += b * xi);
        }
        for (row, xi) in q.iter().zip(x.iter_mut()) {
            *xi -= row.iter().zip(&g).map(|(a, b)| a * b).sum::<f64>();
        }
    }
    for c in 0..l {
        let qc = column(block, c);
        let g = dot(&qc, x);
        axpy(-g, &qc, x);
    }
}

/// A random unit vector orthogonal to the basis and to the columns `0..l` of `block`.
fn fresh_column(rng: &mut SplitMix, basis: &[Block], block: &[Row], l: usize) -> Vec<f64> {
    let mut x = rng.unit_vector(block.len());
    project_out(basis, block, l, &mut x);
    project_out(basis, block, l, &mut x);
    normalise(&mut x);
    x
}

/// Factors `w = Q R` in place (`w` becomes `Q`, orthonormal and orthogonal to the basis):
/// Gram-Schmidt within the block, twice. A column left with nothing of its own (at most
/// `EPSILON x norm`) is replaced by a random direction, with a zero on `R`'s diagonal.
fn factor(w: &mut [Row], basis: &[Block], rng: &mut SplitMix, norm: f64) -> Square {
    let mut r = [[0.0; WIDTH]; WIDTH];
    for l in 0..WIDTH {
        let mut x = column(w, l);
        let before = dot(&x, &x);
        for _ in 0..2 {
            for (c, rc) in r.iter_mut().enumerate().take(l) {
                let qc = column(w, c);
                let g = dot(&qc, &x);
                axpy(-g, &qc, &mut x);
                rc[l] += g;
            }
        }
        let mut len2 = dot(&x, &x);
        if len2 < 0.5 * before {
            // Much of the column was in the block: what is left may have lost its
            // orthogonality to the basis.
            project_out(basis, w, l, &mut x);
            len2 = dot(&x, &x);
        }
        let len = len2.sqrt();
        if len <= f64::EPSILON * norm {
            r[l][l] = 0.0;
            x = fresh_column(rng, basis, w, l);
        } else {
            r[l][l] = len;
            x.iter_mut().for_each(|v| *v /= len);
        }
        set_column(w, l, &x);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Never;

    /// A symmetric operator with known eigenpairs: `Q diag(lambda) Qᵀ`, `Q` three Householder
    /// reflections of the identity, applied without forming the matrix.
    struct Known {
        n: usize,
        lambda: Vec<f64>,
        u: Vec<Vec<f64>>,
    }

    impl Known {
        fn new(n: usize, lambda: Vec<f64>) -> Self {
            let mut rng = SplitMix(7);
            let u = (0..3).map(|_| rng.unit_vector(n)).collect();
            Self { n, lambda, u }
        }

        /// `Q x` (reflections in order) and `Qᵀ x` (reversed; each is its own inverse).
        fn reflect(&self, x: &mut [f64], forward: bool) {
            let order: Vec<&Vec<f64>> = if forward {
                self.u.iter().collect()
            } else {
                self.u.iter().rev().collect()
            };
            for u in order {
                let c = 2.0 * dot(u, x);
                super::axpy(-c, u, x);
            }
        }

        fn apply(&self, x: &[f64]) -> Vec<f64> {
            let mut y = x.to_vec();
            self.reflect(&mut y, false);
            y.iter_mut().zip(&self.lambda).for_each(|(v, l)| *v *= l);
            self.reflect(&mut y, true);
            y
        }

        fn eigenvector(&self, i: usize) -> Vec<f64> {
            let mut e = vec![0.0; self.n];
            e[i] = 1.0;
            self.reflect(&mut e, true);
            e
        }

        fn op(&self, x: &[Row], y: &mut [Row]) {
            for l in 0..WIDTH {
                set_column(y, l, &self.apply(&column(x, l)));
            }
        }
    }

    #[test]
    fn finds_the_largest_eigenpairs_of_a_known_operator() {
        let n = 400;
        let lambda: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64).powf(1.2)).collect();
        let known = Known::new(n, lambda.clone());
        assert!(fits(n, 10));
        let (values, vectors, steps) =
            block_lanczos(n, 10, 1.0, &Never, |x, y| known.op(x, y)).unwrap();
        assert!(steps % WIDTH == 0 && steps < n, "{steps}");
        for i in 0..10 {
            assert!((values[i] - lambda[i]).abs() < 1e-10, "value {i}");
            let cos = dot(&vectors[i], &known.eigenvector(i)).abs();
            assert!((cos - 1.0).abs() < 1e-8, "vector {i}: |cos| = {cos}");
        }
    }

    #[test]
    fn a_low_rank_operator_continues_past_its_invariant_subspace() {
        // Rank 3 with a double eigenvalue: the first block already spans the range, every
        // later column breaks down and is replaced.
        let n = 260;
        let mut lambda = vec![0.0; n];
        lambda[..3].copy_from_slice(&[2.0, 2.0, 1.0]);
        let known = Known::new(n, lambda);
        let (values, vectors, _) = block_lanczos(n, 5, 2.0, &Never, |x, y| known.op(x, y)).unwrap();
        for (v, e) in values.iter().zip([2.0, 2.0, 1.0, 0.0, 0.0]) {
            assert!((v - e).abs() < 1e-12, "{values:?}");
        }
        for (i, a) in vectors.iter().enumerate() {
            for (j, b) in vectors.iter().enumerate() {
                let want = f64::from(u8::from(i == j));
                assert!((dot(a, b) - want).abs() < 1e-10, "({i}, {j})");
            }
        }
    }

    #[test]
    fn an_interrupt_stops_it() {
        let known = Known::new(300, vec![1.0; 300]);
        let stop = || true;
        assert_eq!(
            block_lanczos(300, 3, 1.0, &stop, |x, y| known.op(x, y)),
            Err(PcaError::Interrupted)
        );
    }
}
