//! The kinds of character and text that string functions of different languages treat differently:
//! what `String.prototype.trim` removes and what `str.strip`, `strings.TrimSpace` or `str::trim` remove
//! instead, invisible characters, case, normal forms, JSON- and URL-sensitive characters.

use unicode_normalization::UnicodeNormalization as _;

/// Whether JavaScript's `trim` removes `c` (ECMAScript WhiteSpace and LineTerminator).
pub fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}' | '\u{feff}'
    )
}

/// ASCII control characters a trim removes: tab, line feed, vertical tab, form feed, carriage return.
pub fn is_ascii_space_control(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// Unicode spaces beyond ASCII and U+00A0 that JavaScript trims (and most other trims too).
pub fn is_unicode_space(c: char) -> bool {
    matches!(c, '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}' | '\u{205f}' | '\u{3000}')
}

/// Invisible format characters no trim removes but "clean-up" code does: zero-width space and joiners,
/// bidirectional marks and overrides, word joiner, and U+FEFF inside a text.
pub fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// The first and last characters of `s`.
pub fn edges(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().next().into_iter().chain(s.chars().next_back())
}

/// Whether `s` starts or ends with a character `edge` accepts (and is not made of them only).
pub fn padded_with(s: &str, edge: impl Fn(char) -> bool) -> bool {
    !is_blank(s) && edges(s).any(edge)
}

/// Non-empty and made of JavaScript whitespace only.
pub fn is_blank(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_js_whitespace)
}

/// Whitespace between two non-whitespace characters.
pub fn has_inner_whitespace(s: &str) -> bool {
    let trimmed = s.trim_matches(is_js_whitespace);
    trimmed.chars().any(is_js_whitespace)
}

/// A character whose lower and upper case differ outside ASCII (`Ä`, `Σ`, `ß`, `İ`).
pub fn has_non_ascii_cased(s: &str) -> bool {
    s.chars()
        .any(|c| !c.is_ascii() && (c.to_lowercase().ne(std::iter::once(c)) || c.to_uppercase().ne(std::iter::once(c))))
}

/// Changes under Unicode normalisation form C (combining sequences, Hangul jamo, singletons).
pub fn is_not_nfc(s: &str) -> bool {
    !s.is_ascii() && !s.chars().eq(s.nfc()) // ASCII is its own normal form
}

/// NFC already, but changes under NFKC (ligatures, full-width forms, superscripts).
pub fn is_nfc_but_not_nfkc(s: &str) -> bool {
    !s.is_ascii() && !is_not_nfc(s) && !s.chars().eq(s.nfkc())
}

/// A character outside the Basic Multilingual Plane (two UTF-16 units: emoji, mathematical letters).
pub fn has_astral(s: &str) -> bool {
    s.chars().any(|c| u32::from(c) > 0xffff)
}

/// Non-ASCII within the BMP: one UTF-16 unit but two or three UTF-8 bytes.
pub fn has_non_ascii_bmp(s: &str) -> bool {
    s.chars().any(|c| !c.is_ascii() && u32::from(c) <= 0xffff)
}

/// C0 controls other than the trimmed ones, DEL and C1 controls (NUL apart).
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !is_ascii_space_control(c) && c != '\0' && c != '\u{85}')
}

/// Characters some JSON writers escape and JavaScript's does not, or that every writer escapes:
/// `"`, `\`, `/` (PHP), `<`, `>`, `&` (Go's `encoding/json`), U+2028 and U+2029 (ES5-era writers).
pub fn has_json_sensitive(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '"' | '\\' | '/' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'))
}

/// Characters that change under URL encoding and mean something in a URL.
pub fn has_url_special(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '?' | '#' | '%' | '+' | '&' | '/' | ' ' | '=' | '|' | '@' | ':'))
}

/// Separators a porter might split on besides the comma.
pub fn has_other_separator(s: &str) -> bool {
    s.chars().any(|c| matches!(c, ';' | '|' | ':'))
}

/// Regular-expression metacharacters (a port that builds or splits with a regex from the names).
pub fn has_regex_meta(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '$' | '\\'))
}

/// Text that another language would read as a number.
pub fn is_numeric_text(s: &str) -> bool {
    !s.is_empty() && s.parse::<f64>().is_ok_and(f64::is_finite) && !s.starts_with(['+', '.']) && !s.contains(['e', 'E'])
}

/// Text that names absence (`"undefined"`, `"null"`, `"None"`, `"nil"`): what a stringified missing
/// value looks like, and truthy in JavaScript.
pub fn is_absence_text(s: &str) -> bool {
    matches!(s, "null" | "None" | "nil" | "undefined" | "NULL")
}

/// Text that names a falsy value elsewhere (`"0"`, `"false"`, `"NaN"`): truthy in JavaScript.
pub fn is_falsy_text(s: &str) -> bool {
    matches!(s, "0" | "false" | "False" | "FALSE" | "NaN" | "no" | "off")
}

/// A UUID in the 8-4-4-4-12 hex form.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_disagree_and_the_predicates_say_where() {
        assert!(is_js_whitespace('\u{feff}') && !char::is_whitespace('\u{feff}'), "JS trims BOM, Rust does not");
        assert!(!is_js_whitespace('\u{85}') && char::is_whitespace('\u{85}'), "Rust trims NEL, JS does not");
        assert!(padded_with(" a", |c| c == ' ') && !padded_with("  ", |c| c == ' '));
        assert!(is_blank("\u{3000}\t") && !is_blank("") && !is_blank("a "));
        assert!(has_inner_whitespace(" a b ") && !has_inner_whitespace(" ab "));
    }

    #[test]
    fn text_kinds() {
        assert!(has_non_ascii_cased("straße") && has_non_ascii_cased("İ") && !has_non_ascii_cased("日本"));
        assert!(is_not_nfc("e\u{301}") && !is_not_nfc("é"));
        assert!(is_nfc_but_not_nfkc("ﬁle") && is_nfc_but_not_nfkc("ＡＢ") && !is_nfc_but_not_nfkc("e\u{301}"));
        assert!(has_astral("📈") && !has_astral("é") && has_non_ascii_bmp("é"));
        assert!(has_control("a\u{1}") && has_control("\u{7f}") && !has_control("a\tb") && !has_control("\0"));
        assert!(is_absence_text("undefined") && !is_absence_text("0") && is_falsy_text("0") && !is_falsy_text("null"));
        assert!(is_numeric_text("123") && is_numeric_text("-4.5") && !is_numeric_text("1e3") && !is_numeric_text("x"));
        assert!(is_uuid("0f6c3b0e-1a2b-4c3d-8e4f-5a6b7c8d9e0f") && !is_uuid("ws-1"));
    }
}
