//! The Auth0 mock's RS256 signing key: a made-up 2048-bit RSA key generated for this project's tests
//! (never used anywhere real), its JWKS entry, and a small cache of signatures (RS256 with PKCS#1 v1.5 is
//! deterministic, and the reference and a conforming implementation ask for identical ID tokens).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};

use crate::jwt::b64url;

/// The key id in ID token headers and in the JWKS.
pub const KEY_ID: &str = "tbjwt-mock-key-1";

const PEM: &str = include_str!("auth0_signing_key.pem");
const CACHE_LIMIT: usize = 8192;

/// The tenant's signing key.
pub struct SigningKey {
    pair: RsaKeyPair,
    rng: SystemRandom,
    jwk: Value,
    cache: Mutex<HashMap<String, String>>,
}

impl SigningKey {
    /// The process-wide key (parsed once).
    pub fn get() -> &'static SigningKey {
        static KEY: OnceLock<SigningKey> = OnceLock::new();
        KEY.get_or_init(|| {
            let der = pem::parse(PEM).expect("the embedded test key is PEM").into_contents();
            let pair = RsaKeyPair::from_pkcs8(&der).expect("the embedded test key is a PKCS#8 RSA key");
            let public = pkcs1::RsaPublicKey::<pkcs1::UintRef<'_>>::try_from(pair.public().as_ref())
                .expect("ring gives PKCS#1 public keys");
            let jwk = json!({
                "kty": "RSA", "use": "sig", "alg": "RS256", "kid": KEY_ID,
                "n": b64url(public.modulus.as_bytes()),
                "e": b64url(public.public_exponent.as_bytes()),
            });
            SigningKey { pair, rng: SystemRandom::new(), jwk, cache: Mutex::new(HashMap::new()) }
        })
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> &Value {
        &self.jwk
    }

    /// A compact RS256 JWT with `header` and `claims` (both JSON text).
    pub fn sign(&self, header: &str, claims: &str) -> String {
        let input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
        if let Some(signature) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&input) {
            return format!("{input}.{signature}");
        }
        let mut signature = vec![0; self.pair.public().modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &self.rng, input.as_bytes(), &mut signature)
            .expect("RSA signing cannot fail");
        let signature = b64url(&signature);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(input.clone(), signature.clone());
        format!("{input}.{signature}")
    }
}
