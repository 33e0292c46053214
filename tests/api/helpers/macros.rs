//! The macros that run a test once per store.

/// Runs each test body once per store: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_stores {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::helpers::TestApp) -> anyhow::Result<()> $body
            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                run($crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await?.expect("sqlite always runs")).await
            }
            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                match $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await? {
                    Some(app) => run(app).await,
                    None => Ok(()),
                }
            }
        }
    )*};
}

/// Runs `async fn name(backend: Backend)` once per store, as `name::sqlite` and
/// `name::postgres` (skipped without `SAMVERKAN_TEST_POSTGRES_URL`); for tests that start
/// their app themselves (an SMTP server first, several hub processes).
#[macro_export]
macro_rules! per_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() -> anyhow::Result<()> {
                super::$name($crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() -> anyhow::Result<()> {
                if $crate::helpers::postgres_url().is_none() {
                    return Ok(());
                }
                super::$name($crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}
