//! `np.percentile(x, q)` (method `linear`) and the truncation cap of `GeneExpression`.

/// The `q`-th percentile (0..=100) of `sorted` (ascending, no NaN), with numpy's arithmetic:
/// virtual index `(n - 1) * (q / 100)`, then `_lerp`. `None` for an empty slice.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)]
    let virtual_index = (n - 1) as f64 * (q / 100.0);
    let below = virtual_index.floor();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let lo = (below.max(0.0) as usize).min(n - 1);
    let hi = (lo + 1).min(n - 1);
    let t = virtual_index - below;
    let (a, b) = (sorted[lo], sorted[hi]);
    let diff = b - a;
    Some(if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    })
}

/// The value at which expression is capped: the 95th percentile, or if it is 0 the 96th,
/// 97th, ... 100th, the first that is not 0 (0 when even the maximum is 0). `None` for no
/// values.
pub fn truncation_cap(sorted: &[f64]) -> Option<f64> {
    let mut cap = 0.0;
    for q in 95..=100 {
        cap = percentile(sorted, f64::from(q))?;
        if cap != 0.0 {
            break;
        }
    }
    Some(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_interpolation_like_numpy() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0];
        // (5 - 1) * 0.95 = 3.8: 4 + 0.8 * (5 - 4).
        assert!((percentile(&x, 95.0).unwrap() - 4.8).abs() < 1e-12);
        assert_eq!(percentile(&x, 100.0), Some(5.0));
        assert_eq!(percentile(&x, 0.0), Some(1.0));
        assert_eq!(percentile(&x, 50.0), Some(3.0));
        assert_eq!(percentile(&[7.0], 95.0), Some(7.0));
        assert_eq!(percentile(&[], 95.0), None);
    }

    #[test]
    fn cap_moves_up_while_the_percentile_is_zero() {
        // 100 values, 97 zeros then 1, 2, 3: index 99 * 0.95 = 94.05 -> 0; 99 * 0.96 = 95.04
        // -> 0; 99 * 0.97 = 96.03 -> 0 + 0.03 * (1 - 0) = 0.03.
        let mut x = vec![0.0; 97];
        x.extend([1.0, 2.0, 3.0]);
        let cap = truncation_cap(&x).unwrap();
        assert!((cap - 0.03).abs() < 1e-9, "{cap}");
        // 99 zeros and a 5: 99 * 0.98 = 97.02 -> 0; 99 * 0.99 = 98.01 -> 0.01 * 5 = 0.05.
        let mut y = vec![0.0; 99];
        y.push(5.0);
        assert!((truncation_cap(&y).unwrap() - 0.05).abs() < 1e-12);
        // 199 zeros and a 5: 199 * 0.99 = 197.01 -> 0; only the 100th percentile, 5, is not 0.
        let mut z = vec![0.0; 199];
        z.push(5.0);
        assert_eq!(truncation_cap(&z), Some(5.0));
        assert_eq!(truncation_cap(&[0.0, 0.0]), Some(0.0));
        assert_eq!(truncation_cap(&[]), None);
    }
}
