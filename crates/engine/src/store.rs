//! Opening the store: writers create a missing database, readers never do.

use guardrail_store::{Store, StoreError};

use crate::{EngineError, Result};

/// Opens a database an operation writes to, creating it when missing
/// (ingest, bank import, the demo).
pub fn open_writer(url: &str) -> Result<Box<dyn Store>> {
    guardrail_store::open(url).map_err(|source| EngineError::Open { url: url.to_owned(), source })
}

/// Opens a database an operation reads, refusing one that does not exist: a
/// typo in a database URL must not create an empty database that answers "no match".
pub fn open_reader(url: &str) -> Result<Box<dyn Store>> {
    match guardrail_store::open_existing(url) {
        Ok(store) => Ok(store),
        Err(error @ StoreError::NotFound { .. }) => Err(EngineError::NoDatabase { error }),
        Err(source) => Err(EngineError::Open { url: url.to_owned(), source }),
    }
}
