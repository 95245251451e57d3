//! A Shields endpoint badge (`--report badge=PATH`): the run's conclusion as the JSON that
//! `https://img.shields.io/endpoint?url=…` reads (`schemaVersion`, `label`, `message`, `color`), for a
//! README to show whether the port conforms. Written when the run ends.

use serde_json::json;
use std::io::Write;

use super::{CaseReport, Conclusion, Reporter, RunFooter, RunHeader};

/// The badge reporter.
pub struct Badge<W: Write> {
    out: Option<W>,
}

impl<W: Write> Badge<W> {
    /// Writes to `out` at the end of the run.
    pub fn new(out: W) -> Self {
        Badge { out: Some(out) }
    }
}

/// The badge's message and colour for a run's footer.
pub fn message_and_color(footer: &RunFooter) -> (String, &'static str) {
    let c = footer.counts;
    match footer.conclusion {
        Conclusion::Conforms if c.expected > 0 => (format!("conforms, {} expected", c.expected), "green"),
        Conclusion::Conforms => (format!("conforms ({} cases)", c.total()), "brightgreen"),
        Conclusion::Diverged => (format!("diverges: {} failing", c.fail + c.unexpected_pass), "red"),
        Conclusion::ImplementationErrored => (format!("errored on {} cases", c.error), "orange"),
        Conclusion::Interrupted => ("interrupted".into(), "lightgrey"),
        Conclusion::NothingRan => ("nothing ran".into(), "lightgrey"),
        Conclusion::HarnessError => ("harness error".into(), "lightgrey"),
    }
}

impl<W: Write + Send> Reporter for Badge<W> {
    fn header(&mut self, _: &RunHeader) -> std::io::Result<()> {
        Ok(())
    }

    fn case(&mut self, _: &CaseReport) -> std::io::Result<()> {
        Ok(())
    }

    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        let (message, color) = message_and_color(footer);
        let badge = json!({"schemaVersion": 1, "label": "tbjwt", "message": message, "color": color});
        if let Some(mut out) = self.out.take() {
            serde_json::to_writer(&mut out, &badge).map_err(std::io::Error::other)?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        Ok(())
    }
}
