//! The catalogue of porters' mistakes: where in the published action a port can go wrong (the sites)
//! and how (the operators), each with the real-world reason it happens, and the mutants argued
//! equivalent within a domain, with the argument.

/// What kind of code a site is; operators say which kinds they fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteKind {
    /// A setting's or the user's value written into the token (or used as the key).
    Value,
    /// A setting's presence test (`if (!x)`): log and return.
    Check,
    /// The authorization test before the ID token claim.
    Presence,
    /// The list of pipe names (`x.split(",")`).
    List,
    /// The payload (where a port sets `iat` and `exp` itself).
    Payload,
    /// The signing key passed to `jwt.sign`.
    Key,
    /// The user id written into the token name.
    UserId,
}

/// A place in the published action a mutation rewrites.
#[derive(Debug)]
pub struct Site {
    /// Short name (`pipe-name`, `workspace-check`, …).
    pub name: &'static str,
    /// What kind of code it is.
    pub kind: SiteKind,
    /// The exact text of the site in the published action (it occurs once).
    pub anchor: &'static str,
    /// The expression within the anchor that operators wrap.
    pub expression: &'static str,
}

/// Every site, in the action's order.
pub static SITES: &[Site] = &[
    Site {
        name: "admin-token-check",
        kind: SiteKind::Check,
        anchor: "if (!event.secrets.TINYBIRD_ADMIN_TOKEN) {",
        expression: "event.secrets.TINYBIRD_ADMIN_TOKEN",
    },
    Site {
        name: "workspace-check",
        kind: SiteKind::Check,
        anchor: "if (!event.configuration.TINYBIRD_WORKSPACE_ID) {",
        expression: "event.configuration.TINYBIRD_WORKSPACE_ID",
    },
    Site {
        name: "pipe-names-check",
        kind: SiteKind::Check,
        anchor: "if (!event.configuration.TINYBIRD_PIPE_NAMES) {",
        expression: "event.configuration.TINYBIRD_PIPE_NAMES",
    },
    Site {
        name: "pipe-list",
        kind: SiteKind::List,
        anchor: "event.configuration.TINYBIRD_PIPE_NAMES.split(\",\")",
        expression: "event.configuration.TINYBIRD_PIPE_NAMES",
    },
    Site { name: "pipe-name", kind: SiteKind::Value, anchor: "resource: pipeName,", expression: "pipeName" },
    Site {
        name: "workspace-id",
        kind: SiteKind::Value,
        anchor: "workspace_id: event.configuration.TINYBIRD_WORKSPACE_ID,",
        expression: "event.configuration.TINYBIRD_WORKSPACE_ID",
    },
    Site {
        name: "user-id",
        kind: SiteKind::UserId,
        anchor: "name: `tinybird_jwt_${event.user.id}`,",
        expression: "event.user.id",
    },
    Site { name: "payload", kind: SiteKind::Payload, anchor: "    scopes,\n  };", expression: "" },
    Site {
        name: "admin-token",
        kind: SiteKind::Value,
        anchor: "const secret = event.secrets.TINYBIRD_ADMIN_TOKEN;",
        expression: "event.secrets.TINYBIRD_ADMIN_TOKEN",
    },
    Site {
        name: "signing-key",
        kind: SiteKind::Key,
        anchor: "jwt.sign(payload, secret, options)",
        expression: "secret",
    },
    Site {
        name: "authorization-check",
        kind: SiteKind::Presence,
        anchor: "if (event.authorization) {",
        expression: "event.authorization",
    },
];

/// How an operator rewrites a site. `{e}` in the template stands for the site's expression.
#[derive(Debug)]
pub struct Rewrite {
    /// The kind of site it fits.
    pub kind: SiteKind,
    /// The replacement text.
    pub template: &'static str,
    /// Whether the template replaces the site's expression (within the anchor) or the whole anchor.
    pub replaces_expression: bool,
}

/// One porter's mistake.
#[derive(Debug)]
pub struct Operator {
    /// Short name (`trim`, `nullish-check`, …).
    pub name: &'static str,
    /// Why porters make it.
    pub reason: &'static str,
    /// What it does at each kind of site it fits.
    pub rewrites: &'static [Rewrite],
}

/// A rewrite of the whole anchor.
const fn at(kind: SiteKind, template: &'static str) -> Rewrite {
    Rewrite { kind, template, replaces_expression: false }
}

/// A rewrite of the expression within the anchor.
const fn wrap(kind: SiteKind, template: &'static str) -> Rewrite {
    Rewrite { kind, template, replaces_expression: true }
}

use SiteKind::*;

/// Every operator.
pub static OPERATORS: &[Operator] = &[
    Operator {
        name: "trim",
        reason: "configuration pasted from a dashboard carries spaces and newlines; porters \"clean\" it",
        rewrites: &[wrap(Value, "{e}.trim()"), wrap(UserId, "String({e}).trim()")],
    },
    Operator {
        name: "lowercase",
        reason: "identifiers look case-insensitive (UUIDs, slugs), so ports normalise their case",
        rewrites: &[wrap(Value, "{e}.toLowerCase()"), wrap(UserId, "String({e}).toLowerCase()")],
    },
    Operator {
        name: "normalize-nfc",
        reason: "Unicode-aware code normalises text before comparing or storing it",
        rewrites: &[wrap(Value, "{e}.normalize(\"NFC\")")],
    },
    Operator {
        name: "normalize-nfkc",
        reason: "security guides recommend NFKC for identifiers (and Python's casefold pipelines use it)",
        rewrites: &[wrap(Value, "{e}.normalize(\"NFKC\")")],
    },
    Operator {
        name: "url-encode",
        reason: "the names end up in URLs (/v0/pipes/NAME), so ports encode them early",
        rewrites: &[wrap(Value, "encodeURIComponent({e})"), wrap(UserId, "encodeURIComponent({e})")],
    },
    Operator {
        name: "blank-check",
        reason: "\"missing\" often means \"missing or blank\" in other code bases (`isBlank`, `strip()`)",
        rewrites: &[at(Check, "if (!{e} || !String({e}).trim()) {")],
    },
    Operator {
        name: "nullish-check",
        reason: "`== null` / `?? ` / Python's `is None` replace JavaScript's falsiness test",
        rewrites: &[at(Check, "if ({e} == null) {"), at(Presence, "if ({e} != null) {")],
    },
    Operator {
        name: "undefined-check",
        reason: "`=== undefined` (or `'KEY' in obj`) tests presence, not falsiness",
        rewrites: &[at(Check, "if ({e} === undefined) {"), at(Presence, "if ({e} !== undefined) {")],
    },
    Operator {
        name: "falsy-text-check",
        reason: "environment variables arrive as the texts \"undefined\" or \"null\", and ports guard against them",
        rewrites: &[at(Check, "if (!{e} || {e} === \"undefined\" || {e} === \"null\") {")],
    },
    Operator {
        name: "python-truthiness",
        reason: "Python ports test `if authorization:`, and an empty dict or list is falsy there",
        rewrites: &[at(Presence, "if ({e} && (typeof {e} !== \"object\" || Object.keys({e}).length > 0)) {")],
    },
    Operator {
        name: "roles-check",
        reason: "\"has an authorization\" read as \"has roles\"",
        rewrites: &[at(Presence, "if ({e} && Array.isArray({e}.roles) && {e}.roles.length > 0) {")],
    },
    Operator {
        name: "or-fallback",
        reason: "`id || user_id`: v3 events carry `user_id`, and `||` also replaces an empty id",
        rewrites: &[wrap(UserId, "{e} || event.user.user_id")],
    },
    Operator {
        name: "nullish-fallback",
        reason: "`id ?? user_id`: the careful version of the fallback, still not what the action writes",
        rewrites: &[wrap(UserId, "{e} ?? event.user.user_id")],
    },
    Operator {
        name: "split-comma-space",
        reason: "lists are written \"a, b\" in docs, so ports split on \", \" or a regex",
        rewrites: &[at(List, "{e}.split(/,\\s*/)")],
    },
    Operator {
        name: "split-trimming-regex",
        reason: "`split(/\\s*,\\s*/)` is the idiomatic \"split and trim\"",
        rewrites: &[at(List, "{e}.split(/\\s*,\\s*/)")],
    },
    Operator {
        name: "split-more-separators",
        reason: "ports accept `;` or `|` too, \"to be forgiving\"",
        rewrites: &[at(List, "{e}.split(/[,;|]/)")],
    },
    Operator {
        name: "split-limit",
        reason: "a limit on the scopes (Go's `SplitN`, Python's `maxsplit`)",
        rewrites: &[at(List, "{e}.split(\",\", 64)")],
    },
    Operator {
        name: "drop-empty",
        reason: "`filter(Boolean)` / Python's `[n for n in names if n]` after splitting",
        rewrites: &[at(List, "{e}.split(\",\").filter(Boolean)")],
    },
    Operator {
        name: "drop-blank",
        reason: "`filter(n => n.trim())`: blank names look like typos",
        rewrites: &[at(List, "{e}.split(\",\").filter((n) => n.trim())")],
    },
    Operator {
        name: "deduplicate",
        reason: "a Set (or Python's `set`) makes the scopes unique",
        rewrites: &[at(List, "[...new Set({e}.split(\",\"))]")],
    },
    Operator {
        name: "sort",
        reason: "sorted scopes give stable tokens and tidy diffs",
        rewrites: &[at(List, "{e}.split(\",\").sort()")],
    },
    Operator {
        name: "round-time",
        reason: "`Math.round`, Python's `round(time.time())`: rounding where jsonwebtoken floors",
        rewrites: &[at(Payload, "    scopes,\n    iat: Math.round(Date.now() / 1000),\n  };")],
    },
    Operator {
        name: "ceil-time",
        reason: "`Math.ceil` to avoid a token \"issued in the past\"",
        rewrites: &[at(Payload, "    scopes,\n    iat: Math.ceil(Date.now() / 1000),\n  };")],
    },
    Operator {
        name: "truncate-time",
        reason: "`Math.trunc`, integer division, `int(time.time())`: truncating towards zero",
        rewrites: &[at(Payload, "    scopes,\n    iat: Math.trunc(Date.now() / 1000),\n  };")],
    },
    Operator {
        name: "int32-time",
        reason: "32-bit seconds (Go `int32`, Java `int`, C `time_t` on old systems)",
        rewrites: &[at(Payload, "    scopes,\n    iat: Math.floor(Date.now() / 1000) | 0,\n  };")],
    },
    Operator {
        name: "latin1-key",
        reason: "keys turned into bytes with the platform's default charset (Latin-1 in many JVMs and PHP)",
        rewrites: &[wrap(Key, "Buffer.from({e}, \"latin1\")")],
    },
    Operator {
        name: "base64-key",
        reason: "HMAC secrets are base64 in many JWT libraries (jjwt, Auth0's own older SDKs)",
        rewrites: &[wrap(Key, "Buffer.from({e}, \"base64\")")],
    },
    Operator {
        name: "parse-setting",
        reason: "configuration values parsed as JSON when they can be (\"42\" → 42, \"null\" → null)",
        rewrites: &[wrap(Value, "parseSetting({e})")],
    },
    Operator {
        name: "stringify-setting",
        reason: "`String(x)` / `str(x)` on every setting, \"to be safe\"",
        rewrites: &[wrap(Value, "String({e})")],
    },
];

/// A mutant the catalogue argues equivalent to the action: no event can tell them apart.
#[derive(Debug)]
pub struct Equivalent {
    /// The operator.
    pub operator: &'static str,
    /// The site.
    pub site: &'static str,
    /// Why no event can tell it apart.
    pub argument: &'static str,
}

/// The mutants argued equivalent: no event the default run can generate (or any other) tells them apart.
pub static EQUIVALENT: &[Equivalent] = &[Equivalent {
    operator: "stringify-setting",
    site: "pipe-name",
    argument: "a segment of `split(\",\")` is a string, and String() of a string is that string: no input \
               of any domain changes what the mutant writes",
}];
