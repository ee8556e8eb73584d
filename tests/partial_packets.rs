//! Clients that stop just short of the end of a large packet cannot make the broker hold more than
//! its shared budget for partly sent packets: past it, the client whose packet grows is disconnected,
//! and everyone else is served. Real broker, raw clients over TCP.

mod common;

use std::io::{Read, Write};

use common::raw::{self, Version, mqtt_string, remaining_length};
use common::*;
use mqtt_playground::engine::partial_packets::SHARED_BUDGET;

/// What each client sends of its packet: the packet itself is a little longer, so none completes.
const SENT_EACH: usize = 15 * 1024 * 1024;
/// Enough clients that together they send more than the budget.
const CLIENTS: usize = SHARED_BUDGET / SENT_EACH + 3;

/// Sends most of a 16 MB PUBLISH: whether the broker hung up on the way or right after, and the
/// connection (kept open by the caller, so its unfinished packet stays with the broker).
fn send_most_of_a_large_packet(
    addr: std::net::SocketAddr,
    n: usize,
) -> (bool, std::net::TcpStream) {
    let mut socket = std::net::TcpStream::connect(addr).expect("the port accepts");
    socket
        .write_all(&raw::connect(Version::V4, &format!("large-{n}"), 600, None))
        .expect("the CONNECT goes out");
    let mut connack = [0u8; 4];
    socket.read_exact(&mut connack).expect("a CONNACK");
    let mut start = vec![0x30];
    start.extend(remaining_length(SENT_EACH + 1024));
    start.extend(mqtt_string(b"large"));
    let chunk = vec![b'x'; 64 * 1024];
    let sent = socket.write_all(&start).is_ok()
        && (0..SENT_EACH / chunk.len()).all(|_| socket.write_all(&chunk).is_ok());
    if !sent {
        return (true, socket);
    }
    // The broker sends nothing to these clients: the end of the stream means it hung up.
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(2)))
        .expect("a read timeout");
    let mut byte = [0u8; 1];
    let cut_off = match socket.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    };
    (cut_off, socket)
}

#[test]
fn unfinished_large_packets_beyond_the_shared_budget_cut_their_senders_off() {
    let (_engine, info) = running_broker();
    let senders: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let addr = info.tcp;
            std::thread::spawn(move || send_most_of_a_large_packet(addr, n))
        })
        .collect();
    let outcomes: Vec<(bool, std::net::TcpStream)> = senders
        .into_iter()
        .map(|sender| sender.join().expect("a sender thread"))
        .collect();
    let cut_off = outcomes.iter().filter(|(cut_off, _)| *cut_off).count();
    assert!(
        cut_off >= 1,
        "{CLIENTS} clients left {} MiB in unfinished packets and none was cut off",
        CLIENTS * SENT_EACH / (1024 * 1024)
    );
    // Everyone else is served.
    let (client, mut connection) = v4_client(info.tcp, "after-large", |_| {});
    client.subscribe("ok", rumqttc::QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut connection);
}
