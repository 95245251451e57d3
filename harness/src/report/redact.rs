//! Secrets never reach an output: every string secret of a case's event (the admin token first) is
//! replaced by its name wherever a report would show it — the event, the differences' values, both sides
//! of a failing case, an errored case's message and output tail — before any reporter sees the case.
//! A finding still says where a secret went (`admin_token_in_logs: TINYBIRD_ADMIN_TOKEN found in
//! logs[0]`); the value shown in its place is `<secret TINYBIRD_ADMIN_TOKEN>`, as in `check --snapshots`
//! documents (one masking for both: `flow::secrets::mask`).

use serde_json::Value;

use crate::flow::secrets::{mask, masked_text, secrets_of, Secret};

/// The secrets of one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    /// The string secrets of `event.secrets` (those long enough to look for: `flow::secrets`).
    pub fn of_event(event: &Value) -> Secrets {
        Secrets(secrets_of(event))
    }

    /// `text` with every secret replaced by its name; `None` when it holds none.
    pub fn text(&self, text: &str) -> Option<String> {
        masked_text(text, &self.0)
    }

    /// Masks every string (and object key) of `value` in place.
    pub fn value(&self, value: &mut Value) {
        mask(value, &self.0)
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
            json!({"secrets": {"INNER": "made-up", "TINYBIRD_ADMIN_TOKEN": "p.made-up-admin", "N": 7, "S": "ab"}});
        let secrets = Secrets::of_event(&event);
        assert_eq!(
            secrets.text("log p.made-up-admin and made-up and ab").as_deref(),
            Some("log <secret TINYBIRD_ADMIN_TOKEN> and <secret INNER> and ab"),
            "the longer secret is masked whole, not as the shorter one inside it"
        );
        assert_eq!(secrets.text("nothing here"), None);
        let mut value = json!({"a": ["x p.made-up-admin"], "p.made-up-admin": 1});
        secrets.value(&mut value);
        assert_eq!(value, json!({"a": ["x <secret TINYBIRD_ADMIN_TOKEN>"], "<secret TINYBIRD_ADMIN_TOKEN>": 1}));
    }
}
