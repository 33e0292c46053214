//! Stream clients: many WebSocket connections from several loopback source addresses, each
//! read by a task of its own that hands every text frame to a tracker.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{stream, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use crate::target::{ConnSpec, Target};
use crate::tracker::Tracker;

const HELLO_WAIT: Duration = Duration::from_secs(15);
const ATTEMPTS: u32 = 3;

/// Opens connections to a server, or round-robin to the nodes of a cluster (connection `i`
/// to node `i % nodes`), spreading them over source addresses so that 10,000 connections do
/// not exhaust one address's ephemeral ports.
pub struct Connector {
    servers: Vec<SocketAddr>,
    sources: Vec<IpAddr>,
    config: WebSocketConfig,
}

impl Connector {
    /// Sources 127.0.0.2 … 127.0.0.(1 + `sources`).
    pub fn new(servers: Vec<SocketAddr>, sources: u8) -> Self {
        assert!(!servers.is_empty(), "a connector needs a server");
        let sources = (0..sources.max(1))
            .map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + i)))
            .collect();
        // Small buffers: the generator holds as many connections as the server.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        Self {
            servers,
            sources,
            config,
        }
    }

    pub fn nodes(&self) -> usize {
        self.servers.len()
    }

    /// The node connection `index` goes to.
    pub fn node_of(&self, index: usize) -> usize {
        index % self.servers.len()
    }

    async fn open(&self, index: usize, path: &str) -> anyhow::Result<WebSocketStream<TcpStream>> {
        let source = self.sources[index % self.sources.len()];
        let server = self.servers[self.node_of(index)];
        let socket = TcpSocket::new_v4()?;
        socket
            .bind(SocketAddr::new(source, 0))
            .with_context(|| format!("binding {source}"))?;
        let tcp = socket.connect(server).await.context("connecting")?;
        tcp.set_nodelay(true)?;
        let url = format!("ws://{server}{path}");
        let (mut ws, _) =
            tokio_tungstenite::client_async_with_config(url, tcp, Some(self.config)).await?;
        match tokio::time::timeout(HELLO_WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.as_str().contains("\"hello\"") => Ok(ws),
            Ok(other) => bail!("expected hello, got {other:?}"),
            Err(_) => bail!("no hello within {HELLO_WAIT:?}"),
        }
    }
}

/// Open connections; dropping the pool closes them.
pub struct Pool {
    readers: Vec<JoinHandle<()>>,
    /// Indexes (into the specs) of the connections that opened.
    pub connected: Vec<usize>,
    /// Open connections per node.
    pub per_node: Vec<usize>,
    pub failures: Vec<String>,
    /// Connections the server closed while the pool was alive.
    pub lost: Arc<AtomicU64>,
    pub took: Duration,
}

impl Drop for Pool {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

/// Connects one client per spec, `concurrency` at a time, and starts reading each at once.
pub async fn connect_all(
    target: &Target,
    connector: &Connector,
    specs: &[ConnSpec],
    tracker: &Arc<Tracker>,
    concurrency: usize,
) -> Pool {
    let started = Instant::now();
    let lost = Arc::new(AtomicU64::new(0));
    let mut pool = Pool {
        readers: Vec::with_capacity(specs.len()),
        connected: Vec::new(),
        per_node: vec![0; connector.nodes()],
        failures: Vec::new(),
        lost: lost.clone(),
        took: Duration::ZERO,
    };
    let mut opened = stream::iter(specs.iter().enumerate())
        .map(|(index, spec)| async move {
            let mut last = anyhow::anyhow!("not tried");
            for attempt in 0..ATTEMPTS {
                let result = async {
                    let path = target.stream_path(spec, connector.node_of(index)).await?;
                    connector.open(index, &path).await
                }
                .await;
                match result {
                    Ok(ws) => return (index, Ok(ws)),
                    Err(err) => last = err,
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt + 1))).await;
            }
            (index, Err(last))
        })
        .buffer_unordered(concurrency.max(1));
    while let Some((index, result)) = opened.next().await {
        match result {
            Ok(ws) => {
                let client = u32::try_from(index).unwrap_or(u32::MAX);
                pool.readers.push(tokio::spawn(read(
                    ws,
                    client,
                    tracker.clone(),
                    lost.clone(),
                )));
                pool.connected.push(index);
                pool.per_node[connector.node_of(index)] += 1;
            }
            Err(err) => pool.failures.push(format!("{err:#}")),
        }
    }
    pool.connected.sort_unstable();
    pool.took = started.elapsed();
    pool
}

/// Reads until the stream ends; tungstenite answers the server's pings while reading.
async fn read(
    mut ws: WebSocketStream<TcpStream>,
    client: u32,
    tracker: Arc<Tracker>,
    lost: Arc<AtomicU64>,
) {
    while let Some(frame) = ws.next().await {
        match frame {
            Ok(Message::Text(text)) => {
                let at = Instant::now();
                tracker.deliver(client, text.as_str(), at);
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    lost.fetch_add(1, Ordering::Relaxed);
}
