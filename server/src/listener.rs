//! The listening socket, with an accept queue deep enough for a reconnect storm.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpSocket};

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
