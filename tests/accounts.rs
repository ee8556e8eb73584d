//! Learner accounts through the real broker: every generated account signs in over TCP (and one over
//! WebSocket), a wrong password or another learner's password is refused, the instructor still signs
//! in, accounts written to CSV work again after a restart, and `serve --learners` hands out a sheet
//! whose accounts sign in.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use common::raw::{self, ConnectOutcome, Port, Version};
use common::*;
use mqtt_playground::engine::accounts::{LearnerAccounts, csv_file, generate, store};
use mqtt_playground::engine::{BrokerSettings, Credentials};
use rumqttc::{ConnectReturnCode, ConnectionError};

const INSTRUCTOR: &str = "teacher";
const INSTRUCTOR_PASSWORD: &str = "Wombat-Lantern-4471";

fn instructor() -> Credentials {
    Credentials {
        username: INSTRUCTOR.to_owned(),
        password: INSTRUCTOR_PASSWORD.to_owned(),
    }
}

fn settings_with(learners: &LearnerAccounts) -> BrokerSettings {
    BrokerSettings {
        credentials: Some(instructor()),
        learner_accounts: learners.clone(),
        ..BrokerSettings::loopback_any_port()
    }
}

/// Signs in with rumqttc over TCP; the error is what the broker answered.
#[allow(clippy::result_large_err)]
fn sign_in(addr: SocketAddr, id: &str, user: &str, password: &str) -> Result<(), ConnectionError> {
    let mut options = rumqttc::MqttOptions::new(id, addr.ip().to_string(), addr.port());
    options.set_keep_alive(Duration::from_secs(30));
    options.set_credentials(user, password);
    let (_client, mut connection) = rumqttc::Client::new(options, 10);
    wait_v4_connack(&mut connection)
}

fn assert_refused(outcome: Result<(), ConnectionError>, what: &str) {
    match outcome {
        Err(ConnectionError::ConnectionRefused(ConnectReturnCode::BadUserNamePassword)) => {}
        other => {
            panic!("{what}: expected a refusal for a bad user name or password, got {other:?}")
        }
    }
}

#[test]
fn every_generated_account_signs_in_and_only_with_its_own_password() {
    let learners = generate::generate(25, "student").expect("generated");
    let (engine, info) = running_broker_with(settings_with(&learners));
    for (i, account) in learners.iter().enumerate() {
        sign_in(
            info.tcp,
            &format!("learner-{i}"),
            &account.username,
            &account.password,
        )
        .unwrap_or_else(|e| panic!("{} could not sign in: {e:?}", account.username));
    }
    sign_in(info.tcp, "instructor", INSTRUCTOR, INSTRUCTOR_PASSWORD)
        .expect("the instructor signs in");

    // Four wrong tries, under the five an address may make before it is slowed down.
    let first = &learners.as_slice()[0];
    let second = &learners.as_slice()[1];
    assert_refused(
        sign_in(info.tcp, "swap", &first.username, &second.password),
        "a learner's password under another learner's name",
    );
    assert_refused(
        sign_in(info.tcp, "wrong", &first.username, "k7mq-x4tr-9pwz"),
        "a wrong password",
    );
    assert_refused(
        sign_in(info.tcp, "instr-pw", &first.username, INSTRUCTOR_PASSWORD),
        "the instructor's password under a learner's name",
    );
    assert_refused(
        sign_in(info.tcp, "stranger", "student26", &first.password),
        "a user name that is no account",
    );

    // Over WebSocket too.
    let ws = info.websocket.expect("WebSocket on");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let over_ws = runtime.block_on(async {
        let mut stream = raw::open(Port::WebSocket, ws).await.expect("connects");
        raw::send(
            &mut stream,
            &raw::connect(
                Version::V4,
                "learner-ws",
                30,
                Some((&second.username, &second.password)),
            ),
        )
        .await;
        raw::read_connack(&mut stream, Version::V4, PATIENCE).await
    });
    assert_eq!(over_ws, ConnectOutcome::Accepted);
    wait_for_snapshot(&engine, "the refusals counted", |s| {
        s.totals.connections_refused >= 4
    });
}

#[test]
fn accounts_written_to_csv_sign_in_again_after_a_restart() {
    let folder = tempfile::tempdir().expect("a folder");
    let path = folder.path().join("class.csv");
    let learners = generate::generate(3, "lab").expect("generated");
    store::write_private(&path, &csv_file::to_csv(&learners)).expect("written");
    {
        let (_engine, info) = running_broker_with(settings_with(&learners));
        let account = &learners.as_slice()[2];
        sign_in(info.tcp, "before", &account.username, &account.password).expect("signs in");
    }
    // A new engine, as after the app restarts: only the file carries the accounts over.
    let loaded = csv_file::load(&path).expect("read back");
    assert_eq!(loaded, learners);
    let (_engine, info) = running_broker_with(settings_with(&loaded));
    let account = &loaded.as_slice()[2];
    sign_in(info.tcp, "after", &account.username, &account.password).expect("still signs in");
}

#[test]
fn learner_accounts_without_an_instructor_or_reusing_the_instructors_name_are_refused() {
    let learners = generate::generate(2, "teacher").expect("generated");
    let engine = mqtt_playground::engine::Engine::start().expect("engine");
    let without = BrokerSettings {
        learner_accounts: learners.clone(),
        ..BrokerSettings::loopback_any_port()
    };
    let err = without.validate().expect_err("refused");
    assert!(err.to_string().contains("instructor"), "{err}");
    assert!(engine.start_broker_blocking(without).is_err());
    let reused = BrokerSettings {
        credentials: Some(Credentials {
            username: "teacher01".into(),
            password: "x".into(),
        }),
        learner_accounts: learners,
        ..BrokerSettings::loopback_any_port()
    };
    let err = reused.validate().expect_err("refused");
    assert!(
        err.to_string()
            .contains("\"teacher01\" is the instructor's"),
        "{err}"
    );
}

#[test]
fn simulated_devices_keep_signing_in_as_the_instructor_when_learner_accounts_arrive() {
    use mqtt_playground::engine::Command;
    use mqtt_playground::engine::fleet::{FleetCommand, GroupSpec};
    let (engine, _info) = running_broker_with(settings_with(&LearnerAccounts::default()));
    let spec = GroupSpec {
        name: "room".to_owned(),
        count: 2,
        topic: "lab/{group}/device-{n}".to_owned(),
        payload: r#"{"tick": {{counter}}}"#.to_owned(),
        every: Some(Duration::from_millis(100)),
        ..GroupSpec::default()
    };
    for command in [FleetCommand::AddGroup(spec), FleetCommand::Start(None)] {
        engine
            .call(Command::Fleet(command), PATIENCE)
            .expect("the engine answers")
            .expect("the fleet takes it");
    }
    wait_for_snapshot(&engine, "the devices connected", |s| {
        s.fleet.groups.iter().any(|g| g.connected == 2)
    });
    // The window's "Use these accounts": a restart with the learners added.
    let learners = generate::generate(3, "student").expect("generated");
    engine
        .call(Command::RestartBroker(settings_with(&learners)), PATIENCE)
        .expect("the engine answers")
        .expect("the broker restarts");
    let tcp = match &engine.snapshot().broker {
        mqtt_playground::engine::BrokerStatus::Running(info) => {
            assert_eq!(info.settings.learner_accounts.len(), 3);
            info.tcp
        }
        other => panic!("expected a running broker, got {other:?}"),
    };
    // A learner listens; the devices' messages after the restart prove they signed in again.
    let learner = &learners.as_slice()[0];
    let (client, mut connection) = v4_client(tcp, "learner-watch", |o| {
        o.set_credentials(learner.username.clone(), learner.password.clone());
    });
    client
        .subscribe("lab/room/#", rumqttc::QoS::AtMostOnce)
        .expect("queued");
    wait_v4_suback(&mut connection);
    let got = receive_v4(&mut connection, 4);
    assert_eq!(got.len(), 4, "the devices publish after the restart");
}

/// The command printed on a card, as a learner would copy it (HTML entities undone).
fn card_command(html: &str, username: &str) -> String {
    let card = html
        .split("<section class=\"card\">")
        .find(|card| card.contains(&format!("<dd class=\"secret\">{username}</dd>")))
        .expect("the learner's card");
    let start = card.find("<pre>").expect("a command") + "<pre>".len();
    let end = card.find("</pre>").expect("the command's end");
    card[start..end]
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[test]
fn a_learner_runs_the_mosquitto_sub_line_on_their_card_and_receives() {
    let Some(mosquitto_sub) = tools::on_path("mosquitto_sub") else {
        tools::available("mosquitto_sub", false, "apt install mosquitto-clients");
        return;
    };
    assert!(mosquitto_sub.is_file());
    let learners = generate::generate(3, "student").expect("generated");
    let (_engine, info) = running_broker_with(settings_with(&learners));
    // Retained, so the learner's subscription gets it whenever it arrives.
    let (teacher, mut connection) = v4_client(info.tcp, "teacher-pub", |o| {
        o.set_credentials(INSTRUCTOR, INSTRUCTOR_PASSWORD);
    });
    teacher
        .publish(
            "playground/hello",
            rumqttc::QoS::AtLeastOnce,
            true,
            "welcome",
        )
        .expect("queued");
    pump_v4(&mut connection, Duration::from_millis(300));
    let target = mqtt_playground::engine::accounts::sheet::SheetTarget::new(
        info.settings.bind,
        info.tcp.port(),
        info.websocket.map(|w| w.port()),
    );
    let html = mqtt_playground::engine::accounts::sheet::to_html(&learners, &target);
    let command = card_command(&html, "student02");
    assert!(command.starts_with("mosquitto_sub "), "{command}");
    let output = Process::new("sh")
        .arg("-c")
        .arg(format!("{command} -C 1 -W 20"))
        .output()
        .expect("sh runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && printed.contains("playground/hello welcome"),
        "the card's command received nothing: {printed} {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs the real binary; returns it with its output lines arriving on a channel.
fn spawn_serve(args: &[&str]) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let err_tx = lines_tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = err_tx.send(format!("stderr: {line}"));
        }
    });
    (child, lines)
}

fn wait_for_line(lines: &std::sync::mpsc::Receiver<String>, seen: &mut Vec<String>, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !seen.iter().any(|l| l.contains(text)) {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("serve never printed {text:?}; it printed: {seen:#?}"),
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn serve_with_learners_writes_a_sheet_whose_accounts_sign_in_and_serve_with_accounts_takes_them_back()
 {
    let folder = tempfile::tempdir().expect("a folder");
    let sheet = folder.path().join("class.html");
    let csv = folder.path().join("class.csv");
    let port = free_port();
    let port_text = port.to_string();
    let sheet_text = sheet.display().to_string();
    let (mut child, lines) = spawn_serve(&[
        "--no-websocket",
        "--port",
        &port_text,
        "--user",
        INSTRUCTOR,
        "--password",
        INSTRUCTOR_PASSWORD,
        "--learners",
        "3",
        "--learner-prefix",
        "pupil",
        "--accounts-out",
        &sheet_text,
    ]);
    let mut seen = Vec::new();
    wait_for_line(&lines, &mut seen, "serve --accounts");
    let accounts = csv_file::load(&csv).expect("serve wrote the CSV beside the sheet");
    assert_eq!(accounts.len(), 3);
    let html = std::fs::read_to_string(&sheet).expect("the sheet");
    assert_eq!(html.matches("class=\"card\"").count(), 3);
    #[cfg(unix)]
    for file in [&sheet, &csv] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "{} is readable by its owner only",
            file.display()
        );
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let account = &accounts.as_slice()[1];
    assert_eq!(account.username, "pupil02");
    sign_in(addr, "from-sheet", &account.username, &account.password).expect("signs in");
    assert_refused(
        sign_in(addr, "wrong", &account.username, "nope"),
        "a wrong password on serve",
    );
    stop_with_sigterm(&mut child);
    seen.extend(lines.try_iter());
    assert!(
        seen.iter()
            .any(|l| l.contains("accepting 3 learner accounts (pupil01 … pupil03)")),
        "{seen:#?}"
    );
    for secret in accounts
        .iter()
        .map(|a| a.password.as_str())
        .chain([INSTRUCTOR_PASSWORD])
    {
        let leaks: Vec<_> = seen.iter().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "serve printed a password: {leaks:#?}");
    }

    // After a restart, the same sheet works again.
    let csv_text = csv.display().to_string();
    let (mut child, lines) = spawn_serve(&[
        "--no-websocket",
        "--port",
        &port_text,
        "--user",
        INSTRUCTOR,
        "--password",
        INSTRUCTOR_PASSWORD,
        "--accounts",
        &csv_text,
    ]);
    let mut seen = Vec::new();
    wait_for_line(&lines, &mut seen, "accepting 3 learner accounts");
    sign_in(addr, "after-restart", &account.username, &account.password).expect("signs in again");
    stop_with_sigterm(&mut child);
}

#[test]
fn serve_refuses_learners_without_somewhere_to_write_them_or_without_an_instructor() {
    let port = free_port().to_string();
    let output = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--port",
            &port,
            "--user",
            "t",
            "--password",
            "p",
            "--learners",
            "3",
        ])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("--learners needs --accounts-out"), "{text}");

    let folder = tempfile::tempdir().expect("a folder");
    let out = folder.path().join("a.csv");
    let output = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--port",
            &port,
            "--learners",
            "3",
            "--accounts-out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("instructor"), "{text}");
    assert!(
        !out.exists(),
        "nothing written when the broker cannot start"
    );

    let output = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args(["serve", "--learners", "501"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("from 1 to 500"), "{text}");
}
