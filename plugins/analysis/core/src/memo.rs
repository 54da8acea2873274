//! Memoising an expensive function of an `f32` (`ln_1p`, `exp_m1`: software routines in Wasm,
//! the bulk of normalisation and HVG time) over the entries of a count matrix: counts are small
//! integers, so within a cell the same few inputs repeat hundreds of times. The slot of an
//! entry is its count; a hit also needs the exact input bits, so the result is always the
//! function's own, bit for bit.

/// Slots for counts `0..SLOTS`; larger or fractional counts are computed every time.
const SLOTS: usize = 64;

/// The last input and output (an `f32`, or a few computed together) seen for each small count.
pub(crate) struct CountMemo<T = f32> {
    inputs: [u32; SLOTS],
    outputs: [T; SLOTS],
    valid: u64,
}

impl<T: Copy + Default> CountMemo<T> {
    pub(crate) fn new() -> Self {
        Self {
            inputs: [0; SLOTS],
            outputs: [T::default(); SLOTS],
            valid: 0,
        }
    }

    /// Forgets every slot (when the function itself changes, e.g. per cell).
    pub(crate) fn clear(&mut self) {
        self.valid = 0;
    }

    /// `f(input)`, looked up in the slot of `count` when it is a small integer.
    #[inline]
    pub(crate) fn get(&mut self, count: f32, input: f32, f: impl FnOnce(f32) -> T) -> T {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let slot = count as usize;
        #[allow(clippy::cast_precision_loss)]
        if slot >= SLOTS || slot as f32 != count {
            return f(input);
        }
        let bit = 1u64 << slot;
        let bits = input.to_bits();
        if self.valid & bit != 0 && self.inputs[slot] == bits {
            return self.outputs[slot];
        }
        let out = f(input);
        self.inputs[slot] = bits;
        self.outputs[slot] = out;
        self.valid |= bit;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::CountMemo;

    #[test]
    fn results_are_the_functions_own_and_inputs_are_checked() {
        let mut memo: CountMemo = CountMemo::new();
        let mut calls = 0;
        let mut f = |x: f32| {
            calls += 1;
            x.ln_1p()
        };
        assert_eq!(memo.get(3.0, 0.5, &mut f), 0.5f32.ln_1p());
        assert_eq!(memo.get(3.0, 0.5, &mut f), 0.5f32.ln_1p());
        // Same slot, another input: computed, not the stale value.
        assert_eq!(memo.get(3.0, 0.25, &mut f), 0.25f32.ln_1p());
        // Fractional and large counts are not memoised.
        assert_eq!(memo.get(2.5, 0.5, &mut f), 0.5f32.ln_1p());
        assert_eq!(memo.get(1e6, 0.5, &mut f), 0.5f32.ln_1p());
        memo.clear();
        assert_eq!(memo.get(3.0, 0.25, &mut f), 0.25f32.ln_1p());
        assert_eq!(calls, 5);
    }
}
