//! What an action's source says it reads, found without running it: the secrets it names, whether it
//! reads `event.configuration`, and the npm packages it requires. A reading through a computed key
//! (`event.secrets[name]`) is noted as such: the names it reads are then not known.

use std::collections::BTreeSet;

/// What the scan found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// Secret names read as `secrets.NAME`, `secrets?.NAME`, `secrets["NAME"]` or by destructuring.
    pub secrets: BTreeSet<String>,
    /// Whether some secret is read through a computed key (which names, the scan cannot say).
    pub computed: bool,
    /// Whether `.configuration` is read.
    pub configuration: bool,
    /// npm packages required or imported (Node's own modules and relative paths left out).
    pub packages: BTreeSet<String>,
}

/// Scans `source` (comments and string contents are not taken for code).
pub fn scan(source: &str) -> Reads {
    let (code, strings) = blank_comments_and_strings(source);
    let mut reads = Reads::default();
    let mut holders = vec!["secrets".to_owned()];
    // `const s = event.secrets;` makes `s` a holder too.
    for at in word_positions(&code, "secrets") {
        let after = next_non_space(&code, at + "secrets".len());
        if matches!(after, Some(';' | ',' | ')') | None) {
            if let Some(alias) = assigned_name(&code, at) {
                holders.push(alias);
            }
        }
    }
    for holder in &holders {
        for at in word_positions(&code, holder) {
            let end = at + holder.len();
            if holder != "secrets" && code[..at].trim_end().ends_with('.') {
                continue; // `x.s` is not the alias `s`
            }
            read_after(&code, &strings, end, &mut reads);
            if let Some(names) = destructured_before(&code, at) {
                reads.secrets.extend(names);
            }
        }
    }
    reads.configuration = word_positions(&code, "configuration").any(|at| code[..at].trim_end().ends_with('.'));
    reads.packages = packages(&code, &strings);
    reads
}

/// `source` with comments blanked and string and template contents replaced by spaces (so that the
/// code keeps its offsets), and the contents of each string literal by its opening offset.
fn blank_comments_and_strings(source: &str) -> (String, std::collections::BTreeMap<usize, String>) {
    let bytes = source.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut strings = std::collections::BTreeMap::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if c == b'/' && bytes.get(i + 1) == Some(&b'*') {
            out.extend_from_slice(b"  ");
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                out.push(if bytes[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
            let close = (bytes.len() - i).min(2);
            out.extend(std::iter::repeat_n(b' ', close));
            i += close;
        } else if matches!(c, b'\'' | b'"' | b'`') {
            let start = i;
            out.push(c);
            i += 1;
            let mut content = Vec::new();
            while i < bytes.len() && bytes[i] != c {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    content.push(bytes[i + 1]);
                    out.extend_from_slice(b"  ");
                    i += 2;
                    continue;
                }
                content.push(bytes[i]);
                out.push(if bytes[i] == b'\n' { b'\n' } else { b' ' });
                i += 1;
            }
            if i < bytes.len() {
                out.push(c);
                i += 1;
            }
            strings.insert(start, String::from_utf8_lossy(&content).into_owned());
        } else {
            out.push(c);
            i += 1;
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), strings)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Where `word` occurs in `code` as a whole identifier.
fn word_positions<'a>(code: &'a str, word: &'a str) -> impl Iterator<Item = usize> + 'a {
    code.match_indices(word).map(|(at, _)| at).filter(move |&at| {
        let before = code[..at].chars().next_back();
        let after = code[at + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

fn next_non_space(code: &str, from: usize) -> Option<char> {
    code[from..].chars().find(|c| !c.is_whitespace())
}

fn identifier_at(code: &str, from: usize) -> Option<String> {
    let rest = code[from..].trim_start();
    let name: String = rest.chars().take_while(|&c| is_ident(c)).collect();
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then_some(name)
}

/// The secret named right after a holder ending at `end`: `.NAME`, `?.NAME` or `["NAME"]`.
fn read_after(code: &str, strings: &std::collections::BTreeMap<usize, String>, end: usize, reads: &mut Reads) {
    let rest = &code[end..];
    let skipped = rest.len() - rest.trim_start().len();
    let rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix("?.").or_else(|| rest.strip_prefix('.')) {
        if after.trim_start().starts_with('[') {
            let open = end + skipped + (rest.len() - after.trim_start().len());
            bracketed(code, strings, open, reads);
        } else if let Some(name) = identifier_at(after, 0) {
            reads.secrets.insert(name);
        }
    } else if rest.starts_with('[') {
        bracketed(code, strings, end + skipped, reads);
    }
}

/// `["NAME"]` at `open`: the name, or a computed read.
fn bracketed(code: &str, strings: &std::collections::BTreeMap<usize, String>, open: usize, reads: &mut Reads) {
    let inner_start = open + 1;
    let inner = &code[inner_start..];
    let literal = inner.trim_start();
    let at = inner_start + (inner.len() - literal.len());
    if let (Some(q), Some(text)) = (literal.chars().next(), strings.get(&at)) {
        let closes = literal[1..].find(q).map(|k| literal[k + 2..].trim_start().starts_with(']'));
        if matches!(q, '"' | '\'' | '`') && closes == Some(true) && !(q == '`' && text.contains("${")) {
            reads.secrets.insert(text.clone());
            return;
        }
    }
    reads.computed = true;
}

/// The code before `= secrets` or `= event.secrets` (the holder starting at `at`), when the holder is
/// assigned.
fn assigned_from(code: &str, at: usize) -> Option<&str> {
    let before = code[..at].trim_end();
    let before =
        before.strip_suffix('.').map_or(before, |b| b.trim_end().strip_suffix("event").unwrap_or(b)).trim_end();
    Some(before.strip_suffix('=')?.trim_end())
}

/// `NAME` in `const NAME = event.secrets` (the holder starting at `at`).
fn assigned_name(code: &str, at: usize) -> Option<String> {
    let before = assigned_from(code, at)?;
    if before.ends_with(['=', '!', '<', '>']) {
        return None;
    }
    let name: String = before.chars().rev().take_while(|&c| is_ident(c)).collect::<String>().chars().rev().collect();
    (!name.is_empty()).then_some(name)
}

/// The keys of `{ A, B: b, C = 1 } = event.secrets` (the holder starting at `at`).
fn destructured_before(code: &str, at: usize) -> Option<Vec<String>> {
    let before = assigned_from(code, at)?;
    let body_end = before.strip_suffix('}')?.len();
    let open = before[..body_end].rfind('{')?;
    let names = before[open + 1..body_end]
        .split(',')
        .filter_map(|item| {
            let key = item.split([':', '=']).next()?.trim();
            (!key.is_empty() && !key.starts_with("...") && key.chars().all(is_ident)).then(|| key.to_owned())
        })
        .collect();
    Some(names)
}

/// The npm packages `require("…")`, `import … from "…"`, `import("…")` and `import "…"` name.
fn packages(code: &str, strings: &std::collections::BTreeMap<usize, String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (&at, text) in strings {
        let before = code[..at].trim_end();
        let call = before.strip_suffix('(').map(str::trim_end);
        let named = call.is_some_and(|b| b.ends_with("require") || b.ends_with("import"))
            || before.ends_with("from")
            || before.ends_with("import");
        if named {
            if let Some(package) = package_of(text) {
                found.insert(package);
            }
        }
    }
    found
}

/// The package a specifier names, unless it is relative, absolute, or one of Node's own modules.
fn package_of(specifier: &str) -> Option<String> {
    if specifier.is_empty() || specifier.starts_with(['.', '/']) || specifier.contains(':') {
        return None;
    }
    let mut parts = specifier.split('/');
    let first = parts.next()?;
    let name = if first.starts_with('@') { format!("{first}/{}", parts.next()?) } else { first.to_owned() };
    (!NODE_MODULES.contains(&name.as_str())).then_some(name)
}

/// Node.js's own modules (`require('module').builtinModules` of Node 22, without the underscored ones).
const NODE_MODULES: &[&str] = &[
    "assert",
    "async_hooks",
    "buffer",
    "child_process",
    "cluster",
    "console",
    "constants",
    "crypto",
    "dgram",
    "diagnostics_channel",
    "dns",
    "domain",
    "events",
    "fs",
    "http",
    "http2",
    "https",
    "inspector",
    "module",
    "net",
    "os",
    "path",
    "perf_hooks",
    "process",
    "punycode",
    "querystring",
    "readline",
    "repl",
    "stream",
    "string_decoder",
    "sys",
    "timers",
    "tls",
    "trace_events",
    "tty",
    "url",
    "util",
    "v8",
    "vm",
    "wasi",
    "worker_threads",
    "zlib",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_read_every_usual_way_are_found() {
        let reads = scan(
            r#"const jwt = require("jsonwebtoken");
import x from '@scope/pkg/sub';
const crypto = require('crypto');
// event.secrets.IN_A_COMMENT
const url = "https://event.secrets.IN_A_STRING";
exports.onExecutePostLogin = async (event, api) => {
  const token = event.secrets.A;
  const b = event.secrets?.B ?? "";
  const c = event.secrets["C"];
  const { D, E: e, F = "f", ...rest } = event.secrets;
  const s = event.secrets;
  const g = s.G;
  const ws = event.configuration.X;
};"#,
        );
        let names: Vec<&str> = reads.secrets.iter().map(String::as_str).collect();
        assert_eq!(names, ["A", "B", "C", "D", "E", "F", "G"]);
        assert!(!reads.computed);
        assert!(reads.configuration);
        let packages: Vec<&str> = reads.packages.iter().map(String::as_str).collect();
        assert_eq!(packages, ["@scope/pkg", "jsonwebtoken"]);
    }

    #[test]
    fn a_computed_key_is_noted_and_the_configuration_unread_is_not() {
        let reads = scan("const k = 'A'; const v = event.secrets[k]; const w = secrets[`X${k}`];");
        assert!(reads.computed);
        assert!(reads.secrets.is_empty());
        assert!(!reads.configuration);
    }
}
