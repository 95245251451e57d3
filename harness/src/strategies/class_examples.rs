//! A value in each class: the strategies that directed generated cases (and the general generators'
//! awkward draws) take from. Each one is checked to land in its class by the module's tests.

use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde_json::{json, Value};

use super::{pipe_identifier, re, StoredState};
use crate::clock::{Now, DEFAULT_NOW};
use crate::event::session::{Grant, LaterLogin};

/// What a class's example sets: a value at the class's input (`None`: leave it out) or the clock.
#[derive(Debug, Clone, PartialEq)]
pub enum Example {
    /// The value at the input's JSON pointer; `None` removes it.
    Value(Option<Value>),
    /// The clock.
    Clock(Now),
    /// The first login's grant.
    Grant(Grant),
    /// What an earlier login stored.
    Stored(StoredState),
    /// The later logins of a session.
    Session(Vec<LaterLogin>),
}

/// A token some other tenant's action stored long ago (made up; signed with no key anyone uses): what a
/// stored state holds where the case's settings cannot mint one.
pub const FOREIGN_STORED_TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ3b3Jrc3BhY2VfaWQiOiJvbGQiLCJuYW1lIjoib2xkIiwic2NvcGVzIjpbXSwiaWF0IjowLCJleHAiOjYwNDgwMH0.bWFkZS11cC1zaWduYXR1cmUtb2YtYS1mb3JlaWduLXRva2Vu";

fn session(logins: impl Strategy<Value = Vec<LaterLogin>> + 'static) -> BoxedStrategy<Example> {
    logins.prop_map(Example::Session).boxed()
}

fn any_grant() -> impl Strategy<Value = Grant> {
    prop::sample::select(Grant::ALL.to_vec())
}

fn later(
    grant: impl Strategy<Value = Grant> + 'static,
    after_ms: impl Strategy<Value = i64> + 'static,
) -> impl Strategy<Value = LaterLogin> {
    (grant, after_ms).prop_map(|(grant, after_ms)| LaterLogin { after_ms, grant })
}

/// A made-up EC private key (P-256, never used anywhere): what `admin-token/pem-private-key` holds.
pub const MADE_UP_PEM_PRIVATE_KEY: &str = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIEmnY6q42wzw9jxU+h/t+3pWp2Iaon6SgyAH2SnSpoLxoAoGCCqGSM49\nAwEHoUQDQgAEXITj1ZPX96vE2lgUyCsKtNG+fPaem9FVCYdZQ+DyhFgvlwUVqL/z\nDL1XC0yUFv0zwNgCJkj8QNq0ioj06VAbyg==\n-----END EC PRIVATE KEY-----\n";

fn some(strategy: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Example> {
    strategy.prop_map(|v| Example::Value(Some(v))).boxed()
}

fn string(strategy: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Example> {
    some(strategy.prop_map(Value::String))
}

fn one_of<T: Clone + std::fmt::Debug + 'static>(values: Vec<T>) -> impl Strategy<Value = T> + Clone {
    prop::sample::select(values)
}

fn json_values(values: Vec<Value>) -> BoxedStrategy<Example> {
    some(one_of(values))
}

fn idents(range: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> + Clone {
    prop::collection::vec(pipe_identifier(), range)
}

/// A list of ordinary names with `special` somewhere in it.
fn list_with(special: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Example> {
    string((idents(0..3), special, idents(0..3)).prop_map(|(mut before, special, after)| {
        before.push(special);
        before.extend(after);
        before.join(",")
    }))
}

/// An identifier with `odd` before it, after it, or both.
fn padded(odd: Vec<&'static str>) -> impl Strategy<Value = String> {
    (pipe_identifier(), one_of(odd), 0..3u8).prop_map(|(id, pad, side)| match side {
        0 => format!("{pad}{id}"),
        1 => format!("{id}{pad}"),
        _ => format!("{pad}{id}{pad}"),
    })
}

/// An identifier with `odd` inside it (between two identifiers).
fn inside(odd: Vec<&'static str>) -> impl Strategy<Value = String> {
    (pipe_identifier(), one_of(odd), pipe_identifier()).prop_map(|(a, odd, b)| format!("{a}{odd}{b}"))
}

const BLANKS: [&str; 6] = [" ", "  ", "\t", "\u{a0}", "\u{3000}", " \n "];
const FALSY_TEXT: [&str; 3] = ["0", "false", "NaN"];
/// The two texts a stringified missing value most often is (the class has `None` and `nil` too).
const ABSENCE_TEXT: [&str; 2] = ["undefined", "null"];

fn admin_token(body: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    body.prop_map(|s| format!("p.{s}"))
}

/// A clock `seconds` (any of them) plus `millis` past the second.
fn clock(seconds: impl Strategy<Value = i64> + 'static, millis: std::ops::Range<i64>) -> BoxedStrategy<Example> {
    (seconds, millis)
        .prop_map(|(s, ms)| Example::Clock(Now::from_millis(s * 1000 + ms).unwrap_or(Now::DEFAULT)))
        .boxed()
}

/// Seconds of realistic logins: from the default clock to about three years later.
pub fn realistic_seconds() -> impl Strategy<Value = i64> + Clone {
    DEFAULT_NOW..DEFAULT_NOW + 100_000_000
}

/// The example strategy of the class `id` (see `catalogue.rs`); `None` for an unknown id.
pub fn example(id: &str) -> Option<BoxedStrategy<Example>> {
    let (input, class) = id.split_once('/')?;
    let none = || Just(Example::Value(None)).boxed();
    let falsy = || json_values(vec![Value::Null, json!(false), json!(0), json!(-0.0)]);
    let empty = || string(Just(String::new()));
    let blank = || string(one_of(BLANKS.map(str::to_owned).to_vec()));
    let falsy_text = || string(one_of(FALSY_TEXT.map(str::to_owned).to_vec()));
    // The whole value, so that a port testing the setting against "null" meets it.
    let absence_text = || string(one_of(ABSENCE_TEXT.map(str::to_owned).to_vec()));
    let two_to_31 = 1i64 << 31;
    let week_s = crate::spec::token::EXPIRES_IN_SECONDS;
    Some(match (input, class) {
        ("admin-token", "absent") => none(),
        ("admin-token", "empty") => empty(),
        ("admin-token", "falsy-non-string") => falsy(),
        ("admin-token", "truthy-non-string") => json_values(vec![json!(1), json!(true), json!(["k"]), json!({"k": 1})]),
        ("admin-token", "blank") => blank(),
        ("admin-token", "padded") => string(
            (admin_token(re("[A-Za-z0-9_-]{30}")), one_of(vec![" ", "\n", "\t", "\u{a0}"]), any::<bool>())
                .prop_map(|(t, pad, before)| if before { format!("{pad}{t}") } else { format!("{t}{pad}") }),
        ),
        ("admin-token", "typical") => string(admin_token(re("[A-Za-z0-9_-]{30,62}"))),
        ("admin-token", "under-32-bytes") => string(re("[A-Za-z0-9._-]{4,31}")),
        ("admin-token", "over-64-bytes") => string(admin_token(re("[A-Za-z0-9_-]{63,200}"))),
        ("admin-token", "non-ascii") => string(
            (admin_token(re("[A-Za-z0-9]{16,40}")), one_of(vec!["é", "ü", "日本", "🔑", "Ω"]))
                .prop_map(|(t, c)| format!("{t}{c}")),
        ),
        ("admin-token", "unnormalized") => string(
            (admin_token(re("[A-Za-z0-9]{16,40}")), one_of(vec!["e\u{301}ﬁ", "ﬁA\u{30a}", "\u{1100}\u{1161}Ａ"]))
                .prop_map(|(t, c)| format!("{t}{c}")),
        ),
        ("admin-token", "absence-text") => absence_text(),
        ("admin-token", "falsy-text") => falsy_text(),
        ("admin-token", "pem-private-key") => string(Just(MADE_UP_PEM_PRIVATE_KEY.to_owned())),

        ("workspace-id", "absent") => none(),
        ("workspace-id", "empty") => empty(),
        ("workspace-id", "falsy-non-string") => falsy(),
        ("workspace-id", "blank") => blank(),
        ("workspace-id", "padded") => string(
            (
                re("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}"),
                one_of(vec![" ", "\t", "\u{a0}", "\n"]),
            )
                .prop_map(|(id, pad)| format!("{id}{pad}")),
        ),
        ("workspace-id", "uuid-lowercase") => {
            string(re("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"))
        }
        ("workspace-id", "uuid-uppercase") => {
            string(re("[0-9A-F]{7}[A-F]-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}"))
        }
        ("workspace-id", "slug") => string(re("[a-z][a-z0-9_-]{0,15}")),
        ("workspace-id", "numeric-text") => {
            string(prop_oneof![Just("0".to_owned()), re("[1-9][0-9]{0,8}"), re("-[1-9][0-9]{0,3}\\.5")])
        }
        ("workspace-id", "absence-text") => absence_text(),
        ("workspace-id", "falsy-text") => falsy_text(),
        ("workspace-id", "url-special") => string(inside(vec!["/", "?", "#", "%", "&", "+", "=", "|", "@", ":", " "])),
        ("workspace-id", "json-sensitive") => string(inside(vec!["\"", "\\", "/", "<", ">", "&", "\u{2028}"])),
        ("workspace-id", "non-ascii") => string(inside(vec!["é", "日本", "Ω", "🚀"])),
        ("workspace-id", "unnormalized") => string(inside(vec!["e\u{301}ﬁ", "\u{1100}\u{1161}Ａ", "A\u{30a}²"])),
        ("workspace-id", "integer") => {
            json_values(vec![json!(1), json!(42), json!(-7), json!(9_007_199_254_740_993u64)])
        }
        ("workspace-id", "non-integer-number") => {
            json_values(vec![json!(0.1), json!(1e21), json!(5e-324), json!(-1.5), json!(1.7976931348623157e308)])
        }
        ("workspace-id", "true") => json_values(vec![json!(true)]),
        ("workspace-id", "object-or-array") => json_values(vec![json!({"a": 1}), json!([1, 2]), json!([]), json!({})]),

        ("pipe-names", "absent") => none(),
        ("pipe-names", "empty") => empty(),
        ("pipe-names", "falsy-non-string") => falsy(),
        ("pipe-names", "truthy-non-string") => {
            json_values(vec![json!(1), json!(true), json!(["a", "b"]), json!({"a": 1}), json!(-1.5)])
        }
        ("pipe-names", "blank") => blank(),
        ("pipe-names", "single") => string(pipe_identifier()),
        ("pipe-names", "several") => string(idents(2..6).prop_map(|v| v.join(","))),
        ("pipe-names", "empty-inside") => {
            string((idents(1..3), idents(1..3)).prop_map(|(a, b)| format!("{},,{}", a.join(","), b.join(","))))
        }
        ("pipe-names", "leading-comma") => string(idents(1..4).prop_map(|v| format!(",{}", v.join(",")))),
        ("pipe-names", "trailing-comma") => string(idents(1..4).prop_map(|v| format!("{},", v.join(",")))),
        ("pipe-names", "only-commas") => string(re(",{1,5}")),
        ("pipe-names", "comma-space") => string(idents(2..5).prop_map(|v| v.join(", "))),
        ("pipe-names", "padded-space") => list_with(padded(vec![" ", "  "])),
        ("pipe-names", "padded-tab-newline") => list_with(padded(vec!["\t", "\n", "\r", "\r\n"])),
        ("pipe-names", "padded-nbsp") => list_with(padded(vec!["\u{a0}"])),
        ("pipe-names", "padded-unicode-space") => {
            list_with(padded(vec!["\u{2000}", "\u{2009}", "\u{200a}", "\u{3000}", "\u{2028}", "\u{202f}", "\u{1680}"]))
        }
        ("pipe-names", "padded-bom") => list_with(padded(vec!["\u{feff}"])),
        ("pipe-names", "padded-nel") => list_with(padded(vec!["\u{85}"])),
        ("pipe-names", "blank-segment") => string(
            (idents(1..3), one_of(BLANKS.to_vec()), idents(0..3))
                .prop_map(|(a, blank, b)| [a, vec![blank.to_owned()], b].concat().join(",")),
        ),
        ("pipe-names", "inner-space") => list_with(inside(vec![" ", "\t", "\u{a0}"])),
        ("pipe-names", "duplicates") => string((pipe_identifier(), idents(0..3)).prop_map(|(a, rest)| {
            let mut v = vec![a.clone()];
            v.extend(rest);
            v.push(a);
            v.join(",")
        })),
        ("pipe-names", "unsorted") => string((pipe_identifier(), pipe_identifier(), idents(0..3)).prop_filter_map(
            "two different names",
            |(a, b, rest)| {
                let (low, high) = match a.cmp(&b) {
                    std::cmp::Ordering::Less => (a, b),
                    std::cmp::Ordering::Greater => (b, a),
                    std::cmp::Ordering::Equal => return None,
                };
                Some([vec![high, low], rest].concat().join(","))
            },
        )),
        ("pipe-names", "uppercase-ascii") => list_with(pipe_identifier().prop_map(|s| s.to_uppercase())),
        ("pipe-names", "non-ascii-cased") => list_with(inside(vec!["Straße", "Ärger", "ΣΟΦΙΑ", "İstanbul", "Øre"])),
        ("pipe-names", "not-nfc") => list_with(inside(vec!["e\u{301}", "\u{1100}\u{1161}", "o\u{308}"])),
        ("pipe-names", "compatibility") => list_with(inside(vec!["ﬁ", "ＡＢ", "²", "ℌ", "ｶ"])),
        ("pipe-names", "non-ascii-bmp") => list_with(inside(vec!["é", "日本語", "Ω", "\u{5de}\u{5db}"])),
        ("pipe-names", "astral") => list_with(inside(vec!["📈", "👩\u{200d}💻", "𝔘"])),
        ("pipe-names", "nul") => list_with(inside(vec!["\0"])),
        ("pipe-names", "control") => list_with(inside(vec!["\u{1}", "\u{7f}", "\u{1b}", "\u{9b}"])),
        ("pipe-names", "format-char") => {
            list_with(inside(vec!["\u{200b}", "\u{202e}", "\u{2060}", "\u{200d}", "\u{feff}"]))
        }
        ("pipe-names", "json-sensitive") => list_with(inside(vec!["\"", "\\", "/", "<", ">", "&", "\u{2028}"])),
        ("pipe-names", "url-special") => list_with(inside(vec!["?", "#", "%", "&", "+", "=", "@", ":", "%20"])),
        ("pipe-names", "other-separator") => list_with(inside(vec![";", "|", ":"])),
        ("pipe-names", "regex-meta") => list_with(inside(vec![".", "*", "+", "(", "[", "$", "^", ".*"])),
        ("pipe-names", "digits") => list_with(re("[0-9]{1,6}")),
        ("pipe-names", "absence-text") => absence_text(),
        ("pipe-names", "falsy-text") => list_with(one_of(FALSY_TEXT.map(str::to_owned).to_vec())),
        ("pipe-names", "long-name") => {
            list_with((pipe_identifier(), 256..1024usize).prop_map(|(id, n)| id.repeat(n / id.len().max(1) + 1)))
        }
        ("pipe-names", "many") => string(idents(100..200).prop_map(|v| v.join(","))),

        ("user", "nullish") => prop_oneof![none(), json_values(vec![Value::Null])].boxed(),
        ("user", "non-object") => json_values(vec![json!("auth0|x"), json!(7), json!(true), json!(["a"])]),
        ("user-id", "absent") => none(),
        ("user-id", "typical") => string(re("[a-z0-9]{4,12}")),
        ("user-id", "mixed-case") => string(re("(google-oauth2|samlp)\\|[A-Z][a-z]{2,8}[0-9]{0,4}")),
        ("user-id", "padded") => {
            string((re("[a-z0-9]{4,12}"), one_of(vec![" ", "\t", "\u{a0}"])).prop_map(|(id, p)| format!("{p}{id}")))
        }
        ("user-id", "empty") => empty(),
        ("user-id", "url-special") => {
            string(prop_oneof![re("auth0\\|[0-9a-f]{8,24}"), re("samlp\\|acme\\|[a-z]{3}@[a-z]{3}\\.com")])
        }
        ("user-id", "non-ascii") => string(re("[a-z]{2,6}").prop_map(|s| format!("usér|{s}"))),
        ("user-id", "integer") => json_values(vec![json!(7), json!(42), json!(-3), json!(12_345_678_901u64)]),
        ("user-id", "non-integer-number") => {
            json_values(vec![json!(0.5), json!(1e21), json!(-0.0), json!(5e-324), json!(1e-7)])
        }
        ("user-id", "null") => json_values(vec![Value::Null]),
        ("user-id", "boolean") => json_values(vec![json!(true), json!(false)]),
        ("user-id", "array") => json_values(vec![json!([1, 2]), json!([]), json!(["a"])]),
        ("user-id", "object") => json_values(vec![json!({}), json!({"a": 1})]),

        ("authorization", "absent") => none(),
        ("authorization", "with-roles") => some(
            prop::collection::vec(one_of(vec!["admin", "analyst", "viewer"]), 1..3).prop_map(|r| json!({"roles": r})),
        ),
        ("authorization", "empty-roles") => json_values(vec![json!({"roles": []})]),
        ("authorization", "empty-object") => json_values(vec![json!({})]),
        ("authorization", "null") => json_values(vec![Value::Null]),
        ("authorization", "falsy") => json_values(vec![json!(false), json!(0), json!("")]),
        ("authorization", "truthy-non-object") => json_values(vec![json!(true), json!(1), json!("x"), json!([])]),

        ("clock", "whole-second") => clock(realistic_seconds(), 0..1),
        ("clock", "early-in-second") => clock(realistic_seconds(), 1..500),
        ("clock", "late-in-second") => clock(realistic_seconds(), 500..1000),
        ("clock", "2038-exp") => clock(two_to_31 - 604_800..two_to_31, 0..1000),
        ("clock", "2038-iat") => clock(two_to_31..two_to_31 + 100_000_000, 0..1000),
        ("clock", "before-epoch") => clock(-2_000_000_000i64..0, 1..1000),

        ("secrets", "beyond-auth0-limits") => some(prop_oneof![
            (admin_token(re("[A-Za-z0-9_-]{30}")), 4097..4300usize)
                .prop_map(|(t, n)| json!({"TINYBIRD_ADMIN_TOKEN": t.repeat(n / t.len() + 1)})),
            admin_token(re("[A-Za-z0-9_-]{30,40}")).prop_map(|t| {
                let mut secrets: serde_json::Map<String, Value> =
                    (0..30).map(|i| (format!("OTHER_SECRET_{i}"), json!("v"))).collect();
                secrets.insert("TINYBIRD_ADMIN_TOKEN".into(), json!(t));
                Value::Object(secrets)
            }),
        ]),

        ("protocol", "authorization-code") => Just(Example::Grant(Grant::AuthorizationCode)).boxed(),
        ("protocol", "refresh-token") => Just(Example::Grant(Grant::RefreshToken)).boxed(),
        ("protocol", "password") => Just(Example::Grant(Grant::Password)).boxed(),

        ("stored-token", "absent") => Just(Example::Stored(StoredState::Nothing)).boxed(),
        ("stored-token", "valid") => {
            (1..week_s).prop_map(|s| Example::Stored(StoredState::Minted { age_ms: s * 1000 })).boxed()
        }
        ("stored-token", "expired") => {
            (week_s..4 * week_s).prop_map(|s| Example::Stored(StoredState::Minted { age_ms: s * 1000 })).boxed()
        }
        ("stored-token", "other-key") => Just(Example::Stored(StoredState::OtherKey)).boxed(),
        ("stored-token", "other-pipes") => Just(Example::Stored(StoredState::OtherPipes)).boxed(),
        ("stored-token", "not-a-string") => Just(Example::Stored(StoredState::NotAString)).boxed(),

        ("logins-count", "first") => json_values(vec![json!(1)]),
        ("logins-count", "many") => some((2..5000u64).prop_map(Value::from)),

        ("session", "single-login") => Just(Example::Session(Vec::new())).boxed(),
        // Every later login in the class, so that shrinking can remove any of them but the last.
        ("session", "repeat-within-token-life") => {
            session(prop::collection::vec(later(any_grant(), (1..week_s).prop_map(|s| s * 1000)), 1..=3))
        }
        ("session", "repeat-after-token-expiry") => {
            session(prop::collection::vec(later(any_grant(), (week_s..4 * week_s).prop_map(|s| s * 1000)), 1..=3))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classes::{classify, classify_session, Domain, CLASSES};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;

    #[test]
    fn every_class_has_an_example() {
        for class in CLASSES {
            assert!(example(class.id).is_some(), "{} has no example", class.id);
        }
    }

    #[test]
    fn every_example_lands_in_its_class_in_every_domain_it_belongs_to() {
        let mut runner = TestRunner::deterministic();
        for (index, class) in CLASSES.iter().enumerate() {
            for domain in [Domain::Auth0, Domain::AnyJson, Domain::PipeNames] {
                if !class.belongs_to(domain) {
                    continue;
                }
                let strategy = crate::strategies::directed(domain, index);
                for _ in 0..48 {
                    let case = strategy.new_tree(&mut runner).unwrap().current();
                    let evaluation = crate::spec::evaluate(&crate::js::JsValue::from_json(&case.event), case.now);
                    let set =
                        classify(&case.event, case.now, &evaluation).union(classify_session(&case.logins, &evaluation));
                    assert!(set.contains(index), "{} in {domain:?}: {} at {}", class.id, case.event, case.now);
                }
            }
        }
    }
}
