//! The common entry line `<row> <column> <value>\n` (single spaces, integers of at most 7
//! digits, as Cell Ranger writes them) read eight bytes at a time: each number is one 64-bit
//! load, its length found with bit masks and its value with three multiplications ("SWAR"),
//! instead of a branch per byte. Anything else (tabs, `\r`, signs, longer numbers, a line
//! near the end of the buffer) returns `None` and takes the general parser.

/// `(row, column, value, position after the line)` of a line at `p` with three numbers
/// (`values == true`) or two (`pattern` files).
#[inline]
pub(super) fn entry(text: &[u8], p: usize, values: bool) -> Option<(u64, u64, u64, usize)> {
    let (row, q) = number(text, p, b' ')?;
    let last = if values { b' ' } else { b'\n' };
    let (column, r) = number(text, q, last)?;
    if !values {
        return Some((row, column, 1, r));
    }
    let (value, s) = number(text, r, b'\n')?;
    Some((row, column, value, s))
}

/// A number of 1 to 7 digits at `p` followed by `end`: its value and the position after `end`.
#[inline]
fn number(text: &[u8], p: usize, end: u8) -> Option<(u64, usize)> {
    let bytes: [u8; 8] = text.get(p..p + 8)?.try_into().ok()?;
    let word = u64::from_le_bytes(bytes);
    let len = digits(word);
    if len == 0 || len == 8 || bytes[len] != end {
        return None;
    }
    Some((value(word, len), p + len + 1))
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The number of leading ASCII digits of the little-endian `word` (8 when all are).
#[inline]
fn digits(word: u64) -> usize {
    // A byte is a digit when its high nibble is 3 and adding 6 keeps it so (low nibble <= 9).
    // A carry out of a non-digit byte only reaches bytes after the first non-digit.
    let high = (word & (0xF0 * ONES)) ^ (0x30 * ONES);
    let plus_six = (word.wrapping_add(0x06 * ONES) & (0xF0 * ONES)) ^ (0x30 * ONES);
    ((high | plus_six).trailing_zeros() / 8) as usize
}

/// The value of the first `len` (1..=7) digits of `word`, the first being the most significant.
#[inline]
fn value(word: u64, len: usize) -> u64 {
    // Move the digits to the top bytes (zeros, that is leading zero digits, below them), then
    // combine pairs, quads and the two halves.
    let mut v = (word.wrapping_sub(0x30 * ONES)) << (8 * (8 - len));
    v = (v.wrapping_mul(10) + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100) + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    (v.wrapping_mul(10_000) + (v >> 32)) & 0xFFFF_FFFF
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_every_length_and_their_ends() {
        for len in 1..=7usize {
            let digits_text: String = (0..len).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
            let text = format!("{digits_text} 9\n........");
            let expected: u64 = digits_text.parse().unwrap();
            assert_eq!(
                number(text.as_bytes(), 0, b' '),
                Some((expected, len + 1)),
                "{text:?}"
            );
            assert_eq!(number(text.as_bytes(), 0, b'\n'), None, "wrong end");
        }
        assert_eq!(
            number(b"00000100 .", 0, b' '),
            None,
            "8 digits take the general path"
        );
        assert_eq!(number(b"\t12 ....", 0, b' '), None);
        assert_eq!(number(b"12", 0, b' '), None, "too close to the end");
        assert_eq!(number(b"0 ......", 0, b' '), Some((0, 2)));
        // Bytes just around the digits: '/' and ':' are not digits, nor is 0xFA (carries).
        assert_eq!(number(b"7/ .....", 0, b' '), None);
        assert_eq!(number(b"7: .....", 0, b' '), None);
        assert_eq!(number(b"7\xfa .....", 0, b' '), None);
    }

    #[test]
    fn whole_lines() {
        let text = b"32709 1 4\n32708 2700 12\n12 34\n1 2 3\r\n........";
        assert_eq!(entry(text, 0, true), Some((32709, 1, 4, 10)));
        assert_eq!(entry(text, 10, true), Some((32708, 2700, 12, 24)));
        assert_eq!(entry(text, 24, false), Some((12, 34, 1, 30)));
        assert_eq!(entry(text, 24, true), None, "a missing value");
        assert_eq!(entry(text, 30, true), None, "\\r takes the general path");
    }
}
