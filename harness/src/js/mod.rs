//! JavaScript value semantics that the reference action depends on: the value model that `JSON.parse`
//! produces, truthiness, `ToString`, and `JSON.stringify`'s text.
//!
//! The reference is a JavaScript function, so "behaves exactly like the reference" means following
//! ECMAScript, not Rust or serde conventions: numbers are IEEE doubles printed by `Number::toString`,
//! object keys enumerate integer-like keys first, and a duplicate key in JSON text keeps its first
//! position with its last value.

mod stringify;
mod to_string;
mod value;

pub use stringify::{write_json, write_json_string};
pub use to_string::{to_js_string, ToStringError};
pub use value::{JsObject, JsValue};
