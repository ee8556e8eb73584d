//! The real window, on a private virtual display (Xvfb), closes cleanly on Ctrl-C and SIGTERM.

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command as Process, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::*;
use rumqttc::{ConnectionError, Event, Packet};

/// Long enough for a cold window (software rendering) on a busy 2-core machine.
const WINDOW_PATIENCE: Duration = Duration::from_secs(120);

/// Processes this test started, ended (by their own ids) however the test ends.
struct Started(Vec<Child>);

impl Drop for Started {
    fn drop(&mut self) {
        for child in self.0.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A virtual display of its own (`Xvfb -displayfd` picks a free number); None when Xvfb is missing.
fn virtual_display(started: &mut Started) -> Option<String> {
    let xvfb = tools::on_path("Xvfb");
    if !tools::available(
        "Xvfb (a virtual X display)",
        xvfb.is_some(),
        "apt-get install xvfb",
    ) {
        return None;
    }
    let mut child = Process::new(xvfb?)
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("Xvfb starts");
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    started.0.push(child);
    let mut number = String::new();
    BufReader::new(stdout)
        .read_line(&mut number)
        .expect("Xvfb names its display");
    assert!(!number.trim().is_empty(), "Xvfb did not name its display");
    Some(format!(":{}", number.trim()))
}

fn scenario_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/scenarios")
        .join(name)
}

/// A port the OS just handed out (and took back), for the window's broker.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("an OS-chosen port")
        .port()
}

/// The window's log lines (its stderr), as they come.
fn log_lines(child: &mut Child) -> Receiver<String> {
    let stderr = child.stderr.take().expect("the window's stderr");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("window: {line}");
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    lines
}

/// Waits (bounded) for a log line containing `text`.
fn wait_for_line(lines: &Receiver<String>, text: &str) {
    let deadline = Instant::now() + WINDOW_PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return,
            Ok(_) => {}
            Err(_) => panic!("the window never logged {text:?}"),
        }
    }
}

/// Waits (bounded) for the process to end on its own.
fn wait_for_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + WINDOW_PATIENCE;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("the window's status") {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the window was still running {WINDOW_PATIENCE:?} after the signal");
}

/// Opens the window with the tutorial's devices, waits for its first frame and a watcher client,
/// sends `signal`, and checks the window closed the normal way: exit status 0, the watcher
/// disconnected by the stopping broker, the port free again.
fn window_closes_on(signal: &str) {
    let mut started = Started(Vec::new());
    let Some(display) = virtual_display(&mut started) else {
        return;
    };
    let port = free_port();
    let data_home = std::env::temp_dir().join(format!(
        "mqtt-playground-window-signal-{}-{signal}",
        std::process::id()
    ));
    let window = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args(["--no-websocket", "--port", &port.to_string(), "--scenario"])
        .arg(scenario_path("tutorial.toml"))
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_DATA_HOME", &data_home)
        .env("RUST_LOG", "mqtt_playground=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    started.0.push(window);
    let lines = log_lines(&mut started.0[1]);
    wait_for_line(&lines, "first frame");
    // The first frame can come before the broker listens: it starts on the engine's own time.
    let deadline = Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the window's broker never listened on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    let (_watcher, mut connection) = v4_client(
        ([127, 0, 0, 1], port).into(),
        &format!("signal-watcher-{signal}"),
        |_| {},
    );
    let pid = started.0[1].id().to_string();
    let sent = Process::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill -{signal} {pid}");

    let status = wait_for_exit(&mut started.0[1]);
    assert!(
        status.success(),
        "the window closes cleanly on SIG{signal} (not killed by it): {status:?}"
    );
    // The broker was stopped on the way out, so the watcher was disconnected.
    let deadline = Instant::now() + PATIENCE;
    let mut disconnected = false;
    while Instant::now() < deadline && !disconnected {
        match connection.recv_timeout(Duration::from_millis(500)) {
            Ok(Err(ConnectionError::ConnectionRefused(_)))
            | Ok(Err(ConnectionError::Io(_)))
            | Ok(Err(ConnectionError::MqttState(_)))
            | Ok(Ok(Event::Incoming(Packet::Disconnect))) => disconnected = true,
            Ok(_) | Err(_) => {}
        }
    }
    assert!(disconnected, "the watcher was disconnected");
    TcpListener::bind(("127.0.0.1", port)).expect("the broker's port is free again");
    let _ = std::fs::remove_dir_all(&data_home);
}

#[test]
fn ctrl_c_closes_the_window_cleanly() {
    window_closes_on("INT");
}

#[test]
fn sigterm_closes_the_window_cleanly() {
    window_closes_on("TERM");
}
