//! One client's MQTT session served straight on the router: the client's packets are decoded with
//! rumqttd's codec and handed to a local link, and what the router sends back is encoded and
//! written to the client; no second connection, no internal listener.
//!
//! This does what rumqttd's own `RemoteLink` does for its listeners (that type is not public), plus
//! what the front door watches on the way: the trace, the client's counters, keep-alive, a client
//! that stops reading, and the end of the session, which the front door tells the router itself
//! (a DISCONNECT on the link) so the router never keeps a session of a connection that is gone.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::BytesMut;
use rumqttd::Notification;
use rumqttd::local::{LinkRx, LinkTx};
use rumqttd::protocol::{
    ConnectReturnCode, Disconnect, DisconnectReasonCode, Error as CodecError, Packet, Protocol,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::broker::MAX_PACKET_BYTES;
use super::client_handover::Superseded;
use super::clients::ClientEntry;
use super::events::Event;
use super::front_door::{FrontDoor, MAX_CONNECT_LEN};
use super::interruption::{Interruption, interruption};
use super::keep_alive::Silence;
use super::known_filters::ConnectionFilters;
use super::mqtt_wire::{FrameCounter, ProtocolVersion};
use super::router_link::{LinkRequest, Will};
use super::trace::Leg;

/// A client that accepts no bytes for this long is disconnected.
const STALLED_CLIENT: Duration = Duration::from_secs(60);
/// What the read buffer starts at and shrinks back to between bursts.
const READ_START: usize = 512;
/// The most one read takes in (one read of a flat-out publisher's stream).
const READ_MAX: usize = 16 * 1024;
/// Notifications written to the client per turn, so reading the client is never put off for long.
const NOTIFICATIONS_PER_TURN: usize = 4096;
/// Packets in one read that make a burst: the room for them is kept for the next read.
const BURST: usize = 32;
/// A write buffer grown past this by a burst is given back afterwards.
const WRITE_KEEP: usize = 64 * 1024;

/// How a session ended.
pub enum SessionEnd {
    ClientClosed {
        clean: bool,
    },
    /// The router ended the session (it refused or dropped the link).
    BrokerClosed,
    BrokerStopping,
    /// The client sent nothing for 1.5 × its keep-alive: lost, as MQTT says.
    KeepAliveExpired,
    /// A newer connection with the same client id asked this one to close.
    TakenOver,
    Refused(String),
    /// The client asked for more than the broker's limits allow (the reason says which).
    OverLimit(String),
    ProtocolError {
        from_client: bool,
        reason: String,
    },
}

/// What woke a session up.
enum Turn {
    Read(std::io::Result<usize>),
    /// Nothing from the client for 1.5 × its keep-alive.
    Silent,
    /// Boxed: a notification is 248 bytes, and the enum is part of every session's task.
    Router(Box<Result<Option<Notification>, rumqttd::local::LinkError>>),
    Interrupted(Interruption),
}

impl From<Interruption> for SessionEnd {
    fn from(interruption: Interruption) -> Self {
        match interruption {
            Interruption::BrokerStopping => SessionEnd::BrokerStopping,
            Interruption::TakenOver => SessionEnd::TakenOver,
        }
    }
}

/// One client connection after its CONNECT was read and checked.
pub struct Session<'a, R, W, P> {
    pub client_rd: &'a mut R,
    pub client_wr: &'a mut W,
    pub protocol: P,
    pub version: ProtocolVersion,
    /// The CONNECT the router is to see (escaped client id, see client_id.rs) and anything the
    /// client sent right behind it.
    pub connect_bytes: Vec<u8>,
    /// Checks and counts what the client sends; already fed `connect_bytes`.
    pub counter: FrameCounter,
    pub trace_in: Leg,
    pub trace_out: Leg,
    pub entry: &'a ClientEntry,
    pub door: &'a FrontDoor,
    /// Tells the session a newer connection took its client id over (none without an id).
    pub superseded: Option<Superseded>,
}

impl<R, W, P> Session<'_, R, W, P>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
    P: Protocol,
{
    /// Serves the session until it ends, and tells the router it ended.
    pub async fn run(mut self) -> SessionEnd {
        let end = self.serve().await;
        // A packet cut short by the end is recorded for what it was.
        self.trace_in.finish();
        self.trace_out.finish();
        end
    }

    async fn serve(&mut self) -> SessionEnd {
        let mut inbox = BytesMut::from(self.connect_bytes.as_slice());
        self.connect_bytes = Vec::new();
        let mut outbox = BytesMut::new();
        let interrupted = interruption(self.door.stopping.clone(), self.superseded.take());
        tokio::pin!(interrupted);
        // The CONNECT's handling has a future of its own, on the heap only while it runs: what it
        // needs (the decoded CONNECT, the CONNACK) would otherwise size every connection's task for
        // as long as the connection lasts (the task is as large as its largest state).
        let Opened {
            mut link,
            mut link_rx,
            keep_alive,
            will,
            router_id,
            connack_written,
        } = match Box::pin(self.open(&mut inbox, &mut outbox, interrupted.as_mut())).await {
            Ok(opened) => opened,
            Err(end) => return end,
        };
        // Polled at every turn of the session's `select!`; a read only notes the time (keep_alive.rs).
        let mut silence = Silence::new(keep_alive.unwrap_or_default());
        // An MQTT 5 client that leaves with a reason other than 0x00 still has its will published.
        let mut will_asked_for = false;
        let door = self.door;
        let mut partly_sent = door.partial_packets.share();
        let mut held_filters = ConnectionFilters::default();
        let end = if let Err(end) = connack_written {
            end
        } else {
            // Kept from turn to turn while a client sends many packets per read: grown anew each
            // time, a flood's batch of hundreds of packets (each about 400 bytes) was copied over
            // and over as it grew.
            let mut batch = Vec::new();
            loop {
                match self.decode(&mut inbox, &mut batch) {
                    Ok(()) if batch.is_empty() => {}
                    Ok(()) => {
                        let disconnect = match batch.last() {
                            Some(Packet::Disconnect(disconnect, _)) => Some(disconnect.reason_code),
                            _ => None,
                        };
                        // MQTT 5 deletes the will only for reason 0x00 (normal disconnection): a
                        // client that leaves with any other reason (0x04 asks for it outright,
                        // 0x80 and up report an error) still gets it published.
                        will_asked_for |= disconnect.is_some_and(|reason| {
                            reason != DisconnectReasonCode::NormalDisconnection
                        });
                        if let Err(reason) = self.admit_filters(&batch, &mut held_filters) {
                            break SessionEnd::OverLimit(reason);
                        }
                        let packets = batch.len();
                        if link.forward(&mut batch).await.is_err() {
                            link.ended = true;
                            break SessionEnd::BrokerClosed;
                        }
                        if disconnect.is_some() {
                            link.ended = true;
                            break SessionEnd::ClientClosed { clean: true };
                        }
                        if (packets < BURST || batch.capacity() > 2 * packets)
                            && batch.capacity() > 1
                        {
                            // A quiet client holds no room for a burst it sent once, only for one
                            // packet: a client that sends one packet a read (most do) then allocates
                            // nothing per message, where an emptied list allocated room for four.
                            batch = Vec::with_capacity(1);
                        }
                    }
                    Err(reason) => {
                        break SessionEnd::ProtocolError {
                            from_client: true,
                            reason,
                        };
                    }
                }
                give_back_large_buffer(&mut inbox);
                partly_sent.holding(inbox.capacity());
                let turn = tokio::select! {
                    read = read_some(self.client_rd, &mut inbox) => Turn::Read(read),
                    _ = &mut silence, if keep_alive.is_some() => Turn::Silent,
                    notification = link_rx.next() => Turn::Router(Box::new(notification)),
                    interruption = &mut interrupted => Turn::Interrupted(interruption),
                };
                match turn {
                    Turn::Router(notification) => match *notification {
                        Ok(Some(first)) => {
                            if let Err(end) = self
                                .deliver(&mut outbox, &mut link_rx, first, interrupted.as_mut())
                                .await
                            {
                                // A DISCONNECT from the router: it has already dropped the session.
                                link.ended |= matches!(end, SessionEnd::BrokerClosed);
                                break end;
                            }
                        }
                        Ok(None) => {}
                        // The router dropped the link (another connection took the id there, or it
                        // found the client's packets at fault).
                        Err(_) => {
                            link.ended = true;
                            break SessionEnd::BrokerClosed;
                        }
                    },
                    Turn::Read(Ok(0) | Err(_)) => break SessionEnd::ClientClosed { clean: false },
                    Turn::Silent => break SessionEnd::KeepAliveExpired,
                    Turn::Read(Ok(n)) => {
                        if keep_alive.is_some() {
                            silence.heard();
                        }
                        let start = inbox.len().saturating_sub(n);
                        if let Err(reason) = self.count_in(inbox.get(start..).unwrap_or_default()) {
                            break SessionEnd::ProtocolError {
                                from_client: true,
                                reason,
                            };
                        }
                        // What a packet not complete yet holds counts against the shared budget:
                        // the buffer's size, which is what it keeps from being freed.
                        if !partly_sent.holding(inbox.capacity()) {
                            break SessionEnd::OverLimit(format!(
                                "it was sending a large packet while other clients' unfinished packets already held the broker's {} MiB for them; send it again later",
                                super::partial_packets::SHARED_BUDGET / (1024 * 1024)
                            ));
                        }
                    }
                    Turn::Interrupted(interruption) => break interruption.into(),
                }
            }
        };
        // The router hears of the end before the id is handed on to a newer connection.
        link.end().await;
        let will_goes = match end {
            SessionEnd::ClientClosed { clean: true } => will_asked_for,
            SessionEnd::BrokerStopping | SessionEnd::Refused(_) => false,
            _ => true,
        };
        // The will goes on a link of its own: the session's link may already be gone on the router
        // (it disconnected the client for a bad packet just before the client hung up), and a will
        // handed to it would be lost.
        if let Some(will) = will.filter(|_| will_goes) {
            if will.delay.is_zero() {
                self.door.router.publish_will_now(*will).await;
            } else {
                self.door.router.publish_will_later(router_id, *will);
            }
        }
        end
    }

    /// Reads the CONNECT, asks the router for the session's link and answers the client.
    async fn open(
        &mut self,
        inbox: &mut BytesMut,
        outbox: &mut BytesMut,
        interrupted: Pin<&mut impl Future<Output = Interruption>>,
    ) -> Result<Opened, SessionEnd> {
        let Ok(Packet::Connect(connect, properties, will, will_properties, _login)) =
            self.protocol.read_mut(inbox, MAX_CONNECT_LEN)
        else {
            return Err(SessionEnd::ProtocolError {
                from_client: true,
                reason: "its CONNECT packet could not be read or breaks MQTT's rules (a will topic with + or #, say)".to_owned(),
            });
        };
        let session_expiry = properties
            .as_ref()
            .and_then(|p| p.session_expiry_interval)
            .unwrap_or(0);
        let will = Will::from_connect(will, will_properties, session_expiry).map(Box::new);
        let topic_alias_max = properties
            .as_ref()
            .and_then(|p| p.topic_alias_max)
            .unwrap_or(0);
        // A client without an id gets one, as rumqttd's listeners give it (client_id.rs refused an
        // empty id with a persistent session already).
        let (router_id, assigned) = if connect.client_id.is_empty() {
            let id = format!("rumqtt-{:032x}", rand::random::<u128>());
            (id.clone(), Some(id))
        } else {
            (connect.client_id.clone(), None)
        };
        let router = &self.door.router;
        router.client_connects(&router_id, connect.clean_session);
        let built = router
            .link(LinkRequest {
                router_client_id: router_id.clone(),
                clean_session: connect.clean_session,
                topic_alias_max,
            })
            .await;
        let Some((link_tx, link_rx, ack)) = built else {
            return Err(SessionEnd::Refused(
                "the broker's router did not take the connection (it may be at its connection limit)"
                    .to_owned(),
            ));
        };
        let mut link = RouterSide {
            tx: link_tx,
            router: router.router().clone(),
            ended: false,
        };
        let mut packets: Option<Packet> = ack.into();
        if let (Some(Packet::ConnAck(_, props)), Some(assigned)) = (&mut packets, assigned)
            && self.version == ProtocolVersion::V5
        {
            let mut with_id = props.take().unwrap_or_default();
            with_id.assigned_client_identifier = Some(assigned);
            *props = Some(with_id);
        }
        let Some(connack) = packets else {
            return Err(SessionEnd::BrokerClosed);
        };
        let accepted =
            matches!(&connack, Packet::ConnAck(ack, _) if ack.code == ConnectReturnCode::Success);
        let connack_written = self.write_packet(outbox, connack, interrupted).await;
        if !accepted {
            link.ended = true;
            return Err(SessionEnd::Refused(
                "the broker refused the connection".to_owned(),
            ));
        }
        self.accepted();
        Ok(Opened {
            link,
            link_rx,
            // MQTT: a client silent for 1.5 × its keep-alive is treated as lost; keep-alive 0
            // means the client is never timed out.
            keep_alive: (connect.keep_alive > 0)
                .then(|| Duration::from_secs(u64::from(connect.keep_alive)).mul_f32(1.5)),
            will,
            router_id,
            connack_written,
        })
    }

    /// Checks a batch's SUBSCRIBEs against this connection's and the router's bounds on filters
    /// (known_filters.rs) before the router sees them, and notes its UNSUBSCRIBEs.
    fn admit_filters(&self, batch: &[Packet], held: &mut ConnectionFilters) -> Result<(), String> {
        for packet in batch {
            match packet {
                Packet::Subscribe(subscribe, _) => {
                    let filters = || subscribe.filters.iter().map(|f| f.path.as_str());
                    held.subscribe(filters())?;
                    self.door.router.admit_filters(filters())?;
                }
                Packet::Unsubscribe(unsubscribe, _) => {
                    held.unsubscribe(unsubscribe.filters.iter().map(String::as_str));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The broker said yes: the client is listed and Activity hears of it.
    fn accepted(&self) {
        let entry = self.entry;
        entry.accepted.store(true, Ordering::Relaxed);
        self.door.registry.changed.notify_one();
        self.door
            .registry
            .totals
            .connections_accepted
            .fetch_add(1, Ordering::Relaxed);
        self.door.events.send(Event::ClientConnected {
            peer: entry.peer,
            client_id: entry.client_id.to_string(),
            version: entry.version,
            transport: entry.transport,
        });
    }

    /// Checks and counts bytes the client sent, and shows them to the trace.
    fn count_in(&mut self, chunk: &[u8]) -> Result<(), String> {
        let tally = match self.counter.feed(chunk) {
            Ok(tally) => tally,
            Err(err) => {
                // The trace shows the refused packet for what it was before the connection ends.
                self.trace_in.feed(chunk, false);
                return Err(err.to_string());
            }
        };
        self.trace_in.feed(chunk, self.counter.at_boundary());
        self.entry
            .messages_in
            .fetch_add(tally.publishes, Ordering::Relaxed);
        self.entry
            .bytes_in
            .fetch_add(chunk.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Every whole packet read so far, decoded into `batch` (empty when called).
    fn decode(&mut self, inbox: &mut BytesMut, batch: &mut Vec<Packet>) -> Result<(), String> {
        loop {
            match self.protocol.read_mut(inbox, MAX_PACKET_BYTES) {
                Ok(packet) => {
                    let disconnect = matches!(packet, Packet::Disconnect(..));
                    batch.push(packet);
                    if disconnect {
                        return Ok(());
                    }
                }
                Err(CodecError::InsufficientBytes(_)) => return Ok(()),
                Err(err) => return Err(err.to_string()),
            }
        }
    }

    /// Writes `first` and whatever else the router has ready for the client. Each notification is
    /// encoded as it is taken: gathering them first cost a move of each packet and a list grown to
    /// thousands of packets per turn in a flood.
    async fn deliver(
        &mut self,
        outbox: &mut BytesMut,
        link_rx: &mut LinkRx,
        first: Notification,
        interrupted: Pin<&mut impl Future<Output = Interruption>>,
    ) -> Result<(), SessionEnd> {
        let mut unscheduled = false;
        let mut router_closes = false;
        let mut publishes = 0;
        let mut taken = 0;
        let mut next = Some(first);
        while let Some(notification) = next.take() {
            match Option::<Packet>::from(notification) {
                Some(packet) => {
                    taken += 1;
                    router_closes |= matches!(packet, Packet::Disconnect(..));
                    self.encode(packet, outbox, &mut publishes)?;
                }
                None => unscheduled = true,
            }
            if taken >= NOTIFICATIONS_PER_TURN {
                break;
            }
            // More already queued for this link comes along without waiting.
            next = link_rx.try_next();
        }
        self.write_out(outbox, publishes, interrupted).await?;
        if unscheduled {
            // The router paused the link after a full trip; it resumes once the client took it.
            let _ = link_rx.wake().await;
        }
        if router_closes {
            return Err(SessionEnd::BrokerClosed);
        }
        Ok(())
    }

    /// Encodes one packet for the client and writes it, counting and tracing it.
    async fn write_packet(
        &mut self,
        outbox: &mut BytesMut,
        packet: Packet,
        interrupted: Pin<&mut impl Future<Output = Interruption>>,
    ) -> Result<(), SessionEnd> {
        let mut publishes = 0;
        self.encode(packet, outbox, &mut publishes)?;
        self.write_out(outbox, publishes, interrupted).await
    }

    /// Encodes one packet for the client at the end of `outbox`, counting it if it is a PUBLISH.
    fn encode(
        &self,
        packet: Packet,
        outbox: &mut BytesMut,
        publishes: &mut u64,
    ) -> Result<(), SessionEnd> {
        *publishes += u64::from(matches!(packet, Packet::Publish(..)));
        self.protocol
            .write(packet, outbox)
            .map(|_| ())
            .map_err(|err| SessionEnd::ProtocolError {
                from_client: false,
                reason: err.to_string(),
            })
    }

    /// Writes what was encoded (`publishes` of it PUBLISHes) to the client, tracing and counting it.
    async fn write_out(
        &mut self,
        outbox: &mut BytesMut,
        publishes: u64,
        interrupted: Pin<&mut impl Future<Output = Interruption>>,
    ) -> Result<(), SessionEnd> {
        if outbox.is_empty() {
            return Ok(());
        }
        self.trace_out.feed(outbox, true);
        let written = {
            let mut write = std::pin::pin!(self.client_wr.write_all(outbox));
            // Most writes finish at once (the socket has room): they need no timer and no wait.
            match ready_now(write.as_mut()) {
                Some(written) => written,
                // A client that does not read holds the write up (at most STALLED_CLIENT);
                // meanwhile the broker may stop, or the same client id connect again, and neither
                // waits for it.
                None => tokio::select! {
                    written = tokio::time::timeout(STALLED_CLIENT, write) => {
                        written.unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
                    }
                    interruption = interrupted => return Err(interruption.into()),
                },
            }
        };
        if written.is_err() {
            return Err(SessionEnd::ClientClosed { clean: false });
        }
        self.entry
            .messages_out
            .fetch_add(publishes, Ordering::Relaxed);
        self.entry
            .bytes_out
            .fetch_add(outbox.len() as u64, Ordering::Relaxed);
        outbox.clear();
        if outbox.capacity() > WRITE_KEEP {
            *outbox = BytesMut::new();
        }
        Ok(())
    }
}

/// After a burst or a large packet, moves what is left (a little) into a small buffer of its own: the
/// large one is shared with the packets cut from it, and the leftover would keep all of it alive.
fn give_back_large_buffer(inbox: &mut BytesMut) {
    if inbox.capacity() > READ_MAX && inbox.len() <= READ_MAX {
        let mut small = BytesMut::with_capacity(READ_START.max(inbox.len()));
        small.extend_from_slice(inbox);
        *inbox = small;
    }
}

/// Reads what the client has sent into `inbox`, making room first (at most READ_MAX per read).
async fn read_some<R: AsyncRead + Unpin>(
    client: &mut R,
    inbox: &mut BytesMut,
) -> std::io::Result<usize> {
    if inbox.capacity() - inbox.len() < READ_START {
        let want = (inbox.capacity() * 2).clamp(READ_START, READ_MAX);
        inbox.reserve(want);
    }
    client.read_buf(inbox).await
}

/// A session the router and the client both said yes to.
struct Opened {
    link: RouterSide,
    link_rx: LinkRx,
    keep_alive: Option<Duration>,
    /// Boxed: most clients leave none, and the session's task keeps it for as long as it lasts.
    will: Option<Box<Will>>,
    router_id: String,
    /// Whether the CONNACK reached the client (the session ends at once if not).
    connack_written: Result<(), SessionEnd>,
}

/// The router's side of the session. It is told when the session ends (a DISCONNECT on the link,
/// the client's will first when it goes now), however the session ends, so no session outlives
/// its connection; a session dropped mid-way (the broker's runtime shutting down) is told too.
struct RouterSide {
    tx: LinkTx,
    /// The router, whose turn the session takes for its client's packets when it is free.
    router: rumqttd::SharedRouter,
    /// The router already ended the session, or heard the client's own DISCONNECT.
    ended: bool,
}

impl RouterSide {
    /// Hands decoded packets to the router.
    async fn forward(&mut self, batch: &mut Vec<Packet>) -> Result<(), ()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.tx.buffer().extend(batch.drain(..));
        // The whole batch in one turn of the router, taken here when the router is free (no task
        // to wake on the message's way); else one notification for the router's task.
        self.tx.serve_or_notify(&self.router).await.map_err(|_| ())
    }

    /// Ends the session on the router with a DISCONNECT, unless it has ended there already.
    async fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        let _ = self.tx.send(disconnect_packet()).await;
    }
}

impl Drop for RouterSide {
    fn drop(&mut self) {
        if !self.ended {
            end_link_now(&mut self.tx);
        }
    }
}

/// Ends a link on the router without waiting (from a drop): its DISCONNECT is queued at once, and
/// when the router's channel is full a short-lived thread waits to tell the router, as a worker
/// must never block (the router runs on the same workers).
pub(super) fn end_link_now(tx: &mut LinkTx) {
    if let Err(rumqttd::local::LinkError::TrySend(flume::TrySendError::Full(_))) =
        tx.try_send(disconnect_packet())
    {
        let notifier = tx.notifier();
        let spawned = std::thread::Builder::new()
            .name("link-end".into())
            // Fails only when the router is gone, and with it the link.
            .spawn(move || {
                let _ = notifier.notify_blocking();
            });
        if let Err(error) = spawned {
            tracing::warn!("a router link could not be ended: {error}");
        }
    }
}

pub fn disconnect_packet() -> Packet {
    Packet::Disconnect(
        Disconnect {
            reason_code: DisconnectReasonCode::NormalDisconnection,
        },
        None,
    )
}

/// Polls a future once: its output if it is ready now (rumqttd's link calls finish at once when
/// their data is already there).
pub(super) fn ready_now<F: Future>(future: F) -> Option<F::Output> {
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_bytes_left_after_a_large_packet_do_not_keep_its_buffer() {
        let mut inbox = BytesMut::with_capacity(4 * 1024 * 1024);
        inbox.extend_from_slice(&vec![7u8; 4 * 1024 * 1024]);
        // The packet is cut off and handled; three bytes of the next one are left.
        drop(inbox.split_to(4 * 1024 * 1024 - 3));
        // Making room for the next read takes back the whole (now unshared) buffer.
        inbox.reserve(READ_START);
        assert!(
            inbox.capacity() > READ_MAX,
            "the large buffer is kept by the leftover"
        );
        give_back_large_buffer(&mut inbox);
        assert_eq!(&inbox[..], &[7, 7, 7]);
        assert!(
            inbox.capacity() <= READ_MAX,
            "capacity {}",
            inbox.capacity()
        );
    }

    #[test]
    fn a_large_packet_still_arriving_keeps_its_buffer() {
        let mut inbox = BytesMut::with_capacity(4 * 1024 * 1024);
        inbox.extend_from_slice(&vec![7u8; 1024 * 1024]);
        give_back_large_buffer(&mut inbox);
        assert_eq!(inbox.len(), 1024 * 1024);
        assert!(inbox.capacity() >= 4 * 1024 * 1024);
    }
}
