//! Errors of event parsing.

/// A problem with one field of one event; `field` is a path such as `media[0].pdq`.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("field {field}: {why}")]
pub struct FieldError {
    /// The field path; `(line)` when the line is not a JSON object at all.
    pub field: String,
    /// Why it was rejected.
    pub why: String,
}

impl FieldError {
    pub(crate) fn new(field: impl Into<String>, why: impl Into<String>) -> FieldError {
        FieldError { field: field.into(), why: why.into() }
    }
}

/// An error reading an event stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EventError {
    /// A line did not conform to the format.
    #[error("line {line}, {error}")]
    Invalid {
        /// 1-based line number.
        line: u64,
        /// What was wrong (part of this error's message, so not also its `source()`).
        error: FieldError,
    },
    /// Reading the underlying input failed.
    #[error("line {line}: read failed: {error}")]
    Io {
        /// The line being read.
        line: u64,
        /// The I/O error (part of this error's message, so not also its `source()`).
        error: std::io::Error,
    },
}

impl EventError {
    /// The 1-based line number the error is about.
    pub fn line(&self) -> u64 {
        match self {
            EventError::Invalid { line, .. } | EventError::Io { line, .. } => *line,
        }
    }

    /// Whether the stream can continue past this error (a bad line, not a broken reader).
    pub fn is_recoverable(&self) -> bool {
        matches!(self, EventError::Invalid { .. })
    }
}
