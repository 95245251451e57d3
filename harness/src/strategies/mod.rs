//! proptest strategies for post-login events, in three input domains, and the grammar of pipe-name lists.
//!
//! - [`Domain::Auth0`]: what Auth0 can really send: the three settings absent, empty or strings; a v3
//!   `user` with `user_id` (sometimes a string `id` too); `authorization` absent or `{"roles": [...]}`;
//!   realistic noise in the fields the action does not read.
//! - [`Domain::AnyJson`]: every JSON type wherever the action reads a value, for implementations that
//!   claim JavaScript-level fidelity.
//! - [`Domain::PipeNames`]: the fuzz targets' input space: one fixed login whose pipe-name list comes
//!   from the pipe-name grammar, with the fuzz input's flags (authorization or not, …); what
//!   `tbjwt fuzz --engine proptest` explores through the whole flow.
//!
//! Every generated case carries its clock too ([`Generated`]): realistic instants at any millisecond,
//! shrinking towards the default clock on a whole second. Besides these general strategies,
//! [`directed`] makes cases in one equivalence class of [`crate::classes`], and the general ones draw
//! from the class examples now and then as well.
//!
//! Every strategy shrinks towards small, plain values, so a divergence is reported on a minimal event;
//! the values a failure rarely depends on (the clock, the noise, tokens, ids) try their simplest form
//! first, in one step ([`simplest_first`]).

pub(crate) mod class_examples;
mod simplest_first;

pub use crate::classes::Domain;
pub use simplest_first::{simplest_first, SimplestFirst};

use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Union};
use serde_json::{json, Map, Value};

use crate::classes::{Input, CLASSES};
use crate::clock::Now;
use crate::event::session::{Grant, LaterLogin};
use crate::event::PostLoginEvent;
use class_examples::{example, realistic_seconds, Example};

/// A generated case: an event, the instant it happens at, and the same user's later logins (a session;
/// none for most cases).
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The post-login event of the first login.
    pub event: Value,
    /// The clock of the first login.
    pub now: Now,
    /// The logins after the first one.
    pub logins: Vec<LaterLogin>,
}

impl Generated {
    /// A single login.
    pub fn single(event: Value, now: Now) -> Generated {
        Generated { event, now, logins: Vec::new() }
    }
}

/// The event strategy for `domain`.
pub fn events(domain: Domain) -> BoxedStrategy<Value> {
    match domain {
        Domain::Auth0 => auth0_event().boxed(),
        Domain::AnyJson => any_json_event().boxed(),
        Domain::PipeNames => pipe_names_events().boxed(),
    }
}

/// The case strategy for `domain`: its events, each with a clock (the pipe-name space keeps the default
/// clock, as the fuzz inputs it mirrors do).
pub fn cases(domain: Domain) -> BoxedStrategy<Generated> {
    match domain {
        Domain::PipeNames => events(domain).prop_map(|event| Generated::single(event, Now::DEFAULT)).boxed(),
        Domain::AnyJson => {
            (events(domain), clock(domain)).prop_map(|(event, now)| Generated::single(event, now)).boxed()
        }
        // Realistic logins: now and then with a state stored by an earlier login, and a session of later
        // logins. The session comes first: tuples shrink element by element, and removing a whole login
        // is the biggest simplification, so later logins are removed (then shrunk) before the first
        // login's event is.
        Domain::Auth0 => (sessions(), events(domain), clock(domain), stored_state())
            .prop_map(|(logins, mut event, now, stored)| {
                stored.apply(&mut event, now);
                Generated { event, now, logins }
            })
            .boxed(),
    }
}

/// Milliseconds of the Tinybird JWT's life (7 days).
const TOKEN_LIFE_MS: i64 = crate::spec::token::EXPIRES_IN_SECONDS * 1000;

/// The time between two logins: within the same second, within an hour, within the token's 7 days, or
/// after it expired; shrinking towards a second.
pub fn gap() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => (1..3_600i64).prop_map(|s| s * 1000),
        3 => (3_600..TOKEN_LIFE_MS / 1000).prop_map(|s| s * 1000),
        2 => (TOKEN_LIFE_MS / 1000..4 * TOKEN_LIFE_MS / 1000).prop_map(|s| s * 1000),
        1 => 0..1000i64,
    ]
    .boxed()
}

/// One later login: any grant that runs the trigger, after a [`gap`].
pub fn later_login() -> BoxedStrategy<LaterLogin> {
    (prop::sample::select(Grant::ALL.to_vec()), gap())
        .prop_map(|(grant, after_ms)| LaterLogin { after_ms, grant })
        .boxed()
}

/// The later logins of a realistic case: none for most (shrinking goes there first), else one to three.
pub fn sessions() -> BoxedStrategy<Vec<LaterLogin>> {
    prop_oneof![7 => Just(Vec::new()), 1 => prop::collection::vec(later_login(), 1..=3)].boxed()
}

/// What an earlier login left in `app_metadata.tinybirdJWT` (the stored state of a first login).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredState {
    /// Nothing: the user's first login with the action.
    Nothing,
    /// The token the reference minted for these settings `age_ms` ago (still valid when under 7 days).
    Minted {
        /// How long ago it was minted.
        age_ms: i64,
    },
    /// A token for these settings signed with another key.
    OtherKey,
    /// A token for other pipes.
    OtherPipes,
    /// Not a string.
    NotAString,
}

impl StoredState {
    /// Stores this state in `event.user.app_metadata` (nothing when the event has no user object), with
    /// `logins_count` at least 2 where an earlier login left something.
    pub fn apply(self, event: &mut Value, now: Now) {
        let minted = |event: &Value, at: Now| {
            let outcome = crate::spec::outcome(&crate::js::JsValue::from_json(event), at);
            let token = outcome.string_args_of("user.setAppMetadata").nth(1).map(str::to_owned);
            token
        };
        let earlier = |ms: i64| Now::from_millis(now.millis().saturating_sub(ms)).unwrap_or(now);
        let stored = match self {
            StoredState::Nothing => return,
            StoredState::Minted { age_ms } => minted(event, earlier(age_ms)).map(Value::String),
            StoredState::OtherKey => {
                let mut other = event.clone();
                set_pointer(&mut other, crate::spec::keys::ADMIN_TOKEN_POINTER, Some(json!("p.another-workspace-key")));
                minted(&other, earlier(3_600_000)).map(Value::String)
            }
            StoredState::OtherPipes => {
                let mut other = event.clone();
                set_pointer(&mut other, crate::spec::keys::PIPE_NAMES_POINTER, Some(json!("a_retired_pipe")));
                minted(&other, earlier(3_600_000)).map(Value::String)
            }
            StoredState::NotAString => Some(json!({"token": "not a JWT", "v": 1})),
        };
        // Without a minted token (the settings are incomplete) an old token of another tenant stands in.
        let stored = stored.unwrap_or_else(|| json!(class_examples::FOREIGN_STORED_TOKEN));
        let Some(Value::Object(user)) = event.get_mut("user") else { return };
        let metadata = user.entry("app_metadata").or_insert_with(|| json!({}));
        if !metadata.is_object() {
            *metadata = json!({});
        }
        metadata.as_object_mut().expect("an object").insert(crate::spec::METADATA_KEY.into(), stored);
        let count = crate::event::session::logins_count(event).unwrap_or(0).max(2);
        crate::event::session::set_logins_count(event, count);
    }
}

/// The stored state of a realistic first login: mostly nothing, else one of [`StoredState`]'s kinds.
pub fn stored_state() -> BoxedStrategy<StoredState> {
    prop_oneof![
        12 => Just(StoredState::Nothing),
        2 => (1..TOKEN_LIFE_MS / 1000).prop_map(|s| StoredState::Minted { age_ms: s * 1000 }),
        1 => (TOKEN_LIFE_MS / 1000..4 * TOKEN_LIFE_MS / 1000).prop_map(|s| StoredState::Minted { age_ms: s * 1000 }),
        1 => Just(StoredState::OtherKey),
        1 => Just(StoredState::OtherPipes),
        1 => Just(StoredState::NotAString),
    ]
    .boxed()
}

/// The clock of generated cases: a realistic instant at any millisecond (shrinking towards the default
/// clock, on a whole second), and now and then one of the clock classes of `domain`.
pub fn clock(domain: Domain) -> BoxedStrategy<Now> {
    let realistic = (realistic_seconds(), 0..1000i64)
        .prop_map(|(s, ms)| Now::from_millis(s * 1000 + ms).unwrap_or(Now::DEFAULT))
        .boxed();
    match class_examples(domain, Input::Clock) {
        Some(classes) => simplest_first(prop_oneof![
            9 => realistic,
            1 => classes.prop_map(|e| match e { Example::Clock(now) => now, _ => Now::DEFAULT }),
        ])
        .boxed(),
        None => simplest_first(realistic).boxed(),
    }
}

/// The examples of every class of `input` in `domain`, as one strategy (`None` when there is none).
fn class_examples(domain: Domain, input: Input) -> Option<BoxedStrategy<Example>> {
    let strategies: Vec<BoxedStrategy<Example>> = crate::classes::of_domain(domain)
        .filter(|(_, c)| c.input == input)
        .filter_map(|(_, c)| example(c.id))
        .collect();
    (!strategies.is_empty()).then(|| Union::new(strategies).boxed())
}

/// A value of `input` from one of its classes in `domain` (`None`: absent).
fn class_value(domain: Domain, input: Input) -> BoxedStrategy<Option<Value>> {
    class_examples(domain, input)
        .expect("every input has classes in the auth0 and any-json domains")
        .prop_map(|e| match e {
            Example::Value(v) => v,
            _ => None,
        })
        .boxed()
}

/// Cases in class `class_index` of [`CLASSES`], for `domain`: a complete login (every setting present,
/// so that the value is read all the way) with the class's example at its input. Generated case `i` of a
/// run is directed at the domain's `i`-th class (`check::generated`).
pub fn directed(domain: Domain, class_index: usize) -> BoxedStrategy<Generated> {
    let class = &CLASSES[class_index];
    let example = example(class.id).expect("every class has an example (tested)");
    if domain == Domain::PipeNames {
        return pipe_names_directed(class, example);
    }
    (complete_login(), clock(domain), example)
        .prop_map(move |(mut event, now, example)| match example {
            Example::Clock(now) => Generated::single(event, now),
            Example::Value(value) => {
                if let Some(pointer) = class.input.pointer() {
                    set_pointer(&mut event, pointer, value);
                }
                Generated::single(event, now)
            }
            Example::Session(logins) => Generated { event, now, logins },
            Example::Stored(stored) => {
                stored.apply(&mut event, now);
                Generated::single(event, now)
            }
            Example::Grant(grant) => {
                crate::event::session::set_grant(&mut event, grant);
                Generated::single(event, now)
            }
        })
        .boxed()
}

/// A directed case of the pipe-name space: its classes are those a pipe-name fuzz input can express,
/// through the pipe names or the flags byte.
fn pipe_names_directed(
    class: &'static crate::classes::Class,
    example: BoxedStrategy<Example>,
) -> BoxedStrategy<Generated> {
    let ordinary = prop::collection::vec(pipe_identifier(), 1..4).prop_map(|v| v.join(","));
    (0u8..8, ordinary, example)
        .prop_map(move |(flags, ordinary, example)| {
            let mut flags = flags;
            let mut pipes = ordinary;
            match (class.input, class.id) {
                (Input::PipeNames, _) => {
                    if let Example::Value(Some(Value::String(s))) = example {
                        pipes = s;
                    }
                }
                (Input::Authorization, "authorization/absent") => flags &= !1,
                (Input::Authorization, _) => flags |= 1,
                (Input::UserId, "user-id/absent") => flags &= !0b110,
                (Input::UserId, "user-id/typical") => flags = (flags & !0b110) | 0b010,
                (Input::UserId, _) => flags = (flags & !0b110) | 0b100,
                _ => {}
            }
            let event = crate::fuzz_input::pipe_names_event(&crate::fuzz_input::pipe_names_input(flags, &pipes));
            Generated::single(event, Now::DEFAULT)
        })
        .boxed()
}

/// Sets (or, with `None`, removes) the value at a JSON pointer, making the objects on the way.
fn set_pointer(event: &mut Value, pointer: &str, value: Option<Value>) {
    let keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let Some((last, parents)) = keys.split_last() else { return };
    let mut node = event;
    for key in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        node = node.as_object_mut().expect("just made an object").entry(*key).or_insert_with(|| json!({}));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    let map = node.as_object_mut().expect("just made an object");
    match value {
        Some(v) => {
            map.insert((*last).to_owned(), v);
        }
        None => {
            map.shift_remove(*last);
        }
    }
}

/// Keeps only what the action reads: the event's `secrets`, `configuration`, `user` (its `user_id` and
/// `id`) and `authorization`; and what a port might read to tell one login from another: the stored
/// `app_metadata` when it holds something, and `transaction.protocol` when it is not the code login's.
fn strip_noise(event: &mut Value) {
    let protocol = event.pointer("/transaction/protocol").and_then(Value::as_str).map(str::to_owned);
    if let Some(map) = event.as_object_mut() {
        map.retain(|k, _| ["secrets", "configuration", "user", "authorization"].contains(&k.as_str()));
        if let Some(Value::Object(user)) = map.get_mut("user") {
            let stored = user.get("app_metadata").is_some_and(|m| m.as_object().is_some_and(|m| !m.is_empty()));
            user.retain(|k, _| k == "user_id" || k == "id" || (stored && k == "app_metadata"));
        }
        if let Some(protocol) = protocol.filter(|p| p != Grant::AuthorizationCode.protocol()) {
            map.insert("transaction".into(), json!({"protocol": protocol}));
        }
    }
}

/// A realistic login with every setting present and an authorization: the base of directed cases. Its
/// noise (the fields the action does not read) shrinks away first, as in [`auth0_event`].
fn complete_login() -> impl Strategy<Value = Value> {
    (
        prop::bool::weighted(0.9),
        admin_token(),
        workspace_id(),
        prop::collection::vec(pipe_identifier(), 1..4),
        simplest_first(re("(auth0|google-oauth2)\\|[0-9a-f]{12,24}")),
        role_names(),
    )
        .prop_map(|(realistic, token, ws, pipes, user_id, roles)| {
            let mut event = PostLoginEvent::login(
                &user_id,
                Some(Value::String(token)),
                Some(Value::String(ws)),
                Some(Value::String(pipes.join(","))),
                Some(roles),
            )
            .to_json();
            if !realistic {
                strip_noise(&mut event);
            }
            event
        })
}

/// The strategy of strings matching `pattern`, compiled once (a `&str` used as a strategy compiles its
/// regex again for every value drawn, which cost a twentieth of a check's CPU).
pub fn re(pattern: &str) -> BoxedStrategy<String> {
    proptest::string::string_regex(pattern)
        .unwrap_or_else(|e| panic!("the pattern {pattern:?} is not a regex: {e}"))
        .boxed()
}

/// Events of the pipe-name fuzz input space: `fuzzing::pipe_names_event` of a flags byte and a list from
/// [`pipe_names`], shrinking towards short lists.
pub fn pipe_names_events() -> impl Strategy<Value = Value> {
    (0u8..8, pipe_names()).prop_map(|(flags, pipes)| {
        crate::fuzz_input::pipe_names_event(&crate::fuzz_input::pipe_names_input(flags, &pipes))
    })
}

/// A realistic pipe identifier, as Tinybird names pipes.
pub fn pipe_identifier() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => re("[a-z][a-z0-9_]{0,20}"),
        1 => prop::sample::select(vec!["top_pages", "kpis", "sessions_by_day", "trend", "api_endpoint_v2", "events_mv"])
            .prop_map(str::to_owned),
    ]
}

/// One segment of a pipe-name list: identifiers, padded, empty, case variants, Unicode (combining
/// marks, right-to-left, emoji), controls (NUL, DEL, bidi overrides), quotes and escapes, long names.
pub fn pipe_segment() -> impl Strategy<Value = String> + Clone {
    let awkward = prop::sample::select(vec![
        "e\u{301}",
        "\u{5de}\u{5db}\u{5d9}\u{5e8}\u{5d5}\u{5ea}",
        "📈",
        "👩‍💻",
        "日本語",
        "\u{0}",
        "\u{7f}",
        "\u{202e}",
        "\u{2028}",
        "\u{feff}",
        "\t",
        "\n",
        "\"",
        "\\",
        "'",
        "\\u0000",
        "PIPES:READ",
        " ",
        "\u{a0}",
        "\u{ffff}",
    ]);
    prop_oneof![
        8 => pipe_identifier().boxed(),
        2 => (pipe_identifier(), prop::sample::select(vec![" ", "  ", "\t"]), 0..3u8).prop_map(|(id, pad, side)| match side {
            0 => format!("{pad}{id}"),
            1 => format!("{id}{pad}"),
            _ => format!("{pad}{id}{pad}"),
        }).boxed(),
        2 => Just(String::new()).boxed(),
        1 => pipe_identifier().prop_map(|s| s.to_uppercase()).boxed(),
        2 => (pipe_identifier(), awkward, any::<bool>())
            .prop_map(|(id, odd, before)| if before { format!("{odd}{id}") } else { format!("{id}{odd}") }).boxed(),
        1 => re("\\PC{1,8}").boxed(),
        1 => (pipe_identifier(), 200..3000usize).prop_map(|(id, n)| id.repeat(n / id.len().max(1) + 1)).boxed(),
    ]
}

/// A `TINYBIRD_PIPE_NAMES` string: comma-separated segments, with the separators and shapes people
/// really write (spaces after commas, trailing commas, duplicates, very long lists).
pub fn pipe_names() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        10 => prop::collection::vec(pipe_segment(), 1..8).prop_map(|v| v.join(",")).boxed(),
        2 => prop::collection::vec(pipe_identifier(), 1..6).prop_map(|v| v.join(", ")).boxed(),
        1 => (pipe_identifier(), 2..6usize).prop_map(|(id, n)| vec![id; n].join(",")).boxed(),
        1 => re(",{1,6}").boxed(),
        1 => prop::collection::vec(pipe_identifier(), 100..400).prop_map(|v| v.join(",")).boxed(),
        3 => pipe_name_class_example().boxed(),
    ]
}

/// A pipe-name list from one of the string classes of pipe names.
fn pipe_name_class_example() -> impl Strategy<Value = String> + Clone {
    let strategies: Vec<BoxedStrategy<String>> = crate::classes::of_domain(Domain::PipeNames)
        .filter(|(_, c)| c.input == Input::PipeNames)
        .filter_map(|(_, c)| example(c.id))
        .map(|s| {
            s.prop_map(|e| match e {
                Example::Value(Some(Value::String(s))) => s,
                _ => String::new(),
            })
            .boxed()
        })
        .collect();
    Union::new(strategies)
}

/// A plausible Tinybird admin token (made up: `p.` and base64url-ish text).
fn admin_token() -> impl Strategy<Value = String> + Clone {
    simplest_first(re("[A-Za-z0-9_-]{8,40}\\.[A-Za-z0-9_-]{8,40}").prop_map(|s| format!("p.eyJ{s}")))
}

fn workspace_id() -> impl Strategy<Value = String> + Clone {
    simplest_first(prop_oneof![
        3 => re("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}").boxed(),
        1 => re("[a-z0-9_]{1,16}").boxed(),
    ])
}

/// A setting in the Auth0 domain: absent, empty, a realistic string, or a value of one of the input's
/// classes.
fn setting(value: impl Strategy<Value = String> + Clone + 'static, input: Input) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::String(String::new()))),
        10 => value.prop_map(|s| Some(Value::String(s))),
        2 => class_value(Domain::Auth0, input),
    ]
    .boxed()
}

fn role_names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::sample::select(vec!["admin", "analyst", "viewer", "billing", "tinybird:read"]).prop_map(str::to_owned),
        0..4,
    )
}

/// Events Auth0 can really send.
pub fn auth0_event() -> impl Strategy<Value = Value> {
    let user = simplest_first((
        re("(auth0|google-oauth2|samlp\\|acme)\\|[0-9a-f]{12,24}"),
        prop::option::weighted(0.2, re("[a-z0-9|_-]{1,24}")),
    ));
    // Realistic noise is on for most events and shrinks away (`false` is simpler), so that a shrunk
    // failure shows only what the action reads.
    let noise = simplest_first((
        prop::bool::weighted(0.9),
        0..500u32,
        prop::sample::select(vec!["en", "es", "de", "ja"]),
        any::<bool>(),
    ));
    // The noise comes first: tuples shrink element by element, and dropping it is the biggest simplification.
    (
        noise,
        setting(admin_token(), Input::AdminToken),
        setting(workspace_id(), Input::WorkspaceId),
        setting(pipe_names(), Input::PipeNames),
        (
            prop::option::weighted(0.7, role_names()),
            prop::option::weighted(0.1, class_value(Domain::Auth0, Input::Authorization)),
        ),
        (user, prop::option::weighted(0.1, class_value(Domain::Auth0, Input::UserId))),
        first_grant(),
    )
        .prop_map(
            |(
                (realistic, logins, locale, verified),
                token,
                ws,
                pipes,
                (roles, odd_authorization),
                ((user_id, id), odd_id),
                grant,
            )| {
                let mut event = PostLoginEvent::login(&user_id, token, ws, pipes, roles);
                if let Some(user) = event.user.as_mut() {
                    user.id = id.map(Value::String);
                    user.email_verified = verified;
                }
                if let Some(tx) = event.transaction.as_mut() {
                    tx.locale = Some(locale.to_owned());
                }
                event.extra.insert("stats".into(), json!({"logins_count": logins}));
                let mut json = event.to_json();
                if let Some(odd) = odd_id {
                    set_pointer(&mut json, "/user/id", odd);
                }
                if let Some(odd) = odd_authorization {
                    set_pointer(&mut json, "/authorization", odd);
                }
                crate::event::session::set_grant(&mut json, grant);
                if !realistic {
                    strip_noise(&mut json);
                }
                json
            },
        )
}

/// The grant of a case's first login: mostly the browser's code login.
fn first_grant() -> BoxedStrategy<Grant> {
    prop_oneof![
        8 => Just(Grant::AuthorizationCode),
        1 => Just(Grant::Password),
        1 => Just(Grant::RefreshToken),
    ]
    .boxed()
}

/// A JSON number as JavaScript sees numbers: integers, awkward doubles, and the printing edge cases.
fn json_number() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        3 => (-1000i64..1000).prop_map(Value::from).boxed(),
        2 => prop::sample::select(vec![0.0, -0.0, 0.5, -1.5, 1e21, 1e-7, 123e-20, 9007199254740993.0, 1.7976931348623157e308, 5e-324])
            .prop_map(Value::from).boxed(),
        1 => any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)).boxed(),
    ]
}

/// Any JSON value, shallow enough to read in a report.
pub fn any_json() -> impl Strategy<Value = Value> + Clone {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        prop_oneof![Just(String::new()), Just("0".to_owned()), re("\\PC{0,12}")].prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (prop_oneof![Just("toString".to_owned()), Just("0".to_owned()), re("[a-z]{1,6}")], inner),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A slot the action reads: absent (`None`) or any JSON value, with the realistic string likely.
fn slot(realistic: impl Strategy<Value = String> + Clone + 'static) -> BoxedStrategy<Option<Value>> {
    prop_oneof![
        1 => Just(None),
        3 => realistic.prop_map(|s| Some(Value::String(s))),
        3 => any_json().prop_map(Some),
    ]
    .boxed()
}

/// An object slot: absent, any JSON, or an object holding the given members.
fn object_slot(members: Vec<(&'static str, Option<Value>)>, other: Option<Value>, shape: u8) -> Option<Value> {
    match shape {
        0 => None,
        1 => other,
        _ => Some(Value::Object(members.into_iter().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v))).collect())),
    }
}

/// Any JSON type at every place the action reads.
pub fn any_json_event() -> impl Strategy<Value = Value> {
    let shape = prop_oneof![1 => Just(0u8), 1 => Just(1u8), 8 => Just(2u8)];
    (
        (slot(admin_token()), any_json(), shape.clone()),
        (slot(workspace_id()), slot(pipe_names()), any_json(), shape.clone()),
        (slot(re("[a-z0-9|]{1,12}")), any_json(), shape),
        prop_oneof![Just(None), any_json().prop_map(Some), role_names().prop_map(|r| Some(json!({"roles": r})))],
    )
        .prop_map(
            |((token, secrets_other, s1), (ws, pipes, config_other, s2), (id, user_other, s3), authorization)| {
                let mut event = Map::new();
                let secrets = object_slot(vec![("TINYBIRD_ADMIN_TOKEN", token)], Some(secrets_other), s1);
                let configuration = object_slot(
                    vec![("TINYBIRD_WORKSPACE_ID", ws), ("TINYBIRD_PIPE_NAMES", pipes)],
                    Some(config_other),
                    s2,
                );
                let user =
                    object_slot(vec![("user_id", Some(json!("auth0|0123456789ab"))), ("id", id)], Some(user_other), s3);
                for (key, value) in [
                    ("secrets", secrets),
                    ("configuration", configuration),
                    ("user", user),
                    ("authorization", authorization),
                ] {
                    if let Some(v) = value {
                        event.insert(key.to_owned(), v);
                    }
                }
                Value::Object(event)
            },
        )
}
