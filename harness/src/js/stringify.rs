//! `JSON.stringify`'s text for parsed JSON values, written into a byte buffer.

use super::JsValue;

/// Appends `JSON.stringify(value)` to `out`. `undefined` inside an array is written as `null` and as an
/// object member is skipped, as in JavaScript; non-finite numbers are written as `null`.
pub fn write_json(out: &mut Vec<u8>, value: &JsValue) {
    match value {
        JsValue::Undefined | JsValue::Null => out.extend_from_slice(b"null"),
        JsValue::Bool(true) => out.extend_from_slice(b"true"),
        JsValue::Bool(false) => out.extend_from_slice(b"false"),
        JsValue::Number(n) if n.is_finite() => {
            let mut buf = ryu_js::Buffer::new();
            out.extend_from_slice(buf.format_finite(*n).as_bytes());
        }
        JsValue::Number(_) => out.extend_from_slice(b"null"),
        JsValue::String(s) => write_json_string(out, s),
        JsValue::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(out, item);
            }
            out.push(b']');
        }
        JsValue::Object(o) => {
            out.push(b'{');
            let mut first = true;
            for (k, v) in o.ordered() {
                if matches!(v, JsValue::Undefined) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_json_string(out, k);
                out.push(b':');
                write_json(out, v);
            }
            out.push(b'}');
        }
    }
}

/// Appends a string as `JSON.stringify` quotes it: `"` and `\` escaped, `\b \f \n \r \t` by name, other
/// controls below U+0020 as `\u00xx` (lowercase hex); everything else, U+2028, U+2029 and DEL
/// included, is written as it is.
pub fn write_json_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        let mut out = Vec::new();
        write_json_string(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_escape_as_json_stringify() {
        assert_eq!(text("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(text("\u{0}\u{1f}\u{8}\u{c}\n\r\t"), r#""\u0000\u001f\b\f\n\r\t""#);
        assert_eq!(text("\u{7f}\u{2028}\u{2029}/é😀"), "\"\u{7f}\u{2028}\u{2029}/é😀\"");
    }

    #[test]
    fn numbers_and_nesting() {
        let v = JsValue::from_json_str(r#"[1e21, -0, 0.5, {"k": [null, true]}, "x"]"#).unwrap();
        assert_eq!(v.to_json_text().unwrap(), r#"[1e+21,0,0.5,{"k":[null,true]},"x"]"#);
        assert_eq!(JsValue::Number(f64::INFINITY).to_json_text().unwrap(), "null");
    }
}
