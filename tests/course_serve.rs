//! `serve --course`: the real binary prints a line when a learner completes a step, the roster on
//! SIGUSR2 and at exit; a bad course file stops it before the broker starts.

mod common;

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Command as Process, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use common::{PATIENCE, pump_v4, stop_with_sigterm, v4_client};
use rumqttc::QoS;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Reads stdout lines on a thread of their own.
fn lines_of(child: &mut std::process::Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line containing `text`; returns every line read up to it.
fn wait_line(lines: &Receiver<String>, text: &str) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no line with {text:?}; saw {seen:#?}"));
        let found = line.contains(text);
        seen.push(line);
        if found {
            return seen;
        }
    }
}

#[test]
fn serve_course_prints_completed_steps_and_the_roster() {
    let port = free_port();
    let mut child = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--no-websocket",
            "--course",
            "builtin",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("serve starts");
    let lines = lines_of(&mut child);
    wait_line(&lines, "course \"MQTT in 12 steps\" running (12 steps)");
    wait_line(&lines, "MQTT Playground broker running");
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let (client, mut conn) = v4_client(addr, "laptop-7", |o| {
        o.set_credentials("student07", "pw");
    });
    client
        .publish("class/student07/t", QoS::AtLeastOnce, false, "1")
        .unwrap();
    pump_v4(&mut conn, Duration::from_millis(300));
    wait_line(
        &lines,
        "student07 completed step 1: Connect a client (client \"laptop-7\")",
    );
    wait_line(
        &lines,
        "student07 completed step 6: Publish at QoS 1 and see the PUBACK",
    );

    #[cfg(unix)]
    {
        let sent = Process::new("kill")
            .args(["-USR2", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let roster = wait_line(&lines, "student07");
        let header = roster
            .iter()
            .find(|l| l.starts_with("learner"))
            .expect("a header line");
        assert!(header.contains("connected") && header.contains("msgs in"));
        let row = roster.last().unwrap();
        assert!(row.contains("yes"), "{row}");
        assert!(row.contains("✓....✓...... 2/12"), "{row}");
    }

    drop(client);
    drop(conn);
    stop_with_sigterm(&mut child);
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(
        rest.iter().any(|l| l.starts_with("student07")),
        "the roster at exit: {rest:#?}"
    );
}

#[test]
fn serve_refuses_a_bad_course_file_before_the_broker_starts() {
    let dir = std::env::temp_dir().join(format!("course-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "title = \"Bad\"\n[[steps]]\nid = \"s1\"\ntitle = \"One\"\n[steps.check]\nkind = \"published\"\nqos = 5\n",
    )
    .unwrap();
    let port = free_port();
    let output = Process::new(env!("CARGO_BIN_EXE_mqtt-playground"))
        .args([
            "serve",
            "--port",
            &port.to_string(),
            "--no-websocket",
            "--course",
        ])
        .arg(&file)
        .output()
        .expect("serve runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stderr.contains("step 1 (\"s1\"): check.qos QoS 5 does not exist"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("broker running"),
        "the broker never started: {stdout}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
