//! SQLite's spelling of the store's SQL turned into PostgreSQL's (pure). The store writes each
//! statement once; the few places the two engines spell differently are rewritten here, outside
//! string literals:
//!
//! * parameters: `?N` (and a bare `?`, numbered in order) become `$N`;
//! * `INSERT OR IGNORE INTO` becomes `INSERT INTO ... ON CONFLICT DO NOTHING`;
//! * `instr(` becomes `strpos(` (same arguments, same 1-based answer, 0 when absent);
//! * `char(` becomes `chr(` (one code point).
//!
//! Everything else the store writes (`ON CONFLICT (..) DO UPDATE SET .. = excluded..`, `COALESCE`,
//! `CASE`, `||`, `LIMIT`, `CAST(.. AS TEXT)`) both engines read alike.

/// The PostgreSQL spelling of `sql`.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut next_param = 1u32;
    let mut ignore = false;
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => {
                // A string literal, copied as is ('' is an escaped quote inside it).
                out.push(c);
                for (_, c) in chars.by_ref() {
                    out.push(c);
                    if c == '\'' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(&(_, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    digits.push(d);
                    chars.next();
                }
                if digits.is_empty() {
                    digits = next_param.to_string();
                }
                next_param = digits.parse::<u32>().map_or(next_param, |n| n + 1);
                out.push('$');
                out.push_str(&digits);
            }
            _ if word_at(sql, i, "INSERT OR IGNORE INTO") => {
                out.push_str("INSERT INTO");
                ignore = true;
                skip(&mut chars, "INSERT OR IGNORE INTO".len() - 1);
            }
            _ if word_at(sql, i, "instr(") => {
                out.push_str("strpos(");
                skip(&mut chars, "instr(".len() - 1);
            }
            _ if word_at(sql, i, "char(") => {
                out.push_str("chr(");
                skip(&mut chars, "char(".len() - 1);
            }
            _ => out.push(c),
        }
    }
    if ignore {
        out = out.trim_end().trim_end_matches(';').to_string();
        out.push_str(" ON CONFLICT DO NOTHING");
    }
    out
}

fn skip(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>, n: usize) {
    for _ in 0..n {
        chars.next();
    }
}

/// Whether `word` (ASCII, any case) starts at byte `i` of `sql` and is not the tail of a longer
/// name.
fn word_at(sql: &str, i: usize, word: &str) -> bool {
    let Some(rest) = sql.get(i..i + word.len()) else {
        return false;
    };
    let before_ok = sql[..i]
        .chars()
        .next_back()
        .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
    before_ok && rest.eq_ignore_ascii_case(word)
}

#[cfg(test)]
mod tests {
    use super::to_postgres;

    #[test]
    fn parameters_are_numbered() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?2 AND c = ?1 AND d = ?10"),
            "SELECT a FROM t WHERE b = $2 AND c = $1 AND d = $10"
        );
        assert_eq!(
            to_postgres("UPDATE t SET a = ? WHERE b = ?"),
            "UPDATE t SET a = $1 WHERE b = $2"
        );
    }

    #[test]
    fn literals_are_left_alone() {
        assert_eq!(
            to_postgres("SELECT 'what? instr(' || x FROM t WHERE y = ?1"),
            "SELECT 'what? instr(' || x FROM t WHERE y = $1"
        );
        assert_eq!(to_postgres("SELECT 'it''s?' , ?1"), "SELECT 'it''s?' , $1");
    }

    #[test]
    fn sqlite_words_become_postgres_words() {
        assert_eq!(
            to_postgres("INSERT OR IGNORE INTO meta (key, value) VALUES ('k', ?1)"),
            "INSERT INTO meta (key, value) VALUES ('k', $1) ON CONFLICT DO NOTHING"
        );
        assert_eq!(
            to_postgres("SELECT instr(lower(a || char(31) || b), lower(?1)) FROM t"),
            "SELECT strpos(lower(a || chr(31) || b), lower($1)) FROM t"
        );
        // Not inside longer names.
        assert_eq!(
            to_postgres("SELECT varchar(x), xinstr(y)"),
            "SELECT varchar(x), xinstr(y)"
        );
    }

    #[test]
    fn any_text_is_safe() {
        for s in [
            "?",
            "'",
            "?99999999999999999999",
            "INSERT OR IGNORE INTO",
            "é?1'",
            "instr",
        ] {
            let _ = to_postgres(s);
        }
    }
}
