//! Size limits on the WebSocket port: tungstenite's message and frame caps, and a byte budget before sign-in.
//!
//! tungstenite buffers a whole frame (up to 64 MiB by default) before anyone sees a byte of it. The
//! broker's packet limit caps frames and messages for the life of the connection, but a client that has
//! not yet signed in should get no further than a CONNECT's worth. async-tungstenite 0.25 cannot change a
//! stream's config once it is made (`WebSocketStream` has no `set_config`, and `WsStream` hides the
//! stream), so the socket *under* the WebSocket carries a byte budget instead: until the front door has
//! read and accepted the client's CONNECT, at most [`PRE_SIGN_IN_BUDGET`] bytes are read from it at all,
//! so no frame can be buffered past that, whatever its header claims.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use async_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Room for a packet's fixed header and the WebSocket framing around a broker-sized payload.
const HEADER_ROOM: usize = 64 * 1024;
/// Room for the HTTP upgrade request and the WebSocket framing around the CONNECT.
const HANDSHAKE_ROOM: usize = 64 * 1024;
/// Largest single read before sign-in.
const PRE_SIGN_IN_CHUNK: usize = 4096;

/// What a client may send before its CONNECT has been read and accepted: one CONNECT and a handshake.
pub const PRE_SIGN_IN_BUDGET: usize = super::front_door::MAX_CONNECT_LEN + HANDSHAKE_ROOM;

/// tungstenite's limits for one connection: no frame or message larger than a broker packet.
pub fn websocket_config(max_packet_bytes: usize) -> WebSocketConfig {
    let limit = max_packet_bytes + HEADER_ROOM;
    WebSocketConfig {
        max_message_size: Some(limit),
        max_frame_size: Some(limit),
        ..WebSocketConfig::default()
    }
}

/// Shared between the gated socket and the front door that signs the client in.
#[derive(Debug, Default)]
pub struct SignInGate {
    signed_in: AtomicBool,
    tripped: AtomicBool,
    read_so_far: AtomicUsize,
}

impl SignInGate {
    /// The client's CONNECT was read and accepted: from now on only tungstenite's limits apply.
    pub fn open(&self) {
        self.signed_in.store(true, Ordering::Relaxed);
    }

    /// True when the client sent more than [`PRE_SIGN_IN_BUDGET`] before signing in.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }

    /// The words for Activity when the gate closed a connection.
    pub fn describe_trip() -> String {
        format!(
            "sent more than {} KiB over WebSocket before its CONNECT was accepted; closed before reading more",
            PRE_SIGN_IN_BUDGET / 1024
        )
    }
}

/// A socket that refuses to read past the budget until its gate is opened.
pub struct GatedStream<S> {
    inner: S,
    gate: Arc<SignInGate>,
}

impl<S> GatedStream<S> {
    pub fn new(inner: S, gate: Arc<SignInGate>) -> Self {
        Self { inner, gate }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for GatedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.gate.signed_in.load(Ordering::Relaxed) {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        }
        let used = self.gate.read_so_far.load(Ordering::Relaxed);
        let left = PRE_SIGN_IN_BUDGET.saturating_sub(used);
        if left == 0 {
            self.gate.tripped.store(true, Ordering::Relaxed);
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                SignInGate::describe_trip(),
            )));
        }
        // Read into a window no larger than what is left, so the budget is never overshot. Copying
        // through a small buffer costs nothing that matters: it happens only before sign-in.
        let window = left.min(buf.remaining()).min(PRE_SIGN_IN_CHUNK);
        let mut scratch = [0u8; PRE_SIGN_IN_CHUNK];
        let mut limited = ReadBuf::new(scratch.get_mut(..window).unwrap_or_default());
        let result = Pin::new(&mut self.inner).poll_read(cx, &mut limited);
        if let Poll::Ready(Ok(())) = &result {
            let filled = limited.filled();
            buf.put_slice(filled);
            self.gate
                .read_so_far
                .fetch_add(filled.len(), Ordering::Relaxed);
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for GatedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
