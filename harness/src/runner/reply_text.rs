//! Reading what implementations send back, within bounds and without refusing legal JavaScript output.
//!
//! - A reply line is at most [`MAX_REPLY_BYTES`]; a longer one is a protocol violation (the reader stops
//!   at the limit, so a program that writes a gigabyte without a newline costs the harness that much at
//!   most).
//! - JSON nests at most [`MAX_DEPTH`] levels (checked before parsing, then parsed without serde_json's
//!   recursion limit, on a stack that grows as needed).
//! - A lone UTF-16 surrogate escape (`"\ud83d"`, what `JSON.stringify` writes for half an emoji) is legal
//!   JavaScript text that no Rust string can hold: it is kept as the six visible characters `\ud83d`
//!   (the escape itself), so the outcome is judged (it differs from the reference's) instead of errored.

use serde_json::Value;

/// The longest reply line (or HTTP reply body) read: 32 MiB.
pub const MAX_REPLY_BYTES: usize = 32 * 1024 * 1024;

/// The deepest nesting of arrays and objects accepted in a reply.
pub const MAX_DEPTH: usize = 1000;

/// Why reply text is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyTextError {
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("the reply nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// Not JSON.
    #[error("{0}")]
    NotJson(String),
}

/// How deep `text` nests (arrays and objects, outside strings); stops counting past `MAX_DEPTH + 1`.
fn depth(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                if deepest > MAX_DEPTH {
                    return deepest;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn hex4(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..4)?).ok()?;
    u16::from_str_radix(text, 16).ok()
}

/// `text` with every unpaired surrogate escape `\uD800`–`\uDFFF` turned into an escaped backslash
/// (`\\uD83D`), so that the parsed string holds the escape's six characters.
fn keep_lone_surrogates(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\\u") {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 >= bytes.len() {
            i += 1;
            continue;
        }
        if bytes[i + 1] != b'u' {
            i += 2; // an escaped character: `\\`, `\"`, `\n`, …
            continue;
        }
        let Some(unit) = hex4(&bytes[i + 2..]) else {
            i += 2;
            continue;
        };
        let high = (0xD800..0xDC00).contains(&unit);
        let low = (0xDC00..0xE000).contains(&unit);
        if high {
            let paired = bytes.get(i + 6..i + 8) == Some(b"\\u")
                && hex4(&bytes[i + 8..]).is_some_and(|next| (0xDC00..0xE000).contains(&next));
            if paired {
                i += 12;
                continue;
            }
        }
        if high || low {
            out.push_str(&text[copied..i]);
            out.push('\\');
            copied = i;
        }
        i += 6;
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// Parses reply text within the bounds above.
pub fn parse(text: &str) -> Result<Value, ReplyTextError> {
    if depth(text) > MAX_DEPTH {
        return Err(ReplyTextError::TooDeep);
    }
    let text = keep_lone_surrogates(text);
    let mut deserializer = serde_json::Deserializer::from_str(&text);
    deserializer.disable_recursion_limit();
    let deserializer = serde_stacker::Deserializer::new(&mut deserializer);
    let value = serde::Deserialize::deserialize(deserializer).map_err(|e| ReplyTextError::NotJson(e.to_string()))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_are_kept_as_their_escape_and_pairs_decode() {
        assert_eq!(parse(r#"["a\ud83d"]"#).unwrap(), serde_json::json!(["a\\ud83d"]));
        assert_eq!(parse(r#"["\ude00x"]"#).unwrap(), serde_json::json!(["\\ude00x"]));
        assert_eq!(parse(r#"["\ud83d\ude00"]"#).unwrap(), serde_json::json!(["😀"]));
        assert_eq!(parse(r#"["\\ud83d"]"#).unwrap(), serde_json::json!(["\\ud83d"]), "an escaped backslash");
        assert_eq!(parse(r#"["\ud83d\u0041"]"#).unwrap(), serde_json::json!(["\\ud83dA"]));
    }

    #[test]
    fn deep_values_parse_up_to_the_bound() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&deep(200)).is_ok());
        assert!(parse(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(parse(&deep(MAX_DEPTH + 1)), Err(ReplyTextError::TooDeep));
        assert_eq!(depth(r#"["[[[", {"a": "]]"}]"#), 2);
    }
}
