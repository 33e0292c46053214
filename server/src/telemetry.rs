//! Logging. Spans carry ids and paths only; handlers never log names, personnummer,
//! tokens or health details (`tests/api/logs.rs` greps a whole scenario's JSON log).

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

pub fn init(settings: &LogSettings) {
    init_to(settings, std::io::stderr);
}

/// Logging to what `writer` makes (standard error in `init`; a buffer in the log test).
/// Does nothing when a subscriber is set already.
pub fn init_to<W, F>(settings: &LogSettings, writer: F)
where
    W: std::io::Write,
    F: Fn() -> W + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&settings.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let _ = if settings.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
