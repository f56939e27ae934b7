//! The store's error type.

/// Everything that can go wrong opening, migrating, reading or writing a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL or path could not be understood.
    #[error("database URL {url:?}: {why}")]
    Url {
        /// The URL as given.
        url: String,
        /// Why it was rejected.
        why: String,
    },
    /// A reader was pointed at a database that does not exist (no such file,
    /// or no guardrail tables in it); only writers create one
    /// ([`crate::open`], never [`crate::open_existing`]).
    #[error("database {url} does not exist ({why})")]
    NotFound {
        /// The URL or path as given.
        url: String,
        /// What was found instead.
        why: String,
    },
    /// The database holds a schema written by a newer guardrail.
    #[error(
        "database schema is at version {found}, newer than this guardrail knows ({known}); \
         upgrade guardrail instead of downgrading the database"
    )]
    NewerSchema {
        /// Version found in the database.
        found: u32,
        /// Highest version this build knows.
        known: u32,
    },
    /// A migration failed; the database is left at the previous version.
    #[error("migration {version} ({name}) failed: {error}")]
    Migration {
        /// The migration's version.
        version: u32,
        /// The migration's name.
        name: &'static str,
        /// The backend's error.
        error: Box<StoreError>,
    },
    /// A stored row could not be read back as what it should be.
    #[error("stored event at seq {seq} is corrupt: {why}")]
    Corrupt {
        /// Its sequence number.
        seq: u64,
        /// What is wrong with it.
        why: String,
    },
    /// A named thing the call refers to does not exist in the database.
    #[error("no {what} {name}")]
    Missing {
        /// What it is (`ingest run with id`, `bank named`).
        what: &'static str,
        /// Its id or name, as given.
        name: String,
    },
    /// A named thing to be created already exists.
    #[error("a {what} named {name:?} already exists")]
    Exists {
        /// What it is (`token`).
        what: &'static str,
        /// Its name.
        name: String,
    },
    /// A field of what was to be stored is not valid.
    #[error("{field}: {why}")]
    InvalidField {
        /// The field, with the record it belongs to (`account u4: tier`,
        /// `bank name`, `tag`).
        field: String,
        /// Why it was refused.
        why: String,
    },
    /// A stored row that is not what it should be (not an event: see
    /// `Corrupt` for those).
    #[error("stored {what} is corrupt: {why}")]
    CorruptRow {
        /// What was read (`scan reasons`, `ingest run 3`).
        what: String,
        /// What is wrong with it.
        why: String,
    },
    /// A report or signal key is stored already with different content
    /// (the same key with the same content is a duplicate, not an error).
    #[error("key {key} was already used for a different report; send a new key for a new report")]
    KeyConflict {
        /// The key.
        key: String,
    },
    /// A case changed since the caller read it (another reviewer claimed or
    /// decided it): nothing was written.
    #[error("case {case} changed since it was read; read it again")]
    Stale {
        /// The case.
        case: u64,
    },
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(rusqlite::Error),
    /// PostgreSQL reported an error.
    #[error("postgres: {0}")]
    Postgres(postgres::Error),
    /// File system or stream I/O failed.
    #[error("{context}: {error}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        error: std::io::Error,
    },
}

// Every variant's message already includes its cause, so no variant also
// returns it as `source()`: the CLI prints the chain with `{:#}`, which would
// print each cause twice.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(error)
    }
}

impl From<postgres::Error> for StoreError {
    fn from(error: postgres::Error) -> StoreError {
        StoreError::Postgres(error)
    }
}
