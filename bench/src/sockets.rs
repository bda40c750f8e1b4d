//! Websocket connections from the generator: each from its own loopback source address (so
//! tens of thousands of sockets, and their TIME_WAIT leftovers, never exhaust one address's
//! ephemeral ports), with small buffers, opened many at a time with retries, and read until
//! told to stop.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::AUTHORIZATION;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

use crate::servers::Server;

pub type Socket = WebSocketStream<TcpStream>;

/// Handshakes in flight at once while opening many connections.
pub const OPEN_CONCURRENCY: usize = 256;
const ATTEMPTS: u32 = 8;
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

/// Wall-clock microseconds since the epoch: the clock `reported_at` is written in.
pub fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}

/// How to open one connection.
#[derive(Debug, Clone)]
pub struct Dial {
    pub addr: SocketAddr,
    /// SO_RCVBUF before connecting, for clients that should fill up quickly.
    pub recv_buffer: Option<u32>,
    /// The session sent as a bearer token on the upgrade (Floorboard's; the hubs take none).
    pub token: Option<Arc<str>>,
}

impl Dial {
    pub fn to(server: &Server) -> Dial {
        Dial { addr: server.addr, recv_buffer: None, token: server.token.clone() }
    }

    /// Opens connection number `index` to `/ws`, retrying refusals and timeouts with back-off.
    pub async fn open(&self, index: usize) -> anyhow::Result<Socket> {
        self.open_at(index, "/ws").await
    }

    /// Opens connection number `index` to `path` (with its query), as `open` does.
    pub async fn open_at(&self, index: usize, path: &str) -> anyhow::Result<Socket> {
        let mut delay = Duration::from_millis(50);
        let mut attempt = 1;
        loop {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, self.open_once(index, path)).await {
                Ok(Ok(socket)) => return Ok(socket),
                Ok(Err(e)) if attempt >= ATTEMPTS => return Err(e),
                Err(_) if attempt >= ATTEMPTS => anyhow::bail!("websocket handshake timed out {ATTEMPTS} times"),
                _ => {}
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
            attempt += 1;
        }
    }

    async fn open_once(&self, index: usize, path: &str) -> anyhow::Result<Socket> {
        let socket = TcpSocket::new_v4()?;
        if let Some(bytes) = self.recv_buffer {
            socket.set_recv_buffer_size(bytes)?;
        }
        socket.bind(SocketAddr::new(source_address(index).into(), 0))?;
        let stream = socket.connect(self.addr).await.with_context(|| format!("connect to {}", self.addr))?;
        stream.set_nodelay(true)?;
        let mut request = IntoClientRequest::into_client_request(format!("ws://{}{path}", self.addr))?;
        if let Some(token) = &self.token {
            request.headers_mut().insert(AUTHORIZATION, format!("Bearer {token}").parse()?);
        }
        let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(client_config())).await?;
        Ok(ws)
    }
}

/// 127.1.0.1 and up: one loopback source address per connection, 62,500 before repeating.
fn source_address(index: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 1, (index / 250 % 250) as u8, (index % 250 + 1) as u8)
}

/// A lean client: a 4 KiB read buffer. Writes wait in tungstenite's write buffer for the
/// flush every client makes (`send` flushes; a tablet feeds the reports it has ready, then
/// flushes once), so reports sent together leave in one system call. With the buffer at 0
/// each frame was a `sendto` of its own: in S4 one per report, 62 % of the generator's CPU,
/// on the two cores it shares with the server it measures.
fn client_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4 * 1024)
}

/// Runs `open(i)` for `0..n`, `OPEN_CONCURRENCY` at a time; the results in completion order.
/// Each runs as a task of its own, so the dialer's handshakes and first reads use every core
/// (on one task, the dialer rather than the server would set the pace of a storm).
pub async fn open_many<T, F, Fut>(n: usize, open: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>> + Send + 'static,
    T: Send + 'static,
{
    futures_util::stream::iter(0..n)
        .map(|i| {
            let task = tokio::spawn(open(i));
            async move { task.await? }
        })
        .buffer_unordered(OPEN_CONCURRENCY)
        .try_collect()
        .await
}

/// Reads text frames into `on_text(text, received_at_micros)` until `stop` fires or the
/// connection ends; answers pings on the way. Returns the socket, if still open.
pub async fn read_until(mut ws: Socket, stop: CancellationToken, mut on_text: impl FnMut(&str, i64)) -> Option<Socket> {
    loop {
        let frame = tokio::select! {
            _ = stop.cancelled() => return Some(ws),
            frame = ws.next() => frame,
        };
        match frame {
            Some(Ok(Message::Text(text))) => on_text(text.as_str(), now_micros()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}
