//! Case scopes: every case of a run gets its own namespace on the mocks, a path prefix
//! `/cases/{id}`, so that requests from concurrent cases can never be confused. Requests without the
//! prefix belong to the default scope (what `tbjwt mocks` serves to people and front ends).

use std::collections::HashMap;
use std::sync::RwLock;

/// A case's namespace on the mocks; `ScopeId(0)` is the default scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub u64);

impl ScopeId {
    /// The default scope (no path prefix).
    pub const DEFAULT: ScopeId = ScopeId(0);

    /// The path prefix of this scope (`""` for the default one).
    pub fn prefix(self) -> String {
        if self == ScopeId::DEFAULT {
            String::new()
        } else {
            format!("/cases/{}", self.0)
        }
    }
}

/// Splits `/cases/{id}/rest` into the scope and `/rest`; other paths are in the default scope.
pub fn split_scope(path: &str) -> (ScopeId, &str) {
    if let Some(rest) = path.strip_prefix("/cases/") {
        let end = rest.find('/').unwrap_or(rest.len());
        if let Ok(id) = rest[..end].parse::<u64>() {
            return (ScopeId(id), &rest[end..]);
        }
    }
    (ScopeId::DEFAULT, path)
}

/// Per-scope state, shared between the HTTP responders and the flow.
#[derive(Debug)]
pub struct Scoped<T> {
    scopes: RwLock<HashMap<ScopeId, T>>,
}

impl<T> Default for Scoped<T> {
    fn default() -> Self {
        Scoped { scopes: RwLock::new(HashMap::new()) }
    }
}

impl<T> Scoped<T> {
    /// Sets the state of `scope`.
    pub fn insert(&self, scope: ScopeId, value: T) {
        self.scopes.write().unwrap_or_else(|p| p.into_inner()).insert(scope, value);
    }

    /// Removes the state of `scope`, returning it.
    pub fn remove(&self, scope: ScopeId) -> Option<T> {
        self.scopes.write().unwrap_or_else(|p| p.into_inner()).remove(&scope)
    }

    /// Reads the state of `scope`.
    pub fn with<R>(&self, scope: ScopeId, f: impl FnOnce(Option<&T>) -> R) -> R {
        f(self.scopes.read().unwrap_or_else(|p| p.into_inner()).get(&scope))
    }

    /// Changes the state of `scope`.
    pub fn with_mut<R>(&self, scope: ScopeId, f: impl FnOnce(Option<&mut T>) -> R) -> R {
        f(self.scopes.write().unwrap_or_else(|p| p.into_inner()).get_mut(&scope))
    }

    /// How many scopes hold state (to check that finished cases clean up).
    pub fn len(&self) -> usize {
        self.scopes.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Whether no scope holds state.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_split_from_paths() {
        assert_eq!(split_scope("/cases/12/v0/pipes/a.json"), (ScopeId(12), "/v0/pipes/a.json"));
        assert_eq!(split_scope("/v0/pipes/a.json"), (ScopeId::DEFAULT, "/v0/pipes/a.json"));
        assert_eq!(split_scope("/cases/x/v0"), (ScopeId::DEFAULT, "/cases/x/v0"));
        assert_eq!(split_scope("/cases/7"), (ScopeId(7), ""));
        assert_eq!(ScopeId(7).prefix(), "/cases/7");
    }
}
