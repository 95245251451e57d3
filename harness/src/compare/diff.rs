//! A structural JSON diff: object keys compared regardless of order, numbers compared as numbers, arrays
//! element by element; each difference is a JSON Pointer with the two values (absent on one side when
//! only the other has it).

use serde_json::Value;

/// A difference: path, reference value, implementation value.
pub type RawDifference = (String, Option<Value>, Option<Value>);

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Every difference between `reference` and `implementation`.
pub fn diff_values(reference: &Value, implementation: &Value) -> Vec<RawDifference> {
    let mut out = Vec::new();
    walk(String::new(), Some(reference), Some(implementation), &mut out);
    out
}

fn walk(path: String, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<RawDifference>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            for (k, v) in x {
                walk(format!("{path}/{}", escape(k)), Some(v), y.get(k), out);
            }
            for (k, v) in y {
                if !x.contains_key(k) {
                    walk(format!("{path}/{}", escape(k)), None, Some(v), out);
                }
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) => {
            for i in 0..x.len().max(y.len()) {
                walk(format!("{path}/{i}"), x.get(i), y.get(i), out);
            }
        }
        (Some(x), Some(y)) if same_scalar(x, y) => {}
        (None, None) => {}
        (x, y) => out.push((if path.is_empty() { "/".into() } else { path }, x.cloned(), y.cloned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_order_is_free_numbers_are_numbers() {
        assert!(diff_values(&json!({"a": 1, "b": 2}), &json!({"b": 2.0, "a": 1})).is_empty());
    }

    #[test]
    fn paths_point_at_each_difference() {
        let d = diff_values(
            &json!({"s": [1, 2], "x": {"a/b": true}}),
            &json!({"s": [1, 3, 4], "y": null, "x": {"a/b": false}}),
        );
        let paths: Vec<&str> = d.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(paths, ["/s/1", "/s/2", "/x/a~1b", "/y"]);
        assert_eq!(d[1], ("/s/2".into(), None, Some(json!(4))));
    }
}
