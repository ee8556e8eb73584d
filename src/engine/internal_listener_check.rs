//! Checks that the program listening on an internal loopback port is this one, not one that took the port first.
//!
//! rumqttd binds its listeners itself and cannot be handed a socket, so the broker picks a free
//! loopback port, releases it and lets rumqttd bind it. Another local program could take the port
//! in between; rumqttd's bind then fails, but a connection to the port would reach that program,
//! which would receive every CONNECT the front door forwards (passwords included). On Linux the
//! broker therefore checks, once the port answers, that every socket listening on it is one of
//! this process's own (the socket inodes in /proc/net/tcp and /proc/net/tcp6 against the ones in
//! /proc/self/fd), and tries another port otherwise. Other systems cannot be checked this way; the
//! README lists that as a known limit.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

/// How waiting for an internal listener ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenerWait {
    /// The port answers, and the listener is this process's own (or this system cannot tell).
    Ready,
    /// The listener task ended, or another program holds the port; worth trying another port.
    Failed(String),
    /// Nothing answered in time.
    TimedOut,
}

/// Waits until the listener `task` (rumqttd's `Server::start`) answers on `addr` and checks that
/// it is the one answering; the task is aborted unless it is ready.
pub async fn wait_for_own_listener(
    addr: SocketAddr,
    task: &mut JoinHandle<Result<(), String>>,
    ready_by: Instant,
) -> ListenerWait {
    loop {
        match wait_for_answer(addr, task, ready_by).await {
            // The port answers, but perhaps a program that took it first: never forward to that.
            ListenerWait::Ready => match listener_owner(addr.port()) {
                ListenerOwner::ThisProcess | ListenerOwner::Unknown => return ListenerWait::Ready,
                ListenerOwner::AnotherProcess => {
                    task.abort();
                    let error = format!(
                        "another program took its loopback port {} first",
                        addr.port()
                    );
                    tracing::warn!("{error}; trying another port");
                    return ListenerWait::Failed(error);
                }
                // It closed right after answering: look again.
                ListenerOwner::Nobody => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            },
            other => return other,
        }
    }
}

/// Waits until something answers on `addr` (no ownership check: see [`listener_owners`]); the
/// task is aborted if nothing does in time.
pub async fn wait_for_answer(
    addr: SocketAddr,
    task: &mut JoinHandle<Result<(), String>>,
    ready_by: Instant,
) -> ListenerWait {
    loop {
        if task.is_finished() {
            return ListenerWait::Failed(match task.await {
                Ok(Err(e)) => e,
                Ok(Ok(())) => "listener ended".to_owned(),
                Err(e) => e.to_string(),
            });
        }
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return ListenerWait::Ready;
        }
        if Instant::now() > ready_by {
            task.abort();
            return ListenerWait::TimedOut;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Who listens on each of `ports`, from one reading of the socket tables: reading them costs time
/// in proportion to every socket on the machine, too much to repeat for each of many listeners.
#[cfg(target_os = "linux")]
pub fn listener_owners(ports: &[u16]) -> Vec<ListenerOwner> {
    let ours = match own_socket_inodes() {
        Ok(inodes) => inodes,
        Err(err) => {
            tracing::warn!(%err, "could not list this process's sockets");
            return vec![ListenerOwner::Unknown; ports.len()];
        }
    };
    let tables: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .collect();
    ports
        .iter()
        .map(|port| {
            let listening: Vec<u64> = tables
                .iter()
                .flat_map(|text| listening_inodes(text, *port))
                .collect();
            if listening.is_empty() {
                ListenerOwner::Nobody
            } else if listening.iter().all(|inode| ours.contains(inode)) {
                ListenerOwner::ThisProcess
            } else {
                ListenerOwner::AnotherProcess
            }
        })
        .collect()
}

#[cfg(not(target_os = "linux"))]
pub fn listener_owners(ports: &[u16]) -> Vec<ListenerOwner> {
    vec![ListenerOwner::Unknown; ports.len()]
}

/// Who listens on a loopback port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenerOwner {
    /// Every listening socket on the port belongs to this process.
    ThisProcess,
    /// Some listening socket on the port belongs to another process.
    AnotherProcess,
    /// Nothing listens on the port.
    Nobody,
    /// This system offers no way to tell.
    Unknown,
}

/// Who listens on `port` (on any local address, IPv4 or IPv6).
pub fn listener_owner(port: u16) -> ListenerOwner {
    listener_owners(&[port])
        .into_iter()
        .next()
        .unwrap_or(ListenerOwner::Unknown)
}

/// Inodes of the sockets this process holds open.
#[cfg(target_os = "linux")]
fn own_socket_inodes() -> std::io::Result<std::collections::HashSet<u64>> {
    let mut inodes = std::collections::HashSet::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        // A descriptor closed while the directory is read is simply skipped.
        let Ok(target) = entry.and_then(|e| std::fs::read_link(e.path())) else {
            continue;
        };
        let target = target.to_string_lossy();
        if let Some(inode) = target
            .strip_prefix("socket:[")
            .and_then(|rest| rest.strip_suffix(']'))
            .and_then(|digits| digits.parse().ok())
        {
            inodes.insert(inode);
        }
    }
    Ok(inodes)
}

/// TCP state "LISTEN" in /proc/net/tcp.
const TCP_LISTEN: &str = "0A";

/// The inodes of the sockets listening on `port` in a /proc/net/tcp or tcp6 table.
///
/// Each line after the header reads `sl local_address rem_address st tx:rx tr:when retrnsmt uid
/// timeout inode ...`, with `local_address` as `HEXADDR:HEXPORT`.
fn listening_inodes(table: &str, port: u16) -> Vec<u64> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields.get(1)?;
            let state = fields.get(3)?;
            let inode = fields.get(9)?.parse().ok()?;
            let (_, hex_port) = local.rsplit_once(':')?;
            let local_port = u16::from_str_radix(hex_port, 16).ok()?;
            (*state == TCP_LISTEN && local_port == port).then_some(inode)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn only_listening_sockets_on_the_port_are_read() {
        assert_eq!(listening_inodes(TABLE, 8080), vec![4242]);
        assert_eq!(listening_inodes(TABLE, 80), vec![4444]);
        assert!(listening_inodes(TABLE, 1883).is_empty());
        assert!(listening_inodes("garbage\nmore garbage", 8080).is_empty());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_listener_of_this_process_is_recognised() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(listener_owner(port), ListenerOwner::ThisProcess);
        drop(listener);
        assert_eq!(listener_owner(port), ListenerOwner::Nobody);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn one_reading_tells_the_owner_of_every_port() {
        let ours = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ports = [
            ours.local_addr().unwrap().port(),
            closed.local_addr().unwrap().port(),
        ];
        drop(closed);
        assert_eq!(
            listener_owners(&ports),
            vec![ListenerOwner::ThisProcess, ListenerOwner::Nobody]
        );
        if let Some((child, port)) = squatter() {
            assert_eq!(
                listener_owners(&[port, ports[0]]),
                vec![ListenerOwner::AnotherProcess, ListenerOwner::ThisProcess]
            );
            stop(child);
        }
    }

    /// A listener in another process (python, as any local program could be); None without python.
    #[cfg(target_os = "linux")]
    fn squatter() -> Option<(std::process::Child, u16)> {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let script = "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1],flush=True)\nsys.stdin.read()";
        let Ok(mut child) = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            // Under CI every outside tool must be there (the project's rule for tests that need one).
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "python3 is missing, and under CI=true it must be installed"
            );
            eprintln!("SKIPPED: python3 is not installed, so no other process could listen");
            return None;
        };
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let port = line.trim().parse().expect("python printed its port");
        Some((child, port))
    }

    #[cfg(target_os = "linux")]
    fn stop(mut child: std::process::Child) {
        drop(child.stdin.take());
        let _ = child.kill();
        let _ = child.wait();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_listener_of_another_process_is_recognised() {
        let Some((child, port)) = squatter() else {
            return;
        };
        let owner = listener_owner(port);
        stop(child);
        assert_eq!(owner, ListenerOwner::AnotherProcess);
    }

    /// rumqttd still trying to bind, as when another program holds its port.
    fn stuck_listener() -> JoinHandle<Result<(), String>> {
        tokio::spawn(std::future::pending())
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_port_another_program_took_first_is_given_up() {
        let Some((child, port)) = squatter() else {
            return;
        };
        let mut task = stuck_listener();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let outcome =
            wait_for_own_listener(addr, &mut task, Instant::now() + Duration::from_secs(30)).await;
        stop(child);
        assert!(
            matches!(&outcome, ListenerWait::Failed(e) if e.contains("another program")),
            "{outcome:?}"
        );
        assert!(
            task.await.is_err_and(|e| e.is_cancelled()),
            "the listener task was aborted"
        );
    }

    #[tokio::test]
    async fn a_port_this_process_listens_on_is_ready() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let mut task = stuck_listener();
        let outcome =
            wait_for_own_listener(addr, &mut task, Instant::now() + Duration::from_secs(30)).await;
        assert_eq!(outcome, ListenerWait::Ready);
        task.abort();
    }
}
