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

/// Sends most of a 16 MB PUBLISH: whether the broker hung up on the way, and the connection (kept
/// open by the caller, so its unfinished packet stays with the broker).
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
    (!sent, socket)
}

/// True when the broker has hung up on this connection (it sends these clients nothing else).
fn hung_up(socket: &mut std::net::TcpStream) -> bool {
    let mut byte = [0u8; 1];
    match socket.read(&mut byte) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
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
    let mut outcomes: Vec<(bool, std::net::TcpStream)> = senders
        .into_iter()
        .map(|sender| sender.join().expect("a sender thread"))
        .collect();
    // The broker may still be reading what the kernel buffered: look until one was cut off.
    let deadline = std::time::Instant::now() + PATIENCE;
    for (_, socket) in &outcomes {
        socket.set_nonblocking(true).expect("a non-blocking socket");
    }
    let cut_off = loop {
        for (cut_off, socket) in &mut outcomes {
            *cut_off = *cut_off || hung_up(socket);
        }
        let cut_off = outcomes.iter().filter(|(cut_off, _)| *cut_off).count();
        if cut_off > 0 || std::time::Instant::now() >= deadline {
            break cut_off;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
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
