//! The reduction of a symmetric band matrix to tridiagonal form by Givens rotations, chasing
//! each bulge down the band (Rutishauser's and Schwarz's method, LAPACK's `dsbtrd` in spirit):
//! `O(m² b)` for half-bandwidth `b`, where a dense Householder reduction costs `O(m³)`. The
//! block Lanczos method's projected matrix is banded (its blocks are `b` wide), and is reduced
//! at every convergence test. [`super::tridiag::ql`] then finishes the eigen-decomposition.

use super::tridiag::hypot;

/// A symmetric matrix `A` reduced to `T = Qᵀ A Q`, `T` tridiagonal, `Q` the product of the
/// recorded rotations.
pub(crate) struct Tridiagonal {
    /// Diagonal of `T`.
    pub d: Vec<f64>,
    /// Sub-diagonal of `T` (`d.len() - 1` values).
    pub e: Vec<f64>,
    /// `(p, c, s)`: the rotation `G` of the plane `(p, p + 1)` with `G [x_p, x_p+1]ᵀ =
    /// [c x_p + s x_p+1, -s x_p + c x_p+1]ᵀ`, applied as `A <- G A Gᵀ`, in order.
    rotations: Vec<(usize, f64, f64)>,
}

impl Tridiagonal {
    /// Reduces the symmetric `m x m` row-major `a`, of which only the lower triangle is read
    /// (zero beyond `band` diagonals below the main one; overwritten).
    pub fn from_band(a: &mut [f64], m: usize, band: usize) -> Self {
        debug_assert_eq!(a.len(), m * m);
        let mut rotations = Vec::new();
        for width in (2..=band).rev() {
            // The band is `width` wide: zero each entry on its outermost sub-diagonal, then chase
            // the entry each rotation creates `width + 1` below the diagonal down the band.
            for j in 0..m.saturating_sub(width) {
                let (mut row, mut col) = (j + width, j);
                while row < m {
                    let (x, y) = (a[(row - 1) * m + col], a[row * m + col]);
                    if y == 0.0 {
                        break;
                    }
                    let r = hypot(x, y);
                    let (c, s) = (x / r, y / r);
                    rotate_symmetric(a, m, row - 1, c, s, width);
                    a[row * m + col] = 0.0;
                    rotations.push((row - 1, c, s));
                    (row, col) = (row + width, row - 1);
                }
            }
        }
        let d = (0..m).map(|i| a[i * m + i]).collect();
        let e = (1..m).map(|i| a[i * m + i - 1]).collect();
        Self { d, e, rotations }
    }

    /// The rows `rows` of `Q`, as columns: `out[j][r]` is `Q[rows[r]][j]` (the layout
    /// [`super::tridiag::ql`] rotates).
    pub fn rows_of_q(&self, rows: &[usize]) -> Vec<Vec<f64>> {
        let m = self.d.len();
        let mut out: Vec<Vec<f64>> = (0..m)
            .map(|j| rows.iter().map(|&r| f64::from(u8::from(r == j))).collect())
            .collect();
        // e_rᵀ Q = e_rᵀ G_1ᵀ G_2ᵀ ...: each rotation mixes two columns of the rows.
        for &(p, c, s) in &self.rotations {
            let (lo, hi) = out.split_at_mut(p + 1);
            for (a, b) in lo[p].iter_mut().zip(hi[0].iter_mut()) {
                (*a, *b) = (c * *a + s * *b, -s * *a + c * *b);
            }
        }
        out
    }

    /// `u <- Q u`.
    pub fn apply_q(&self, u: &mut [f64]) {
        for &(p, c, s) in self.rotations.iter().rev() {
            let (a, b) = (u[p], u[p + 1]);
            (u[p], u[p + 1]) = (c * a - s * b, s * a + c * b);
        }
    }
}

/// `A <- G A Gᵀ` for the rotation `(p, c, s)` of [`Tridiagonal`], on the lower triangle
/// only, and there on the entries of rows and columns `p` and `p + 1` that can be non-zero:
/// within `width + 1` of the diagonal.
fn rotate_symmetric(a: &mut [f64], m: usize, p: usize, c: f64, s: f64, width: usize) {
    let q = p + 1;
    for k in p.saturating_sub(width + 1)..p {
        let (x, y) = (a[p * m + k], a[q * m + k]);
        a[p * m + k] = c * x + s * y;
        a[q * m + k] = -s * x + c * y;
    }
    for k in q + 1..(q + width + 2).min(m) {
        let (x, y) = (a[k * m + p], a[k * m + q]);
        a[k * m + p] = c * x + s * y;
        a[k * m + q] = -s * x + c * y;
    }
    let (app, aqp, aqq) = (a[p * m + p], a[q * m + p], a[q * m + q]);
    let (cc, ss, cs) = (c * c, s * s, c * s);
    a[p * m + p] = cc * app + 2.0 * cs * aqp + ss * aqq;
    a[q * m + q] = ss * app - 2.0 * cs * aqp + cc * aqq;
    a[q * m + p] = (cc - ss) * aqp + cs * (aqq - app);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A symmetric matrix of half-bandwidth `band`.
    fn banded(m: usize, band: usize) -> Vec<f64> {
        let mut a = vec![0.0; m * m];
        for r in 0..m {
            for c in r..(r + band + 1).min(m) {
                let v = ((r * 7 + c * 3) % 11) as f64 - 5.0 + if r == c { 3.0 } else { 0.5 };
                a[r * m + c] = v;
                a[c * m + r] = v;
            }
        }
        a
    }

    #[test]
    fn q_t_qt_is_the_matrix() {
        for (m, band) in [(1, 1), (2, 1), (3, 2), (5, 4), (12, 4), (30, 4), (31, 3)] {
            let mut a = banded(m, band);
            let original = a.clone();
            let t = Tridiagonal::from_band(&mut a, m, band);
            let all: Vec<usize> = (0..m).collect();
            // q[j][r] = Q[r][j].
            let q = t.rows_of_q(&all);
            let tri = |r: usize, c: usize| match r.abs_diff(c) {
                0 => t.d[r],
                1 => t.e[r.min(c)],
                _ => 0.0,
            };
            for r in 0..m {
                for c in 0..m {
                    let mut sum = 0.0;
                    for i in 0..m {
                        for j in (i.saturating_sub(1))..(i + 2).min(m) {
                            sum += q[i][r] * tri(i, j) * q[j][c];
                        }
                    }
                    let want = original[r * m + c];
                    assert!(
                        (sum - want).abs() < 1e-12 * 50.0,
                        "m {m} ({r}, {c}): {sum} vs {want}"
                    );
                }
            }
            // Q u column by column, and one row alone, agree with the full Q.
            for j in 0..m {
                let mut u = vec![0.0; m];
                u[j] = 1.0;
                t.apply_q(&mut u);
                for r in 0..m {
                    assert!((u[r] - q[j][r]).abs() < 1e-14, "m {m}: Q e_{j} row {r}");
                }
            }
            let last = t.rows_of_q(&[m - 1]);
            for j in 0..m {
                assert!((last[j][0] - q[j][m - 1]).abs() < 1e-15);
            }
        }
    }
}
