//! `tbjwt classes`: the catalogue of equivalence classes as a Markdown table (docs/classes.md holds it).

use anyhow::Result;
use harness::classes::{of_domain, CLASSES};
use harness::strategies::Domain;
use std::process::ExitCode;

/// Arguments of `tbjwt classes`.
#[derive(clap::Args)]
pub struct Args {
    /// Only the classes of this domain.
    #[arg(long, value_enum)]
    domain: Option<Domain>,
}

/// A table cell: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut table = String::from("| class | domains | values | the porter's mistake it exposes |\n");
    table.push_str("|-------|---------|--------|----------------------------------|\n");
    let shown: Vec<usize> = match args.domain {
        Some(domain) => of_domain(domain).map(|(i, _)| i).collect(),
        None => (0..CLASSES.len()).collect(),
    };
    for class in shown.into_iter().map(|i| &CLASSES[i]) {
        let domains: Vec<&str> = [Domain::Auth0, Domain::AnyJson, Domain::PipeNames]
            .into_iter()
            .filter(|d| class.belongs_to(*d))
            .map(Domain::name)
            .collect();
        table.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            class.id,
            domains.join(", "),
            cell(class.values),
            cell(class.mistake)
        ));
    }
    super::print_all(&table)?;
    Ok(ExitCode::SUCCESS)
}
