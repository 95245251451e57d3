//! JSON lines: `{"type":"header",…}`, one `{"type":"case",…}` per case as it finishes, then
//! `{"type":"footer",…}`. Each record is flushed when written, so an interrupted or killed run leaves a
//! valid prefix, and a missing footer says the report is truncated.

use serde::Serialize;
use std::io::Write;

use super::{CaseReport, Reporter, RunFooter, RunHeader};

/// The JSON lines reporter.
pub struct JsonLines<W: Write> {
    out: std::io::BufWriter<W>,
}

impl<W: Write> JsonLines<W> {
    /// Writes to `out`.
    pub fn new(out: W) -> Self {
        JsonLines { out: std::io::BufWriter::new(out) }
    }

    fn record(&mut self, kind: &str, value: &impl Serialize) -> std::io::Result<()> {
        let mut v = serde_json::to_value(value).map_err(std::io::Error::other)?;
        let mut record = serde_json::Map::new();
        record.insert("type".into(), kind.into());
        if let serde_json::Value::Object(fields) = &mut v {
            record.append(fields);
        }
        serde_json::to_writer(&mut self.out, &record).map_err(std::io::Error::other)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

impl<W: Write + Send> Reporter for JsonLines<W> {
    fn header(&mut self, header: &RunHeader) -> std::io::Result<()> {
        self.record("header", header)
    }
    fn case(&mut self, case: &CaseReport) -> std::io::Result<()> {
        self.record("case", case)
    }
    fn footer(&mut self, footer: &RunFooter) -> std::io::Result<()> {
        self.record("footer", footer)
    }
}
