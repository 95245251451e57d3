//! R9's key-material model against the real thing: Node.js generates private keys of every kind and
//! variants of their PEM text (labels swapped, padding dropped, text around, encrypted, public keys), asks
//! its own `crypto.createPrivateKey` about each, and the spec's `is_pem_private_key` must agree on every one.

use std::process::Command;

const SCRIPT: &str = r#"
const c = require('crypto');
const rsa = c.generateKeyPairSync('rsa', { modulusLength: 1024 });
const ec = c.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = c.generateKeyPairSync('ed25519');
const x = c.generateKeyPairSync('x25519');
const dsa = c.generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });
const pem = (k, type, extra = {}) => k.export({ format: 'pem', type, ...extra });
const relabel = (text, from, to) => text.split(from).join(to);
const base = {
  rsa_pkcs1: pem(rsa.privateKey, 'pkcs1'),
  rsa_pkcs8: pem(rsa.privateKey, 'pkcs8'),
  ec_sec1: pem(ec.privateKey, 'sec1'),
  ec_pkcs8: pem(ec.privateKey, 'pkcs8'),
  ed25519_pkcs8: pem(ed.privateKey, 'pkcs8'),
  x25519_pkcs8: pem(x.privateKey, 'pkcs8'),
  dsa_pkcs8: pem(dsa.privateKey, 'pkcs8'),
  rsa_public: pem(rsa.publicKey, 'spki'),
  rsa_pkcs1_public: pem(rsa.publicKey, 'pkcs1'),
  rsa_encrypted_pkcs8: pem(rsa.privateKey, 'pkcs8', { cipher: 'aes-128-cbc', passphrase: 'made-up' }),
  rsa_encrypted_legacy: pem(rsa.privateKey, 'pkcs1', { cipher: 'aes-128-cbc', passphrase: 'made-up' }),
};
const v = { ...base };
v.text_before = 'my key:\n' + base.rsa_pkcs1;
v.text_before_same_line = 'key' + base.rsa_pkcs1;
v.text_after = base.ec_sec1 + 'trailing words';
v.crlf = base.rsa_pkcs8.replace(/\n/g, '\r\n');
v.spaces_in_body = base.rsa_pkcs1.replace(/\n(?!-)/g, '\n ');
v.no_newlines = base.rsa_pkcs1.replace(/\n/g, '');
v.leading_spaces = '  ' + base.rsa_pkcs1;
v.begin_trailing_space = base.rsa_pkcs1.replace('KEY-----\n', 'KEY----- \n');
v.truncated = base.rsa_pkcs1.slice(0, 120) + '\n-----END RSA PRIVATE KEY-----\n';
v.mismatched_end = base.rsa_pkcs1.replace('END RSA', 'END EC');
v.pkcs1_as_ec = relabel(base.rsa_pkcs1, 'RSA PRIVATE KEY', 'EC PRIVATE KEY');
v.pkcs1_as_private = relabel(base.rsa_pkcs1, 'RSA PRIVATE KEY', 'PRIVATE KEY');
v.sec1_as_private = relabel(base.ec_sec1, 'EC PRIVATE KEY', 'PRIVATE KEY');
v.rsa_pkcs8_as_rsa = relabel(base.rsa_pkcs8, 'PRIVATE KEY', 'RSA PRIVATE KEY');
v.rsa_pkcs8_as_ec = relabel(base.rsa_pkcs8, 'PRIVATE KEY', 'EC PRIVATE KEY');
v.ec_pkcs8_as_ec = relabel(base.ec_pkcs8, 'PRIVATE KEY', 'EC PRIVATE KEY');
v.ed_as_rsa = relabel(base.ed25519_pkcs8, 'PRIVATE KEY', 'RSA PRIVATE KEY');
v.dsa_pkcs8_as_dsa = relabel(base.dsa_pkcs8, 'PRIVATE KEY', 'DSA PRIVATE KEY');
v.unknown_label = relabel(base.rsa_pkcs8, 'PRIVATE KEY', 'SECRET THING');
v.no_padding = base.ed25519_pkcs8.replace(/=/g, '');
v.two_blocks = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' + base.rsa_pkcs1;
v.lowercase = base.rsa_pkcs1.replace('-----BEGIN RSA PRIVATE KEY-----', '-----begin rsa private key-----');
v.plain_token = 'p.eyJ1IjogIm1hZGUtdXAifQ.not-a-key';
// A PKCS#8 envelope that is well formed around a broken inner key (its SEQUENCE tag flipped).
const brokenInner = (k, label) => {
  const der = k.export({ format: 'der', type: 'pkcs8' });
    let i = der.length - 1;
  for (let j = 0; j < der.length - 4; j += 1) {
    if (der[j] === 0x04 && (der[j + 2] === 0x30 || der[j + 3] === 0x30 || der[j + 4] === 0x30)) { i = j; break; }
  }
  const len = der[i + 1] & 0x80 ? 2 + (der[i + 1] & 0x7f) : 2;
  const copy = Buffer.from(der);
  copy[i + len] = 0x31;
  const body = copy.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
};
v.rsa_pkcs8_broken_inner = brokenInner(rsa.privateKey, 'PRIVATE KEY');
v.ec_pkcs8_broken_inner = brokenInner(ec.privateKey, 'PRIVATE KEY');
const out = Object.entries(v).map(([name, text]) => {
  let accepted;
  try { c.createPrivateKey(text); accepted = true; } catch (_) { accepted = false; }
  return { name, text, accepted };
});
console.log(JSON.stringify(out));
"#;

#[test]
fn is_pem_private_key_agrees_with_nodes_create_private_key() {
    let output = Command::new("node").arg("-e").arg(SCRIPT).output().expect("node runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let cases: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(cases.len() >= 30);
    let mut disagreements = Vec::new();
    for case in &cases {
        let (name, text, accepted) =
            (case["name"].as_str().unwrap(), case["text"].as_str().unwrap(), case["accepted"].as_bool().unwrap());
        if harness::spec::is_pem_private_key(text) != accepted {
            disagreements.push(format!("{name}: Node {accepted}, spec {}", !accepted));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
    let accepted = cases.iter().filter(|c| c["accepted"] == true).count();
    assert!(accepted >= 10 && accepted < cases.len(), "both kinds are tried: {accepted}/{}", cases.len());
}
