//! Byte-level MQTT logic for the front door: parse a client's CONNECT, answer refusals, count packets.
//!
//! Everything here works on byte slices that came straight from untrusted sockets, so nothing
//! indexes, unwraps or does unchecked arithmetic on them. There is no I/O here: the caller owns
//! the sockets and feeds bytes in.

use std::fmt;

use super::client_packet_rules::ClientPacketRules;

/// First byte of a CONNECT: packet type 1 with all flag bits zero (the specs require it).
const CONNECT_FIRST_BYTE: u8 = 0x10;
/// Remaining length and property lengths are Variable Byte Integers of at most 4 bytes.
const MAX_VARINT_BYTES: usize = 4;
/// Largest value a 4-byte Variable Byte Integer can carry.
const MAX_VARINT_VALUE: usize = 268_435_455;
/// Packet types this module cares about (high nibble of the first byte).
const TYPE_CONNACK: u8 = 2;
const TYPE_PUBLISH: u8 = 3;
const TYPE_DISCONNECT: u8 = 14;

/// Request-line starts of HTTP methods (plus the HTTP/2 preface), to tell a browser or
/// WebSocket client apart from a client that just isn't speaking MQTT.
const HTTP_STARTS: [&[u8]; 10] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    b"PRI * HTTP/2",
];

/// Protocol the client asked for in its CONNECT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolVersion {
    /// MQTT 3.1: protocol name "MQIsdp", level 3.
    V31,
    /// MQTT 3.1.1: protocol name "MQTT", level 4.
    V311,
    /// MQTT 5: protocol name "MQTT", level 5.
    V5,
}

impl ProtocolVersion {
    /// Human-readable version for logs and the UI: "3.1", "3.1.1" or "5".
    pub fn label(self) -> &'static str {
        match self {
            ProtocolVersion::V31 => "3.1",
            ProtocolVersion::V311 => "3.1.1",
            ProtocolVersion::V5 => "5",
        }
    }

    /// The protocol level byte that identifies this version on the wire.
    pub fn level(self) -> u8 {
        match self {
            ProtocolVersion::V31 => 3,
            ProtocolVersion::V311 => 4,
            ProtocolVersion::V5 => 5,
        }
    }
}

/// The will message a client registered in its CONNECT (the payload itself is not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WillInfo {
    pub topic: String,
    pub qos: u8,
    pub retain: bool,
    pub payload_len: usize,
}

/// What the front door needs to know from a client's CONNECT.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectInfo {
    pub version: ProtocolVersion,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<Vec<u8>>,
    pub keep_alive_secs: u16,
    pub clean_start: bool,
    pub will: Option<WillInfo>,
}

// Written by hand so that `{:?}` in a log line never leaks a client's password.
impl fmt::Debug for ConnectInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let password = self
            .password
            .as_ref()
            .map(|p| format!("<{} bytes redacted>", p.len()));
        f.debug_struct("ConnectInfo")
            .field("version", &self.version)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .field("password", &password)
            .field("keep_alive_secs", &self.keep_alive_secs)
            .field("clean_start", &self.clean_start)
            .field("will", &self.will)
            .finish()
    }
}

/// Result of looking for a CONNECT at the start of a buffer.
#[derive(Debug)]
pub enum ConnectRead {
    /// More bytes are needed; `needed_at_least` is a lower bound on the total buffer length needed (may be the current len + 1 while the length field is incomplete).
    Incomplete { needed_at_least: usize },
    /// `packet_len` = total bytes of the CONNECT packet (fixed header + remaining length) at the start of the buffer.
    Complete {
        info: ConnectInfo,
        packet_len: usize,
    },
}

/// Why bytes from a peer could not be accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error(
        "the client sent an HTTP request, so it looks like a web browser or a WebSocket client; \
         this port speaks plain MQTT over TCP, so WebSocket clients must connect to the WebSocket port instead"
    )]
    LooksLikeHttp,
    #[error(
        "the client tried to start a TLS/SSL connection, but this port speaks plain, unencrypted MQTT; \
         turn TLS/SSL off in the client (use mqtt:// rather than mqtts://)"
    )]
    LooksLikeTls,
    #[error(
        "the client did not start with an MQTT CONNECT packet (first byte 0x{first_byte:02X}, expected 0x10); \
         check that it is an MQTT client and that it connects to the MQTT port"
    )]
    NotMqtt { first_byte: u8 },
    #[error(
        "malformed MQTT packet: {what}; the peer's MQTT library may be broken, or it is not speaking MQTT"
    )]
    Malformed { what: String },
    #[error(
        "the client asked for protocol \"{name}\" level {level}, which this broker does not support; \
         set the client to MQTT 3.1, 3.1.1 or 5"
    )]
    UnknownProtocol { name: String, level: u8 },
    #[error(
        "the CONNECT packet is {len} bytes, more than the {max}-byte limit; \
         use a shorter client id, will message, user name or password"
    )]
    TooLarge { len: usize, max: usize },
}

fn malformed(what: impl Into<String>) -> WireError {
    WireError::Malformed { what: what.into() }
}

/// Parses a CONNECT packet at the start of `buf`. Rejects a packet whose total length exceeds `max_len`.
///
/// Bytes after the CONNECT (a client may pipeline its first SUBSCRIBE or PUBLISH) are left alone;
/// `packet_len` says where the CONNECT ends.
pub fn read_connect(buf: &[u8], max_len: usize) -> Result<ConnectRead, WireError> {
    let Some((&first, after_first)) = buf.split_first() else {
        return Ok(ConnectRead::Incomplete { needed_at_least: 1 });
    };
    if first != CONNECT_FIRST_BYTE {
        return classify_foreign_start(first, buf);
    }
    let Some((remaining, len_bytes)) = decode_varint(after_first, "remaining length")? else {
        return Ok(ConnectRead::Incomplete {
            needed_at_least: buf.len().saturating_add(1),
        });
    };
    // len_bytes <= 4 and remaining <= MAX_VARINT_VALUE, so neither sum can overflow; the second
    // is checked anyway to stay obviously safe.
    let header_len = 1 + len_bytes;
    let total = remaining
        .checked_add(header_len)
        .ok_or(WireError::TooLarge {
            len: usize::MAX,
            max: max_len,
        })?;
    // Checked before the body arrives so an absurd announced length fails at once instead of
    // making the caller buffer it.
    if total > max_len {
        return Err(WireError::TooLarge {
            len: total,
            max: max_len,
        });
    }
    let Some(body) = buf.get(header_len..total) else {
        return Ok(ConnectRead::Incomplete {
            needed_at_least: total,
        });
    };
    let info = parse_connect_body(body)?;
    Ok(ConnectRead::Complete {
        info,
        packet_len: total,
    })
}

/// Explains a first byte that is not a CONNECT, waiting for a few more bytes when they could
/// still turn out to be an HTTP request line or a TLS record, so the user gets the precise hint.
fn classify_foreign_start(first: u8, buf: &[u8]) -> Result<ConnectRead, WireError> {
    // A TLS record starts with content type 0x16 (handshake) then major version 0x03. 0x16 is
    // also "type 1 with flags 6", so this test must come before the CONNECT flags test.
    if first == 0x16 {
        match buf.get(1) {
            None => return Ok(ConnectRead::Incomplete { needed_at_least: 2 }),
            Some(0x03) => return Err(WireError::LooksLikeTls),
            Some(_) => {}
        }
    }
    if first >> 4 == 1 {
        return Err(malformed(format!(
            "CONNECT fixed header flags must be 0, got first byte 0x{first:02X}"
        )));
    }
    let mut shortest_possible: Option<usize> = None;
    for start in HTTP_STARTS {
        if buf.starts_with(start) {
            return Err(WireError::LooksLikeHttp);
        }
        if start.starts_with(buf) {
            let n = start.len();
            shortest_possible = Some(shortest_possible.map_or(n, |s| s.min(n)));
        }
    }
    match shortest_possible {
        Some(needed_at_least) => Ok(ConnectRead::Incomplete { needed_at_least }),
        None => Err(WireError::NotMqtt { first_byte: first }),
    }
}

/// Decodes a Variable Byte Integer at the start of `bytes`: `Ok(None)` if it is cut off,
/// `Ok(Some((value, bytes_used)))` otherwise.
fn decode_varint(bytes: &[u8], what: &str) -> Result<Option<(usize, usize)>, WireError> {
    let mut value = 0usize;
    for (i, &b) in bytes.iter().take(MAX_VARINT_BYTES).enumerate() {
        // i < 4, so the shift is at most 21 bits and fits any usize.
        value |= usize::from(b & 0x7F) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= MAX_VARINT_BYTES {
        Err(malformed(format!("{what} uses more than 4 bytes")))
    } else {
        Ok(None)
    }
}

fn encode_varint(mut value: usize, out: &mut Vec<u8>) -> Result<(), WireError> {
    if value > MAX_VARINT_VALUE {
        return Err(malformed(format!(
            "length {value} does not fit in an MQTT variable byte integer"
        )));
    }
    loop {
        // Masked to 7 bits, so the narrowing cannot lose anything.
        let mut byte = (value & 0x7F) as u8;
        value >>= 7;
        if value != 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if value == 0 {
            return Ok(());
        }
    }
}

/// Cursor over the body of a packet whose full length is already known, so running out of
/// bytes means the packet is malformed rather than incomplete.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn cut_short(&self, what: &str, needed: usize) -> WireError {
        malformed(format!(
            "{what} is cut short: it needs {needed} bytes but the packet has only {} left",
            self.rest.len()
        ))
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], WireError> {
        let Some((head, tail)) = self.rest.split_at_checked(n) else {
            return Err(self.cut_short(what, n));
        };
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, WireError> {
        let Some((&b, tail)) = self.rest.split_first() else {
            return Err(self.cut_short(what, 1));
        };
        self.rest = tail;
        Ok(b)
    }

    fn u16(&mut self, what: &str) -> Result<u16, WireError> {
        let Some((bytes, tail)) = self.rest.split_first_chunk::<2>() else {
            return Err(self.cut_short(what, 2));
        };
        self.rest = tail;
        Ok(u16::from_be_bytes(*bytes))
    }

    /// MQTT "Binary Data": a big-endian u16 length then that many bytes.
    fn binary(&mut self, what: &str) -> Result<&'a [u8], WireError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }

    /// MQTT "UTF-8 Encoded String": binary data that must be UTF-8 without U+0000.
    fn string(&mut self, what: &str) -> Result<String, WireError> {
        let bytes = self.binary(what)?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| malformed(format!("{what} is not valid UTF-8")))?;
        if text.contains('\0') {
            return Err(malformed(format!(
                "{what} contains a null character, which MQTT forbids in strings"
            )));
        }
        Ok(text.to_owned())
    }

    /// Skips an MQTT 5 property block; the front door has no use for properties and the
    /// broker behind it validates them.
    fn skip_properties(&mut self, what: &str) -> Result<(), WireError> {
        let length_what = format!("{what} length");
        let Some((len, used)) = decode_varint(self.rest, &length_what)? else {
            return Err(malformed(format!("{length_what} is cut short")));
        };
        self.take(used, &length_what)?;
        self.take(len, what)?;
        Ok(())
    }
}

/// Protocol names can be arbitrary bytes from a confused client; keep the error message short
/// and printable.
fn printable_name(name: &[u8]) -> String {
    String::from_utf8_lossy(name)
        .chars()
        .take(32)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn parse_connect_body(body: &[u8]) -> Result<ConnectInfo, WireError> {
    let mut r = Reader { rest: body };

    let name = r.binary("protocol name")?;
    let level = r.u8("protocol level")?;
    let version = match (name, level) {
        (b"MQIsdp", 3) => ProtocolVersion::V31,
        (b"MQTT", 4) => ProtocolVersion::V311,
        (b"MQTT", 5) => ProtocolVersion::V5,
        _ => {
            return Err(WireError::UnknownProtocol {
                name: printable_name(name),
                level,
            });
        }
    };

    let flags = r.u8("connect flags")?;
    if flags & 0x01 != 0 {
        return Err(malformed("the reserved bit 0 of the connect flags is set"));
    }
    let clean_start = flags & 0x02 != 0;
    let will_flag = flags & 0x04 != 0;
    let will_qos = (flags >> 3) & 0x03;
    let will_retain = flags & 0x20 != 0;
    let password_flag = flags & 0x40 != 0;
    let username_flag = flags & 0x80 != 0;
    if will_qos == 3 {
        return Err(malformed("will QoS is 3, but only 0, 1 and 2 exist"));
    }
    if !will_flag && (will_qos != 0 || will_retain) {
        return Err(malformed(
            "will QoS or will retain is set although the will flag is not",
        ));
    }
    // MQTT 5 allows a password alone (e.g. a token); 3.1.1 forbids it, and 3.1 packets are
    // forwarded as 3.1.1, so the same rule applies to them.
    if version != ProtocolVersion::V5 && password_flag && !username_flag {
        return Err(malformed(
            "a password is sent without a user name, which MQTT 3.1 and 3.1.1 do not allow",
        ));
    }

    let keep_alive_secs = r.u16("keep alive")?;
    if version == ProtocolVersion::V5 {
        r.skip_properties("CONNECT properties")?;
    }

    let client_id = r.string("client id")?;
    let will = if will_flag {
        if version == ProtocolVersion::V5 {
            r.skip_properties("will properties")?;
        }
        let topic = r.string("will topic")?;
        let payload = r.binary("will payload")?;
        Some(WillInfo {
            topic,
            qos: will_qos,
            retain: will_retain,
            payload_len: payload.len(),
        })
    } else {
        None
    };
    let username = if username_flag {
        Some(r.string("user name")?)
    } else {
        None
    };
    let password = if password_flag {
        Some(r.binary("password")?.to_vec())
    } else {
        None
    };

    // The remaining length must match the fields exactly; extra bytes mean the client and we
    // disagree about the layout, and the broker would reject it too.
    if !r.rest.is_empty() {
        return Err(malformed(format!(
            "{} unexpected bytes follow the last CONNECT field",
            r.rest.len()
        )));
    }

    Ok(ConnectInfo {
        version,
        client_id,
        username,
        password,
        keep_alive_secs,
        clean_start,
        will,
    })
}

/// MQTT 3.1 clients (protocol name "MQIsdp", level 3) are served by the 3.1.1 listener: returns a copy of the
/// CONNECT packet with protocol name "MQTT" and level 4 and the remaining length re-encoded (2 bytes shorter).
/// Everything after the protocol level byte is unchanged. Returns an error if the packet is not a well-formed 3.1 CONNECT.
///
/// `packet` must be exactly one CONNECT (slice it with `packet_len` from [`read_connect`]).
pub fn rewrite_v31_connect_as_v311(packet: &[u8]) -> Result<Vec<u8>, WireError> {
    let (info, packet_len) = match read_connect(packet, usize::MAX)? {
        ConnectRead::Complete { info, packet_len } => (info, packet_len),
        ConnectRead::Incomplete { .. } => {
            return Err(malformed("the MQTT 3.1 CONNECT packet is cut short"));
        }
    };
    if info.version != ProtocolVersion::V31 {
        return Err(malformed(format!(
            "expected an MQTT 3.1 (MQIsdp) CONNECT to rewrite, got MQTT {}",
            info.version.label()
        )));
    }
    if packet_len != packet.len() {
        return Err(malformed(format!(
            "{} extra bytes follow the MQTT 3.1 CONNECT packet",
            packet.len().saturating_sub(packet_len)
        )));
    }

    let after_first = packet.get(1..).unwrap_or_default();
    let Some((remaining, len_bytes)) = decode_varint(after_first, "remaining length")? else {
        return Err(malformed("the MQTT 3.1 CONNECT packet is cut short"));
    };
    // Fixed header, then "\0\x06MQIsdp" (8 bytes) and the level byte.
    let rest_start = 1 + len_bytes + 8 + 1;
    let Some(after_level) = packet.get(rest_start..) else {
        return Err(malformed("the MQTT 3.1 CONNECT packet is cut short"));
    };
    // "MQTT" is two bytes shorter than "MQIsdp".
    let Some(new_remaining) = remaining.checked_sub(2) else {
        return Err(malformed("the MQTT 3.1 CONNECT packet is cut short"));
    };

    let mut out = Vec::with_capacity(packet.len());
    out.push(CONNECT_FIRST_BYTE);
    encode_varint(new_remaining, &mut out)?;
    out.extend_from_slice(&[0x00, 0x04, b'M', b'Q', b'T', b'T', 4]);
    out.extend_from_slice(after_level);
    Ok(out)
}

/// Why the front door refuses a connection itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    BadCredentials,
    NotAuthorized,
    UnsupportedProtocolVersion,
    ServerUnavailable,
    ClientIdNotValid,
}

/// The CONNACK bytes refusing with that reason, in the client's protocol's encoding:
/// v3.1/3.1.1: [0x20, 0x02, 0x00, code] with codes 1 unacceptable protocol version, 2 identifier rejected, 3 server unavailable, 4 bad user name or password, 5 not authorized;
/// v5: [0x20, 0x03, 0x00, reason, 0x00] with reasons 0x84 unsupported protocol version, 0x85 client identifier not valid, 0x88 server unavailable, 0x86 bad user name or password, 0x87 not authorized.
pub fn connack_refusal(version: ProtocolVersion, why: Refusal) -> Vec<u8> {
    match version {
        ProtocolVersion::V31 | ProtocolVersion::V311 => {
            let code = match why {
                Refusal::UnsupportedProtocolVersion => 0x01,
                Refusal::ClientIdNotValid => 0x02,
                Refusal::ServerUnavailable => 0x03,
                Refusal::BadCredentials => 0x04,
                Refusal::NotAuthorized => 0x05,
            };
            // Session present = 0: a refused connection never has a session.
            vec![0x20, 0x02, 0x00, code]
        }
        ProtocolVersion::V5 => {
            let reason = match why {
                Refusal::UnsupportedProtocolVersion => 0x84,
                Refusal::ClientIdNotValid => 0x85,
                Refusal::BadCredentials => 0x86,
                Refusal::NotAuthorized => 0x87,
                Refusal::ServerUnavailable => 0x88,
            };
            // Trailing 0x00 is the (empty) property length, mandatory in v5.
            vec![0x20, 0x03, 0x00, reason, 0x00]
        }
    }
}

/// A clean DISCONNECT packet (valid in 3.1.1 and 5): [0xE0, 0x00].
pub const DISCONNECT_PACKET: [u8; 2] = [0xE0, 0x00];

/// Where the counter is inside the stream, between calls to [`FrameCounter::feed`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The next byte is the first byte of a packet.
    #[default]
    Boundary,
    /// Inside the remaining-length varint; `value` holds the bits decoded so far.
    Length {
        packet_type: u8,
        value: usize,
        bytes_read: usize,
    },
    /// Inside a CONNACK body before its code byte; `index` is the body offset of the next byte.
    ConnackBody { index: usize, left: usize },
    /// Inside any other body; `left` bytes still to skip.
    Body { left: usize },
    /// A malformed length was seen; packet boundaries can no longer be found.
    Broken,
}

/// Follows packet boundaries in one direction of an MQTT byte stream that arrives in arbitrary chunks
/// (a packet can be split across chunks at any byte, including inside the remaining-length varint,
/// and one chunk can hold many packets). Must be cheap: it is called on every chunk at 100k+ msg/s;
/// skip packet bodies by arithmetic, do not copy them, no allocation per call.
#[derive(Debug, Default)]
pub struct FrameCounter {
    phase: Phase,
    /// Set on the client-to-broker direction: each header is checked against what clients may send.
    client_rules: Option<ClientPacketRules>,
    /// The first byte of the packet whose remaining length is being read.
    first_byte: u8,
}

/// What one chunk fed to a [`FrameCounter`] contained.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FrameTally {
    /// PUBLISH packets (type 3) whose first byte was seen in this chunk, whatever the flags;
    /// the rest of the packet may still be on its way.
    pub publishes: u64,
    /// packets of any type whose first byte was seen in this chunk
    pub packets: u64,
    /// a DISCONNECT (type 14) packet started in this chunk
    pub disconnect: bool,
    /// the return/reason code of a CONNACK (type 2): the second byte of its body, captured even when it arrives in a later chunk than the header. Some(code) in the tally of the chunk that delivered that byte.
    /// If one chunk delivers the codes of several CONNACKs (a protocol violation), the first is kept.
    pub connack_code: Option<u8>,
}

impl FrameCounter {
    pub fn new() -> Self {
        Self::default()
    }

    /// A counter for what a client sends: a header no client may send (see [`ClientPacketRules`])
    /// is reported as malformed, so the connection ends before the broker reads that packet.
    pub fn client_to_broker() -> Self {
        Self {
            client_rules: Some(ClientPacketRules::default()),
            ..Self::default()
        }
    }

    /// Advances over `chunk`, the next bytes of the stream, and reports what started in it.
    ///
    /// Returns `Malformed` if a remaining length varint exceeds 4 bytes; the stream cannot be
    /// followed after that, so every later call returns `Malformed` too.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<FrameTally, WireError> {
        let mut tally = FrameTally::default();
        let mut rest = chunk;
        loop {
            match self.phase {
                Phase::Broken => {
                    return Err(malformed(
                        "the stream lost packet boundaries after an earlier malformed remaining length",
                    ));
                }
                Phase::Body { left } => {
                    // Bodies are skipped wholesale: this is the hot path for big PUBLISH payloads.
                    match rest.get(left..) {
                        Some(after) => {
                            rest = after;
                            self.phase = Phase::Boundary;
                        }
                        None => {
                            self.phase = Phase::Body {
                                left: left.saturating_sub(rest.len()),
                            };
                            return Ok(tally);
                        }
                    }
                }
                Phase::Boundary => {
                    let Some((&b, tail)) = rest.split_first() else {
                        return Ok(tally);
                    };
                    rest = tail;
                    let packet_type = b >> 4;
                    self.first_byte = b;
                    tally.packets += 1;
                    if packet_type == TYPE_PUBLISH {
                        tally.publishes += 1;
                    } else if packet_type == TYPE_DISCONNECT {
                        tally.disconnect = true;
                    }
                    self.phase = Phase::Length {
                        packet_type,
                        value: 0,
                        bytes_read: 0,
                    };
                }
                Phase::Length {
                    packet_type,
                    value,
                    bytes_read,
                } => {
                    let Some((&b, tail)) = rest.split_first() else {
                        return Ok(tally);
                    };
                    rest = tail;
                    // bytes_read < 4 here, so the shift is at most 21 bits.
                    let value = value | usize::from(b & 0x7F) << (7 * bytes_read);
                    let bytes_read = bytes_read + 1;
                    if b & 0x80 == 0
                        && let Some(rules) = &mut self.client_rules
                        && let Some(why) = rules.violation(self.first_byte, value)
                    {
                        self.phase = Phase::Broken;
                        return Err(malformed(why));
                    }
                    self.phase = if b & 0x80 != 0 {
                        if bytes_read >= MAX_VARINT_BYTES {
                            self.phase = Phase::Broken;
                            return Err(malformed("remaining length uses more than 4 bytes"));
                        }
                        Phase::Length {
                            packet_type,
                            value,
                            bytes_read,
                        }
                    } else if value == 0 {
                        Phase::Boundary
                    } else if packet_type == TYPE_CONNACK {
                        Phase::ConnackBody {
                            index: 0,
                            left: value,
                        }
                    } else {
                        Phase::Body { left: value }
                    };
                }
                Phase::ConnackBody { index, left } => {
                    let Some((&b, tail)) = rest.split_first() else {
                        return Ok(tally);
                    };
                    rest = tail;
                    // Body byte 0 is the acknowledge flags, byte 1 the return/reason code in
                    // both 3.1.1 and 5.
                    if index == 1 && tally.connack_code.is_none() {
                        tally.connack_code = Some(b);
                    }
                    let left = left.saturating_sub(1);
                    self.phase = if left == 0 {
                        Phase::Boundary
                    } else if index >= 1 {
                        Phase::Body { left }
                    } else {
                        Phase::ConnackBody {
                            index: index + 1,
                            left,
                        }
                    };
                }
            }
        }
    }

    /// True when the bytes fed so far end exactly at a packet boundary (safe place to inject a DISCONNECT).
    pub fn at_boundary(&self) -> bool {
        self.phase == Phase::Boundary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---------- hand-built CONNECT packets ----------

    #[derive(Clone)]
    struct TestWill {
        props: Vec<u8>,
        topic: Vec<u8>,
        payload: Vec<u8>,
        qos: u8,
        retain: bool,
    }

    /// A CONNECT to build byte by byte; independent of the code under test.
    #[derive(Clone)]
    struct Spec {
        name: Vec<u8>,
        level: u8,
        /// OR-ed into the computed connect flags, to build illegal flag combinations.
        extra_flags: u8,
        clean: bool,
        keep_alive: u16,
        /// v5 only: CONNECT property bytes (the length is added by `body`).
        props: Vec<u8>,
        client_id: Vec<u8>,
        will: Option<TestWill>,
        username: Option<Vec<u8>>,
        password: Option<Vec<u8>>,
        /// Appended after the last field but inside the remaining length.
        trailing: Vec<u8>,
    }

    fn v311() -> Spec {
        Spec {
            name: b"MQTT".to_vec(),
            level: 4,
            extra_flags: 0,
            clean: true,
            keep_alive: 60,
            props: Vec::new(),
            client_id: b"sensor-1".to_vec(),
            will: None,
            username: None,
            password: None,
            trailing: Vec::new(),
        }
    }

    fn v31() -> Spec {
        Spec {
            name: b"MQIsdp".to_vec(),
            level: 3,
            ..v311()
        }
    }

    fn v5() -> Spec {
        Spec { level: 5, ..v311() }
    }

    fn full(mut spec: Spec) -> Spec {
        spec.will = Some(TestWill {
            props: if spec.level == 5 {
                // Will Delay Interval (0x18) = 10 s, Content Type (0x03) "text/plain".
                let mut p = vec![0x18, 0, 0, 0, 10, 0x03, 0, 10];
                p.extend_from_slice(b"text/plain");
                p
            } else {
                Vec::new()
            },
            topic: b"devices/sensor-1/status".to_vec(),
            payload: b"offline".to_vec(),
            qos: 1,
            retain: true,
        });
        spec.username = Some(b"alice".to_vec());
        spec.password = Some(vec![0x00, 0xFF, b's', b'3', b'c']);
        if spec.level == 5 {
            // Session Expiry Interval (0x11) = 3600, Receive Maximum (0x21) = 20.
            spec.props = vec![0x11, 0, 0, 0x0E, 0x10, 0x21, 0, 20];
        }
        spec
    }

    fn push_varint(out: &mut Vec<u8>, mut v: usize) {
        loop {
            let mut b = (v % 128) as u8;
            v /= 128;
            if v > 0 {
                b |= 128;
            }
            out.push(b);
            if v == 0 {
                break;
            }
        }
    }

    fn push_bin(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        out.extend_from_slice(bytes);
    }

    fn body(s: &Spec) -> Vec<u8> {
        let mut flags = s.extra_flags;
        if s.clean {
            flags |= 0x02;
        }
        if let Some(w) = &s.will {
            flags |= 0x04 | (w.qos << 3);
            if w.retain {
                flags |= 0x20;
            }
        }
        if s.password.is_some() {
            flags |= 0x40;
        }
        if s.username.is_some() {
            flags |= 0x80;
        }
        let mut b = Vec::new();
        push_bin(&mut b, &s.name);
        b.push(s.level);
        b.push(flags);
        b.extend_from_slice(&s.keep_alive.to_be_bytes());
        if s.level == 5 {
            push_varint(&mut b, s.props.len());
            b.extend_from_slice(&s.props);
        }
        push_bin(&mut b, &s.client_id);
        if let Some(w) = &s.will {
            if s.level == 5 {
                push_varint(&mut b, w.props.len());
                b.extend_from_slice(&w.props);
            }
            push_bin(&mut b, &w.topic);
            push_bin(&mut b, &w.payload);
        }
        if let Some(u) = &s.username {
            push_bin(&mut b, u);
        }
        if let Some(p) = &s.password {
            push_bin(&mut b, p);
        }
        b.extend_from_slice(&s.trailing);
        b
    }

    fn wrap(body: &[u8]) -> Vec<u8> {
        let mut p = vec![0x10];
        push_varint(&mut p, body.len());
        p.extend_from_slice(body);
        p
    }

    fn packet(s: &Spec) -> Vec<u8> {
        wrap(&body(s))
    }

    const MAX: usize = 64 * 1024;

    fn complete(buf: &[u8]) -> (ConnectInfo, usize) {
        match read_connect(buf, MAX) {
            Ok(ConnectRead::Complete { info, packet_len }) => (info, packet_len),
            other => panic!("expected a complete CONNECT, got {other:?}"),
        }
    }

    fn error(buf: &[u8]) -> WireError {
        match read_connect(buf, MAX) {
            Err(e) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    fn is_malformed(e: &WireError) -> bool {
        matches!(e, WireError::Malformed { .. })
    }

    // ---------- read_connect: good packets ----------

    #[test]
    fn minimal_v311() {
        let p = packet(&v311());
        let (info, len) = complete(&p);
        assert_eq!(len, p.len());
        assert_eq!(
            info,
            ConnectInfo {
                version: ProtocolVersion::V311,
                client_id: "sensor-1".into(),
                username: None,
                password: None,
                keep_alive_secs: 60,
                clean_start: true,
                will: None,
            }
        );
    }

    #[test]
    fn minimal_v31() {
        let p = packet(&Spec {
            clean: false,
            keep_alive: 0,
            ..v31()
        });
        let (info, _) = complete(&p);
        assert_eq!(info.version, ProtocolVersion::V31);
        assert_eq!(info.client_id, "sensor-1");
        assert!(!info.clean_start);
        assert_eq!(info.keep_alive_secs, 0);
    }

    #[test]
    fn v5_with_properties() {
        let p = packet(&Spec {
            props: vec![0x11, 0, 0, 0, 30, 0x27, 0, 0, 0x10, 0],
            keep_alive: 0xABCD,
            ..v5()
        });
        let (info, len) = complete(&p);
        assert_eq!(len, p.len());
        assert_eq!(info.version, ProtocolVersion::V5);
        assert_eq!(info.keep_alive_secs, 0xABCD);
        assert_eq!(info.client_id, "sensor-1");
        assert!(info.will.is_none());
    }

    #[test]
    fn will_and_credentials_in_every_version() {
        for spec in [full(v31()), full(v311()), full(v5())] {
            let p = packet(&spec);
            let (info, len) = complete(&p);
            assert_eq!(len, p.len());
            assert_eq!(info.client_id, "sensor-1");
            assert_eq!(info.username.as_deref(), Some("alice"));
            assert_eq!(
                info.password.as_deref(),
                Some(&[0x00, 0xFF, b's', b'3', b'c'][..])
            );
            assert_eq!(
                info.will,
                Some(WillInfo {
                    topic: "devices/sensor-1/status".into(),
                    qos: 1,
                    retain: true,
                    payload_len: 7,
                })
            );
        }
    }

    #[test]
    fn will_qos_2_without_retain() {
        let mut spec = full(v311());
        if let Some(w) = spec.will.as_mut() {
            w.qos = 2;
            w.retain = false;
            w.payload = Vec::new();
        }
        let (info, _) = complete(&packet(&spec));
        let will = info.will.expect("will");
        assert_eq!((will.qos, will.retain, will.payload_len), (2, false, 0));
    }

    #[test]
    fn v5_password_without_username_is_allowed() {
        let spec = Spec {
            password: Some(b"token".to_vec()),
            ..v5()
        };
        let (info, _) = complete(&packet(&spec));
        assert_eq!(info.username, None);
        assert_eq!(info.password.as_deref(), Some(&b"token"[..]));
    }

    #[test]
    fn v311_password_without_username_is_malformed() {
        let spec = Spec {
            password: Some(b"token".to_vec()),
            ..v311()
        };
        assert!(is_malformed(&error(&packet(&spec))));
    }

    #[test]
    fn empty_client_id() {
        for spec in [v31(), v311(), v5()] {
            let (info, _) = complete(&packet(&Spec {
                client_id: Vec::new(),
                ..spec
            }));
            assert_eq!(info.client_id, "");
        }
    }

    #[test]
    fn two_byte_remaining_length() {
        let id = "x".repeat(200);
        let p = packet(&Spec {
            client_id: id.clone().into_bytes(),
            ..v311()
        });
        // 0x10, two length bytes, then the body.
        assert!(p[1] & 0x80 != 0 && p[2] & 0x80 == 0);
        let (info, len) = complete(&p);
        assert_eq!(len, p.len());
        assert_eq!(info.client_id, id);
    }

    #[test]
    fn bytes_after_the_connect_are_not_part_of_it() {
        let p = packet(&v311());
        let mut buf = p.clone();
        buf.extend_from_slice(&[0xC0, 0x00, 0x30]);
        let (_, len) = complete(&buf);
        assert_eq!(len, p.len());
    }

    #[test]
    fn incomplete_at_every_split_point() {
        let id = "y".repeat(200);
        for spec in [
            full(v31()),
            full(v311()),
            full(v5()),
            Spec {
                client_id: id.into_bytes(),
                ..full(v5())
            },
        ] {
            let p = packet(&spec);
            for cut in 0..p.len() {
                match read_connect(&p[..cut], MAX) {
                    Ok(ConnectRead::Incomplete { needed_at_least }) => {
                        assert!(needed_at_least > cut, "cut {cut}: needs {needed_at_least}");
                        assert!(needed_at_least <= p.len(), "cut {cut}: overestimates");
                    }
                    other => panic!("cut {cut} of {}: {other:?}", p.len()),
                }
            }
            assert_eq!(complete(&p).1, p.len());
        }
    }

    #[test]
    fn password_is_redacted_in_debug_output() {
        let (info, _) = complete(&packet(&Spec {
            username: Some(b"alice".to_vec()),
            password: Some(b"hunter2".to_vec()),
            ..v311()
        }));
        let shown = format!("{info:?}");
        assert!(shown.contains("alice"));
        assert!(!shown.contains("hunter2"));
        assert!(
            !shown.contains("104, 117"),
            "raw password bytes leaked: {shown}"
        );
    }

    // ---------- read_connect: bad input ----------

    #[test]
    fn bad_first_byte() {
        assert_eq!(
            error(&[0x30, 0x02, 0, 0]),
            WireError::NotMqtt { first_byte: 0x30 }
        );
        assert_eq!(error(&[0x00]), WireError::NotMqtt { first_byte: 0x00 });
        assert_eq!(
            error(b"SSH-2.0-OpenSSH_9.6\r\n"),
            WireError::NotMqtt { first_byte: b'S' }
        );
    }

    #[test]
    fn connect_with_flag_bits_is_malformed() {
        let mut p = packet(&v311());
        p[0] = 0x12;
        assert!(is_malformed(&error(&p)));
    }

    #[test]
    fn http_request() {
        assert_eq!(
            error(b"GET /mqtt HTTP/1.1\r\nHost: localhost\r\n\r\n"),
            WireError::LooksLikeHttp
        );
        assert_eq!(error(b"POST / HTTP/1.1\r\n"), WireError::LooksLikeHttp);
        assert_eq!(
            error(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
            WireError::LooksLikeHttp
        );
        // A request line cut short waits for enough bytes to tell.
        assert!(matches!(
            read_connect(b"GE", MAX),
            Ok(ConnectRead::Incomplete { needed_at_least: 4 })
        ));
        assert!(matches!(
            read_connect(b"P", MAX),
            Ok(ConnectRead::Incomplete { needed_at_least: 4 })
        ));
        assert_eq!(error(b"GEX"), WireError::NotMqtt { first_byte: b'G' });
        let msg = WireError::LooksLikeHttp.to_string();
        assert!(msg.contains("WebSocket port"), "{msg}");
    }

    #[test]
    fn tls_client_hello() {
        assert_eq!(
            error(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]),
            WireError::LooksLikeTls
        );
        assert!(matches!(
            read_connect(&[0x16], MAX),
            Ok(ConnectRead::Incomplete { needed_at_least: 2 })
        ));
        // Without the TLS version byte, 0x16 is a CONNECT header with illegal flags.
        assert!(is_malformed(&error(&[0x16, 0x00])));
        assert!(WireError::LooksLikeTls.to_string().contains("TLS/SSL"));
    }

    #[test]
    fn unknown_protocol_name() {
        assert_eq!(
            error(&packet(&Spec {
                name: b"AMQP".to_vec(),
                ..v311()
            })),
            WireError::UnknownProtocol {
                name: "AMQP".into(),
                level: 4
            }
        );
        // Name and level that belong to different versions.
        assert_eq!(
            error(&packet(&Spec { level: 3, ..v311() })),
            WireError::UnknownProtocol {
                name: "MQTT".into(),
                level: 3
            }
        );
        assert_eq!(
            error(&packet(&Spec { level: 4, ..v31() })),
            WireError::UnknownProtocol {
                name: "MQIsdp".into(),
                level: 4
            }
        );
        // Control characters in a garbage name do not end up in the message.
        let e = error(&packet(&Spec {
            name: vec![b'M', 0x07, 0xFF],
            ..v311()
        }));
        assert_eq!(
            e,
            WireError::UnknownProtocol {
                name: "M?\u{FFFD}".into(),
                level: 4
            }
        );
    }

    #[test]
    fn level_6() {
        assert_eq!(
            error(&packet(&Spec { level: 6, ..v311() })),
            WireError::UnknownProtocol {
                name: "MQTT".into(),
                level: 6
            }
        );
    }

    #[test]
    fn will_qos_3() {
        let mut spec = full(v311());
        if let Some(w) = spec.will.as_mut() {
            w.qos = 3;
        }
        let e = error(&packet(&spec));
        assert!(is_malformed(&e), "{e:?}");
        assert!(e.to_string().contains("QoS"));
    }

    #[test]
    fn will_bits_without_will_flag() {
        for extra in [0x08, 0x10, 0x20] {
            let e = error(&packet(&Spec {
                extra_flags: extra,
                ..v311()
            }));
            assert!(is_malformed(&e), "flags {extra:#x}: {e:?}");
        }
    }

    #[test]
    fn reserved_flag_set() {
        for spec in [v31(), v311(), v5()] {
            let e = error(&packet(&Spec {
                extra_flags: 0x01,
                ..spec
            }));
            assert!(is_malformed(&e), "{e:?}");
        }
    }

    #[test]
    fn too_large() {
        let p = packet(&Spec {
            client_id: vec![b'z'; 300],
            ..v311()
        });
        assert_eq!(
            read_connect(&p, 100).unwrap_err(),
            WireError::TooLarge {
                len: p.len(),
                max: 100
            }
        );
        // Rejected as soon as the length is known, before the body arrives.
        assert_eq!(
            read_connect(&p[..3], 100).unwrap_err(),
            WireError::TooLarge {
                len: p.len(),
                max: 100
            }
        );
        // Exactly at the limit is fine.
        assert!(matches!(
            read_connect(&p, p.len()),
            Ok(ConnectRead::Complete { .. })
        ));
        // The largest length the varint can announce.
        assert_eq!(
            read_connect(&[0x10, 0xFF, 0xFF, 0xFF, 0x7F], MAX).unwrap_err(),
            WireError::TooLarge {
                len: 268_435_455 + 5,
                max: MAX
            }
        );
    }

    #[test]
    fn five_byte_remaining_length() {
        let e = read_connect(&[0x10, 0x80, 0x80, 0x80, 0x80, 0x01], usize::MAX).unwrap_err();
        assert!(is_malformed(&e), "{e:?}");
        // Four continuation bytes are enough to know it is wrong.
        let e = read_connect(&[0x10, 0x80, 0x80, 0x80, 0x80], usize::MAX).unwrap_err();
        assert!(is_malformed(&e), "{e:?}");
    }

    #[test]
    fn truncated_fields_within_a_complete_length() {
        for spec in [full(v31()), full(v311()), full(v5())] {
            let b = body(&spec);
            for cut in 0..b.len() {
                let e = error(&wrap(&b[..cut]));
                assert!(is_malformed(&e), "cut {cut}: {e:?}");
            }
        }
    }

    #[test]
    fn string_longer_than_the_packet() {
        // Client id claims 0xFFFF bytes in a small packet.
        let mut b = body(&v311());
        let id_at = 2 + 4 + 1 + 1 + 2;
        b[id_at] = 0xFF;
        b[id_at + 1] = 0xFF;
        let e = error(&wrap(&b));
        assert!(e.to_string().contains("client id is cut short"), "{e}");
    }

    #[test]
    fn properties_longer_than_the_packet() {
        let mut b = body(&v5());
        let props_at = 2 + 4 + 1 + 1 + 2;
        b[props_at] = 0x7F;
        assert!(is_malformed(&error(&wrap(&b))));
        // And a property length varint that never ends.
        let mut b = body(&v5());
        b.splice(props_at..props_at + 1, [0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        assert!(is_malformed(&error(&wrap(&b))));
    }

    #[test]
    fn trailing_garbage_inside_the_packet() {
        for spec in [v31(), full(v311()), full(v5())] {
            let e = error(&packet(&Spec {
                trailing: vec![0x00],
                ..spec
            }));
            assert!(is_malformed(&e), "{e:?}");
        }
    }

    #[test]
    fn invalid_utf8_client_id() {
        let e = error(&packet(&Spec {
            client_id: vec![b'a', 0xC3, 0x28],
            ..v311()
        }));
        assert_eq!(
            e,
            WireError::Malformed {
                what: "client id is not valid UTF-8".into()
            }
        );
        // Encoded surrogate halves are not UTF-8 either.
        let e = error(&packet(&Spec {
            client_id: vec![0xED, 0xA0, 0x80],
            ..v311()
        }));
        assert!(is_malformed(&e));
    }

    #[test]
    fn invalid_strings_in_other_fields() {
        let mut spec = full(v5());
        spec.username = Some(vec![0xFF]);
        assert!(error(&packet(&spec)).to_string().contains("user name"));
        let mut spec = full(v311());
        if let Some(w) = spec.will.as_mut() {
            w.topic = b"a\0b".to_vec();
        }
        assert!(error(&packet(&spec)).to_string().contains("null"));
        // Binary password and will payload may hold any bytes.
        let mut spec = full(v311());
        spec.password = Some(vec![0xFF, 0x00, 0xC3]);
        if let Some(w) = spec.will.as_mut() {
            w.payload = vec![0xFF, 0x00];
        }
        complete(&packet(&spec));
    }

    #[test]
    fn garbage_never_panics() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let valid = packet(&full(v5()));
        for _ in 0..20_000 {
            let mut p = valid.clone();
            // Flip a few bytes after the fixed header and parse whatever results.
            for _ in 0..1 + rng.below(4) {
                let i = 1 + rng.below(p.len() - 1);
                p[i] = rng.next() as u8;
            }
            let cut = rng.below(p.len() + 1);
            let _ = read_connect(&p[..cut], MAX);
            let _ = rewrite_v31_connect_as_v311(&p[..cut]);
        }
    }

    // ---------- rewrite_v31_connect_as_v311 ----------

    #[test]
    fn rewrite_v31_round_trip() {
        let long_id = "q".repeat(300);
        for spec in [
            v31(),
            full(v31()),
            Spec {
                client_id: Vec::new(),
                ..v31()
            },
            Spec {
                client_id: long_id.into_bytes(),
                ..full(v31())
            },
        ] {
            let original = packet(&spec);
            let rewritten = rewrite_v31_connect_as_v311(&original).expect("rewrite");
            assert_eq!(rewritten.len(), original.len() - 2);
            // Byte-exact against a 3.1.1 packet built from the same fields.
            let as_v311 = Spec {
                name: b"MQTT".to_vec(),
                level: 4,
                ..spec
            };
            assert_eq!(rewritten, packet(&as_v311));
            let (before, _) = complete(&original);
            let (after, len) = complete(&rewritten);
            assert_eq!(len, rewritten.len());
            assert_eq!(before.version, ProtocolVersion::V31);
            assert_eq!(after.version, ProtocolVersion::V311);
            assert_eq!(
                ConnectInfo {
                    version: ProtocolVersion::V31,
                    ..after
                },
                before
            );
        }
    }

    #[test]
    fn rewrite_shrinks_the_length_field_when_it_can() {
        // Remaining length 129 needs 2 bytes; 127 after the rewrite needs 1.
        let base = body(&v31()).len();
        let spec = Spec {
            client_id: vec![b'c'; 129 - base + v31().client_id.len()],
            ..v31()
        };
        let original = packet(&spec);
        assert_eq!(original.len(), 1 + 2 + 129);
        let rewritten = rewrite_v31_connect_as_v311(&original).expect("rewrite");
        assert_eq!(rewritten.len(), 1 + 1 + 127);
        assert_eq!(
            complete(&rewritten).0.client_id,
            complete(&original).0.client_id
        );
    }

    #[test]
    fn rewrite_rejects_anything_but_one_whole_v31_connect() {
        let v31_packet = packet(&full(v31()));
        assert!(is_malformed(
            &rewrite_v31_connect_as_v311(&packet(&v311())).unwrap_err()
        ));
        assert!(is_malformed(
            &rewrite_v31_connect_as_v311(&packet(&v5())).unwrap_err()
        ));
        assert!(is_malformed(
            &rewrite_v31_connect_as_v311(&v31_packet[..v31_packet.len() - 1]).unwrap_err()
        ));
        assert!(is_malformed(&rewrite_v31_connect_as_v311(&[]).unwrap_err()));
        let mut longer = v31_packet.clone();
        longer.push(0xC0);
        assert!(is_malformed(
            &rewrite_v31_connect_as_v311(&longer).unwrap_err()
        ));
        assert_eq!(
            rewrite_v31_connect_as_v311(b"GET / HTTP/1.1\r\n").unwrap_err(),
            WireError::LooksLikeHttp
        );
    }

    // ---------- connack_refusal ----------

    #[test]
    fn connack_refusal_bytes() {
        use ProtocolVersion::*;
        use Refusal::*;
        let cases = [
            (UnsupportedProtocolVersion, 0x01, 0x84),
            (ClientIdNotValid, 0x02, 0x85),
            (ServerUnavailable, 0x03, 0x88),
            (BadCredentials, 0x04, 0x86),
            (NotAuthorized, 0x05, 0x87),
        ];
        for (why, old_code, v5_reason) in cases {
            assert_eq!(connack_refusal(V31, why), [0x20, 0x02, 0x00, old_code]);
            assert_eq!(connack_refusal(V311, why), [0x20, 0x02, 0x00, old_code]);
            assert_eq!(
                connack_refusal(V5, why),
                [0x20, 0x03, 0x00, v5_reason, 0x00]
            );
        }
    }

    #[test]
    fn labels_and_levels() {
        assert_eq!(ProtocolVersion::V31.label(), "3.1");
        assert_eq!(ProtocolVersion::V311.label(), "3.1.1");
        assert_eq!(ProtocolVersion::V5.label(), "5");
        assert_eq!(
            [
                ProtocolVersion::V31,
                ProtocolVersion::V311,
                ProtocolVersion::V5
            ]
            .map(|v| v.level()),
            [3, 4, 5]
        );
        assert_eq!(DISCONNECT_PACKET, [0xE0, 0x00]);
    }

    // ---------- FrameCounter ----------

    /// Deterministic xorshift64 so the chunking tests are reproducible without a rand crate.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        /// Uniform-ish in 0..n (n > 0).
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn raw_packet(first: u8, body: &[u8]) -> Vec<u8> {
        let mut p = vec![first];
        push_varint(&mut p, body.len());
        p.extend_from_slice(body);
        p
    }

    fn filler(len: usize) -> Vec<u8> {
        // Bytes that look like packet headers, to catch any peeking into bodies.
        (0..len).map(|i| [0x30, 0xE0, 0x20, 0xFF][i % 4]).collect()
    }

    struct TestStream {
        bytes: Vec<u8>,
        /// Offset of each packet's first byte.
        starts: Vec<usize>,
        /// Offsets of the bytes that are CONNACK codes, with the code.
        connack_codes: Vec<(usize, u8)>,
        publishes: u64,
    }

    fn test_stream() -> TestStream {
        let packets: Vec<Vec<u8>> = vec![
            vec![0x20, 0x02, 0x00, 0x05], // CONNACK 3.1.1, not authorized
            raw_packet(0x30, &filler(10)),
            vec![0xC0, 0x00], // PINGREQ
            raw_packet(0x32, &filler(200)),
            raw_packet(0x3D, &filler(20_000)),
            vec![0x40, 0x02, 0x00, 0x01],       // PUBACK
            vec![0xD0, 0x00],                   // PINGRESP
            vec![0x20, 0x03, 0x01, 0x87, 0x00], // CONNACK 5, not authorized
            raw_packet(0x30, &filler(127)),
            raw_packet(0x30, &filler(128)),
            raw_packet(0x31, &filler(16_383)),
            raw_packet(0x30, &filler(16_384)),
            raw_packet(0x82, &filler(8)),         // SUBSCRIBE
            raw_packet(0x3B, &filler(2_100_000)), // needs a 4-byte length
            vec![0x20, 0x01, 0x00],               // CONNACK missing its code: no code reported
            vec![0xE0, 0x00],                     // DISCONNECT
            raw_packet(0x30, &filler(3)),
        ];
        let mut s = TestStream {
            bytes: Vec::new(),
            starts: Vec::new(),
            connack_codes: Vec::new(),
            publishes: 0,
        };
        for p in packets {
            s.starts.push(s.bytes.len());
            if p[0] >> 4 == 3 {
                s.publishes += 1;
            }
            if p[0] >> 4 == 2 && p.len() >= 4 {
                s.connack_codes.push((s.bytes.len() + 3, p[3]));
            }
            s.bytes.extend_from_slice(&p);
        }
        s
    }

    /// Feeds the stream cut at `cuts` and checks every chunk's tally and boundary state.
    fn check_chunked(s: &TestStream, cuts: &[usize]) -> FrameTally {
        let mut counter = FrameCounter::new();
        assert!(counter.at_boundary());
        let mut total = FrameTally::default();
        let mut codes = Vec::new();
        // Cursors into the sorted `starts` and `connack_codes`, so checking stays linear.
        let (mut next_start, mut next_code) = (0, 0);
        let mut from = 0;
        for &to in cuts.iter().chain(std::iter::once(&s.bytes.len())) {
            let tally = counter.feed(&s.bytes[from..to]).expect("valid stream");

            let mut packets = 0;
            let mut disconnect = false;
            while s.starts.get(next_start).is_some_and(|&o| o < to) {
                disconnect |= s.bytes[s.starts[next_start]] >> 4 == 14;
                packets += 1;
                next_start += 1;
            }
            assert_eq!(tally.packets, packets, "chunk {from}..{to}");
            assert_eq!(tally.disconnect, disconnect, "chunk {from}..{to}");
            let mut code = None;
            while let Some(&(o, c)) = s.connack_codes.get(next_code).filter(|(o, _)| *o < to) {
                assert!(o >= from);
                code = code.or(Some(c));
                next_code += 1;
            }
            assert_eq!(tally.connack_code, code, "chunk {from}..{to}");
            let at_boundary = to == s.bytes.len() || s.starts.get(next_start) == Some(&to);
            assert_eq!(counter.at_boundary(), at_boundary, "after byte {to}");

            total.packets += tally.packets;
            total.publishes += tally.publishes;
            total.disconnect |= tally.disconnect;
            codes.extend(tally.connack_code);
            from = to;
        }
        assert_eq!(codes, [0x05, 0x87]);
        total
    }

    fn expected_total(s: &TestStream) -> FrameTally {
        FrameTally {
            publishes: s.publishes,
            packets: s.starts.len() as u64,
            disconnect: true,
            connack_code: None,
        }
    }

    #[test]
    fn stream_fed_whole() {
        let s = test_stream();
        let mut counter = FrameCounter::new();
        let tally = counter.feed(&s.bytes).expect("valid stream");
        assert_eq!(
            tally,
            FrameTally {
                connack_code: Some(0x05),
                ..expected_total(&s)
            }
        );
        assert_eq!(tally.publishes, 9);
        assert_eq!(tally.packets, 17);
        assert!(counter.at_boundary());
    }

    #[test]
    fn stream_fed_byte_by_byte() {
        let s = test_stream();
        let cuts: Vec<usize> = (1..s.bytes.len()).collect();
        assert_eq!(check_chunked(&s, &cuts), expected_total(&s));
    }

    #[test]
    fn stream_fed_in_random_chunks() {
        let s = test_stream();
        for seed in 1..=30u64 {
            let mut rng = XorShift(seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
            // Tiny chunks for a few seeds (headers split everywhere), large ones for the rest.
            let max_chunk = if seed % 6 == 0 { 7 } else { 1500 };
            let mut cuts = Vec::new();
            let mut at = 0;
            loop {
                at += 1 + rng.below(max_chunk);
                if at >= s.bytes.len() {
                    break;
                }
                cuts.push(at);
            }
            assert_eq!(check_chunked(&s, &cuts), expected_total(&s), "seed {seed}");
        }
    }

    #[test]
    fn empty_chunks_change_nothing() {
        let mut counter = FrameCounter::new();
        assert_eq!(counter.feed(&[]), Ok(FrameTally::default()));
        assert!(counter.at_boundary());
        counter.feed(&[0x30]).expect("header");
        assert_eq!(counter.feed(&[]), Ok(FrameTally::default()));
        assert!(!counter.at_boundary());
    }

    #[test]
    fn connack_code_arrives_in_a_later_chunk() {
        let mut counter = FrameCounter::new();
        let t = counter.feed(&[0x20]).expect("ok");
        assert_eq!((t.packets, t.connack_code), (1, None));
        let t = counter.feed(&[0x03, 0x00]).expect("ok");
        assert_eq!((t.packets, t.connack_code), (0, None));
        let t = counter.feed(&[0x86]).expect("ok");
        assert_eq!((t.packets, t.connack_code), (0, Some(0x86)));
        assert!(!counter.at_boundary());
        let t = counter.feed(&[0x00, 0xC0, 0x00]).expect("ok");
        assert_eq!((t.packets, t.connack_code), (1, None));
        assert!(counter.at_boundary());
    }

    #[test]
    fn five_byte_varint_is_malformed() {
        let mut counter = FrameCounter::new();
        let e = counter
            .feed(&[0x30, 0x80, 0x80, 0x80, 0x80, 0x01])
            .unwrap_err();
        assert!(is_malformed(&e), "{e:?}");
        assert!(!counter.at_boundary());
        // The stream cannot be followed any more.
        assert!(is_malformed(&counter.feed(&[0xC0, 0x00]).unwrap_err()));

        // Same when the length arrives one byte at a time.
        let mut counter = FrameCounter::new();
        for b in [0x30, 0xFF, 0xFF, 0xFF] {
            counter.feed(&[b]).expect("not yet known to be wrong");
        }
        assert!(is_malformed(&counter.feed(&[0xFF]).unwrap_err()));
    }

    #[test]
    fn four_byte_varint_is_fine() {
        let mut counter = FrameCounter::new();
        let t = counter.feed(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F]).expect("ok");
        assert_eq!((t.packets, t.publishes), (1, 1));
        assert!(!counter.at_boundary());
        let body = vec![0u8; 268_435_455 - 1];
        counter.feed(&body).expect("ok");
        assert!(!counter.at_boundary());
        let t = counter.feed(&[0x00, 0xE0]).expect("ok");
        assert!(t.disconnect);
        assert!(!counter.at_boundary());
        counter.feed(&[0x00]).expect("ok");
        assert!(counter.at_boundary());
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = XorShift(42);
        let mut counter = FrameCounter::new();
        let mut chunk = [0u8; 64];
        for _ in 0..10_000 {
            for b in chunk.iter_mut() {
                *b = rng.next() as u8;
            }
            let n = rng.below(chunk.len() + 1);
            if counter.feed(&chunk[..n]).is_err() {
                counter = FrameCounter::new();
            }
        }
    }
}
