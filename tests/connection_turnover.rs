//! Clients that arrive just as others leave keep their connections. rumqttd numbers connections by
//! reusable slots, and a connection that ends twice over (a DISCONNECT, then its socket closing; or a
//! takeover racing its socket closing) sends the router a second "disconnect" for a slot that a
//! newcomer may already hold: the newcomer was dropped, whoever it was. The front door orders each
//! connection's end so that cannot happen.

mod common;

use common::raw::{self, ConnectOutcome, Port, RawStream, Version};
use common::*;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Rounds per test: the race this guards against hit about one round in a few dozen before the fix.
const ROUNDS: usize = 150;
/// Keep-alive of every raw client: far longer than the test, so only the broker's verdict closes one.
const KEEP_ALIVE: u16 = 600;
const DISCONNECT: [u8; 2] = [0xE0, 0x00];
const PINGREQ: [u8; 2] = [0xC0, 0x00];
const PINGRESP: [u8; 2] = [0xD0, 0x00];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the raw clients")
}

/// Connects and waits for the CONNACK; the test fails if the broker does not accept.
async fn connected(addr: SocketAddr, version: Version, id: &str) -> RawStream {
    let mut stream = raw::open(Port::Tcp, addr).await.expect("connects");
    raw::send(&mut stream, &raw::connect(version, id, KEEP_ALIVE, None)).await;
    let outcome = raw::read_connack(&mut stream, version, PATIENCE).await;
    assert_eq!(outcome, ConnectOutcome::Accepted, "{id} was not accepted");
    stream
}

/// True when the connection still answers a PINGREQ (it was not dropped behind its back).
async fn still_connected(stream: &mut RawStream) -> bool {
    if stream.write_all(&PINGREQ).await.is_err() {
        return false;
    }
    let mut answer = [0u8; 2];
    matches!(
        tokio::time::timeout(PATIENCE, stream.read_exact(&mut answer)).await,
        Ok(Ok(_)) if answer == PINGRESP
    )
}

/// Every stream still answers; the failure names the ones that were dropped.
async fn assert_all_still_connected(streams: &mut [(String, RawStream)]) {
    let mut dropped = Vec::new();
    for (id, stream) in streams.iter_mut() {
        if !still_connected(stream).await {
            dropped.push(id.clone());
        }
    }
    assert!(
        dropped.is_empty(),
        "{} of {} clients that connected as another left were dropped: {dropped:?}",
        dropped.len(),
        streams.len()
    );
}

/// Everything the broker sends until it closes the connection; None if it stays open past the wait.
async fn read_until_closed(stream: &mut RawStream) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut chunk = [0u8; 256];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
}

/// Runs `count` rounds against a fresh broker, MQTT 3.1.1 and 5 in turn; each round returns the client
/// that must still be connected once all rounds are done.
fn rounds(count: usize, round: impl AsyncFn(SocketAddr, Version, usize) -> (String, RawStream)) {
    let broker = Broker::start();
    let addr = broker.info.tcp;
    runtime().block_on(async {
        let mut arrived = Vec::new();
        for number in 0..count {
            let version = if number % 2 == 0 {
                Version::V4
            } else {
                Version::V5
            };
            arrived.push(round(addr, version, number).await);
        }
        assert_all_still_connected(&mut arrived).await;
    });
}

#[test]
fn a_client_arriving_as_another_says_goodbye_stays_connected() {
    rounds(ROUNDS, async |addr, version, round| {
        // The leaver says DISCONNECT and hangs up at once, as paho and mosquitto_pub do.
        let mut leaver = connected(addr, version, &format!("leaver-{round}")).await;
        let _ = leaver.write_all(&DISCONNECT).await;
        drop(leaver);
        let id = format!("newcomer-{round}");
        let newcomer = connected(addr, version, &id).await;
        (id, newcomer)
    });
}

#[test]
fn a_client_reconnecting_with_its_id_right_after_a_drop_stays_connected() {
    rounds(ROUNDS, async |addr, version, round| {
        let id = format!("flaky-{round}");
        // Gone without a word (a crash, a pulled cable), and back at once with the same id.
        drop(connected(addr, version, &id).await);
        let again = connected(addr, version, &id).await;
        (id, again)
    });
}

#[test]
fn a_second_connection_with_an_id_takes_over_and_the_first_is_closed() {
    rounds(ROUNDS / 3, async |addr, version, round| {
        let id = format!("twin-{round}");
        let mut first = connected(addr, version, &id).await;
        let second = connected(addr, version, &id).await;
        let last_words = read_until_closed(&mut first).await.unwrap_or_else(|| {
            panic!("the older connection of {id} is closed when the newer one arrives")
        });
        if version == Version::V5 {
            // DISCONNECT, reason 0x8E: session taken over.
            assert_eq!(
                last_words,
                [0xE0, 0x01, 0x8E],
                "what the older {id} was told"
            );
        }
        (id, second)
    });
}
