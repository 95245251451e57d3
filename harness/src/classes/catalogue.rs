//! The catalogue: every equivalence class of every input the action reads, with the porter's mistake
//! that would treat the class differently from the reference. One place; docs/classes.md explains it
//! and `tbjwt check --coverage` prints it.

use serde_json::Value;

use super::text::*;
use super::{Class, Input, ANY_JSON, AUTH0, PIPE_NAMES};
use crate::clock::Now;
use crate::spec::Rule;

const J: u8 = ANY_JSON;
const AJ: u8 = AUTH0 | ANY_JSON;
const AJP: u8 = AUTH0 | ANY_JSON | PIPE_NAMES;
const JP: u8 = ANY_JSON | PIPE_NAMES;

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// A non-empty string `test` accepts.
fn string(value: Option<&Value>, test: impl Fn(&str) -> bool) -> bool {
    text(value).is_some_and(|s| !s.is_empty() && test(s))
}

/// A string with a segment (of `split(",")`) that `test` accepts.
fn segment(value: Option<&Value>, test: impl Fn(&str) -> bool) -> bool {
    text(value).is_some_and(|s| !s.is_empty() && s.split(',').any(test))
}

/// The segments of a non-empty string.
fn segments(value: Option<&Value>) -> Vec<&str> {
    text(value).filter(|s| !s.is_empty()).map(|s| s.split(',').collect()).unwrap_or_default()
}

fn is_falsy_non_string(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Null) | Some(Value::Bool(false)) => true,
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn is_truthy_non_string(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(true)) | Some(Value::Array(_)) | Some(Value::Object(_)) => true,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        _ => false,
    }
}

fn is_integer(value: Option<&Value>) -> bool {
    value.and_then(Value::as_f64).is_some_and(|f| f != 0.0 && f.fract() == 0.0 && f.abs() < 1e21)
}

fn is_non_integer_number(value: Option<&Value>) -> bool {
    value.and_then(Value::as_f64).is_some_and(|f| f != 0.0 && (f.fract() != 0.0 || f.abs() >= 1e21))
}

const fn class(
    id: &'static str,
    input: Input,
    reached_at: Rule,
    domains: u8,
    values: &'static str,
    mistake: &'static str,
    member: fn(Option<&Value>, Now) -> bool,
) -> Class {
    Class { id, input, reached_at, domains, values, mistake, member }
}

use Input::{
    AdminToken as Tok, Authorization as Auth, Clock as Clk, LoginsCount as Count, PipeNames as Pipes,
    Protocol as Proto, Secrets as Sec, Session as Sess, StoredToken as Stored, User as Usr, UserId as Uid,
    WorkspaceId as Ws,
};
use Rule::{R10, R11, R2, R4, R5, R8, R9};

/// Milliseconds of the Tinybird JWT's life.
const TOKEN_LIFE_MS: i64 = crate::spec::token::EXPIRES_IN_SECONDS * 1000;

/// The gaps (`after_ms`) of a session's later logins, from [`super::session_value`].
fn gaps(value: Option<&Value>) -> Vec<i64> {
    value
        .and_then(Value::as_array)
        .map(|logins| logins.iter().filter_map(|l| l.get("after_ms").and_then(Value::as_i64)).collect())
        .unwrap_or_default()
}

/// Seconds of 2^31: where a signed 32-bit `iat` or `exp` overflows (2038-01-19T03:14:08Z).
const I32_OVERFLOW: i64 = 1 << 31;

/// Every class. The order is the order of the directed generated cases and of the coverage table.
#[rustfmt::skip]
pub static CLASSES: &[Class] = &[
    // ---- the admin token (secrets.TINYBIRD_ADMIN_TOKEN)
    class("admin-token/absent", Tok, R2, AJ, "the secret is not set",
        "reading a missing secret as an error, or as an empty key", |v, _| v.is_none()),
    class("admin-token/empty", Tok, R2, AJ, "\"\"",
        "treating an empty secret as present (`is None` instead of a falsiness test)", |v, _| text(v) == Some("")),
    class("admin-token/falsy-non-string", Tok, R2, J, "null, false, 0",
        "`=== undefined` or `is None` checks where the action tests falsiness", |v, _| is_falsy_non_string(v)),
    class("admin-token/truthy-non-string", Tok, R9, J, "a number, true, an object or an array",
        "String(secret) before signing, where jsonwebtoken refuses a non-string key", |v, _| is_truthy_non_string(v)),
    class("admin-token/blank", Tok, R10, AJ, "whitespace only",
        "a blankness test (`.trim()` before the check) that returns early", |v, _| string(v, is_blank)),
    class("admin-token/padded", Tok, R10, AJ, "a token with whitespace around it",
        "trimming the secret, which signs with another key", |v, _| string(v, |s| padded_with(s, is_js_whitespace))),
    class("admin-token/typical", Tok, R10, AJP, "printable ASCII, 32 to 64 bytes",
        "none: the everyday case", |v, _| string(v, |s| (32..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()))),
    class("admin-token/under-32-bytes", Tok, R10, AJ, "a key shorter than 256 bits",
        "a signing library that refuses weak HMAC keys (jjwt, jose with key-length checks)",
        |v, _| string(v, |s| s.len() < 32 && !is_blank(s))),
    class("admin-token/over-64-bytes", Tok, R10, AJ, "a key longer than SHA-256's block",
        "truncating the key, where HMAC hashes keys longer than 64 bytes", |v, _| string(v, |s| s.len() > 64)),
    class("admin-token/non-ascii", Tok, R10, AJ, "non-ASCII characters",
        "keying HMAC with Latin-1 or UTF-16 bytes instead of UTF-8", |v, _| string(v, |s| !s.is_ascii())),
    class("admin-token/unnormalized", Tok, R10, AJ, "text that NFC or NFKC normalisation changes",
        "normalising the secret's Unicode", |v, _| string(v, |s| is_not_nfc(s) || is_nfc_but_not_nfkc(s))),
    class("admin-token/absence-text", Tok, R10, AJ, "\"undefined\", \"null\", \"None\", \"nil\"",
        "taking a stringified missing value for a missing secret (a truthy string in JavaScript)",
        |v, _| string(v, is_absence_text)),
    class("admin-token/falsy-text", Tok, R10, AJ, "\"0\", \"false\", \"NaN\"",
        "parsing the setting as a boolean or number", |v, _| string(v, is_falsy_text)),
    class("admin-token/pem-private-key", Tok, R9, AJ, "a PEM private key",
        "HMAC over any string, where jsonwebtoken refuses a private key for HS256",
        |v, _| string(v, crate::spec::is_pem_private_key)),
    // ---- the workspace id (configuration.TINYBIRD_WORKSPACE_ID)
    class("workspace-id/absent", Ws, R4, AJ, "the variable is not set",
        "a default workspace, or an error instead of the M2 log", |v, _| v.is_none()),
    class("workspace-id/empty", Ws, R4, AJ, "\"\"", "treating an empty value as set", |v, _| text(v) == Some("")),
    class("workspace-id/falsy-non-string", Ws, R4, J, "null, false, 0",
        "`=== undefined` checks where the action tests falsiness", |v, _| is_falsy_non_string(v)),
    class("workspace-id/blank", Ws, R10, AJ, "whitespace only", "a blankness test that returns early",
        |v, _| string(v, is_blank)),
    class("workspace-id/padded", Ws, R10, AJ, "an id with whitespace around it", "trimming the id",
        |v, _| string(v, |s| padded_with(s, is_js_whitespace))),
    class("workspace-id/uuid-lowercase", Ws, R10, AJ, "a lowercase UUID", "none: the everyday case",
        |v, _| string(v, |s| is_uuid(s) && !s.chars().any(|c| c.is_ascii_uppercase()))),
    class("workspace-id/uuid-uppercase", Ws, R10, AJ, "an uppercase UUID",
        "lowercasing (or validating and reformatting) the UUID",
        |v, _| string(v, |s| is_uuid(s) && s.chars().any(|c| c.is_ascii_uppercase()))),
    class("workspace-id/slug", Ws, R10, AJP, "a non-UUID identifier",
        "validating the id as a UUID", |v, _| string(v, |s| !is_uuid(s) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))),
    class("workspace-id/numeric-text", Ws, R10, AJ, "digits (\"0\", \"42\", \"-1.5\")",
        "parsing the id as a number, which writes a number claim", |v, _| string(v, is_numeric_text)),
    class("workspace-id/absence-text", Ws, R10, AJ, "\"undefined\", \"null\", \"None\", \"nil\"",
        "taking a stringified missing value for a missing setting", |v, _| string(v, is_absence_text)),
    class("workspace-id/falsy-text", Ws, R10, AJ, "\"0\", \"false\", \"NaN\"",
        "parsing the setting as a boolean or number", |v, _| string(v, is_falsy_text)),
    class("workspace-id/url-special", Ws, R10, AJ, "`/ ? # % & + = | @ :` or a space",
        "URL-encoding the id", |v, _| string(v, has_url_special)),
    class("workspace-id/json-sensitive", Ws, R10, AJ, "`\" \\ / < > &` or U+2028",
        "a JSON writer that escapes what JavaScript's does not (Go, PHP)", |v, _| string(v, has_json_sensitive)),
    class("workspace-id/non-ascii", Ws, R10, AJ, "non-ASCII characters", "Latin-1 or UTF-16 where UTF-8 is written",
        |v, _| string(v, |s| !s.is_ascii())),
    class("workspace-id/unnormalized", Ws, R10, AJ, "text that NFC or NFKC normalisation changes",
        "normalising Unicode", |v, _| string(v, |s| is_not_nfc(s) || is_nfc_but_not_nfkc(s))),
    class("workspace-id/integer", Ws, R10, J, "a non-zero integer",
        "String(id), where the action writes the number", |v, _| is_integer(v)),
    class("workspace-id/non-integer-number", Ws, R10, J, "0.1, 1e21, 5e-324, …",
        "a number writer other than ECMAScript's (Python's repr, Go's strconv)", |v, _| is_non_integer_number(v)),
    class("workspace-id/true", Ws, R10, J, "true", "String(id), or refusing a boolean",
        |v, _| v == Some(&Value::Bool(true))),
    class("workspace-id/object-or-array", Ws, R10, J, "an object or an array",
        "refusing non-strings, or writing them another way", |v, _| matches!(v, Some(Value::Object(_) | Value::Array(_)))),
    // ---- the pipe names (configuration.TINYBIRD_PIPE_NAMES), split on "," (R7)
    class("pipe-names/absent", Pipes, R5, AJ, "the variable is not set",
        "an empty scope list instead of the M3 log", |v, _| v.is_none()),
    class("pipe-names/empty", Pipes, R5, AJP, "\"\"", "treating an empty value as set", |v, _| text(v) == Some("")),
    class("pipe-names/falsy-non-string", Pipes, R5, J, "null, false, 0",
        "`=== undefined` checks where the action tests falsiness", |v, _| is_falsy_non_string(v)),
    class("pipe-names/truthy-non-string", Pipes, R5, J, "a number, true, an object or an array",
        "String(names) or Array handling, where `split` is not a function", |v, _| is_truthy_non_string(v)),
    class("pipe-names/blank", Pipes, R10, AJP, "whitespace only",
        "a blankness test that returns early", |v, _| string(v, is_blank)),
    class("pipe-names/single", Pipes, R10, AJP, "one name, no comma", "none: the everyday case",
        |v, _| string(v, |s| !s.contains(','))),
    class("pipe-names/several", Pipes, R10, AJP, "two names or more", "taking only the first name",
        |v, _| segments(v).iter().filter(|s| !s.is_empty()).count() >= 2),
    class("pipe-names/empty-inside", Pipes, R10, AJP, "`a,,b`", "dropping empty segments (`filter(Boolean)`)",
        |v, _| { let s = segments(v); s.len() >= 3 && s[1..s.len() - 1].iter().any(|x| x.is_empty()) }),
    class("pipe-names/leading-comma", Pipes, R10, AJP, "`,a`", "dropping a leading empty segment",
        |v, _| { let s = segments(v); s.len() >= 2 && s[0].is_empty() }),
    class("pipe-names/trailing-comma", Pipes, R10, AJP, "`a,`",
        "dropping a trailing empty segment (Java's `split`, Python's `rstrip(',')`)",
        |v, _| { let s = segments(v); s.len() >= 2 && s[s.len() - 1].is_empty() }),
    class("pipe-names/only-commas", Pipes, R10, AJP, "`,,`", "an empty list, or an early return",
        |v, _| { let s = segments(v); s.len() >= 2 && s.iter().all(|x| x.is_empty()) }),
    class("pipe-names/comma-space", Pipes, R10, AJP, "`a, b`", "splitting on `\", \"` or `/,\\s*/`",
        |v, _| string(v, |s| s.contains(", "))),
    class("pipe-names/padded-space", Pipes, R10, AJP, "a name with ASCII spaces around it",
        "trimming names", |v, _| segment(v, |s| padded_with(s, |c| c == ' '))),
    class("pipe-names/padded-tab-newline", Pipes, R10, AJP, "a name with a tab, CR or LF around it",
        "trimming names, or splitting lines", |v, _| segment(v, |s| padded_with(s, is_ascii_space_control))),
    class("pipe-names/padded-nbsp", Pipes, R10, AJP, "a name with U+00A0 around it",
        "`\\s` or Unicode-aware trims", |v, _| segment(v, |s| padded_with(s, |c| c == '\u{a0}'))),
    class("pipe-names/padded-unicode-space", Pipes, R10, AJP, "U+2000–U+200A, U+3000, U+2028, … around a name",
        "Unicode-aware trims", |v, _| segment(v, |s| padded_with(s, is_unicode_space))),
    class("pipe-names/padded-bom", Pipes, R10, AJP, "U+FEFF around a name",
        "a trim that removes the BOM (JavaScript's, .NET's) or one that does not (Python's, Go's)",
        |v, _| segment(v, |s| padded_with(s, |c| c == '\u{feff}'))),
    class("pipe-names/padded-nel", Pipes, R10, AJP, "U+0085 around a name",
        "a trim that removes NEL (Python's, Rust's, Go's), which JavaScript's keeps",
        |v, _| segment(v, |s| padded_with(s, |c| c == '\u{85}'))),
    class("pipe-names/blank-segment", Pipes, R10, AJP, "a segment of whitespace only (`a, ,b`)",
        "dropping blank names", |v, _| segments(v).len() >= 2 && segment(v, is_blank)),
    class("pipe-names/inner-space", Pipes, R10, AJP, "whitespace inside a name (`top pages`)",
        "removing all whitespace, or splitting on it", |v, _| segment(v, has_inner_whitespace)),
    class("pipe-names/duplicates", Pipes, R10, AJP, "the same name twice",
        "deduplicating (a Set, `uniq`)", |v, _| {
            let s: Vec<&str> = segments(v).into_iter().filter(|x| !x.is_empty()).collect();
            s.iter().enumerate().any(|(i, a)| s[..i].contains(a))
        }),
    class("pipe-names/unsorted", Pipes, R10, AJP, "names out of order", "sorting the names", |v, _| {
        let s = segments(v);
        s.windows(2).any(|w| w[0] > w[1])
    }),
    class("pipe-names/uppercase-ascii", Pipes, R10, AJP, "A–Z in a name", "lowercasing names",
        |v, _| segment(v, |s| s.chars().any(|c| c.is_ascii_uppercase()))),
    class("pipe-names/non-ascii-cased", Pipes, R10, AJP, "`Ä`, `Σ`, `ß`, `İ` in a name",
        "case folding beyond ASCII (`toLowerCase`, `casefold`, locale rules)", |v, _| segment(v, has_non_ascii_cased)),
    class("pipe-names/not-nfc", Pipes, R10, AJP, "combining sequences (`e` + U+0301)",
        "NFC normalisation", |v, _| segment(v, is_not_nfc)),
    class("pipe-names/compatibility", Pipes, R10, AJP, "`ﬁ`, full-width `Ａ`, `²`",
        "NFKC normalisation (or `casefold` with NFKC)", |v, _| segment(v, is_nfc_but_not_nfkc)),
    class("pipe-names/non-ascii-bmp", Pipes, R10, AJP, "`é`, `日本`: one UTF-16 unit, several UTF-8 bytes",
        "Latin-1 or byte-wise handling", |v, _| segment(v, has_non_ascii_bmp)),
    class("pipe-names/astral", Pipes, R10, AJP, "emoji and other characters beyond U+FFFF",
        "UTF-16 slicing or length limits in code units", |v, _| segment(v, has_astral)),
    class("pipe-names/nul", Pipes, R10, AJP, "U+0000 in a name", "C strings that end at NUL",
        |v, _| segment(v, |s| s.contains('\0'))),
    class("pipe-names/control", Pipes, R10, AJP, "other controls (U+0001, DEL, C1)",
        "stripping or escaping controls another way", |v, _| segment(v, has_control)),
    class("pipe-names/format-char", Pipes, R10, AJP, "zero-width and bidi characters (U+200B, U+202E)",
        "removing invisible characters", |v, _| segment(v, |s| s.chars().any(is_format_char))),
    class("pipe-names/json-sensitive", Pipes, R10, AJP, "`\" \\ / < > &`, U+2028 in a name",
        "a JSON writer that escapes what JavaScript's does not (Go, PHP, old writers)",
        |v, _| segment(v, has_json_sensitive)),
    class("pipe-names/url-special", Pipes, R10, AJP, "`? # % & + = | @ :` in a name", "URL-encoding names",
        |v, _| segment(v, |s| has_url_special(s.trim_matches(is_js_whitespace)))),
    class("pipe-names/other-separator", Pipes, R10, AJP, "`;`, `|`, `:` in a name",
        "splitting on more than the comma (`/[,;|]/`)", |v, _| segment(v, has_other_separator)),
    class("pipe-names/regex-meta", Pipes, R10, AJP, "`. * + ? ( ) [ ] $ ^ \\` in a name",
        "building a regular expression from names", |v, _| segment(v, has_regex_meta)),
    class("pipe-names/digits", Pipes, R10, AJP, "a name of digits", "parsing names as numbers",
        |v, _| segment(v, is_numeric_text)),
    class("pipe-names/absence-text", Pipes, R10, AJP, "`undefined`, `null`, `None` as the setting or a name",
        "taking a stringified missing value for a missing setting, or dropping such names",
        |v, _| segment(v, is_absence_text)),
    class("pipe-names/falsy-text", Pipes, R10, AJP, "`0`, `false`, `NaN` as a name",
        "parsing names, then filtering them through a falsiness test", |v, _| segment(v, is_falsy_text)),
    class("pipe-names/long-name", Pipes, R10, AJP, "a name of 256 bytes or more", "truncating names",
        |v, _| segment(v, |s| s.len() >= 256)),
    class("pipe-names/many", Pipes, R10, AJP, "100 names or more", "limiting the number of scopes",
        |v, _| segments(v).len() >= 100),
    // ---- the user (event.user) and its id (R8)
    class("user/nullish", Usr, R8, J, "no user, or null", "a default user instead of the TypeError",
        |v, _| matches!(v, None | Some(Value::Null))),
    class("user/non-object", Usr, R10, J, "a string, number, boolean or array",
        "refusing a user that is not an object (`user.id` is undefined)",
        |v, _| matches!(v, Some(Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Array(_)))),
    class("user-id/absent", Uid, R10, AJP, "no `id` (Auth0 sends `user_id`)",
        "reading `user_id`, or `id ?? user_id`, where the action writes `undefined`", |v, _| v.is_none()),
    class("user-id/typical", Uid, R10, AJP, "a non-empty string", "none: the everyday case",
        |v, _| string(v, |_| true)),
    class("user-id/empty", Uid, R10, AJ, "\"\"", "`id || user_id`, where the action writes the empty string",
        |v, _| text(v) == Some("")),
    class("user-id/mixed-case", Uid, R10, AJ, "upper- and lowercase letters (`google-oauth2|Ada`)",
        "lowercasing ids", |v, _| string(v, |s| s.chars().any(|c| c.is_uppercase()))),
    class("user-id/padded", Uid, R10, AJ, "an id with whitespace around it", "trimming ids",
        |v, _| string(v, |s| padded_with(s, is_js_whitespace))),
    class("user-id/url-special", Uid, R10, AJ, "`|`, `@`, `/`, `:` as Auth0 ids have them",
        "URL-encoding the id", |v, _| string(v, has_url_special)),
    class("user-id/non-ascii", Uid, R10, AJ, "non-ASCII characters", "ASCII-only handling",
        |v, _| string(v, |s| !s.is_ascii())),
    class("user-id/integer", Uid, R10, JP, "a non-zero integer", "refusing a number, or writing it otherwise",
        |v, _| is_integer(v)),
    class("user-id/non-integer-number", Uid, R10, J, "0.1, 1e21, -0, 5e-324",
        "a number-to-text conversion other than ECMAScript's", |v, _| is_non_integer_number(v) || v.and_then(Value::as_f64) == Some(0.0)),
    class("user-id/null", Uid, R10, J, "null", "`id ?? …` or `str(None)`, where the action writes `null`",
        |v, _| v == Some(&Value::Null)),
    class("user-id/boolean", Uid, R10, J, "true or false", "Python's `True`/`False` text",
        |v, _| matches!(v, Some(Value::Bool(_)))),
    class("user-id/array", Uid, R10, J, "an array", "JSON text where JavaScript joins with commas",
        |v, _| matches!(v, Some(Value::Array(_)))),
    class("user-id/object", Uid, R8, J, "an object", "JSON text where JavaScript writes `[object Object]`",
        |v, _| matches!(v, Some(Value::Object(_)))),
    // ---- the authorization (event.authorization, R11)
    class("authorization/absent", Auth, R11, AJP, "no authorization", "none: the claim is left out",
        |v, _| v.is_none()),
    class("authorization/with-roles", Auth, R11, AJ, "`{roles: [\"admin\", …]}`", "none: the everyday case",
        |v, _| v.and_then(|a| a.get("roles")).and_then(Value::as_array).is_some_and(|r| !r.is_empty())),
    class("authorization/empty-roles", Auth, R11, AJP, "`{roles: []}`",
        "testing the roles (`roles.length`) where the action tests the object",
        |v, _| v.and_then(|a| a.get("roles")).and_then(Value::as_array).is_some_and(Vec::is_empty)),
    class("authorization/empty-object", Auth, R11, J, "`{}`", "Python's truthiness (an empty dict is falsy)",
        |v, _| v.and_then(Value::as_object).is_some_and(serde_json::Map::is_empty)),
    class("authorization/null", Auth, R11, J, "null", "`!== undefined` where the action tests truthiness",
        |v, _| v == Some(&Value::Null)),
    class("authorization/falsy", Auth, R11, J, "false, 0, \"\"", "`!= null` where the action tests truthiness",
        |v, _| matches!(v, Some(Value::Bool(false))) || text(v) == Some("") || v.and_then(Value::as_f64) == Some(0.0)),
    class("authorization/truthy-non-object", Auth, R11, J, "true, 1, \"x\", []",
        "Python's truthiness (an empty list is falsy), or a type check", |v, _| {
            matches!(v, Some(Value::Bool(true) | Value::Array(_)))
                || string(v, |_| true)
                || v.and_then(Value::as_f64).is_some_and(|f| f != 0.0)
        }),
    // ---- the clock (Date.now(), R10: iat = floor(now / 1000), exp = iat + 604800)
    class("clock/whole-second", Clk, R10, AJP, "a login on a whole second", "none: the everyday case",
        |_, now| now.is_whole_second()),
    class("clock/early-in-second", Clk, R10, AJ, "1–499 ms past the second",
        "a clock read in microseconds or nanoseconds and converted another way", |_, now| (1..500).contains(&now.subsec_millis())),
    class("clock/late-in-second", Clk, R10, AJ, "500–999 ms past the second",
        "rounding `iat` where jsonwebtoken floors it (`Math.round`, `round()`)", |_, now| now.subsec_millis() >= 500),
    class("clock/2038-exp", Clk, R10, AJ, "`iat` before 2^31 s, `exp` after",
        "32-bit seconds (Go's `int32`, Java's `int`, C's `time_t` on old systems)",
        |_, now| now.seconds() < I32_OVERFLOW && now.seconds() + crate::spec::token::EXPIRES_IN_SECONDS >= I32_OVERFLOW),
    class("clock/2038-iat", Clk, R10, AJ, "`iat` at or after 2^31 s", "32-bit seconds",
        |_, now| now.seconds() >= I32_OVERFLOW),
    class("clock/before-epoch", Clk, R10, J, "before 1970, within a second",
        "truncating towards zero (`Math.trunc`, integer division) where jsonwebtoken floors",
        |_, now| now.millis() < 0 && !now.is_whole_second()),
    // ---- event.secrets as a whole: what Auth0 can store for an Action (event::limits)
    class("secrets/beyond-auth0-limits", Sec, R2, J, "more than 30 secrets, or a secret value over 4,096 characters",
        "none a port makes: Auth0 cannot send such an event, and a failure there says so",
        |v, _| v.is_some_and(|s| crate::event::limits::beyond_auth0_limits(&serde_json::json!({"secrets": s})).is_some())),
    // ---- the grant (transaction.protocol): every grant that runs the post-login trigger
    class("protocol/authorization-code", Proto, R11, AUTH0, "`oidc-basic-profile`: the browser's login",
        "none: the everyday case", |v, _| v.is_none() || text(v) == Some("oidc-basic-profile")),
    class("protocol/refresh-token", Proto, R11, AUTH0, "`oauth2-refresh-token`: a refresh-token exchange",
        "skipping the token (or keeping the old one) when the app only refreshes",
        |v, _| text(v) == Some("oauth2-refresh-token")),
    class("protocol/password", Proto, R11, AUTH0, "`oauth2-password`: the resource-owner password grant",
        "testing for a browser login (`event.request.query`, the protocol) before minting",
        |v, _| text(v) == Some("oauth2-password")),
    // ---- what an earlier login stored (user.app_metadata.tinybirdJWT), as `classes::stored_token_kind` tells
    class("stored-token/absent", Stored, R11, AUTH0, "nothing stored: the user's first login with the action",
        "none: the everyday case", |v, _| text(v) == Some("absent")),
    class("stored-token/valid", Stored, R11, AUTH0, "a token for these settings, unexpired",
        "reusing the stored token instead of minting a new one (its `iat` and `exp` are the old login's)",
        |v, _| text(v) == Some("valid")),
    class("stored-token/expired", Stored, R11, AUTH0, "a token for these settings, past its `exp`",
        "keeping a token until Tinybird refuses it", |v, _| text(v) == Some("expired")),
    class("stored-token/other-key", Stored, R11, AUTH0, "a token signed with another admin token",
        "reusing a stored token without verifying it under today's key", |v, _| text(v) == Some("other-key")),
    class("stored-token/other-pipes", Stored, R11, AUTH0, "a token for pipes the configuration no longer names",
        "reusing a stored token after the pipes changed", |v, _| text(v) == Some("other-pipes")),
    class("stored-token/not-a-string", Stored, R11, AUTH0, "an object where a token was expected",
        "reading the stored value as a token (`.split('.')`) before minting", |v, _| text(v) == Some("not-a-string")),
    // ---- event.stats.logins_count
    class("logins-count/first", Count, R11, AUTH0, "1, or absent", "none: the everyday case",
        |v, _| v.and_then(Value::as_u64).is_none_or(|n| n <= 1)),
    class("logins-count/many", Count, R11, AUTH0, "2 or more",
        "minting only on the first login (`logins_count === 1`)", |v, _| v.and_then(Value::as_u64).is_some_and(|n| n > 1)),
    // ---- the session: the same user's later logins (a case's `logins`)
    class("session/single-login", Sess, R11, AUTH0, "one login", "none: the everyday case",
        |v, _| gaps(v).is_empty()),
    class("session/repeat-within-token-life", Sess, R11, AUTH0, "a later login within the token's 7 days",
        "keeping the stored token while it is valid", |v, _| gaps(v).iter().any(|g| *g < TOKEN_LIFE_MS)),
    class("session/repeat-after-token-expiry", Sess, R11, AUTH0, "a later login 7 days or more after the one before",
        "a token cache keyed by user that outlives the token", |v, _| gaps(v).iter().any(|g| *g >= TOKEN_LIFE_MS)),
];
