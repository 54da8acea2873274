//! The highly variable columns of the matrix as a compact CSR, and the two ways of applying
//! their covariance `C = (X - 1μᵀ)ᵀ(X - 1μᵀ) / (n - 1)` to a vector:
//!
//! - dense: build `C` once (`p x p`, `f64`, from the sparse rows), then one dense product per
//!   Lanczos step;
//! - implicit: `C v = (Xᵀ(X v - (μᵀv) 1) - μ Σ(X v - (μᵀv) 1)) / (n - 1)`, two sparse products
//!   per step and no `p x p` matrix.
//!
//! [`Selected::prefer_implicit`] picks the cheaper one from the shape: the implicit form wins
//! when the selected columns are sparse (PBMC), the dense one when rows hold many selected
//! values (building `C` costs `Σ h²/2` once, each implicit step `2 nnz`).

use super::PcaError;

/// The selected columns of a CSR matrix, renumbered `0..p`, in `f32` as stored.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// Rows (cells).
    pub n: usize,
    /// Selected columns (genes).
    pub p: usize,
    indptr: Vec<usize>,
    cols: Vec<u32>,
    values: Vec<f32>,
    /// Column means.
    pub mean: Vec<f64>,
    /// Column variances (`ddof=1`), the diagonal of `C`.
    pub variance: Vec<f64>,
}

impl Selected {
    /// Keeps the columns `c` with `position[c] != u32::MAX`, renumbered to `position[c]`.
    ///
    /// # Errors
    /// [`PcaError::NotFinite`] when a selected value is NaN or infinite.
    pub fn new(
        pattern: &crate::sparse::Csr,
        values: &[f32],
        position: &[u32],
        p: usize,
    ) -> Result<Self, PcaError> {
        let n = pattern.n_rows;
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let (mut cols, mut kept) = (Vec::new(), Vec::new());
        let mut sums = vec![0f64; p];
        let mut squares = vec![0f64; p];
        for r in 0..n {
            let (idx, _) = pattern.row(r);
            let start = pattern.indptr[r];
            for (off, &c) in idx.iter().enumerate() {
                let h = position[c as usize];
                if h != u32::MAX {
                    let v = values[start + off];
                    if !v.is_finite() {
                        return Err(PcaError::NotFinite);
                    }
                    let v64 = f64::from(v);
                    sums[h as usize] += v64;
                    squares[h as usize] += v64 * v64;
                    cols.push(h);
                    kept.push(v);
                }
            }
            indptr.push(cols.len());
        }
        #[allow(clippy::cast_precision_loss)]
        let nf = n as f64;
        let mean: Vec<f64> = sums.iter().map(|s| s / nf).collect();
        let variance = squares
            .iter()
            .zip(&mean)
            .map(|(s, m)| (s - nf * m * m) / (nf - 1.0))
            .collect();
        Ok(Self {
            n,
            p,
            indptr,
            cols,
            values: kept,
            mean,
            variance,
        })
    }

    /// The stored entries of row `r`.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let range = self.indptr[r]..self.indptr[r + 1];
        (&self.cols[range.clone()], &self.values[range])
    }

    /// Whether the implicit product is expected to be cheaper than building `C`, for a Lanczos
    /// run of about `steps` products.
    pub fn prefer_implicit(&self, steps: usize) -> bool {
        let build: usize = (0..self.n)
            .map(|r| {
                let h = self.indptr[r + 1] - self.indptr[r];
                h * (h + 1) / 2
            })
            .sum();
        let dense = build + steps * (self.p * self.p / 2 + self.p);
        let implicit = steps * (2 * self.cols.len() + self.n + self.p);
        implicit < dense
    }

    /// The dense covariance `C`, row-major `p x p`.
    pub fn covariance(&self) -> Vec<f64> {
        let p = self.p;
        let mut gram = vec![0f64; p * p];
        for r in 0..self.n {
            let (cols, values) = self.row(r);
            for (a, (&ha, &va)) in cols.iter().zip(values).enumerate() {
                let va = f64::from(va);
                let line = &mut gram[ha as usize * p..(ha as usize + 1) * p];
                for (&hb, &vb) in cols[a..].iter().zip(&values[a..]) {
                    line[hb as usize] += va * f64::from(vb);
                }
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let nf = self.n as f64;
        for a in 0..p {
            for b in a..p {
                let c = (gram[a * p + b] - nf * self.mean[a] * self.mean[b]) / (nf - 1.0);
                gram[a * p + b] = c;
                gram[b * p + a] = c;
            }
        }
        gram
    }

    /// The same values by column (CSC): for each selected column, its rows and values.
    pub fn transpose(&self) -> Columns {
        let mut indptr = vec![0usize; self.p + 1];
        for &c in &self.cols {
            indptr[c as usize + 1] += 1;
        }
        for c in 0..self.p {
            indptr[c + 1] += indptr[c];
        }
        let mut next = indptr[..self.p].to_vec();
        let mut rows = vec![0u32; self.cols.len()];
        let mut values = vec![0f32; self.cols.len()];
        for r in 0..self.n {
            let range = self.indptr[r]..self.indptr[r + 1];
            for (&c, &v) in self.cols[range.clone()].iter().zip(&self.values[range]) {
                let dst = &mut next[c as usize];
                // Rows fit u32: the matrix has at most 2^32 rows (checked when parsed).
                #[allow(clippy::cast_possible_truncation)]
                {
                    rows[*dst] = r as u32;
                }
                values[*dst] = v;
                *dst += 1;
            }
        }
        Columns {
            indptr,
            rows,
            values,
        }
    }

    /// `y = C x` without forming `C`, as two gathers (no scatter, whose dependent
    /// load-add-store per entry bounded the speed): `z = X x - (μᵀx) 1` by rows, then
    /// `y = (Xᵀ z - μ Σz) / (n - 1)` by columns of `t` (this matrix's [`Selected::transpose`]).
    /// `z` is scratch space of `n` values, reused across calls.
    pub fn apply(&self, t: &Columns, x: &[f64], y: &mut [f64], z: &mut [f64]) {
        let x = &x[..self.p];
        let shift: f64 = self.mean.iter().zip(x).map(|(m, v)| m * v).sum();
        let z = &mut z[..self.n];
        row_dots(&self.indptr, &self.cols, &self.values, |c| x[c as usize], z);
        z.iter_mut().for_each(|zr| *zr -= shift);
        let y = &mut y[..self.p];
        row_dots(&t.indptr, &t.rows, &t.values, |r| z[r as usize], y);
        self.finish_apply(z, y);
    }

    /// `y = (y - μ Σz) / (n - 1)`, `y` holding the column dots `Xᵀ z`.
    fn finish_apply(&self, z: &[f64], y: &mut [f64]) {
        let total: f64 = z.iter().sum();
        #[allow(clippy::cast_precision_loss)]
        let scale = 1.0 / (self.n as f64 - 1.0);
        for (yc, m) in y.iter_mut().zip(&self.mean) {
            *yc = (*yc - m * total) * scale;
        }
    }

    /// The implicit product's operator: [`Narrow`] when both dimensions fit 16 bits (PBMC-sized
    /// selections), else the rows and [`Columns`] as stored.
    pub fn operator(&self) -> Operator {
        match Narrow::new(self, self.transpose()) {
            Ok(narrow) => Operator::Narrow(Box::new(narrow)),
            Err(t) => Operator::Wide {
                t,
                z: vec![0.0; self.n],
            },
        }
    }

    /// `y = C x` with the operator of [`Selected::operator`].
    pub fn apply_with(&self, op: &mut Operator, x: &[f64], y: &mut [f64]) {
        match op {
            Operator::Wide { t, z } => self.apply(t, x, y, z),
            Operator::Narrow(narrow) => {
                let x = &x[..self.p];
                let shift: f64 = self.mean.iter().zip(x).map(|(m, v)| m * v).sum();
                let Narrow {
                    cols,
                    t_indptr,
                    t_rows,
                    t_values,
                    x: xs,
                    z: zs,
                } = &mut **narrow;
                xs[..self.p].copy_from_slice(x);
                // 16-bit indices into exactly NARROW values: no bounds checks.
                let xs: &[f64; NARROW] = xs;
                let z = &mut zs[..self.n];
                row_dots(&self.indptr, cols, &self.values, |c| xs[usize::from(c)], z);
                z.iter_mut().for_each(|zr| *zr -= shift);
                let zs: &[f64; NARROW] = zs;
                let y = &mut y[..self.p];
                row_dots(t_indptr, t_rows, t_values, |r| zs[usize::from(r)], y);
                self.finish_apply(&zs[..self.n], y);
            }
        }
    }
}

/// Dimensions up to this fit [`Narrow`]'s 16-bit indices.
const NARROW: usize = 1 << 16;

/// How [`Selected::apply_with`] runs the implicit product.
pub(crate) enum Operator {
    /// 16-bit indices.
    Narrow(Box<Narrow>),
    /// 32-bit indices, and the `n` values of scratch space.
    Wide { t: Columns, z: Vec<f64> },
}

/// The implicit product with 16-bit indices into vectors of exactly [`NARROW`] values: a
/// gather `x[usize::from(i)]` then needs no bounds check (the compiler proves it in range,
/// without `unsafe`), and the index streams are half as wide. The gathers bound the PCA on
/// PBMC-sized data.
pub(crate) struct Narrow {
    /// The selected column of each stored value, by rows.
    cols: Vec<u16>,
    t_indptr: Vec<usize>,
    t_rows: Vec<u16>,
    t_values: Vec<f32>,
    /// `x`, zero past `p`.
    x: Box<[f64; NARROW]>,
    /// `z`, zero past `n`.
    z: Box<[f64; NARROW]>,
}

impl Narrow {
    /// The narrow form of `s` and its transpose `t`, or `t` back when a dimension is too wide.
    fn new(s: &Selected, t: Columns) -> Result<Self, Columns> {
        if s.n > NARROW || s.p > NARROW {
            return Err(t);
        }
        let (Ok(x), Ok(z)) = (zeros(), zeros()) else {
            return Err(t);
        };
        let narrow = |v: &[u32]| -> Vec<u16> {
            // In range: both dimensions are at most NARROW.
            #[allow(clippy::cast_possible_truncation)]
            v.iter().map(|&i| i as u16).collect()
        };
        Ok(Self {
            cols: narrow(&s.cols),
            t_rows: narrow(&t.rows),
            t_indptr: t.indptr,
            t_values: t.values,
            x,
            z,
        })
    }
}

fn zeros() -> Result<Box<[f64; NARROW]>, Box<[f64]>> {
    vec![0.0; NARROW].into_boxed_slice().try_into()
}

/// The selected values by column (see [`Selected::transpose`]).
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    indptr: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<f32>,
}

/// `out[r] = Σ values[i] x(idx[i])` over the entries `i` of row `r` of (`indptr`, `idx`,
/// `values`): one of the two halves of a Lanczos product, out of line so that its few live
/// values stay in registers (inlined into the large Lanczos loop, Cranelift kept even the
/// memory base on the stack).
#[inline(never)]
fn row_dots<I: Copy>(
    indptr: &[usize],
    idx: &[I],
    values: &[f32],
    x: impl Fn(I) -> f64,
    out: &mut [f64],
) {
    for (r, o) in out.iter_mut().enumerate() {
        let range = indptr[r]..indptr[r + 1];
        *o = sparse_dot_by(&idx[range.clone()], &values[range], &x);
    }
}

/// Entries per iteration of [`sparse_dot_by`]'s main loop.
const UNROLL: usize = 16;

/// `Σ values[i] x(idx[i])` in four independent sums (one running sum would wait on the
/// previous addition at every entry), [`UNROLL`] entries per loop iteration, each sum taking a
/// small tree of four products per iteration. Inside the host the loop-carried sums go through
/// the stack at every iteration (Wasmtime's epoch check on each loop back-edge may call out,
/// and no float register survives a call; wasmtime#7244), so the fewer trips the better. Both
/// index widths share this body, so they add in the same order and give the same bits.
#[inline(always)]
fn sparse_dot_by<I: Copy>(idx: &[I], values: &[f32], x: impl Fn(I) -> f64) -> f64 {
    let (mut a0, mut a1, mut a2, mut a3) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    let (cc, vc) = (idx.chunks_exact(UNROLL), values.chunks_exact(UNROLL));
    let (rest_c, rest_v) = (cc.remainder(), vc.remainder());
    for (c, v) in cc.zip(vc) {
        let p = |i: usize| f64::from(v[i]) * x(c[i]);
        a0 += (p(0) + p(4)) + (p(8) + p(12));
        a1 += (p(1) + p(5)) + (p(9) + p(13));
        a2 += (p(2) + p(6)) + (p(10) + p(14));
        a3 += (p(3) + p(7)) + (p(11) + p(15));
    }
    let (cq, vq) = (rest_c.chunks_exact(4), rest_v.chunks_exact(4));
    let tail: f64 = cq
        .remainder()
        .iter()
        .zip(vq.remainder())
        .map(|(&c, &v)| f64::from(v) * x(c))
        .sum();
    for (c, v) in cq.zip(vq) {
        a0 += f64::from(v[0]) * x(c[0]);
        a1 += f64::from(v[1]) * x(c[1]);
        a2 += f64::from(v[2]) * x(c[2]);
        a3 += f64::from(v[3]) * x(c[3]);
    }
    (a0 + a1) + (a2 + a3) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The narrow and the wide operator, and the dense covariance, give the same product.
    #[test]
    fn the_narrow_product_is_the_wide_one_and_the_dense_one() {
        let counts = crate::testutil::counts(300, 40, 9);
        // Every other column selected, renumbered.
        let mut position = vec![u32::MAX; 40];
        let mut p = 0;
        for c in (1..40).step_by(2) {
            position[c] = p;
            p += 1;
        }
        let s = Selected::new(&counts, &counts.data, &position, p as usize).unwrap();
        let (mut narrow, t) = (s.operator(), s.transpose());
        assert!(matches!(narrow, Operator::Narrow(_)));
        let mut wide = Operator::Wide {
            t,
            z: vec![0.0; s.n],
        };
        let dense = s.covariance();
        for seed in 0..3u32 {
            let x: Vec<f64> = (0..s.p)
                .map(|i| f64::from((i as u32 * 7 + seed * 13) % 11) - 5.0)
                .collect();
            let (mut a, mut b) = (vec![f64::NAN; s.p], vec![f64::NAN; s.p]);
            s.apply_with(&mut narrow, &x, &mut a);
            s.apply_with(&mut wide, &x, &mut b);
            assert_eq!(a, b, "same sums in the same order");
            for (r, got) in a.iter().enumerate() {
                let want: f64 = (0..s.p).map(|c| dense[r * s.p + c] * x[c]).sum();
                assert!((got - want).abs() <= 1e-9 * (1.0 + want.abs()), "row {r}");
            }
        }
    }
}
