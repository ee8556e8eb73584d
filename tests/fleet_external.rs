//! The fleet pointed at an external broker: a real Mosquitto started by the test, plain and over TLS,
//! and a broker that is not there (a clear error, reconnect attempts, nothing disturbed).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::Duration;

use common::*;
use mqtt_playground::engine::fleet::{ExternalBroker, FleetCommand, FleetTarget, GroupSpec};
use mqtt_playground::engine::{Command, Engine};
use rumqttc::QoS;

/// A Mosquitto process that is killed when the test ends, however it ends.
struct Mosquitto {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mqtt-playground-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mosquitto_binary() -> Option<PathBuf> {
    tools::on_path("mosquitto").or_else(|| {
        ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts Mosquitto on a free loopback port with `extra` config lines; waits until it accepts.
fn start_mosquitto(dir: TempDir, extra: &str) -> Option<Mosquitto> {
    let binary = mosquitto_binary();
    if !tools::available(
        "mosquitto (the broker)",
        binary.is_some(),
        "apt-get install mosquitto",
    ) {
        return None;
    }
    let port = free_port();
    let config = dir.0.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n{extra}\n"),
    )
    .unwrap();
    let child = Process::new(binary.unwrap())
        .arg("-c")
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("mosquitto starts");
    let mosquitto = Mosquitto {
        child,
        port,
        _dir: dir,
    };
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "mosquitto did not open port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(mosquitto)
}

fn fleet(engine: &Engine, command: FleetCommand) {
    engine
        .call(Command::Fleet(command), PATIENCE)
        .expect("the engine answers")
        .expect("the fleet takes the command");
}

fn group_spec(name: &str) -> GroupSpec {
    GroupSpec {
        name: name.to_owned(),
        count: 3,
        topic: "ext/{group}/{n}".to_owned(),
        payload: "reading {{counter}}".to_owned(),
        format: mqtt_playground::engine::template::PayloadFormat::Text,
        every: Some(Duration::from_millis(100)),
        ..GroupSpec::default()
    }
}

fn run_fleet_against(port: u16, tls: bool, ca_file: Option<PathBuf>) -> Engine {
    let engine = Engine::start().unwrap();
    fleet(
        &engine,
        FleetCommand::SetTarget(FleetTarget::External(ExternalBroker {
            host: "127.0.0.1".to_owned(),
            port,
            tls,
            client_id_prefix: "ext-".to_owned(),
            ca_file,
            ..ExternalBroker::default()
        })),
    );
    fleet(&engine, FleetCommand::AddGroup(group_spec("far")));
    fleet(&engine, FleetCommand::Start(None));
    engine
}

#[test]
fn the_fleet_publishes_to_an_external_mosquitto() {
    let Some(mosquitto) = start_mosquitto(TempDir::new("mosquitto-plain"), "") else {
        return;
    };
    let addr = ([127, 0, 0, 1], mosquitto.port).into();
    let (sub, mut conn) = v4_client(addr, "external-watcher", |_| {});
    sub.subscribe("ext/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut conn);
    // The embedded broker is not even running: the external one is all the fleet needs.
    let engine = run_fleet_against(mosquitto.port, false, None);
    let got = receive_v4(&mut conn, 9);
    assert_eq!(got.len(), 9, "messages arrived through Mosquitto");
    let mut topics: Vec<String> = got.iter().map(|m| m.topic.clone()).collect();
    topics.sort();
    topics.dedup();
    assert_eq!(topics, vec!["ext/far/1", "ext/far/2", "ext/far/3"]);
    wait_for_snapshot(&engine, "3 connected", |s| s.fleet.groups[0].connected == 3);
    let rows = &engine.snapshot().fleet.groups[0].devices;
    assert_eq!(
        rows[0].client_id, "ext-far-1",
        "the prefix is put before client ids"
    );
}

/// Writes a CA and a server certificate for 127.0.0.1 with the openssl command.
fn make_certificates(dir: &Path) -> bool {
    let found = tools::on_path("openssl").is_some();
    if !tools::available(
        "openssl (to make test certificates)",
        found,
        "apt-get install openssl",
    ) {
        return false;
    }
    let run = |args: &[&str]| {
        let status = Process::new("openssl")
            .args(args)
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl {args:?} failed");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Playground Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.crt",
    ]);
    // Started as root, Mosquitto reads its key as the mosquitto user: this throwaway key may be world-readable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    true
}

#[test]
fn the_fleet_publishes_over_tls_to_mosquitto_with_its_own_ca() {
    let dir = TempDir::new("mosquitto-tls");
    if !make_certificates(&dir.0) {
        return;
    }
    let certs = dir.0.clone();
    let extra = format!(
        "cafile {0}/ca.crt\ncertfile {0}/server.crt\nkeyfile {0}/server.key\n",
        certs.display()
    );
    let plain_port;
    let Some(mosquitto) = ({
        // A plain listener beside the TLS one, for the test's own subscriber.
        plain_port = free_port();
        start_mosquitto(dir, &format!("{extra}listener {plain_port} 127.0.0.1\n"))
    }) else {
        return;
    };
    let addr = ([127, 0, 0, 1], plain_port).into();
    let (sub, mut conn) = v4_client(addr, "tls-watcher", |_| {});
    sub.subscribe("ext/#", QoS::AtLeastOnce).unwrap();
    wait_v4_suback(&mut conn);
    let engine = run_fleet_against(mosquitto.port, true, Some(certs.join("ca.crt")));
    let got = receive_v4(&mut conn, 6);
    assert_eq!(got.len(), 6, "messages sent over TLS arrived");
    wait_for_snapshot(&engine, "3 connected over TLS", |s| {
        s.fleet.groups[0].connected == 3
    });
}

#[test]
fn an_unreachable_broker_gets_a_clear_error_and_retries() {
    let port = free_port();
    let engine = run_fleet_against(port, false, None);
    wait_for_snapshot(&engine, "a connection error shown", |s| {
        s.fleet.groups[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("connection refused"))
    });
    let group = &engine.snapshot().fleet.groups[0];
    assert_eq!(group.connected, 0);
    // Each device keeps trying; the errors grow rather than the group giving up.
    let errors = group.errors;
    wait_for_snapshot(&engine, "more attempts", |s| {
        s.fleet.groups[0].errors > errors
    });

    // A target that is not even well-formed is refused before it changes anything.
    let refused = engine
        .call(
            Command::Fleet(FleetCommand::SetTarget(FleetTarget::External(
                ExternalBroker {
                    host: "mqtt://broker".to_owned(),
                    ..ExternalBroker::default()
                },
            ))),
            PATIENCE,
        )
        .unwrap()
        .unwrap_err();
    assert!(refused.contains("not a host name"), "{refused}");
    assert_eq!(
        engine.snapshot().fleet.target,
        FleetTarget::External(ExternalBroker {
            host: "127.0.0.1".to_owned(),
            port,
            client_id_prefix: "ext-".to_owned(),
            ..ExternalBroker::default()
        })
    );
}
