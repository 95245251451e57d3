//! The token bytes of rule R10: what `jsonwebtoken@9.0.1` `sign(payload, secret, {expiresIn: "7d"})`
//! writes, built by hand because key order and number text are part of the bytes.

use std::io::Write as _;

use crate::js::{write_json, write_json_string, JsValue};
use crate::jwt;

/// `base64url('{"alg":"HS256","typ":"JWT"}')`, the header `jws` writes for this call.
pub const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
/// `expiresIn: "7d"` in seconds.
pub const EXPIRES_IN_SECONDS: i64 = 7 * 24 * 60 * 60;
/// The scope type every scope carries.
pub const SCOPE_TYPE: &str = "PIPES:READ";

/// The payload JSON text: `{"workspace_id":…,"name":…,"scopes":[…],"iat":iat,"exp":iat+604800}`, where
/// `iat` is the clock in whole seconds, floored.
pub fn payload_json(workspace_id: &JsValue, name: &str, pipe_names: &str, iat: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + name.len() + pipe_names.len() * 2 + 40 * pipe_names.len().min(64));
    out.extend_from_slice(b"{\"workspace_id\":");
    write_json(&mut out, workspace_id);
    out.extend_from_slice(b",\"name\":");
    write_json_string(&mut out, name);
    out.extend_from_slice(b",\"scopes\":[");
    for (i, segment) in pipe_names.split(',').enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"type\":\"PIPES:READ\",\"resource\":");
        write_json_string(&mut out, segment);
        out.push(b'}');
    }
    // Writing integers into a Vec<u8> cannot fail.
    let _ = write!(out, "],\"iat\":{iat},\"exp\":{}}}", iat + EXPIRES_IN_SECONDS);
    out
}

/// The compact token: header, payload and HS256 signature over the secret's bytes.
pub fn mint(secret: &[u8], workspace_id: &JsValue, name: &str, pipe_names: &str, iat: i64) -> String {
    let payload = payload_json(workspace_id, name, pipe_names, iat);
    let mut token = String::with_capacity(HEADER_B64.len() + payload.len().div_ceil(3) * 4 + 45);
    token.push_str(HEADER_B64);
    token.push('.');
    jwt::b64url_into(&payload, &mut token);
    let signature = jwt::hs256_sign(secret, token.as_bytes())
        .expect("R2 guarantees a non-empty secret, and HS256 signing cannot fail otherwise");
    token.push('.');
    token.push_str(&signature);
    token
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constant_is_the_encoded_header() {
        assert_eq!(HEADER_B64, jwt::b64url(br#"{"alg":"HS256","typ":"JWT"}"#));
    }

    #[test]
    fn payload_keeps_key_order_and_segments() {
        let ws = JsValue::String("ws".into());
        let p = payload_json(&ws, "tinybird_jwt_undefined", "a, b,,a", 10);
        assert_eq!(
            String::from_utf8(p).unwrap(),
            r#"{"workspace_id":"ws","name":"tinybird_jwt_undefined","scopes":[{"type":"PIPES:READ","resource":"a"},{"type":"PIPES:READ","resource":" b"},{"type":"PIPES:READ","resource":""},{"type":"PIPES:READ","resource":"a"}],"iat":10,"exp":604810}"#
        );
    }
}
