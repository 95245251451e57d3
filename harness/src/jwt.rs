//! Compact JWS helpers shared by the spec, the mocks and the reports: HS256 signing over exact bytes and
//! decoding a token's parts without trusting it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{crypto, Algorithm, DecodingKey, EncodingKey};

/// Base64url without padding, as JWS uses.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends the base64url (no padding) of `bytes` to `out`.
pub fn b64url_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// The HS256 signature (base64url) of `signing_input` under `secret`. An empty secret, which
/// HMAC allows but the `jsonwebtoken` crate refuses, yields `None`.
pub fn hs256_sign(secret: &[u8], signing_input: &[u8]) -> Option<String> {
    let key = EncodingKey::from_secret(secret).ok()?;
    crypto::sign(signing_input, &key, Algorithm::HS256).ok()
}

/// Whether `token` is a compact JWS whose HS256 signature is valid under `secret` (the header's `alg`
/// is not consulted; see [`DecodedJwt::header`] for that).
pub fn hs256_verify(token: &str, secret: &[u8]) -> bool {
    let Some((input, signature)) = token.rsplit_once('.') else {
        return false;
    };
    if input.matches('.').count() != 1 || secret.is_empty() {
        return false;
    }
    let Ok(key) = DecodingKey::from_secret(secret) else {
        return false;
    };
    crypto::verify(signature, input.as_bytes(), &key, Algorithm::HS256).unwrap_or(false)
}

/// A compact JWT split and decoded, without any verification.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    /// The header as JSON.
    pub header: serde_json::Value,
    /// The claims as JSON.
    pub claims: serde_json::Value,
    /// The signature part as it stands (base64url).
    pub signature: String,
}

/// Why a string is not a decodable JWT.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtDecodeError {
    /// Not three dot-separated parts.
    #[error("a JWT has three parts separated by dots, this has {0}")]
    Parts(usize),
    /// A part is not base64url.
    #[error("the {0} is not base64url")]
    Base64(&'static str),
    /// A part is not JSON.
    #[error("the {0} is not JSON: {1}")]
    Json(&'static str, String),
}

impl DecodedJwt {
    /// Splits and decodes `token`.
    pub fn decode(token: &str) -> Result<DecodedJwt, JwtDecodeError> {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return Err(JwtDecodeError::Parts(parts.len()));
        }
        let json = |part: &str, what: &'static str| -> Result<serde_json::Value, JwtDecodeError> {
            let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| JwtDecodeError::Base64(what))?;
            serde_json::from_slice(&bytes).map_err(|e| JwtDecodeError::Json(what, e.to_string()))
        };
        Ok(DecodedJwt {
            header: json(parts[0], "header")?,
            claims: json(parts[1], "payload")?,
            signature: parts[2].to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_then_verify_and_decode() {
        let input = format!("{}.{}", b64url(br#"{"alg":"HS256","typ":"JWT"}"#), b64url(br#"{"a":1}"#));
        let sig = hs256_sign(b"k", input.as_bytes()).unwrap();
        let token = format!("{input}.{sig}");
        assert!(hs256_verify(&token, b"k"));
        assert!(!hs256_verify(&token, b"other"));
        assert!(!hs256_verify("a.b", b"k"));
        let d = DecodedJwt::decode(&token).unwrap();
        assert_eq!(d.claims, serde_json::json!({"a": 1}));
        assert_eq!(DecodedJwt::decode("x.y"), Err(JwtDecodeError::Parts(2)));
    }
}
