//! Text that reaches people and report readers: every character a terminal, a Markdown viewer or an XML
//! parser would not show as itself (controls, invisible and direction-changing characters, line
//! separators, noncharacters) becomes a visible `\u{…}` escape. Events are made-up data and may hold
//! anything; a report must show it, never act on it or break on it.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is shown escaped. `\n` and `\t` are kept only in multi-line text.
fn hidden(c: char, multi_line: bool) -> bool {
    match c {
        '\n' | '\t' => !multi_line,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        // Soft hyphen, zero-width and direction marks, line and paragraph separators, bidi embeddings,
        // overrides and isolates, word joiners, the byte-order mark, interlinear annotations.
        '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' => true,
        '\u{feff}' | '\u{fff9}'..='\u{fffb}' => true,
        // Noncharacters (XML 1.0 forbids U+FFFE and U+FFFF).
        '\u{fdd0}'..='\u{fdef}' => true,
        c => (c as u32) & 0xfffe == 0xfffe,
    }
}

fn escape(text: &str, multi_line: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| hidden(c, multi_line)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hidden(c, multi_line) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of text with every hidden character (newlines and tabs too) escaped visibly.
pub fn visible(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Multi-line text (an error with its output tail): newlines and tabs kept, every other hidden character
/// escaped visibly. The result is also valid XML 1.0 character data.
pub fn visible_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// A JSON value as compact JSON text, with hidden characters escaped visibly (JSON escapes only C0).
pub fn visible_json(value: &serde_json::Value) -> String {
    visible(&value.to_string()).into_owned()
}

/// Words joined into one shell command line, each quoted when the shell would read it otherwise.
pub fn shell_words<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    words
        .into_iter()
        .map(|w| shlex::try_quote(w).map_or_else(|_| format!("'{}'", w.replace('\0', "")), |q| q.into_owned()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `count` and the noun, singular for one: "1 job", "6 jobs".
pub fn counted(count: impl Into<u64>, singular: &str, plural: &str) -> String {
    let count = count.into();
    format!("{count} {}", if count == 1 { singular } else { plural })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_become_visible_escapes() {
        assert_eq!(visible("plain ünïcode 🎉"), "plain ünïcode 🎉");
        assert_eq!(
            visible("a\u{0}b\u{7f}c\u{2028}d\u{202e}e\u{feff}f\u{ffff}\n"),
            "a\\u{0}b\\u{7f}c\\u{2028}d\\u{202e}e\\u{feff}f\\u{ffff}\\u{a}"
        );
        assert_eq!(visible_lines("line one\n\tline two\r\u{1b}[31m"), "line one\n\tline two\\u{d}\\u{1b}[31m");
        assert_eq!(visible("\u{10ffff}\u{1fffe}"), "\\u{10ffff}\\u{1fffe}");
    }
}
