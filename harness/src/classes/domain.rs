//! The domains of generated events, which the classes belong to.

/// Which events to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Domain {
    /// Events Auth0 can really send.
    #[default]
    Auth0,
    /// Any JSON value wherever the action reads one.
    AnyJson,
    /// One login, pipe names from the pipe-name grammar (the fuzz targets' input space).
    PipeNames,
}

impl Domain {
    /// The domain's name as the CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Auth0 => "auth0",
            Domain::AnyJson => "any-json",
            Domain::PipeNames => "pipe-names",
        }
    }
}
