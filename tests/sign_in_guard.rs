//! Sign-in on, through the real front door: guessing is slowed per address, Activity gets a summary
//! instead of a line per attempt, and the password appears in no event, log line or snapshot.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::BytesMut;
use common::logs::captured_logs;
use common::*;
use mqtt_playground::engine::{BrokerSettings, Credentials, Event};
use rumqttc::mqttbytes::v4::{Connect, Login};

const USER: &str = "teacher";
/// Distinctive, so finding it anywhere in the output means it leaked.
const PASSWORD: &str = "Quokka-Zebra-7731-secret";

fn broker_with_sign_in() -> (mqtt_playground::engine::Engine, SocketAddr) {
    let settings = BrokerSettings {
        credentials: Some(Credentials {
            username: USER.to_owned(),
            password: PASSWORD.to_owned(),
        }),
        ..BrokerSettings::loopback_any_port()
    };
    let (engine, info) = running_broker_with(settings);
    (engine, info.tcp)
}

fn connect_packet(client_id: &str, password: &str) -> Vec<u8> {
    let mut connect = Connect::new(client_id);
    connect.keep_alive = 30;
    connect.login = Some(Login::new(USER, password));
    let mut buffer = BytesMut::new();
    connect.write(&mut buffer).expect("a CONNECT");
    buffer.to_vec()
}

/// A TCP connection to `broker` from the loopback address `from` (127.0.0.x).
fn connect_from(from: &str, broker: SocketAddr) -> TcpStream {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stream = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind(format!("{from}:0").parse().expect("an address"))
            .expect("bound to the loopback address");
        socket.connect(broker).await.expect("connected")
    });
    let stream = stream.into_std().expect("a std stream");
    stream.set_nonblocking(false).expect("blocking");
    stream
}

/// Sends a CONNECT; does not wait for the answer.
fn attempt(from: &str, broker: SocketAddr, client_id: &str, password: &str) -> TcpStream {
    let mut stream = connect_from(from, broker);
    stream
        .write_all(&connect_packet(client_id, password))
        .expect("CONNECT sent");
    stream
}

/// The CONNACK's return code (0 accepted, 4 bad user name or password).
fn connack_code(stream: &mut TcpStream) -> u8 {
    stream.set_read_timeout(Some(PATIENCE)).expect("a timeout");
    let mut connack = [0u8; 4];
    stream.read_exact(&mut connack).expect("a CONNACK");
    assert_eq!(connack[0], 0x20, "a CONNACK: {connack:?}");
    connack[3]
}

fn drain(engine: &mqtt_playground::engine::Engine, into: &mut Vec<Event>) {
    while let Some(event) = engine.events().try_next() {
        into.push(event);
    }
}

#[test]
fn the_sixth_wrong_password_waits_while_others_get_in_and_activity_sums_it_up() {
    let logs = captured_logs();
    let (engine, broker) = broker_with_sign_in();
    let mut events = Vec::new();

    for n in 1..=5 {
        let mut guess = attempt("127.0.0.1", broker, &format!("guess-{n}"), "wrong");
        assert_eq!(
            connack_code(&mut guess),
            4,
            "attempt {n} is refused at once"
        );
    }
    let mut sixth = attempt("127.0.0.1", broker, "guess-6", "wrong");

    // A learner at another address signs in meanwhile, without waiting behind the guesser.
    let mut learner = attempt("127.0.0.2", broker, "learner", PASSWORD);
    assert_eq!(connack_code(&mut learner), 0, "the right password gets in");

    // The learner got in, yet the sixth guess (sent first) has had no answer: it is being held.
    sixth.set_nonblocking(true).expect("non-blocking");
    let mut byte = [0u8; 1];
    let held =
        matches!(sixth.read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock);
    assert!(held, "the sixth wrong password is not answered at once");
    sixth.set_nonblocking(false).expect("blocking");
    assert_eq!(connack_code(&mut sixth), 4, "then it is refused");

    // Activity: the first wrong password on its own line, then one summary for the rest.
    let deadline = std::time::Instant::now() + PATIENCE;
    let summary = loop {
        drain(&engine, &mut events);
        if let Some(found) = events.iter().find_map(|e| match e {
            Event::WrongPasswords { wrong_total, .. } => Some(*wrong_total),
            _ => None,
        }) {
            break found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no summary; events: {events:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(summary, 6);
    let single_lines = events
        .iter()
        .filter(|e| matches!(e, Event::ClientRefused { .. }))
        .count();
    assert_eq!(
        single_lines, 1,
        "one line for the first, not one per attempt"
    );
    let line = events
        .iter()
        .find(|e| matches!(e, Event::WrongPasswords { .. }))
        .map(Event::describe)
        .unwrap_or_default();
    assert!(line.contains("6 wrong passwords from 127.0.0.1"), "{line}");

    // Nothing anywhere says the password.
    let snapshot = format!("{:?}", engine.snapshot());
    let said: Vec<String> = events
        .iter()
        .flat_map(|e| [e.describe(), format!("{e:?}")])
        .collect();
    let logged =
        String::from_utf8_lossy(&logs.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(!logged.is_empty(), "the log capture works");
    for (what, text) in [
        ("events", said.join("\n")),
        ("log", logged),
        ("snapshot", snapshot),
    ] {
        assert!(
            !text.contains(PASSWORD),
            "the password appears in the {what}"
        );
    }
}
