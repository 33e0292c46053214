//! The one macro that runs a test once per store.

/// Runs each test once per store, as `name::sqlite` and `name::postgres` (the PostgreSQL
/// run passes without running when `SAMVERKAN_TEST_POSTGRES_URL` is not set). Two forms:
///
/// - `on_both_stores! { async fn name(app) { … } … }`: the body gets a `TestApp` started on
///   a fresh store of each kind;
/// - `on_both_stores!(name, …)`: runs `async fn name(backend: Backend)` defined beside it,
///   for tests that start their app themselves (an SMTP server first, several hub
///   processes), on a runtime with two worker threads.
#[macro_export]
macro_rules! on_both_stores {
    (@runs $run:path, $($test:tt)+) => {
        #[$($test)+]
        async fn sqlite() -> anyhow::Result<()> {
            $run($crate::helpers::Backend::Sqlite).await
        }
        #[$($test)+]
        async fn postgres() -> anyhow::Result<()> {
            if !$crate::helpers::postgres_configured() {
                return Ok(());
            }
            $run($crate::helpers::Backend::Postgres).await
        }
    };
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run(backend: $crate::helpers::Backend) -> anyhow::Result<()> {
                let Some($app) = $crate::helpers::spawn_app(backend).await? else {
                    return Ok(());
                };
                $body
            }
            $crate::on_both_stores!(@runs run, tokio::test);
        }
    )*};
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            $crate::on_both_stores!(
                @runs super::$name,
                tokio::test(flavor = "multi_thread", worker_threads = 2)
            );
        }
    )*};
}
