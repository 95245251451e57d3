//! What npm `jsonwebtoken@9.0.1` makes of the admin token before signing (rule R9).
//!
//! `sign` first tries `crypto.createPrivateKey(secret)` and only if that throws falls back to
//! `crypto.createSecretKey(Buffer.from(secret))`; a secret that Node's OpenSSL accepts as a private key is
//! then refused for HS256, and one that is not a string at all is not key material. The PEM reading below
//! follows what Node 20 (OpenSSL 3) accepts, as measured against it: a `-----BEGIN <label>-----` line at
//! the start of a line (trailing blanks allowed), a matching `END` line, a body in base64 with or without
//! padding, and a DER structure that fits the label.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use crate::js::JsValue;

/// How the signing library classifies the admin token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial<'a> {
    /// A string used as an HMAC key: its UTF-8 bytes.
    Secret(&'a [u8]),
    /// Not a string: `secretOrPrivateKey is not valid key material`.
    NotKeyMaterial,
    /// A PEM private key: `secretOrPrivateKey must be a symmetric key when using HS256`.
    PrivateKey,
}

/// Classifies a (truthy) admin token value.
pub fn classify(secret: &JsValue) -> KeyMaterial<'_> {
    match secret {
        JsValue::String(s) if is_pem_private_key(s) => KeyMaterial::PrivateKey,
        JsValue::String(s) => KeyMaterial::Secret(s.as_bytes()),
        _ => KeyMaterial::NotKeyMaterial,
    }
}

const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_DSA: &str = "1.2.840.10040.4.1";
const OID_OTHER_KNOWN: [&str; 6] = [
    "1.3.101.110",          // X25519
    "1.3.101.111",          // X448
    "1.3.101.112",          // Ed25519
    "1.3.101.113",          // Ed448
    "1.2.840.113549.1.3.1", // DH
    "1.2.840.10046.2.1",    // X9.42 DH
];

/// Whether Node's `crypto.createPrivateKey` accepts the string (unencrypted PEM private key).
pub fn is_pem_private_key(s: &str) -> bool {
    if !s.contains("-----BEGIN ") {
        return false;
    }
    let lines: Vec<&str> = s.split('\n').map(|l| l.trim_end_matches(['\r', ' ', '\t'])).collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|r| r.strip_suffix("-----")) else {
            continue;
        };
        let end_marker = format!("-----END {label}-----");
        let Some(end) = lines[i + 1..].iter().position(|l| *l == end_marker) else {
            continue;
        };
        let body = &lines[i + 1..i + 1 + end];
        if body.iter().any(|l| l.contains(':')) {
            continue; // RFC 1421 headers: an encrypted key, which needs a passphrase and throws.
        }
        let b64: String = body.concat().chars().filter(|c| !c.is_whitespace()).collect();
        let Ok(der) = BASE64_LENIENT.decode(b64.as_bytes()) else {
            continue;
        };
        if der_fits_label(label, &der) {
            return true;
        }
    }
    false
}

fn der_fits_label(label: &str, der: &[u8]) -> bool {
    match label {
        "PRIVATE KEY" => pkcs8_algorithm(der).is_some_and(|oid| {
            [OID_RSA, OID_RSA_PSS, OID_EC, OID_DSA].contains(&oid.as_str()) || OID_OTHER_KNOWN.contains(&oid.as_str())
        }),
        "RSA PRIVATE KEY" => {
            pkcs1::RsaPrivateKey::<pkcs1::UintRef<'_>>::try_from(der).is_ok()
                || pkcs8_algorithm(der).is_some_and(|oid| oid == OID_RSA || oid == OID_RSA_PSS)
        }
        "EC PRIVATE KEY" => {
            sec1::EcPrivateKey::try_from(der).is_ok() || pkcs8_algorithm(der).is_some_and(|oid| oid == OID_EC)
        }
        "DSA PRIVATE KEY" => pkcs8_algorithm(der).is_some_and(|oid| oid == OID_DSA),
        _ => false,
    }
}

/// The algorithm OID of a PKCS#8 `PrivateKeyInfo`, when `der` is one (an RSA or EC key's inner
/// structure must parse too).
fn pkcs8_algorithm(der: &[u8]) -> Option<String> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der).ok()?;
    let oid = info.algorithm.oid.to_string();
    let inner = info.private_key.as_bytes();
    let inner_ok = match oid.as_str() {
        OID_RSA | OID_RSA_PSS => pkcs1::RsaPrivateKey::<pkcs1::UintRef<'_>>::try_from(inner).is_ok(),
        OID_EC => sec1::EcPrivateKey::try_from(inner).is_ok(),
        _ => true,
    };
    inner_ok.then_some(oid)
}
