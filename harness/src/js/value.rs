//! The JavaScript value model of a parsed event: what `JSON.parse` hands the action.

use indexmap::IndexMap;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A JavaScript value as `JSON.parse` can produce it, plus `undefined` for absent properties.
#[derive(Debug, Clone, PartialEq)]
pub enum JsValue {
    /// `undefined`: what reading an absent property yields.
    Undefined,
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An IEEE double, as every JavaScript number is.
    Number(f64),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<JsValue>),
    /// A plain object.
    Object(JsObject),
}

/// A plain object: own properties in insertion order (a duplicate key keeps its first position and its
/// last value, as `JSON.parse` does). Enumeration order puts array-index keys first, see [`JsObject::ordered`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsObject {
    props: IndexMap<String, JsValue>,
}

static UNDEFINED: JsValue = JsValue::Undefined;

impl JsObject {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets an own property; an existing key keeps its position.
    pub fn insert(&mut self, key: impl Into<String>, value: JsValue) {
        self.props.insert(key.into(), value);
    }

    /// The own property `key`, if the object has one.
    pub fn get_own(&self, key: &str) -> Option<&JsValue> {
        self.props.get(key)
    }

    /// The own property `key`, mutable, if the object has one.
    pub fn get_own_mut(&mut self, key: &str) -> Option<&mut JsValue> {
        self.props.get_mut(key)
    }

    /// Whether the object has an own property `key` (whatever its value).
    pub fn has_own(&self, key: &str) -> bool {
        self.props.contains_key(key)
    }

    /// Number of own properties.
    pub fn len(&self) -> usize {
        self.props.len()
    }

    /// Whether the object has no own properties.
    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }

    /// Own properties in ECMAScript enumeration order (`OrdinaryOwnPropertyKeys`): array-index keys
    /// ascending, then the other string keys in insertion order.
    pub fn ordered(&self) -> Vec<(&str, &JsValue)> {
        let mut indexed: Vec<(u32, &str, &JsValue)> = Vec::new();
        let mut named: Vec<(&str, &JsValue)> = Vec::with_capacity(self.props.len());
        for (k, v) in &self.props {
            match array_index(k) {
                Some(i) => indexed.push((i, k.as_str(), v)),
                None => named.push((k.as_str(), v)),
            }
        }
        if indexed.is_empty() {
            return named;
        }
        indexed.sort_unstable_by_key(|(i, _, _)| *i);
        indexed.into_iter().map(|(_, k, v)| (k, v)).chain(named).collect()
    }
}

/// `Some(n)` when `key` is a canonical array index: the decimal text of an integer below 2^32 - 1
/// without leading zeros.
fn array_index(key: &str) -> Option<u32> {
    let bytes = key.as_bytes();
    if bytes.is_empty() || bytes.len() > 10 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    (n < u64::from(u32::MAX)).then_some(n as u32)
}

impl JsValue {
    /// ECMAScript `ToBoolean`: false for `undefined`, `null`, `false`, `±0`, `NaN` and `""`.
    pub fn is_truthy(&self) -> bool {
        match self {
            JsValue::Undefined | JsValue::Null => false,
            JsValue::Bool(b) => *b,
            JsValue::Number(n) => !(*n == 0.0 || n.is_nan()),
            JsValue::String(s) => !s.is_empty(),
            JsValue::Array(_) | JsValue::Object(_) => true,
        }
    }

    /// Whether the value is `undefined` or `null` (reading a property of it throws a `TypeError`).
    pub fn is_nullish(&self) -> bool {
        matches!(self, JsValue::Undefined | JsValue::Null)
    }

    /// `value.key` for a value that is not nullish: an own property of an object, otherwise
    /// `undefined` (no property the action reads exists on a prototype or on a primitive wrapper).
    pub fn get(&self, key: &str) -> &JsValue {
        match self {
            JsValue::Object(o) => o.get_own(key).unwrap_or(&UNDEFINED),
            _ => &UNDEFINED,
        }
    }

    /// The name JavaScript's `typeof`-like error messages use for this value (`undefined`, `null`).
    pub fn nullish_name(&self) -> &'static str {
        match self {
            JsValue::Null => "null",
            _ => "undefined",
        }
    }

    /// Parses JSON text the way `JSON.parse` does.
    pub fn from_json_str(text: &str) -> Result<JsValue, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Parses JSON bytes the way `JSON.parse` does.
    pub fn from_json_slice(bytes: &[u8]) -> Result<JsValue, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Converts a `serde_json::Value` (numbers become doubles, as in JavaScript).
    pub fn from_json(value: &serde_json::Value) -> JsValue {
        match value {
            serde_json::Value::Null => JsValue::Null,
            serde_json::Value::Bool(b) => JsValue::Bool(*b),
            serde_json::Value::Number(n) => JsValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => JsValue::String(s.clone()),
            serde_json::Value::Array(a) => JsValue::Array(a.iter().map(JsValue::from_json).collect()),
            serde_json::Value::Object(m) => {
                let mut o = JsObject::new();
                for (k, v) in m {
                    o.insert(k.clone(), JsValue::from_json(v));
                }
                JsValue::Object(o)
            }
        }
    }

    /// The JSON text `JSON.stringify(value)` produces (`undefined` at the top level yields `None`).
    pub fn to_json_text(&self) -> Option<String> {
        if matches!(self, JsValue::Undefined) {
            return None;
        }
        let mut out = Vec::new();
        super::write_json(&mut out, self);
        Some(String::from_utf8(out).expect("JSON.stringify output is UTF-8"))
    }

    /// This value as a `serde_json::Value`, through its `JSON.stringify` text (so with JavaScript's
    /// property order and number formatting); `undefined` becomes `null`.
    pub fn to_json(&self) -> serde_json::Value {
        match self.to_json_text() {
            Some(text) => serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            None => serde_json::Value::Null,
        }
    }
}

impl<'de> Deserialize<'de> for JsValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsValueVisitor)
    }
}

struct JsValueVisitor;

impl<'de> Visitor<'de> for JsValueVisitor {
    type Value = JsValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<JsValue, E> {
        Ok(JsValue::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsValue, E> {
        Ok(JsValue::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsValue, E> {
        Ok(JsValue::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsValue, E> {
        Ok(JsValue::Number(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsValue, E> {
        Ok(JsValue::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<JsValue, E> {
        Ok(JsValue::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsValue, D::Error> {
        JsValue::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsValue, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsValue::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsValue, A::Error> {
        let mut obj = JsObject::new();
        while let Some((k, v)) = map.next_entry::<String, JsValue>()? {
            obj.insert(k, v);
        }
        Ok(JsValue::Object(obj))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_keep_first_position_and_last_value() {
        let v = JsValue::from_json_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(v.to_json_text().unwrap(), r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn integer_like_keys_enumerate_first_ascending() {
        let v = JsValue::from_json_str(r#"{"b":1,"10":2,"2":3,"01":4,"4294967295":5,"4294967294":6}"#).unwrap();
        assert_eq!(v.to_json_text().unwrap(), r#"{"2":3,"10":2,"4294967294":6,"b":1,"01":4,"4294967295":5}"#);
    }

    #[test]
    fn truthiness_follows_ecmascript() {
        for falsy in ["null", "false", "0", "-0", "0.0", "\"\""] {
            assert!(!JsValue::from_json_str(falsy).unwrap().is_truthy(), "{falsy}");
        }
        for truthy in ["true", "1", "-1e-300", "\"0\"", "\" \"", "[]", "{}", "\"false\""] {
            assert!(JsValue::from_json_str(truthy).unwrap().is_truthy(), "{truthy}");
        }
        assert!(!JsValue::Undefined.is_truthy());
        assert!(!JsValue::Number(f64::NAN).is_truthy());
    }
}
