//! ECMAScript `ToString`, as a template literal (`${x}`) applies it to a parsed JSON value.

use super::JsValue;

/// `ToString` threw: an object whose own `toString` property is not callable (every JSON value is
/// not) falls back to `valueOf`, which returns the object itself, so V8 throws a `TypeError`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Cannot convert object to primitive value")]
pub struct ToStringError;

/// `${value}`: numbers as `Number::toString`, arrays joined with `,` (nullish elements as empty),
/// plain objects as `[object Object]`.
pub fn to_js_string(value: &JsValue) -> Result<String, ToStringError> {
    let mut out = String::new();
    append(&mut out, value)?;
    Ok(out)
}

fn append(out: &mut String, value: &JsValue) -> Result<(), ToStringError> {
    match value {
        JsValue::Undefined => out.push_str("undefined"),
        JsValue::Null => out.push_str("null"),
        JsValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsValue::Number(n) => append_number(out, *n),
        JsValue::String(s) => out.push_str(s),
        JsValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !item.is_nullish() {
                    append(out, item)?;
                }
            }
        }
        JsValue::Object(o) => {
            if o.has_own("toString") {
                return Err(ToStringError);
            }
            out.push_str("[object Object]");
        }
    }
    Ok(())
}

/// `Number::toString(n)` (radix 10), the shortest round-tripping form in ECMAScript's layout.
pub(crate) fn append_number(out: &mut String, n: f64) {
    let mut buf = ryu_js::Buffer::new();
    out.push_str(buf.format(n));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(json: &str) -> Result<String, ToStringError> {
        to_js_string(&JsValue::from_json_str(json).unwrap())
    }

    #[test]
    fn numbers_print_as_ecmascript() {
        let cases = [
            ("5", "5"),
            ("-0", "0"),
            ("1.0", "1"),
            ("0.1", "0.1"),
            ("1e21", "1e+21"),
            ("1e20", "100000000000000000000"),
            ("123e-20", "1.23e-18"),
            ("0.000001", "0.000001"),
            ("1e-7", "1e-7"),
            ("12345678901234567890", "12345678901234567000"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
        ];
        for (json, want) in cases {
            assert_eq!(s(json).unwrap(), want, "{json}");
        }
        let mut out = String::new();
        append_number(&mut out, f64::NAN);
        append_number(&mut out, f64::INFINITY);
        assert_eq!(out, "NaNInfinity");
    }

    #[test]
    fn arrays_join_and_objects_stringify() {
        assert_eq!(s("[1,[2,[3,null]],null,\"x\",true]").unwrap(), "1,2,3,,,x,true");
        assert_eq!(s("[]").unwrap(), "");
        assert_eq!(s("{}").unwrap(), "[object Object]");
        assert_eq!(s("[{}]").unwrap(), "[object Object]");
        assert_eq!(s("{\"valueOf\":1}").unwrap(), "[object Object]");
        assert_eq!(s("{\"toString\":1}"), Err(ToStringError));
        assert_eq!(s("[{\"toString\":null}]"), Err(ToStringError));
        assert_eq!(s("null").unwrap(), "null");
    }
}
