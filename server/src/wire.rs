//! A websocket's socket, shared by its connection task and the board fan-out.
//!
//! Board updates are written straight to each board's socket from one loop per fan-out
//! shard, not by waking a task per board: a tick to ten thousand boards is ten thousand
//! non-blocking writes of the same bytes, framed once. Everything written to a socket, by
//! the fan-out, by its connection task or by tungstenite (pongs, close), goes through the
//! socket's [`Wire`]: one lock orders whole frames, bytes the kernel does not take yet wait
//! in a bounded queue, and the connection task (woken through [`Wire::attention`]) drains it
//! when the socket is writable again.
//!
//! Under TLS in the process the socket's rustls session lives under the same lock: a frame is
//! sealed for its socket as it is written or queued (a board frame is still serialised and
//! framed once; only the encryption is per socket, as it must be), and reads are opened there.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Read, Write};
use std::ops::Range;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use rustls::ServerConnection;
use serde::Serialize;
use smallvec::SmallVec;
use socket2::SockRef;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

use crate::fanout::Boards;
use crate::sync::Unpoisoned;

/// Bytes a socket may have waiting before the fan-out stops adding to them (the board is
/// then resynced with a snapshot once it drains), and before tungstenite's writes wait.
pub const QUEUE_LIMIT: usize = 256 * 1024;

/// A server-to-client text message, serialised and framed once, shared by every recipient.
#[derive(Clone, Debug)]
pub struct TextFrame {
    bytes: Bytes,
    header: usize,
}

/// Room for the longest header of an unmasked frame.
const HEADER_ROOM: usize = 10;

impl TextFrame {
    /// The message as one text frame. A message that does not serialise (validation keeps
    /// out every value that would not) becomes an `internal` error for its client, logged
    /// once here: never a panic on the path of every other subscriber.
    pub fn json(msg: &impl Serialize) -> TextFrame {
        let mut buf = vec![0; HEADER_ROOM];
        if let Err(e) = serde_json::to_writer(&mut buf, msg) {
            tracing::error!(error = %e, "a server message did not serialise; sent an internal error instead");
            buf.truncate(HEADER_ROOM);
            buf.extend_from_slice(br#"{"type":"error","code":"internal","message":"internal error"}"#);
        }
        let len = (buf.len() - HEADER_ROOM) as u64;
        let header = FrameHeader { opcode: OpCode::Data(Data::Text), ..FrameHeader::default() };
        let size = header.len(len);
        let start = HEADER_ROOM.saturating_sub(size);
        #[allow(clippy::expect_used, clippy::indexing_slicing, reason = "an unmasked header is at most 10 bytes")]
        header.format(len, &mut &mut buf[start..HEADER_ROOM]).expect("the header fits its room");
        TextFrame { bytes: Bytes::from(buf).slice(start..), header: size }
    }

    /// The whole frame, header included.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The message text.
    pub fn text(&self) -> &str {
        std::str::from_utf8(self.bytes.get(self.header..).unwrap_or_default()).unwrap_or_default()
    }
}

/// One socket, what waits to be written to it, and what the board fan-out sent it.
#[derive(Debug)]
pub struct Wire {
    stream: TcpStream,
    /// Whether `state.tls` holds a session (fixed at the upgrade; read without the lock).
    tls: bool,
    state: Mutex<State>,
    attention: Notify,
}

/// What a socket's lock guards: its write queue, and the board fan-out's record of what it
/// sent this socket (`fanout`). One lock and one place in memory: a tick to thousands of
/// boards takes one lock per board and reads both from the same cache lines (each line
/// missed is a cache miss per board, at that count).
#[derive(Debug, Default)]
struct State {
    queue: Queue,
    boards: Boards,
    /// The TLS session, when the server speaks TLS itself: what is queued is sealed.
    tls: Option<Box<ServerConnection>>,
}

#[derive(Debug, Default)]
struct Queue {
    chunks: VecDeque<Bytes>,
    len: usize,
    /// Writes wait in the queue until the next drain (see [`Wire::cork`]).
    corked: bool,
}

/// A socket, locked: whole frames are written or queued through it, in order, and the board
/// fan-out's record of the socket is read and changed under the same lock.
pub struct Locked<'a> {
    wire: &'a Wire,
    state: MutexGuard<'a, State>,
}

/// The most chunks one drain hands the kernel in one `writev`.
const DRAIN_SLICES: usize = 64;

impl Wire {
    /// The wire of a socket, and of its TLS session when the server speaks TLS itself (the
    /// handshake done, and whatever the session has already opened still in it).
    pub fn new(stream: TcpStream, tls: Option<ServerConnection>) -> Arc<Wire> {
        let tls = tls.map(|mut session| {
            // Every write is sealed and taken out of the session at once (`seal`), so its
            // buffer never holds more than one frame: no limit, and never a short write.
            session.set_buffer_limit(None);
            Box::new(session)
        });
        let is_tls = tls.is_some();
        let state = State { tls, ..State::default() };
        Arc::new(Wire { stream, tls: is_tls, state: Mutex::new(state), attention: Notify::new() })
    }

    /// Locks the socket: for several writes in a row, or the board fan-out's record with them.
    pub fn lock(&self) -> Locked<'_> {
        Locked { wire: self, state: self.state.lock_unpoisoned() }
    }

    /// Writes or queues `bytes` whatever the queue holds; the caller then drains it.
    pub fn push(&self, bytes: &Bytes) {
        self.lock().push(bytes);
    }

    /// Holds what is written from now until the caller's next drain, which sends it in one
    /// `writev`: a connection's first messages (`welcome`, and the answer to a board
    /// subscribed with the upgrade) cost one system call on each side instead of one each.
    pub fn cork(&self) {
        self.lock().state.queue.corked = true;
    }

    fn write_or_queue(&self, queue: &mut Queue, bytes: &Bytes) {
        let mut written = 0;
        if queue.chunks.is_empty() && !queue.corked {
            // A plain non-blocking send(2), not tokio's `try_write`: that first reads the
            // socket's readiness in the runtime's registration, one more cache miss per board
            // per tick, and the kernel's answer is what counts. A full socket is then still
            // "writable" to tokio until the drain's own `try_write` finds it full, clears that
            // and waits for the edge, which comes as the peer reads.
            // A failed socket is noticed by the connection task's next read or drain.
            let socket = SockRef::from(&self.stream);
            while written < bytes.len() {
                match socket.send(bytes.get(written..).unwrap_or_default()) {
                    Ok(n) => written += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        if written < bytes.len() {
            let was_empty = queue.chunks.is_empty();
            queue.len += bytes.len() - written;
            queue.chunks.push_back(bytes.slice(written..));
            // A corked wire is drained by the task that corked it.
            if was_empty && !queue.corked {
                self.attention.notify_one();
            }
        }
    }

    /// Bytes waiting to be written.
    pub fn queued(&self) -> usize {
        self.lock().state.queue.len
    }

    /// Resolves when the queue needs draining or a writer asked for the connection task.
    pub fn attention(&self) -> &Notify {
        &self.attention
    }

    /// Writes what is queued until the queue is empty, as many chunks at a time as one
    /// `writev` takes; uncorks the wire.
    pub fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            {
                let mut locked = self.lock();
                let queue = &mut locked.state.queue;
                queue.corked = false;
                while !queue.chunks.is_empty() {
                    let written = {
                        let slices: SmallVec<[IoSlice<'_>; DRAIN_SLICES]> =
                            queue.chunks.iter().take(DRAIN_SLICES).map(|c| IoSlice::new(c)).collect();
                        self.stream.try_write_vectored(&slices)
                    };
                    match written {
                        Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                        Ok(n) => queue.consume(n),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
                if queue.chunks.is_empty() {
                    return Poll::Ready(Ok(()));
                }
            }
            ready!(self.stream.poll_write_ready(cx))?;
        }
    }

    pub async fn drain(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_drain(cx)).await
    }

    /// Wakes the connection task (a writer left it something to do).
    pub fn call(&self) {
        self.attention.notify_one();
    }
}

impl Locked<'_> {
    /// Writes `bytes` now if the socket takes them, queues what it does not, and refuses
    /// (false, nothing written) when the queue is already at its limit. Never waits.
    pub fn offer(&mut self, bytes: &Bytes) -> bool {
        if self.state.queue.len + bytes.len() > QUEUE_LIMIT {
            return false;
        }
        self.push(bytes);
        true
    }

    /// Writes or queues `bytes` whatever the queue holds; the caller then drains it.
    pub fn push(&mut self, bytes: &Bytes) {
        let state = &mut *self.state;
        match state.tls.as_deref_mut() {
            None => self.wire.write_or_queue(&mut state.queue, bytes),
            Some(session) => {
                // Cannot fail: the session's buffer has no limit. After a close_notify
                // nothing more is sent, which is what a closing connection wants.
                let _ = session.writer().write_all(bytes);
                self.wire.write_or_queue(&mut state.queue, &sealed(session));
            }
        }
    }

    /// Queues the TLS session's close_notify (nothing under plain TCP).
    fn close_tls(&mut self) {
        let state = &mut *self.state;
        if let Some(session) = state.tls.as_deref_mut() {
            session.send_close_notify();
            self.wire.write_or_queue(&mut state.queue, &sealed(session));
        }
    }

    /// The board fan-out's record of what it sent this socket.
    pub(crate) fn boards(&mut self) -> &mut Boards {
        &mut self.state.boards
    }
}

/// The records the TLS session has ready to send, taken out of it.
fn sealed(session: &mut ServerConnection) -> Bytes {
    let mut records = Vec::new();
    // Writing into a `Vec` does not fail.
    while session.wants_write() && session.write_tls(&mut records).is_ok_and(|n| n > 0) {}
    Bytes::from(records)
}

/// The socket as a blocking reader that does not block: what rustls reads records from.
struct Nonblocking<'a>(&'a TcpStream);

impl Read for Nonblocking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Queue {
    /// Drops the first `n` bytes, which the kernel took.
    fn consume(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            // The kernel takes no more than was queued.
            let Some(front) = self.chunks.front_mut() else { return };
            if n < front.len() {
                let _ = front.split_to(n);
                return;
            }
            n -= front.len();
            self.chunks.pop_front();
        }
    }
}

/// How much a busy connection reads at a time (see [`WireIo`]).
const READ_AHEAD: usize = 16 * 1024;
/// A read this large that fills tungstenite's request marks the connection busy. (Its
/// request varies: as little as a frame header's 14 bytes, which a quiet one fills too.)
const BUSY_READ: usize = 256;

/// The socket as tungstenite's stream: reads go to the socket, writes through the queue.
///
/// Tungstenite reads into a small buffer (512 bytes: an idle board's memory is mostly
/// buffers), one `recv` per frame or so. A connection whose read fills that buffer is busy (a
/// tablet with reports in flight), and from then on reads ahead in 16 KiB chunks, one `recv`
/// per few dozen frames, until a read no longer needs the room; then the chunk is freed.
pub struct WireIo {
    wire: Arc<Wire>,
    /// Empty unless the connection is busy.
    ahead: Vec<u8>,
    /// What of `ahead` was read but not yet handed to tungstenite.
    unread: Range<usize>,
}

impl WireIo {
    pub fn new(wire: Arc<Wire>) -> WireIo {
        WireIo { wire, ahead: Vec::new(), unread: 0..0 }
    }
}

impl AsyncRead for WireIo {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.wire.tls {
            return this.poll_read_tls(cx, buf);
        }
        let stream = &this.wire.stream;
        loop {
            if !this.unread.is_empty() {
                let n = this.unread.len().min(buf.remaining());
                buf.put_slice(this.ahead.get(this.unread.start..this.unread.start + n).unwrap_or_default());
                this.unread.start += n;
                return Poll::Ready(Ok(()));
            }
            ready!(stream.poll_read_ready(cx))?;
            let wanted = buf.remaining();
            if this.ahead.is_empty() {
                match stream.try_read(buf.initialize_unfilled()) {
                    Ok(n) => {
                        buf.advance(n);
                        if n == wanted && n >= BUSY_READ {
                            this.ahead = vec![0; READ_AHEAD];
                        }
                        return Poll::Ready(Ok(()));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
            } else {
                match stream.try_read(&mut this.ahead) {
                    // Quiet again (or at its end): handed over whole, and the chunk let go.
                    Ok(n) if n <= wanted => {
                        buf.put_slice(this.ahead.get(..n).unwrap_or_default());
                        this.ahead = Vec::new();
                        return Poll::Ready(Ok(()));
                    }
                    Ok(n) => this.unread = 0..n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        }
    }
}

impl WireIo {
    /// Reads what the TLS session opens, reading records from the socket as it needs them.
    /// Records it has to answer (alerts, key updates) are queued like any write.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let wire = &self.wire;
        loop {
            {
                let mut locked = wire.lock();
                let state = &mut *locked.state;
                let Some(session) = state.tls.as_deref_mut() else {
                    return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
                };
                match session.reader().read(buf.initialize_unfilled()) {
                    // Zero: the peer's close_notify, the end of the stream.
                    Ok(n) => {
                        buf.advance(n);
                        return Poll::Ready(Ok(()));
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
                match session.read_tls(&mut Nonblocking(&wire.stream)) {
                    // The socket ended without a close_notify: the end of the stream too.
                    Ok(0) => return Poll::Ready(Ok(())),
                    Ok(_) => {
                        let opened = session.process_new_packets();
                        if session.wants_write() {
                            wire.write_or_queue(&mut state.queue, &sealed(session));
                        }
                        if let Err(e) = opened {
                            return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, e)));
                        }
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            ready!(wire.stream.poll_read_ready(cx))?;
        }
    }
}

impl AsyncWrite for WireIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // Whole buffers only, so a frame is never split by another writer's frame.
        if self.wire.queued() >= QUEUE_LIMIT {
            ready!(self.wire.poll_drain(cx))?;
        }
        self.wire.push(&Bytes::copy_from_slice(buf));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.wire.poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The socket closes when the last owner drops it; a TLS session says so first.
        if self.wire.tls {
            self.wire.lock().close_tls();
        }
        self.wire.poll_drain(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    #[test]
    fn a_text_frame_is_the_json_behind_an_unmasked_header() {
        for size in [3, 200, 70_000] {
            let text = "x".repeat(size);
            let frame = TextFrame::json(&text);
            let bytes = frame.bytes();
            assert_eq!(bytes[0], 0x81, "final text frame");
            let (len, header) = match bytes[1] {
                126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
                127 => (u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize, 10),
                n => (n as usize, 2),
            };
            assert_eq!(len, size + 2, "a JSON string: the text and two quotes");
            assert_eq!(bytes.len(), header + len);
            assert_eq!(frame.text(), format!("\"{text}\""));
        }
    }

    async fn pair() -> (Arc<Wire>, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (Wire::new(server, None), client)
    }

    #[tokio::test]
    async fn a_busy_connection_reads_ahead_in_order_and_lets_the_chunk_go_when_quiet() {
        let (wire, mut client) = pair().await;
        let mut io = WireIo::new(wire);
        let sent: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let writer = {
            let sent = sent.clone();
            tokio::spawn(async move {
                client.write_all(&sent).await.unwrap();
                client
            })
        };
        let (mut received, mut read_ahead) = (Vec::new(), false);
        let mut small = [0u8; 512];
        while received.len() < sent.len() {
            let n = io.read(&mut small).await.unwrap();
            assert!(n > 0, "the stream ended early");
            received.extend_from_slice(&small[..n]);
            read_ahead |= !io.unread.is_empty();
        }
        assert_eq!(received, sent, "every byte, in order");
        assert!(read_ahead, "a connection that keeps its reads full reads ahead of them");

        let mut client = writer.await.unwrap();
        client.write_all(b"ping").await.unwrap();
        let n = io.read(&mut small).await.unwrap();
        assert_eq!(&small[..n], b"ping");
        assert!(io.ahead.is_empty(), "the chunk is let go once a read no longer fills it");
    }

    #[tokio::test]
    async fn a_small_read_that_fills_its_request_does_not_read_ahead() {
        let (wire, mut client) = pair().await;
        let mut io = WireIo::new(wire);
        client.write_all(&[1u8; 100]).await.unwrap();
        // Tungstenite waiting for a frame header asks for a few bytes, whatever is waiting.
        let mut header = [0u8; 14];
        io.read_exact(&mut header).await.unwrap();
        assert!(io.ahead.is_empty(), "a quiet connection holds no read-ahead chunk");
    }

    #[test]
    fn what_one_writev_took_is_consumed_across_chunks() {
        let mut queue = Queue::default();
        for chunk in ["abc", "de", "fgh"] {
            queue.len += chunk.len();
            queue.chunks.push_back(Bytes::from_static(chunk.as_bytes()));
        }
        queue.consume(6);
        assert_eq!(queue.len, 2);
        assert_eq!(queue.chunks, [Bytes::from_static(b"gh")]);
        queue.consume(2);
        assert!(queue.chunks.is_empty());
    }

    #[tokio::test]
    async fn a_corked_wire_holds_its_writes_for_the_next_drain_then_writes_straight_out() {
        let (wire, mut client) = pair().await;
        wire.cork();
        wire.push(&Bytes::from_static(b"welcome;"));
        wire.push(&Bytes::from_static(b"resumed;"));
        assert_eq!(wire.queued(), 16, "nothing written while corked");

        wire.drain().await.unwrap();
        assert_eq!(wire.queued(), 0);
        wire.push(&Bytes::from_static(b"update"));
        assert_eq!(wire.queued(), 0, "the drain uncorked the wire");
        let mut received = [0u8; 22];
        client.read_exact(&mut received).await.unwrap();
        assert_eq!(&received, b"welcome;resumed;update");
    }

    #[tokio::test]
    async fn what_the_socket_cannot_take_waits_in_order_and_the_queue_is_bounded() {
        let (wire, mut client) = pair().await;
        let chunk = Bytes::from(vec![7u8; 64 * 1024]);
        // Nobody reads: the kernel's buffers fill, then the queue, then offers are refused.
        let mut offered = 0usize;
        while wire.lock().offer(&chunk) {
            offered += chunk.len();
            assert!(offered < 64 * 1024 * 1024, "the queue never filled");
        }
        assert!(wire.queued() > 0);
        let marker = Bytes::from_static(b"end");
        wire.push(&marker);

        let reader = tokio::spawn(async move {
            let mut received = vec![0u8; offered + marker.len()];
            client.read_exact(&mut received).await.unwrap();
            received
        });
        wire.drain().await.unwrap();
        assert_eq!(wire.queued(), 0);
        let received = reader.await.unwrap();
        assert!(received[..offered].iter().all(|&b| b == 7), "every offered byte, in order");
        assert_eq!(&received[offered..], b"end");
    }
}
