//! The WebSocket port's size limits, with a real WebSocket client: an oversized first frame is cut off
//! before sign-in, while a signed-in client may still publish large messages.

mod common;

use std::time::Duration;

use bytes::BytesMut;
use common::*;
use mqtt_playground::engine::Event;
use rumqttc::QoS;
use rumqttc::mqttbytes::v4::{Connect, Publish};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type ClientStream =
    ws_stream_tungstenite::WsStream<async_tungstenite::tokio::TokioAdapter<tokio::net::TcpStream>>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a test runtime")
}

/// A WebSocket client speaking the "mqtt" subprotocol, as bytes.
async fn websocket_client(addr: std::net::SocketAddr) -> ClientStream {
    use async_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/mqtt")
        .into_client_request()
        .expect("a request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "mqtt".parse().expect("a header value"),
    );
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the WebSocket port accepts");
    let (ws, _response) = async_tungstenite::tokio::client_async(request, tcp)
        .await
        .expect("the WebSocket handshake succeeds");
    ws_stream_tungstenite::WsStream::new(ws)
}

fn connect_bytes(client_id: &str) -> Vec<u8> {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = 30;
    let mut buffer = BytesMut::new();
    connect.write(&mut buffer).expect("a CONNECT");
    buffer.to_vec()
}

/// Signs in over WebSocket and reads the CONNACK; returns its return code.
async fn sign_in(stream: &mut ClientStream, client_id: &str) -> u8 {
    stream
        .write_all(&connect_bytes(client_id))
        .await
        .expect("CONNECT sent");
    let mut connack = [0u8; 4];
    tokio::time::timeout(PATIENCE, stream.read_exact(&mut connack))
        .await
        .expect("a CONNACK in time")
        .expect("a CONNACK");
    assert_eq!(connack[0], 0x20, "CONNACK packet type: {connack:?}");
    connack[3]
}

#[test]
fn a_2_mib_first_frame_is_cut_off_before_sign_in_and_others_still_get_in() {
    let (engine, info) = running_broker();
    let ws = info.websocket.expect("the WebSocket port is on");
    runtime().block_on(async {
        let mut hostile = websocket_client(ws).await;
        // One binary message: a CONNECT header that claims 2 MiB, then the 2 MiB.
        let size = 2 * 1024 * 1024;
        let mut frame = vec![0x10, 0x80, 0x80, 0x80, 0x01];
        frame.resize(size, b'x');
        // The broker hangs up part way, so the write may fail: that is the point.
        let _ = tokio::time::timeout(PATIENCE, hostile.write_all(&frame)).await;
        let _ = tokio::time::timeout(PATIENCE, hostile.flush()).await;
        let mut sink = [0u8; 64];
        let closed = tokio::time::timeout(PATIENCE, hostile.read(&mut sink)).await;
        assert!(
            matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
            "the hostile connection is closed: {closed:?}"
        );

        // The broker is still fine for a normal WebSocket client.
        let mut normal = websocket_client(ws).await;
        assert_eq!(sign_in(&mut normal, "ws-after-hostile").await, 0);
    });

    let deadline = std::time::Instant::now() + PATIENCE;
    let mut reasons = Vec::new();
    while std::time::Instant::now() < deadline {
        if let Some(Event::ConnectionRejected { reason, .. }) =
            engine.events().next_timeout(Duration::from_millis(100))
        {
            if reason.contains("before its CONNECT") {
                assert!(reason.contains("KiB"), "the limit is named: {reason}");
                return;
            }
            reasons.push(reason);
        }
    }
    panic!("no rejection naming the pre-sign-in limit; saw {reasons:?}");
}

#[test]
fn a_signed_in_websocket_client_may_publish_2_mib() {
    let (_engine, info) = running_broker();
    let ws = info.websocket.expect("the WebSocket port is on");
    let (subscriber, mut sub_conn) = v4_client(info.tcp, "big-listener", |o| {
        o.set_max_packet_size(4 * 1024 * 1024, 4 * 1024 * 1024);
    });
    subscriber.subscribe("big/#", QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut sub_conn);

    let payload = vec![b'p'; 2 * 1024 * 1024];
    runtime().block_on(async {
        let mut publisher = websocket_client(ws).await;
        assert_eq!(sign_in(&mut publisher, "ws-big-publisher").await, 0);
        let mut packet = BytesMut::new();
        Publish::new("big/one", QoS::AtMostOnce, payload.clone())
            .write(&mut packet)
            .expect("a PUBLISH");
        publisher
            .write_all(&packet)
            .await
            .expect("the large PUBLISH goes out");
        publisher.flush().await.expect("flushed");
        // Keep the connection open until the subscriber has it.
        let received = tokio::task::spawn_blocking(move || receive_v4(&mut sub_conn, 1))
            .await
            .expect("the receiving thread ends");
        assert_eq!(received.len(), 1, "the 2 MiB publish arrived");
        assert_eq!(received[0].payload.len(), payload.len());
    });
}
