//! The HTTP/1.1 connection loop. axum's own `serve` sets no read timeouts, so a client that
//! never finishes its headers would hold its connection (and a file descriptor) for as long
//! as it likes; here hyper drops it after `server.header_read_timeout_seconds`, counted
//! from the first byte of a request and, on a kept-alive connection, from the end of the
//! last response. Bodies are bounded by `http::limits`. WebSocket upgrades pass through.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::config::ServerSettings;

/// Serves `router` on `listener` until `shutdown` resolves, then lets every open connection
/// finish its request in flight and returns when all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &ServerSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let header_timeout = Duration::from_secs(settings.header_read_timeout_seconds.max(1));
    let send_buffer = settings.socket_send_buffer_bytes;
    // `stopping` tells connections to finish; `open` is held by each until it has.
    let (stopping, stop_rx) = watch::channel(false);
    let (open, open_rx) = watch::channel(());
    tokio::pin!(shutdown);
    loop {
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %err, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Low latency for the stream, and a bounded kernel buffer per connection: a client
        // that stops reading fills it quickly and is then disconnected by the hub.
        let _ = tcp.set_nodelay(true);
        if send_buffer > 0 {
            let _ = socket2::SockRef::from(&tcp).set_send_buffer_size(send_buffer);
        }
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            router.clone().oneshot(request)
        });
        let mut stop_rx = stop_rx.clone();
        let open_rx = open_rx.clone();
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let connection = builder
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            tokio::pin!(connection);
            let stop = async move {
                // Dropped at once: a `Ref` held across an await would not be `Send`.
                let _ = stop_rx.wait_for(|stop| *stop).await.map(|_| ());
            };
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stop => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(open_rx);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(open_rx);
    open.closed().await;
    Ok(())
}
