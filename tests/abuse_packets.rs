//! Malformed, truncated and random packets on the TCP and the WebSocket port: each offending
//! connection is closed, the broker stays up, and clients connected before keep their sessions.
//! Cases and the random seed are fixed, so every run sends the same bytes.

mod common;

use std::sync::Arc;

use common::raw::{self, ConnectOutcome, Port, Version, mqtt_string, packet, packet_claiming};
use common::witness::Witnesses;
use common::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How many cases talk to the broker at once.
const AT_ONCE: usize = 48;
/// The seed of every random case; change it only together with the expectations it reveals.
const SEED: u64 = 0x5EED_AB05;
/// Random cases per kind (random first bytes, random bytes after CONNECT, mutated packets) per port.
const RANDOM_PER_KIND: usize = 50;
/// The keep-alive a well-formed-but-unfinished case uses: the broker may only hang up after 1.5×
/// this, which is still well inside the bounded wait.
const SHORT_KEEP_ALIVE: u16 = 2;
/// The keep-alive of cases the broker must close because of what they sent, not because they went
/// quiet: far longer than the bounded wait, so a close within the wait is the broker's verdict.
const LONG_KEEP_ALIVE: u16 = 600;

/// When the broker sees a case's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Instead of (or as) the CONNECT: the front door judges them.
    FirstBytes,
    /// After an accepted CONNECT: the client's session (rumqttd's codec, then its router) judges them.
    AfterConnect,
}

/// What a case may expect once its bytes are out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Malformed: closed because of the bytes (keep-alive is far longer than the wait).
    ClosedForTheBytes,
    /// Unfinished or possibly valid (a packet still waiting for its rest, random bytes): closed at
    /// the latest when the keep-alive or the CONNECT deadline runs out.
    ClosedInTheEnd,
}

#[derive(Debug, Clone)]
struct Case {
    name: String,
    version: Version,
    stage: Stage,
    bytes: Vec<u8>,
    expect: Expect,
}

fn case(name: &str, version: Version, stage: Stage, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name: format!("{name} ({version:?})"),
        version,
        stage,
        bytes,
        expect,
    }
}

/// A PUBLISH with the given first byte and raw topic bytes; QoS > 0 gets packet id `pkid`.
fn publish(version: Version, first: u8, topic: &[u8], pkid: u16, payload: &[u8]) -> Vec<u8> {
    let mut body = mqtt_string(topic);
    if (first >> 1) & 0b11 != 0 {
        body.extend(pkid.to_be_bytes());
    }
    if version == Version::V5 {
        body.push(0); // no properties
    }
    body.extend_from_slice(payload);
    packet(first, &body)
}

/// A SUBSCRIBE with the given first byte; each filter is (raw bytes, options byte).
fn subscribe(version: Version, first: u8, pkid: u16, filters: &[(&[u8], u8)]) -> Vec<u8> {
    let mut body = pkid.to_be_bytes().to_vec();
    if version == Version::V5 {
        body.push(0);
    }
    for (filter, options) in filters {
        body.extend(mqtt_string(filter));
        body.push(*options);
    }
    packet(first, &body)
}

fn unsubscribe(version: Version, first: u8, filters: &[&[u8]]) -> Vec<u8> {
    let mut body = 9u16.to_be_bytes().to_vec();
    if version == Version::V5 {
        body.push(0);
    }
    for filter in filters {
        body.extend(mqtt_string(filter));
    }
    packet(first, &body)
}

/// CONNECT variants the front door must turn away (it sees them before rumqttd does).
fn first_byte_cases(version: Version) -> Vec<Case> {
    use Expect::*;
    use Stage::FirstBytes;
    let good = raw::connect(version, "abuse-connect", LONG_KEEP_ALIVE, None);
    let body = good.get(2..).expect("a CONNECT has a body").to_vec();
    // Offsets inside a CONNECT body: 0..6 protocol name, 6 level, 7 flags, 8..10 keep-alive.
    let with_body_byte = |index: usize, value: u8| {
        let mut changed = body.clone();
        changed[index] = value;
        packet(0x10, &changed)
    };
    let mut cases = vec![
        case(
            "CONNECT cut short, then silence",
            version,
            FirstBytes,
            good[..good.len() - 4].to_vec(),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT whose length claims 50 bytes more than sent",
            version,
            FirstBytes,
            packet_claiming(0x10, &body, body.len() + 50),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT whose length claims 6 bytes fewer than sent",
            version,
            FirstBytes,
            packet_claiming(0x10, &body, body.len() - 6),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT with reserved header flags",
            version,
            FirstBytes,
            packet(0x11, &body),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT with the reserved connect flag set",
            version,
            FirstBytes,
            with_body_byte(7, body[7] | 0x01),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT with a will of QoS 3",
            version,
            FirstBytes,
            with_body_byte(7, body[7] | 0b0001_1100),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT naming protocol MQTX",
            version,
            FirstBytes,
            with_body_byte(5, b'X'),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT with protocol level 9",
            version,
            FirstBytes,
            with_body_byte(6, 9),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT with user-name and password flags but no fields",
            version,
            FirstBytes,
            with_body_byte(7, body[7] | 0xC0),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT whose client id is not UTF-8",
            version,
            FirstBytes,
            {
                let mut changed = body[..body.len() - mqtt_string(b"abuse-connect").len()].to_vec();
                changed.extend(mqtt_string(&[0xC3, 0x28, 0xFF, 0xFE]));
                packet(0x10, &changed)
            },
            ClosedInTheEnd,
        ),
        case(
            "CONNECT claiming 2 MiB (over the CONNECT limit)",
            version,
            FirstBytes,
            packet_claiming(0x10, &vec![0u8; 64 * 1024], 2 * 1024 * 1024),
            ClosedInTheEnd,
        ),
        case(
            "CONNECT with a 5-byte remaining length",
            version,
            FirstBytes,
            vec![0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
            ClosedInTheEnd,
        ),
    ];
    if version == Version::V4 {
        // MQTT 5 allows a password without a user name; 3.1.1 does not.
        cases.push(case(
            "CONNECT with a password but no user name",
            version,
            FirstBytes,
            {
                let mut changed = body.clone();
                changed[7] |= 0x40;
                changed.extend(mqtt_string(b"secret"));
                packet(0x10, &changed)
            },
            ClosedInTheEnd,
        ));
        // Other packet types before any CONNECT do not depend on the version.
        cases.extend([
            case(
                "PUBLISH before CONNECT",
                version,
                FirstBytes,
                publish(version, 0x30, b"abuse/early", 0, b"x"),
                ClosedInTheEnd,
            ),
            case(
                "SUBSCRIBE before CONNECT",
                version,
                FirstBytes,
                subscribe(version, 0x82, 1, &[(b"#", 0)]),
                ClosedInTheEnd,
            ),
            case(
                "PINGREQ before CONNECT",
                version,
                FirstBytes,
                vec![0xC0, 0x00],
                ClosedInTheEnd,
            ),
            case(
                "an empty packet of reserved type 0",
                version,
                FirstBytes,
                vec![0x00, 0x00],
                ClosedInTheEnd,
            ),
        ]);
    }
    cases
}

/// Packets after an accepted CONNECT that no broker may take.
fn after_connect_cases(version: Version) -> Vec<Case> {
    use Expect::*;
    use Stage::AfterConnect;
    let bad =
        |name: &str, bytes: Vec<u8>| case(name, version, AfterConnect, bytes, ClosedForTheBytes);
    let good_publish = publish(version, 0x32, b"abuse/ok", 7, b"payload");
    let publish_body = good_publish[2..].to_vec();
    let mut cases = vec![
        bad(
            "PUBLISH to a topic with +",
            publish(version, 0x30, b"abuse/+/x", 0, b"x"),
        ),
        bad(
            "PUBLISH to a topic with #",
            publish(version, 0x30, b"abuse/#", 0, b"x"),
        ),
        bad(
            "PUBLISH to a topic that is not UTF-8",
            publish(version, 0x30, &[b'a', 0xFF, 0xFE], 0, b"x"),
        ),
        bad(
            "PUBLISH to a topic with a NUL character",
            publish(version, 0x30, b"abuse/\0/x", 0, b"x"),
        ),
        bad(
            "PUBLISH with QoS 3",
            publish(version, 0x36, b"abuse/qos3", 3, b"x"),
        ),
        bad(
            "PUBLISH QoS 1 with packet id 0",
            publish(version, 0x32, b"abuse/pkid0", 0, b"x"),
        ),
        bad(
            "PUBLISH whose length claims fewer bytes than its topic",
            packet_claiming(0x32, &publish_body, 4),
        ),
        case(
            "PUBLISH whose length claims 100 bytes more than sent",
            version,
            AfterConnect,
            packet_claiming(0x32, &publish_body, publish_body.len() + 100),
            ClosedInTheEnd,
        ),
        bad(
            "PUBLISH claiming 17 MiB (over the broker's packet limit)",
            packet_claiming(0x30, &vec![b'z'; 64 * 1024], 17 * 1024 * 1024),
        ),
        bad(
            "PUBLISH claiming the largest length MQTT can encode",
            packet_claiming(0x30, b"", 268_435_455),
        ),
        bad(
            "a packet with a 5-byte remaining length",
            vec![0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
        ),
        bad(
            "SUBSCRIBE to a/#/b",
            subscribe(version, 0x82, 2, &[(b"a/#/b", 1)]),
        ),
        bad(
            "SUBSCRIBE to an empty filter",
            subscribe(version, 0x82, 2, &[(b"", 1)]),
        ),
        bad(
            "SUBSCRIBE to sport+ (a + sharing its level)",
            subscribe(version, 0x82, 2, &[(b"sport+", 1)]),
        ),
        bad(
            "SUBSCRIBE to a filter that is not UTF-8",
            subscribe(version, 0x82, 2, &[(&[0xFF, b'/', b'#'], 1)]),
        ),
        bad(
            "SUBSCRIBE without any filter",
            subscribe(version, 0x82, 2, &[]),
        ),
        bad(
            "SUBSCRIBE asking for QoS 3",
            subscribe(version, 0x82, 2, &[(b"abuse/q", 3)]),
        ),
        bad(
            "SUBSCRIBE with reserved header flags 0000",
            subscribe(version, 0x80, 2, &[(b"abuse/flags", 1)]),
        ),
        bad(
            "UNSUBSCRIBE without any filter",
            unsubscribe(version, 0xA2, &[]),
        ),
        bad(
            "UNSUBSCRIBE with reserved header flags 0000",
            unsubscribe(version, 0xA0, &[b"abuse/x"]),
        ),
        bad(
            "PUBREL with reserved header flags 0000",
            packet(0x60, &[0, 7]),
        ),
        bad("CONNACK sent by a client", packet(0x20, &[0, 0])),
        bad("SUBACK sent by a client", packet(0x90, &[0, 1, 0])),
        bad("UNSUBACK sent by a client", packet(0xB0, &[0, 1])),
        bad("PINGRESP sent by a client", packet(0xD0, &[])),
        bad(
            "a second CONNECT",
            raw::connect(version, "abuse-second", LONG_KEEP_ALIVE, None),
        ),
        bad("a packet of reserved type 0", packet(0x00, &[])),
        bad("PINGREQ with a body", packet(0xC0, &[0, 0])),
    ];
    match version {
        Version::V4 => cases.extend([
            bad("a packet of reserved type 15", packet(0xF0, &[])),
            bad("DISCONNECT with a body", packet(0xE0, &[0, 0])),
        ]),
        Version::V5 => cases.push(bad(
            "DISCONNECT with an undefined reason code",
            packet(0xE0, &[0xFF]),
        )),
    }
    cases
}

/// Random cases from a fixed seed: random first bytes, random bytes after CONNECT, and a valid
/// packet sequence with a few bytes changed.
fn random_cases(rng: &mut ChaCha8Rng) -> Vec<Case> {
    let mut cases = Vec::new();
    let version = |i: usize| {
        if i.is_multiple_of(2) {
            Version::V4
        } else {
            Version::V5
        }
    };
    let noise = |rng: &mut ChaCha8Rng, max: usize| {
        let len = rng.gen_range(1..=max);
        (0..len).map(|_| rng.r#gen::<u8>()).collect::<Vec<u8>>()
    };
    for i in 0..RANDOM_PER_KIND {
        let mut bytes = noise(rng, 300);
        // Half start like a CONNECT, so the front door reads further than the first byte.
        if i.is_multiple_of(2) {
            bytes[0] = 0x10;
        }
        cases.push(case(
            &format!("random first bytes #{i}"),
            version(i),
            Stage::FirstBytes,
            bytes,
            Expect::ClosedInTheEnd,
        ));
    }
    for i in 0..RANDOM_PER_KIND {
        let bytes = noise(rng, 300);
        cases.push(case(
            &format!("random bytes after CONNECT #{i}"),
            version(i),
            Stage::AfterConnect,
            bytes,
            Expect::ClosedInTheEnd,
        ));
    }
    for i in 0..RANDOM_PER_KIND {
        let v = version(i);
        let mut bytes = publish(v, 0x32, b"abuse/mutant", 7, &[b'm'; 32]);
        bytes.extend(subscribe(v, 0x82, 8, &[(b"abuse/mutant/#", 1)]));
        bytes.extend(unsubscribe(v, 0xA2, &[b"abuse/mutant/#"]));
        bytes.extend([0xC0, 0x00]);
        for _ in 0..rng.gen_range(1..=4) {
            let at = rng.gen_range(0..bytes.len());
            bytes[at] = rng.r#gen();
        }
        cases.push(case(
            &format!("mutated packets #{i}"),
            v,
            Stage::AfterConnect,
            bytes,
            Expect::ClosedInTheEnd,
        ));
    }
    cases
}

fn all_cases() -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut cases = Vec::new();
    for version in [Version::V4, Version::V5] {
        cases.extend(first_byte_cases(version));
        cases.extend(after_connect_cases(version));
    }
    cases.extend(random_cases(&mut rng));
    cases
}

/// Runs one case; Err says what the broker did wrong.
async fn run_case(
    port: Port,
    addr: std::net::SocketAddr,
    index: usize,
    case: Case,
) -> Result<(), String> {
    let mut stream = raw::open(port, addr).await?;
    if case.stage == Stage::AfterConnect {
        let keep_alive = match case.expect {
            Expect::ClosedForTheBytes => LONG_KEEP_ALIVE,
            Expect::ClosedInTheEnd => SHORT_KEEP_ALIVE,
        };
        raw::send(
            &mut stream,
            &raw::connect(case.version, &format!("abuse-{index}"), keep_alive, None),
        )
        .await;
        match raw::read_connack(&mut stream, case.version, PATIENCE).await {
            ConnectOutcome::Accepted => {}
            other => {
                return Err(format!(
                    "its well-formed CONNECT was not accepted: {other:?}"
                ));
            }
        }
    }
    raw::send(&mut stream, &case.bytes).await;
    if case.stage == Stage::FirstBytes {
        // Whatever the front door answers, it must not be a welcome.
        if let ConnectOutcome::Accepted =
            raw::read_connack(&mut stream, case.version, PATIENCE).await
        {
            return Err("a broken CONNECT was accepted".to_owned());
        }
    }
    if raw::closed_within(&mut stream, PATIENCE).await {
        Ok(())
    } else {
        Err(format!("the connection was still open after {PATIENCE:?}"))
    }
}

fn attack(port: Port) {
    let broker = Broker::start();
    let addr = port.addr(&broker.info);
    let mut witnesses = Witnesses::connect(broker.info.tcp, &format!("{port:?}"));
    let cases = all_cases();
    let total = cases.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the raw clients");
    let failures: Vec<String> = runtime.block_on(async move {
        let gate = Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, case) in cases.into_iter().enumerate() {
            let gate = gate.clone();
            tasks.spawn(async move {
                let _slot = gate.acquire_owned().await;
                let name = case.name.clone();
                run_case(port, addr, index, case)
                    .await
                    .map_err(|why| format!("{name}: {why}"))
            });
        }
        let mut failures = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(failure)) => failures.push(failure),
                Err(panic) => failures.push(format!("a case panicked: {panic}")),
            }
        }
        failures
    });
    drop(runtime);
    eprintln!(
        "{port:?} port: {total} abusive cases, {} not handled as expected",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "on the {port:?} port:\n{}",
        failures.join("\n")
    );
    // The broker is still up, the clients from before still have their connections and sessions...
    witnesses.assert_unbroken();
    witnesses.assert_delivery(50);
    witnesses.assert_unbroken();
    assert!(matches!(
        broker.engine.snapshot().broker,
        mqtt_playground::engine::BrokerStatus::Running(_)
    ));
    // ...and a newcomer still gets a CONNACK, on both versions.
    let (_v4, _v4_conn) = v4_client(broker.info.tcp, &format!("after-abuse-v4-{port:?}"), |_| {});
    let (_v5, _v5_conn) = v5::client(broker.info.tcp, &format!("after-abuse-v5-{port:?}"), |_| {});
}

#[test]
fn abusive_packets_on_the_tcp_port_are_cut_off_and_everyone_else_is_served() {
    attack(Port::Tcp);
}

#[test]
fn abusive_packets_on_the_websocket_port_are_cut_off_and_everyone_else_is_served() {
    attack(Port::WebSocket);
}

/// rumqttd's MQTT 5 decoder reaches `unreachable!()` on a CONNACK or UNSUBACK with a body from a
/// client; the panicking link leaves its will sender behind, so the same client id connecting again
/// panicked while holding the listener's lock and every later MQTT 5 client was dropped without a
/// CONNACK. The front door must cut such a client off before rumqttd reads the packet.
#[test]
fn a_client_sending_server_packets_cannot_poison_the_mqtt5_listener() {
    let broker = Broker::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime for the raw clients");
    let addr = broker.info.tcp;
    for (round, server_packet) in [packet(0x20, &[0, 0]), packet(0xB0, &[0, 1, 0])]
        .into_iter()
        .enumerate()
    {
        let id = format!("server-impostor-{round}");
        runtime.block_on(async {
            // Twice with the same id: the second CONNECT is where a leftover will sender panicked.
            for attempt in 0..2 {
                let mut stream = raw::open(Port::Tcp, addr).await.expect("connects");
                raw::send(
                    &mut stream,
                    &raw::connect(Version::V5, &id, LONG_KEEP_ALIVE, None),
                )
                .await;
                let outcome = raw::read_connack(&mut stream, Version::V5, PATIENCE).await;
                assert_eq!(
                    outcome,
                    ConnectOutcome::Accepted,
                    "attempt {attempt} of {id}"
                );
                raw::send(&mut stream, &server_packet).await;
                assert!(
                    raw::closed_within(&mut stream, PATIENCE).await,
                    "a client sending {server_packet:02X?} was not cut off"
                );
            }
        });
        // Everyone else still gets in on MQTT 5.
        let (_c, _conn) = v5::client(addr, &format!("innocent-after-{round}"), |_| {});
    }
}
