//! The selected columns of the matrix as a compact CSR, and the two ways of applying their
//! covariance `C = (X - 1μᵀ)ᵀ(X - 1μᵀ) / (n - 1)` to a vector:
//!
//! - dense: build `C` once (its upper triangle, `p x p`, `f64`, from the sparse rows), then
//!   one dense product per Lanczos step;
//! - implicit: `C v = (Xᵀz - μ Σz) / (n - 1)` with `z = X v - (μᵀv) 1`, two sparse products
//!   per step (rows, then columns of a transposed copy: two gathers) and no `p x p` matrix;
//!   applied to a block of [`WIDTH`] vectors at once (one gather loads a row of the block),
//!   for the block Lanczos method, or to one vector in a block's first column.
//!
//! [`Selected::prefer_implicit`] picks the cheaper one from the shape: the implicit form wins
//! when the selected columns are sparse (PBMC), the dense one when rows hold many selected
//! values (building `C` costs `Σ h²/2` once, each implicit step `2 nnz`, or about `nnz` per
//! vector on blocks).
//!
//! Both run in blocks (of rows or columns of `X` for the implicit product, bands of rows of `C`
//! for the dense one), each output value computed by one block in a fixed order: the same bits
//! on any number of threads.

use super::PcaError;
use super::block_lanczos::{Row, WIDTH};
use crate::threads::{for_chunks_mut, map_blocks};
use crate::{Interrupt, SparseRows};

/// Rows of `C` per band of the dense build and product.
const BAND_ROWS: usize = 64;

/// The selected columns of a CSR matrix, renumbered `0..p`, in `f32` as given.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// Rows.
    pub n: usize,
    /// Selected columns.
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
    pub fn new(matrix: &SparseRows<'_>, position: &[u32], p: usize) -> Result<Self, PcaError> {
        let n = matrix.n_rows();
        // Blocks of rows in parallel, each with its own sums; joined in block order.
        let block_rows = (n / 32).max(256);
        let parts = map_blocks(n.div_ceil(block_rows), |b| {
            let mut part = Part {
                ends: Vec::with_capacity(block_rows),
                cols: Vec::new(),
                values: Vec::new(),
                sums: vec![0f64; p],
                squares: vec![0f64; p],
                finite: true,
            };
            for r in b * block_rows..((b + 1) * block_rows).min(n) {
                let (idx, values) = matrix.row(r);
                for (&c, &v) in idx.iter().zip(values) {
                    let h = position[c as usize];
                    if h != u32::MAX {
                        part.finite &= v.is_finite();
                        let v64 = f64::from(v);
                        part.sums[h as usize] += v64;
                        part.squares[h as usize] += v64 * v64;
                        part.cols.push(h);
                        part.values.push(v);
                    }
                }
                part.ends.push(part.cols.len());
            }
            part
        });
        if parts.iter().any(|part| !part.finite) {
            return Err(PcaError::NotFinite);
        }
        let nnz = parts.iter().map(|part| part.cols.len()).sum();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        let (mut cols, mut values) = (Vec::with_capacity(nnz), Vec::with_capacity(nnz));
        let (mut sums, mut squares) = (vec![0f64; p], vec![0f64; p]);
        for part in parts {
            let base = cols.len();
            indptr.extend(part.ends.iter().map(|e| base + e));
            cols.extend_from_slice(&part.cols);
            values.extend_from_slice(&part.values);
            sums.iter_mut().zip(&part.sums).for_each(|(a, b)| *a += b);
            squares
                .iter_mut()
                .zip(&part.squares)
                .for_each(|(a, b)| *a += b);
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
            values,
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
    /// run of about `steps` products, on blocks of vectors when `blocks`: a block's product
    /// costs about twice one vector's, for [`WIDTH`] vectors (measured on the 50,000 x 20,000
    /// synthetic matrix: the PCA took 1.13 s with the dense covariance, 0.58 s with the block
    /// implicit product).
    pub fn prefer_implicit(&self, steps: usize, blocks: bool) -> bool {
        let build: usize = (0..self.n)
            .map(|r| {
                let h = self.indptr[r + 1] - self.indptr[r];
                h * (h + 1) / 2
            })
            .sum();
        let dense = build + steps * (self.p * self.p / 2 + self.p);
        let per_value = if blocks { 1 } else { 2 };
        let implicit = steps * (per_value * self.cols.len() + self.n + self.p);
        implicit < dense
    }

    /// The upper triangle of `C`, row-major `p x p` (the entries below the diagonal are 0):
    /// bands of its rows in parallel, each band reading the part of every row of `X` that
    /// falls in it.
    ///
    /// # Errors
    /// [`PcaError::Interrupted`] when `interrupt` says so (polled once per band).
    pub fn covariance(&self, interrupt: &dyn Interrupt) -> Result<Vec<f64>, PcaError> {
        let p = self.p;
        let mut gram = vec![0f64; p * p];
        #[allow(clippy::cast_precision_loss)]
        let nf = self.n as f64;
        for_chunks_mut(&mut gram, BAND_ROWS * p, |band, lines| {
            if interrupt.interrupted() {
                return;
            }
            let lo = band * BAND_ROWS;
            let hi = lo + lines.len() / p;
            for r in 0..self.n {
                let (cols, values) = self.row(r);
                let start = cols.partition_point(|&c| (c as usize) < lo);
                let end = cols.partition_point(|&c| (c as usize) < hi);
                for a in start..end {
                    let (ha, va) = (cols[a] as usize, f64::from(values[a]));
                    let line = &mut lines[(ha - lo) * p..(ha - lo + 1) * p];
                    for (&hb, &vb) in cols[a..].iter().zip(&values[a..]) {
                        line[hb as usize] += va * f64::from(vb);
                    }
                }
            }
            for (i, line) in lines.chunks_exact_mut(p).enumerate() {
                let a = lo + i;
                for (b, c) in line.iter_mut().enumerate().skip(a) {
                    *c = (*c - nf * self.mean[a] * self.mean[b]) / (nf - 1.0);
                }
            }
        });
        if interrupt.interrupted() {
            return Err(PcaError::Interrupted);
        }
        Ok(gram)
    }

    /// The same values by column (CSC): for each selected column, its rows and values.
    fn transpose(&self) -> Columns {
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
                // Rows fit u32: the caller's indices do.
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

    /// The scratch space and the column form of [`Selected::apply`]: 16-bit indices into
    /// blocks of exactly [`NARROW`] rows when both dimensions fit (PBMC-sized selections: a
    /// gather then needs no bounds check, and the index streams are half as wide), else the
    /// indices as stored.
    pub fn operator(&self) -> Operator {
        let t = self.transpose();
        let wide = |t| Operator::Wide {
            t,
            z: vec![[0.0; WIDTH]; self.n],
        };
        if self.n > NARROW || self.p > NARROW {
            return wide(t);
        }
        let (Some(x), Some(z)) = (zeros(), zeros()) else {
            return wide(t);
        };
        let narrow = |v: &[u32]| -> Vec<u16> {
            // In range: both dimensions are at most NARROW.
            #[allow(clippy::cast_possible_truncation)]
            v.iter().map(|&i| i as u16).collect()
        };
        Operator::Narrow(Box::new(Narrow {
            cols: narrow(&self.cols),
            t_indptr: t.indptr,
            t_rows: narrow(&t.rows),
            t_values: t.values,
            x,
            z,
        }))
    }

    /// `Y = C X` for a block of [`WIDTH`] vectors without forming `C`, as two gathers:
    /// `Z = X_sel X - 1 (μᵀX)` by blocks of rows, then `Y = (X_selᵀ Z - μ (1ᵀZ)) / (n - 1)` by
    /// blocks of columns (of the transpose); each gather loads a row of the block. Each value is
    /// computed by one block, in a fixed order.
    pub fn apply(&self, op: &mut Operator, x: &[Row], y: &mut [Row]) {
        let x = &x[..self.p];
        let mut shift = [0.0; WIDTH];
        for (m, row) in self.mean.iter().zip(x) {
            shift.iter_mut().zip(row).for_each(|(s, v)| *s += m * v);
        }
        let y = &mut y[..self.p];
        let sub = |z: &mut [Row]| {
            for zr in z {
                zr.iter_mut().zip(&shift).for_each(|(a, s)| *a -= s);
            }
        };
        let sum = |z: &[Row]| {
            let mut total = [0.0; WIDTH];
            for zr in z {
                total.iter_mut().zip(zr).for_each(|(a, b)| *a += b);
            }
            total
        };
        let total = match op {
            Operator::Wide { t, z } => {
                let z = &mut z[..self.n];
                row_dots(&self.indptr, &self.cols, &self.values, |c| x[c as usize], z);
                sub(z);
                let z = &*z;
                row_dots(&t.indptr, &t.rows, &t.values, |r| z[r as usize], y);
                sum(z)
            }
            Operator::Narrow(narrow) => {
                let Narrow {
                    cols,
                    t_indptr,
                    t_rows,
                    t_values,
                    x: xs,
                    z: zs,
                } = &mut **narrow;
                xs[..self.p].copy_from_slice(x);
                let xs: &[Row; NARROW] = xs;
                let z = &mut zs[..self.n];
                row_dots(&self.indptr, cols, &self.values, |c| xs[usize::from(c)], z);
                sub(z);
                let zs: &[Row; NARROW] = zs;
                row_dots(t_indptr, t_rows, t_values, |r| zs[usize::from(r)], y);
                sum(&zs[..self.n])
            }
        };
        #[allow(clippy::cast_precision_loss)]
        let scale = 1.0 / (self.n as f64 - 1.0);
        for (yc, m) in y.iter_mut().zip(&self.mean) {
            yc.iter_mut()
                .zip(&total)
                .for_each(|(v, t)| *v = (*v - m * t) * scale);
        }
    }

    /// `y = C x` for one vector, through [`Selected::apply`] (the first column of a block):
    /// the single-vector Lanczos method on problems too small for blocks.
    pub fn apply_one(
        &self,
        op: &mut Operator,
        block: &mut [Vec<Row>; 2],
        x: &[f64],
        y: &mut [f64],
    ) {
        let [xb, yb] = block;
        for (row, &v) in xb.iter_mut().zip(x) {
            row[0] = v;
        }
        self.apply(op, xb, yb);
        for (v, row) in y.iter_mut().zip(yb.iter()) {
            *v = row[0];
        }
    }
}

/// What one block of rows of [`Selected::new`] keeps.
struct Part {
    ends: Vec<usize>,
    cols: Vec<u32>,
    values: Vec<f32>,
    sums: Vec<f64>,
    squares: Vec<f64>,
    finite: bool,
}

/// Dimensions up to this fit [`Narrow`]'s 16-bit indices.
const NARROW: usize = 1 << 16;

/// How [`Selected::apply`] runs the implicit product.
pub(crate) enum Operator {
    /// 16-bit indices.
    Narrow(Box<Narrow>),
    /// 32-bit indices, and the `n` rows of scratch space.
    Wide { t: Columns, z: Vec<Row> },
}

/// The implicit product with 16-bit indices into vectors of exactly [`NARROW`] values.
pub(crate) struct Narrow {
    /// The selected column of each stored value, by rows.
    cols: Vec<u16>,
    t_indptr: Vec<usize>,
    t_rows: Vec<u16>,
    t_values: Vec<f32>,
    /// `x`, zero past `p`.
    x: Box<[Row; NARROW]>,
    /// `z`, zero past `n`.
    z: Box<[Row; NARROW]>,
}

fn zeros() -> Option<Box<[Row; NARROW]>> {
    vec![[0.0; WIDTH]; NARROW]
        .into_boxed_slice()
        .try_into()
        .ok()
}

/// The selected values by column (see [`Selected::transpose`]).
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    indptr: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<f32>,
}

/// Rows (or columns) per block of [`row_dots`].
const DOT_BLOCK: usize = 128;

/// `out[r] = Σ values[i] x(idx[i])` over the entries `i` of row `r` of (`indptr`, `idx`,
/// `values`), blocks of rows in parallel.
fn row_dots<I: Copy + Sync>(
    indptr: &[usize],
    idx: &[I],
    values: &[f32],
    x: impl Fn(I) -> Row + Sync + Send,
    out: &mut [Row],
) {
    for_chunks_mut(out, DOT_BLOCK, |block, out| {
        for (i, o) in out.iter_mut().enumerate() {
            let r = block * DOT_BLOCK + i;
            let range = indptr[r]..indptr[r + 1];
            *o = sparse_dot(&idx[range.clone()], &values[range], &x);
        }
    });
}

/// `Σ values[i] x(idx[i])` for a row of [`WIDTH`] values, in four independent sums (one
/// would wait on the previous addition at every entry).
#[multiversion::multiversion(targets("x86_64+avx2+fma"))]
fn sparse_dot<I: Copy>(idx: &[I], values: &[f32], x: impl Fn(I) -> Row) -> Row {
    let mut acc = [[0.0f64; WIDTH]; 4];
    let (cc, vc) = (idx.chunks_exact(4), values.chunks_exact(4));
    let (tail_c, tail_v) = (cc.remainder(), vc.remainder());
    // `sums += v x(c)`.
    let add = |sums: &mut Row, c: I, v: f32| {
        let (v, row) = (f64::from(v), x(c));
        sums.iter_mut().zip(row).for_each(|(s, r)| *s += v * r);
    };
    for (c, v) in cc.zip(vc) {
        for (sums, (&c, &v)) in acc.iter_mut().zip(c.iter().zip(v)) {
            add(sums, c, v);
        }
    }
    for (sums, (&c, &v)) in acc.iter_mut().zip(tail_c.iter().zip(tail_v)) {
        add(sums, c, v);
    }
    let mut out = [0.0; WIDTH];
    for (l, o) in out.iter_mut().enumerate() {
        *o = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Never;

    /// The narrow and the wide operator, and the dense covariance, give the same product.
    #[test]
    fn the_narrow_product_is_the_wide_one_and_the_dense_one() {
        let (n, p_all) = (3000, 40);
        let mut state = 9u32;
        let mut rnd = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            state >> 8
        };
        let (mut indptr, mut indices, mut values) = (vec![0], vec![], vec![]);
        for _ in 0..n {
            for c in 0..p_all {
                if rnd() % 3 == 0 {
                    indices.push(c);
                    values.push((rnd() % 50) as f32 / 7.0);
                }
            }
            indptr.push(indices.len());
        }
        let m = SparseRows::new(n, p_all as usize, &indptr, &indices, &values).unwrap();
        // Every other column selected, renumbered.
        let mut position = vec![u32::MAX; p_all as usize];
        for (i, c) in (1..p_all as usize).step_by(2).enumerate() {
            position[c] = i as u32;
        }
        let s = Selected::new(&m, &position, p_all as usize / 2).unwrap();
        let mut narrow = s.operator();
        assert!(matches!(narrow, Operator::Narrow(_)));
        let mut wide = Operator::Wide {
            t: s.transpose(),
            z: vec![[0.0; WIDTH]; s.n],
        };
        let dense = s.covariance(&Never).unwrap();
        // Each column of the block a different vector.
        let x: Vec<Row> = (0..s.p)
            .map(|i| std::array::from_fn(|l| f64::from((i as u32 * 7 + l as u32 * 13) % 11) - 5.0))
            .collect();
        let (mut a, mut b) = (vec![[f64::NAN; WIDTH]; s.p], vec![[f64::NAN; WIDTH]; s.p]);
        s.apply(&mut narrow, &x, &mut a);
        s.apply(&mut wide, &x, &mut b);
        assert_eq!(a, b, "same sums in the same order");
        for l in 0..WIDTH {
            for r in 0..s.p {
                let want: f64 = (0..s.p)
                    .map(|c| dense[r.min(c) * s.p + r.max(c)] * x[c][l])
                    .sum();
                let got = a[r][l];
                assert!(
                    (got - want).abs() <= 1e-9 * (1.0 + want.abs()),
                    "row {r} column {l}"
                );
            }
        }
        // One vector through the first column of a block.
        let mut scratch = [vec![[0.0; WIDTH]; s.p], vec![[0.0; WIDTH]; s.p]];
        let one: Vec<f64> = x.iter().map(|row| row[2]).collect();
        let mut y = vec![f64::NAN; s.p];
        s.apply_one(&mut narrow, &mut scratch, &one, &mut y);
        for r in 0..s.p {
            assert!(
                (y[r] - a[r][2]).abs() <= 1e-12 * (1.0 + y[r].abs()),
                "row {r}"
            );
        }
    }
}
