//! One module per subcommand; each has `Args` (clap) and `run(args) -> anyhow::Result<ExitCode>`.

pub(crate) mod audit;
pub(crate) mod demo;
pub(crate) mod guard;
pub(crate) mod ingest;
pub(crate) mod media;
pub(crate) mod plant;
pub(crate) mod scan;
pub(crate) mod synth;
pub(crate) mod text;

use anyhow::Context;
use guardrail_store::{Store, StoreError};

/// Opens a database a command writes to, creating it when missing (`ingest`,
/// `bank import`, `demo`).
pub(crate) fn open_writer(url: &str) -> anyhow::Result<Box<dyn Store>> {
    guardrail_store::open(url).with_context(|| format!("opening database {url}"))
}

/// Opens a database a command reads, refusing one that does not exist: a
/// typo in `--database` must not create an empty database that answers "no match".
pub(crate) fn open_reader(url: &str) -> anyhow::Result<Box<dyn Store>> {
    match guardrail_store::open_existing(url) {
        Ok(store) => Ok(store),
        Err(err @ StoreError::NotFound { .. }) => Err(anyhow::anyhow!(
            "{err}; commands that read never create a database: \
             create it with `guardrail ingest` or `guardrail bank import`"
        )),
        Err(err) => Err(err).with_context(|| format!("opening database {url}")),
    }
}
