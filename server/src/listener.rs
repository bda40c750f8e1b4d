//! The listening socket, with an accept queue deep enough for a reconnect storm, and what
//! it accepts: TCP connections, or TLS sessions when the server speaks TLS itself.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_util::either::Either;

/// Connections the kernel may hold ready for the accept loop (capped by the kernel at
/// `net.core.somaxconn`). The usual default of 128 overflows when a restart or a network
/// blip sends every board back at once: a dialer whose SYN is dropped waits a whole SYN
/// retransmission (one second) before trying again, which alone made ten thousand
/// reconnecting boards take a second instead of a third of one.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listens on `addr` with `LISTEN_BACKLOG`.
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    // A restarted server must not wait out the old one's TIME_WAIT sockets.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// An accepted connection: plain TCP, or a TLS session over it.
pub type Conn = Either<TcpStream, TlsStream<TcpStream>>;

/// The TCP socket under a connection.
pub fn tcp_of(conn: &Conn) -> &TcpStream {
    match conn {
        Either::Left(tcp) => tcp,
        Either::Right(tls) => tls.get_ref().0,
    }
}

/// TLS handshakes in progress at most; past that, accepting waits for one to finish.
const MAX_HANDSHAKES: usize = 1024;
/// A client that has not finished its TLS handshake in this long is dropped (a stalled or
/// hostile peer must not hold a handshake slot).
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server accepts connections from: the listener and, under TLS, the handshakes
/// under way. Handshakes run side by side, so a slow client never holds up the next one.
pub struct Incoming {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    handshakes: FuturesUnordered<BoxFuture<'static, Option<(Conn, SocketAddr)>>>,
}

impl Incoming {
    pub fn new(tcp: TcpListener, tls: Option<std::sync::Arc<rustls::ServerConfig>>) -> Incoming {
        Incoming { tcp, tls: tls.map(TlsAcceptor::from), handshakes: FuturesUnordered::new() }
    }
}

impl axum::serve::Listener for Incoming {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            let room = self.handshakes.len() < MAX_HANDSHAKES;
            tokio::select! {
                // axum's accept: connection errors skipped, others (out of files) waited out.
                (tcp, peer) = axum::serve::Listener::accept(&mut self.tcp), if room => {
                    let Some(acceptor) = &self.tls else { return (Either::Left(tcp), peer) };
                    let acceptor = acceptor.clone();
                    self.handshakes.push(Box::pin(async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                            Ok(Ok(tls)) => Some((Either::Right(tls), peer)),
                            Ok(Err(e)) => {
                                tracing::debug!(error = %e, "TLS handshake failed");
                                None
                            }
                            Err(_) => {
                                tracing::debug!("TLS handshake timed out");
                                None
                            }
                        }
                    }));
                }
                Some(done) = self.handshakes.next() => {
                    if let Some(accepted) = done {
                        return accepted;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// More connections than the old default backlog complete their handshake while
    /// nobody accepts: the kernel queues them instead of dropping their SYNs.
    #[tokio::test]
    async fn a_burst_of_connections_waits_in_the_accept_queue() {
        let listener = listen("127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = listener.local_addr().unwrap();
        let connects = (0..600).map(|_| tokio::net::TcpStream::connect(addr));
        // Bounded only so a regression fails instead of hanging: dropped SYNs never
        // complete while nothing accepts.
        let all = futures_util::future::try_join_all(connects);
        let streams = tokio::time::timeout(std::time::Duration::from_secs(60), all).await.expect("queued").unwrap();
        assert_eq!(streams.len(), 600);
        for _ in 0..600 {
            listener.accept().await.unwrap();
        }
    }
}
