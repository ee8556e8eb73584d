//! Raw MQTT over real sockets for the abuse tests: hand-made (often malformed) packets sent over the
//! broker's TCP or WebSocket port, and what the broker answered or whether it hung up.

use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Which of the broker's user-facing ports a raw client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    Tcp,
    WebSocket,
}

impl Port {
    pub fn addr(self, info: &mqtt_playground::engine::RunningInfo) -> SocketAddr {
        match self {
            Port::Tcp => info.tcp,
            Port::WebSocket => info.websocket.expect("the WebSocket port is on"),
        }
    }
}

/// The MQTT version a raw CONNECT speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V4,
    V5,
}

pub trait RawIo: AsyncRead + AsyncWrite + Send {}
impl<T: AsyncRead + AsyncWrite + Send> RawIo for T {}

/// A byte stream to the broker: plain TCP, or MQTT-over-WebSocket binary frames.
pub type RawStream = Pin<Box<dyn RawIo>>;

/// Opens a byte stream to the broker's port (for WebSocket: completes the handshake first).
pub async fn open(port: Port, addr: SocketAddr) -> Result<RawStream, String> {
    open_from(port, addr, None).await
}

/// Like [`open`], from a chosen local address (on Linux all of 127.0.0.0/8 is this computer, so
/// tests can look like several machines to a per-address guard).
pub async fn open_from(
    port: Port,
    addr: SocketAddr,
    source: Option<std::net::IpAddr>,
) -> Result<RawStream, String> {
    let connecting = async {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        if let Some(ip) = source {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        socket.connect(addr).await
    };
    let tcp = connecting
        .await
        .map_err(|e| format!("could not connect to {addr}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    match port {
        Port::Tcp => Ok(Box::pin(tcp)),
        Port::WebSocket => {
            use async_tungstenite::tungstenite::client::IntoClientRequest;
            use async_tungstenite::tungstenite::http::HeaderValue;
            let mut request = format!("ws://{addr}/mqtt")
                .into_client_request()
                .map_err(|e| e.to_string())?;
            request
                .headers_mut()
                .insert("sec-websocket-protocol", HeaderValue::from_static("mqtt"));
            let (ws, _response) = async_tungstenite::tokio::client_async(request, tcp)
                .await
                .map_err(|e| format!("WebSocket handshake with {addr} failed: {e}"))?;
            Ok(Box::pin(ws_stream_tungstenite::WsStream::new(ws)))
        }
    }
}

/// The remaining-length varint of MQTT's fixed header (also used to write lengths that lie).
pub fn remaining_length(mut len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(4);
    loop {
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if len == 0 {
            return out;
        }
    }
}

/// A packet with an honest remaining length.
pub fn packet(first_byte: u8, body: &[u8]) -> Vec<u8> {
    packet_claiming(first_byte, body, body.len())
}

/// A packet whose remaining length says `claimed` whatever the body really holds.
pub fn packet_claiming(first_byte: u8, body: &[u8], claimed: usize) -> Vec<u8> {
    let mut out = vec![first_byte];
    out.extend(remaining_length(claimed));
    out.extend_from_slice(body);
    out
}

/// An MQTT string: two length bytes, then the bytes as given (which need not be valid UTF-8).
pub fn mqtt_string(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// A well-formed CONNECT, encoded by rumqttc's own packet code.
pub fn connect(
    version: Version,
    client_id: &str,
    keep_alive: u16,
    login: Option<(&str, &str)>,
) -> Vec<u8> {
    let mut buffer = BytesMut::new();
    match version {
        Version::V4 => {
            let mut connect = rumqttc::mqttbytes::v4::Connect::new(client_id);
            connect.keep_alive = keep_alive;
            if let Some((user, password)) = login {
                connect.set_login(user, password);
            }
            connect.write(&mut buffer).expect("a CONNECT encodes");
        }
        Version::V5 => {
            use rumqttc::v5::mqttbytes::v5::{Connect, Login};
            let connect = Connect {
                keep_alive,
                client_id: client_id.to_owned(),
                clean_start: true,
                properties: None,
            };
            let login = login.map(|(user, password)| Login::new(user, password));
            connect
                .write(&None, &login, &mut buffer)
                .expect("a CONNECT encodes");
        }
    }
    buffer.to_vec()
}

/// What the broker did with a CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectOutcome {
    Accepted,
    /// A CONNACK with a refusal code.
    Refused(String),
    /// The connection ended (or stayed silent for the whole wait) without a CONNACK.
    NoConnack(String),
}

/// Reads the broker's answer to a CONNECT, decoded by rumqttc's client-side packet code (rumqttd's
/// own v5 decoder cannot read a CONNACK: it is written for what clients send).
pub async fn read_connack(
    stream: &mut RawStream,
    version: Version,
    wait: Duration,
) -> ConnectOutcome {
    let mut buffer = BytesMut::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let decoded: Result<Option<String>, String> = match version {
            Version::V4 => match rumqttc::mqttbytes::v4::Packet::read(&mut buffer, 1024) {
                Ok(rumqttc::mqttbytes::v4::Packet::ConnAck(ack)) => {
                    Ok(Some(format!("{:?}", ack.code)))
                }
                Ok(other) => Err(format!("got {other:?} first")),
                Err(rumqttc::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
                Err(err) => Err(format!("undecodable answer: {err}")),
            },
            Version::V5 => {
                use rumqttc::v5::mqttbytes::v5::Packet as Packet5;
                match Packet5::read(&mut buffer, Some(1024)) {
                    Ok(Packet5::ConnAck(ack)) => Ok(Some(format!("{:?}", ack.code))),
                    Ok(other) => Err(format!("got {other:?} first")),
                    Err(rumqttc::v5::mqttbytes::Error::InsufficientBytes(_)) => Ok(None),
                    Err(err) => Err(format!("undecodable answer: {err}")),
                }
            }
        };
        match decoded {
            Ok(Some(code)) if code == "Success" => return ConnectOutcome::Accepted,
            Ok(Some(code)) => return ConnectOutcome::Refused(code),
            Ok(None) => {}
            Err(why) => return ConnectOutcome::NoConnack(why),
        }
        let mut chunk = [0u8; 1024];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return ConnectOutcome::NoConnack(format!("no answer within {wait:?}")),
            Ok(Ok(0)) => return ConnectOutcome::NoConnack("closed".to_owned()),
            Ok(Err(err)) => return ConnectOutcome::NoConnack(format!("closed ({err})")),
            Ok(Ok(n)) => buffer.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
}

/// Sends bytes; a broker that already hung up is not an error here (that is often the point).
pub async fn send(stream: &mut RawStream, bytes: &[u8]) {
    // Large writes go in pieces, so a broker that hangs up midway is noticed.
    for piece in bytes.chunks(16 * 1024) {
        if stream.write_all(piece).await.is_err() {
            return;
        }
    }
    let _ = stream.flush().await;
}

/// True when the broker closes the connection within `wait` (whatever it sends before that is read
/// and dropped); false when the connection is still open at the end of the wait.
pub async fn closed_within(stream: &mut RawStream, wait: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + wait;
    let mut sink = vec![0u8; 16 * 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut sink)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

/// A blocking MQTT 3.1.1 client on a plain socket, connected as `id` (keep-alive 600 s), its CONNACK
/// read; its reads give up after `PATIENCE`.
pub fn connected_blocking(addr: SocketAddr, id: &str) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(addr).expect("the port accepts");
    socket
        .set_read_timeout(Some(super::PATIENCE))
        .expect("a read timeout");
    socket
        .write_all(&connect(Version::V4, id, 600, None))
        .expect("the CONNECT goes out");
    let mut connack = [0u8; 4];
    socket.read_exact(&mut connack).expect("a CONNACK");
    assert_eq!(connack[0], 0x20, "a CONNACK");
    socket
}
