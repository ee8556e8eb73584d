//! Who can reach the broker: with "This computer only" no non-loopback address of the machine
//! reaches either port, and with sign-in on nobody gets in without the right user name and password
//! (MQTT 3.1.1 and 5, TCP and WebSocket), while the password shows up in no log line or event.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV6};
use std::time::Duration;

use common::raw::{self, ConnectOutcome, Port, Version};
use common::*;
use mqtt_playground::engine::{BrokerSettings, Credentials};

/// A password no other text in a run contains, so finding it anywhere means it leaked.
const PASSWORD: &str = "Zq7-plum-Harbour-19";
const USERNAME: &str = "teacher";
/// Wrong guesses, close enough to the real one that a leak of a near miss would matter too.
const WRONG_PASSWORDS: [&str; 2] = ["Zq7-plum-Harbour-18", "guess-Kx2-oak"];
/// How long a probe of a port that must be unreachable may take before it counts as unreachable.
const PROBE: Duration = Duration::from_secs(5);

/// This machine's addresses other than loopback, as socket addresses for `port` (IPv6 link-local
/// addresses carry their interface, or they could not be reached even when open).
fn non_loopback_addresses(port: u16) -> Vec<SocketAddr> {
    let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
    interfaces
        .iter()
        .filter(|i| !i.is_loopback())
        .map(|i| match i.ip() {
            IpAddr::V6(v6) if i.is_link_local() => {
                SocketAddr::V6(SocketAddrV6::new(v6, port, 0, i.index.unwrap_or(0)))
            }
            ip => SocketAddr::new(ip, port),
        })
        .collect()
}

fn reachable(addr: SocketAddr) -> bool {
    std::net::TcpStream::connect_timeout(&addr, PROBE).is_ok()
}

#[test]
fn this_computer_only_cannot_be_reached_on_any_other_address_of_the_machine() {
    let local = Broker::start();
    assert!(local.info.settings.bind.is_loopback());
    let tcp = local.info.tcp.port();
    let ws = local.info.websocket.expect("WebSocket on").port();
    let targets = non_loopback_addresses(tcp);
    if targets.is_empty() {
        eprintln!(
            "SKIPPED: this machine has no network address other than loopback, so there is nothing to reach the broker from"
        );
        return;
    }
    // A control: the same probe does reach a broker opened to the network, so an unreachable
    // port below is the bind's doing, not a probe that never works.
    let open = running_broker_with(BrokerSettings {
        bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ..BrokerSettings::loopback_any_port()
    });
    let open_port = open.1.tcp.port();
    let mut probed = Vec::new();
    for target in &targets {
        if target.is_ipv4() {
            assert!(
                reachable(SocketAddr::new(target.ip(), open_port)),
                "the control failed: a broker open to the network was not reachable on {}",
                target.ip()
            );
        }
        for port in [tcp, ws] {
            let addr = match *target {
                SocketAddr::V6(v6) => {
                    SocketAddr::V6(SocketAddrV6::new(*v6.ip(), port, 0, v6.scope_id()))
                }
                SocketAddr::V4(v4) => SocketAddr::new(IpAddr::V4(*v4.ip()), port),
            };
            assert!(
                !reachable(addr),
                "\"This computer only\" was reachable from the network at {addr}"
            );
            probed.push(addr.to_string());
        }
    }
    eprintln!("loopback-only broker unreachable at: {probed:?}");
    // And it is there for this computer.
    let (_c, _conn) = v4_client(local.info.tcp, "loopback-user", |_| {});
}

/// One sign-in attempt a raw client makes; `None` means no user name and password at all.
#[derive(Debug, Clone)]
struct Attempt {
    login: Option<(&'static str, &'static str)>,
    version: Version,
    port: Port,
}

async fn try_sign_in(addr: SocketAddr, attempt: &Attempt, index: usize) -> ConnectOutcome {
    // Each wrong attempt comes from its own loopback address, so a guard that slows repeated
    // failures from one address (after 5) does not blur the verdicts.
    let source = IpAddr::V4(Ipv4Addr::new(127, 0, 1, (index % 250 + 1) as u8));
    let source = cfg!(target_os = "linux").then_some(source);
    let mut stream = match raw::open_from(attempt.port, addr, source).await {
        Ok(stream) => stream,
        Err(why) => return ConnectOutcome::NoConnack(why),
    };
    raw::send(
        &mut stream,
        &raw::connect(
            attempt.version,
            &format!("signin-{index}"),
            30,
            attempt.login,
        ),
    )
    .await;
    raw::read_connack(&mut stream, attempt.version, PATIENCE).await
}

#[test]
fn with_sign_in_on_only_the_right_credentials_get_in_on_either_port_and_the_password_is_never_logged()
 {
    let log = common::logs::captured_logs();
    let (engine, info) = running_broker_with(BrokerSettings {
        credentials: Some(Credentials {
            username: USERNAME.to_owned(),
            password: PASSWORD.to_owned(),
        }),
        ..BrokerSettings::loopback_any_port()
    });
    let wrong_logins: [Option<(&'static str, &'static str)>; 5] = [
        None,
        Some(("stranger", PASSWORD)),
        Some((USERNAME, WRONG_PASSWORDS[0])),
        Some(("stranger", WRONG_PASSWORDS[1])),
        Some((USERNAME, "")),
    ];
    let mut right = Vec::new();
    let mut wrong = Vec::new();
    for port in [Port::Tcp, Port::WebSocket] {
        for version in [Version::V4, Version::V5] {
            right.push(Attempt {
                login: Some((USERNAME, PASSWORD)),
                version,
                port,
            });
            for login in wrong_logins {
                wrong.push(Attempt {
                    login,
                    version,
                    port,
                });
            }
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime for the raw clients");
    let (right_outcomes, wrong_outcomes) = runtime.block_on(async {
        // The right ones first, before any failure could slow this computer's sign-ins down.
        let mut right_outcomes = Vec::new();
        for (i, attempt) in right.iter().enumerate() {
            let addr = attempt.port.addr(&info);
            right_outcomes.push(try_sign_in(addr, attempt, 1000 + i).await);
        }
        // The wrong ones all at once, so a deliberately delayed refusal costs one wait, not twenty.
        let mut tasks = tokio::task::JoinSet::new();
        for (i, attempt) in wrong.iter().cloned().enumerate() {
            let addr = attempt.port.addr(&info);
            tasks.spawn(async move {
                let outcome = try_sign_in(addr, &attempt, i).await;
                (attempt, outcome)
            });
        }
        let mut wrong_outcomes = Vec::new();
        while let Some(Ok(done)) = tasks.join_next().await {
            wrong_outcomes.push(done);
        }
        (right_outcomes, wrong_outcomes)
    });
    drop(runtime);

    for (attempt, outcome) in right.iter().zip(&right_outcomes) {
        assert_eq!(
            *outcome,
            ConnectOutcome::Accepted,
            "the right credentials were not let in: {attempt:?}"
        );
    }
    assert_eq!(wrong_outcomes.len(), wrong.len(), "every wrong attempt ran");
    for (attempt, outcome) in &wrong_outcomes {
        // A refusal CONNACK, or (for a guard that slows guessing) a close or silence: never a welcome.
        assert_ne!(
            *outcome,
            ConnectOutcome::Accepted,
            "let in without the right credentials: {attempt:?}"
        );
    }
    let refused_with_connack = wrong_outcomes
        .iter()
        .filter(|(_, o)| matches!(o, ConnectOutcome::Refused(_)))
        .count();
    eprintln!(
        "sign-in: {} right attempts let in, {} wrong attempts kept out ({refused_with_connack} with a refusal CONNACK)",
        right_outcomes.len(),
        wrong_outcomes.len()
    );
    // rumqttc, the way real clients do it, on both versions.
    let (_v4, _v4_conn) = v4_client(info.tcp, "signed-in-v4", |o| {
        o.set_credentials(USERNAME, PASSWORD);
    });
    let (_v5, _v5_conn) = v5::client(info.tcp, "signed-in-v5", |o| {
        o.set_credentials(USERNAME, PASSWORD);
    });
    wait_for_snapshot(&engine, "the refusals counted", |s| {
        s.totals.connections_refused >= wrong.len() as u64
    });

    // Neither the password nor a near-miss guess is in any log line or event.
    let events: Vec<String> = std::iter::from_fn(|| engine.events().try_next())
        .map(|e| format!("{e:?}"))
        .collect();
    assert!(
        events.iter().any(|e| e.contains("ClientRefused")),
        "the refusals reached the events, so the events were really read: {events:?}"
    );
    drop(engine);
    let log = String::from_utf8_lossy(&log.lock().expect("not poisoned")).into_owned();
    assert!(
        log.lines().count() > 10,
        "tracing output was captured ({} lines)",
        log.lines().count()
    );
    for secret in std::iter::once(PASSWORD).chain(WRONG_PASSWORDS) {
        let leaked: Vec<&str> = log.lines().filter(|l| l.contains(secret)).collect();
        assert!(leaked.is_empty(), "a password is in the log: {leaked:?}");
        let leaked: Vec<&String> = events.iter().filter(|e| e.contains(secret)).collect();
        assert!(leaked.is_empty(), "a password is in an event: {leaked:?}");
    }
    eprintln!(
        "password checked absent from {} log lines and {} events",
        log.lines().count(),
        events.len()
    );
}

/// `serve` prints ready-to-run commands and, with `--diagnostics`, a report; a classroom server's
/// terminal is often projected or logged, so neither may show the password.
#[test]
fn serve_prints_no_password_in_its_hints_diagnostics_or_events() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command as Process, Stdio};
    use std::time::Instant;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut child = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args(["serve", "--no-websocket", "--diagnostics", "--port"])
        .arg(port.to_string())
        .args(["--user", USERNAME, "--password", PASSWORD])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let err_tx = lines_tx.clone();
    let readers = [
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        }),
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = err_tx.send(line);
            }
        }),
    ];
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.iter().any(|l: &String| l.contains("try:")) {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("serve prints a command to try");
        seen.push(line);
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for password in [WRONG_PASSWORDS[0], PASSWORD] {
            let mut stream = raw::open(Port::Tcp, addr).await.expect("connects");
            raw::send(
                &mut stream,
                &raw::connect(
                    Version::V4,
                    "serve-password-probe",
                    30,
                    Some((USERNAME, password)),
                ),
            )
            .await;
            let _ = raw::read_connack(&mut stream, Version::V4, Duration::from_secs(30)).await;
        }
    });
    let status = Process::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let _ = child.wait();
    for reader in readers {
        let _ = reader.join();
    }
    seen.extend(lines.try_iter());
    assert!(
        seen.iter().any(|l| l.contains(USERNAME)),
        "the hint names the user: {seen:#?}"
    );
    let leaks: Vec<&String> = seen.iter().filter(|l| l.contains(PASSWORD)).collect();
    assert!(leaks.is_empty(), "serve printed the password: {leaks:#?}");
}
