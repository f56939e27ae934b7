//! The handlers, one module per area, with their request and response
//! types (the server owns its JSON shapes and converts to engine types).

pub(crate) mod admin;
pub(crate) mod checks;
pub(crate) mod events;
pub(crate) mod ops;
pub(crate) mod reads;
pub(crate) mod review;

/// Runs blocking engine work (store commits, scans, reloads) off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> crate::error::ApiResult<T> + Send + 'static,
) -> crate::error::ApiResult<T> {
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(join) => Err(crate::error::ApiError::internal(&join)),
    }
}
