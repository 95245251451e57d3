//! Secrets never reach an output: every string secret of a case's event (the admin token first) is
//! replaced by its name wherever a report would show it — the event, the differences' values, both sides
//! of a failing case, an errored case's message and output tail — before any reporter sees the case.
//! A finding still says where a secret went (`admin_token_in_logs: TINYBIRD_ADMIN_TOKEN found in
//! logs[0]`); the value shown in its place is `«secret TINYBIRD_ADMIN_TOKEN»`.

use serde_json::Value;

/// Secrets shorter than this are not masked (they would be found by chance in any text), as the flow's
/// secret search does not look for them either.
const MIN_SECRET_CHARS: usize = 4;

/// The secrets of one case, longest first (so that a secret inside another is masked as the longer one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<(String, String)>);

impl Secrets {
    /// The string secrets of `event.secrets`.
    pub fn of_event(event: &Value) -> Secrets {
        let Some(Value::Object(secrets)) = event.get("secrets") else { return Secrets::default() };
        let mut found: Vec<(String, String)> = secrets
            .iter()
            .filter_map(|(name, value)| {
                let value = value.as_str()?;
                (value.trim().chars().count() >= MIN_SECRET_CHARS).then(|| (name.clone(), value.to_owned()))
            })
            .collect();
        found.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
        Secrets(found)
    }

    /// How a secret is shown: its name.
    fn mask(name: &str) -> String {
        format!("«secret {name}»")
    }

    /// `text` with every secret replaced by its name; `None` when it holds none.
    pub fn text(&self, text: &str) -> Option<String> {
        let mut out: Option<String> = None;
        for (name, value) in &self.0 {
            let current = out.as_deref().unwrap_or(text);
            if current.contains(value.as_str()) {
                out = Some(current.replace(value.as_str(), &Self::mask(name)));
            }
        }
        out
    }

    /// Masks every string (and object key) of `value` in place.
    pub fn value(&self, value: &mut Value) {
        if self.0.is_empty() {
            return;
        }
        match value {
            Value::String(s) => {
                if let Some(masked) = self.text(s) {
                    *s = masked;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => {
                if map.keys().any(|k| self.text(k).is_some()) {
                    let entries = std::mem::take(map);
                    for (k, v) in entries {
                        map.insert(self.text(&k).unwrap_or(k), v);
                    }
                }
                map.values_mut().for_each(|v| self.value(v));
            }
            _ => {}
        }
    }

    /// `report` as reporters may show it: a copy with every secret masked, or the report itself when
    /// there is nothing to mask.
    /// The secrets of the event shown are masked too (a shrunk event's are not the drawn one's).
    pub fn case<'r>(&self, report: &'r super::CaseReport) -> std::borrow::Cow<'r, super::CaseReport> {
        let shows_anything = report.event.is_some()
            || report.error.is_some()
            || !report.differences.is_empty()
            || report.sides.is_some();
        if !shows_anything {
            return std::borrow::Cow::Borrowed(report);
        }
        let shown_event = report.event.as_ref().map(Secrets::of_event).unwrap_or_default();
        if self.0.is_empty() && shown_event.0.is_empty() {
            return std::borrow::Cow::Borrowed(report);
        }
        let mut all = self.clone();
        all.0.extend(shown_event.0.into_iter().filter(|s| !self.0.contains(s)));
        all.0.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
        std::borrow::Cow::Owned(all.masked(report))
    }

    fn masked(&self, report: &super::CaseReport) -> super::CaseReport {
        let mut shown = report.clone();
        if let Some(event) = &mut shown.event {
            self.value(event);
        }
        if let Some(error) = &shown.error {
            if let Some(masked) = self.text(error) {
                shown.error = Some(masked);
            }
        }
        let mut differences = std::mem::take(&mut shown.differences);
        for d in &mut differences {
            for side in [&mut d.reference, &mut d.implementation].into_iter().flatten() {
                self.value(side);
            }
        }
        shown.set_differences(differences);
        if let Some(sides) = &mut shown.sides {
            self.value(&mut sides.reference);
            self.value(&mut sides.implementation);
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_secret_is_shown_by_its_name_and_short_ones_are_left() {
        let event =
            json!({"secrets": {"TINYBIRD_ADMIN_TOKEN": "p.made-up-admin", "INNER": "made-up", "N": 7, "S": "ab"}});
        let secrets = Secrets::of_event(&event);
        assert_eq!(
            secrets.text("log p.made-up-admin and made-up and ab").as_deref(),
            Some("log «secret TINYBIRD_ADMIN_TOKEN» and «secret INNER» and ab"),
            "the longer secret is masked whole, not as the shorter one inside it"
        );
        assert_eq!(secrets.text("nothing here"), None);
        let mut value = json!({"a": ["x p.made-up-admin"], "p.made-up-admin": 1});
        secrets.value(&mut value);
        assert_eq!(value, json!({"a": ["x «secret TINYBIRD_ADMIN_TOKEN»"], "«secret TINYBIRD_ADMIN_TOKEN»": 1}));
    }
}
