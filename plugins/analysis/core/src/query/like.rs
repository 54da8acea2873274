//! SQL `LIKE` matching: `%` matches any run of characters (also none), `_` exactly one
//! character, `\` escapes the next character (PostgreSQL's default escape); letters compare
//! ASCII case-insensitively (`ILIKE`). The whole text must match.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Any,
    One,
    Char(char),
}

fn tokens(pattern: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '\\' => Token::Char(chars.next().unwrap_or('\\')),
            c => Token::Char(c),
        });
    }
    out
}

/// Whether `text` matches the `LIKE` `pattern`.
pub fn like(pattern: &str, text: &str) -> bool {
    Like::new(pattern).matches(text)
}

/// A `LIKE` pattern parsed once, to match many texts (ASCII texts without allocating).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Like(Vec<Token>);

impl Like {
    /// Parses `pattern`.
    pub fn new(pattern: &str) -> Self {
        Self(tokens(pattern))
    }

    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        if text.is_ascii() {
            run(&self.0, text.as_bytes(), |c, b| {
                c.eq_ignore_ascii_case(&char::from(b))
            })
        } else {
            let t: Vec<char> = text.chars().collect();
            run(&self.0, &t, |c, t| c.eq_ignore_ascii_case(&t))
        }
    }
}

/// Greedy matching with backtracking to the last `%`: O(len(p) * len(t)) at worst.
fn run<T: Copy>(p: &[Token], t: &[T], eq: impl Fn(char, T) -> bool) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Token::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Token::One) => {
                pi += 1;
                ti += 1;
            }
            Some(&Token::Char(c)) if eq(c, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&tok| tok == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::like;

    #[test]
    fn wildcards_at_either_end_and_in_the_middle() {
        assert!(like("%IN%", "INS"));
        assert!(like("%IN%", "PTPRIN"));
        assert!(like("%IN%", "MALIN1"));
        assert!(!like("%IN%", "CD3E"));
        assert!(like("CD%", "CD3E"));
        assert!(!like("CD%", "ACD3"));
        assert!(like("%3E", "CD3E"));
        assert!(like("C%3%E", "CD3E"));
        assert!(like("%", ""));
        assert!(like("%%", "X"));
        assert!(!like("", "X"));
        assert!(like("", ""));
    }

    #[test]
    fn underscore_is_exactly_one_character() {
        assert!(like("CD_E", "CD3E"));
        assert!(!like("CD_E", "CDE"));
        assert!(!like("CD_E", "CD33E"));
        assert!(like("CD__", "CD3E"));
        assert!(like("_", "é"));
        assert!(!like("_", ""));
        assert!(like("%_", "A"));
    }

    #[test]
    fn ascii_case_insensitive_and_escapes() {
        assert!(like("cd3e", "CD3E"));
        assert!(like("%In%", "mALINx"));
        assert!(!like("É", "é"));
        assert!(like("A\\_B", "A_B"));
        assert!(!like("A\\_B", "AXB"));
        assert!(like("100\\%", "100%"));
    }

    #[test]
    fn backtracking_finds_later_matches() {
        assert!(like("%AB%ABC", "ABXABABC"));
        assert!(!like("%AB%ABC", "ABXABAB"));
    }
}
