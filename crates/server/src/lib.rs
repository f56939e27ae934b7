//! guardrail's HTTP service (`guardrail serve`): the API a platform calls on
//! every upload, text, suggestion and search, and sends its events to.
//!
//! The service composes nothing itself: it holds a `guardrail_engine::host::Host`,
//! answers every check from the host's current snapshot (one atomic load, never
//! a lock), and sends changes (events, banks, lexicon, policy, scans) to the
//! host, which swaps in a new snapshot. This crate owns the HTTP and JSON
//! shapes, the route table with each route's role ([`routes::table`]), the
//! error shape ([`ApiError`]), the configuration file ([`Config`]) and the
//! OpenAPI document ([`openapi::document`]).
//!
//! ```no_run
//! guardrail_server::serve(guardrail_server::ServeOptions { demo: true, ..Default::default() }).unwrap();
//! ```

mod api;
mod config;
mod error;
mod metrics;
pub mod openapi;
pub mod routes;
mod serve;
mod state;
pub mod webhooks;

pub use crate::config::{Config, ConfigError, Limits, LogFormat, WebhookConfig};
pub use crate::error::ApiError;
pub use crate::routes::app;
pub use crate::serve::{serve, ServeOptions, DEFAULT_DATABASE, DEFAULT_LISTEN};
pub use crate::state::{AppState, Review};
