//! Connecting many bench clients without tripping over each other: a bounded number of CONNECTs at a
//! time, a retry after a failure until the setup deadline, and the first error kept for the report.

use std::sync::Arc;
use std::time::Duration;

use rumqttc::{ConnectionError, Event, EventLoop, Packet};
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// CONNECTs in flight at once while clients are set up (1,000 at once made rumqttc time out).
pub const CONNECTS_AT_ONCE: usize = 100;

/// Drives `eventloop` until the broker's CONNACK (accepted), retrying after failures until `deadline`.
pub async fn connect(
    eventloop: &mut EventLoop,
    gate: &Arc<Semaphore>,
    deadline: Instant,
) -> Result<(), String> {
    let _permit = gate.acquire().await.map_err(|e| e.to_string())?;
    loop {
        let attempt = tokio::time::timeout_at(deadline, eventloop.poll()).await;
        match attempt {
            Err(_) => return Err("no CONNACK before the setup deadline".to_owned()),
            Ok(Ok(Event::Incoming(Packet::ConnAck(ack)))) => {
                return if ack.code == rumqttc::ConnectReturnCode::Success {
                    Ok(())
                } else {
                    Err(format!("the broker refused the connection: {:?}", ack.code))
                };
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                // Nobody listening, or the broker said no: trying again would only wait longer.
                let final_answer = matches!(&e, ConnectionError::ConnectionRefused(_))
                    || matches!(&e, ConnectionError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused);
                if final_answer || Instant::now() + Duration::from_millis(200) >= deadline {
                    return Err(describe(&e));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// A connection error in words (refusals say which).
pub fn describe(error: &ConnectionError) -> String {
    match error {
        ConnectionError::ConnectionRefused(code) => {
            format!("the broker refused the connection: {code:?}")
        }
        other => other.to_string(),
    }
}

/// How long setting up `clients` may take: generous on a busy machine.
pub fn setup_deadline(clients: usize) -> Instant {
    Instant::now() + Duration::from_secs(30 + clients as u64 / 50)
}

/// Waits for `expected` setup results; the error names how many failed and the first reason.
pub async fn await_setup(
    what: &str,
    expected: usize,
    results: &mut tokio::sync::mpsc::UnboundedReceiver<Result<(), String>>,
) -> anyhow::Result<()> {
    let mut failed = 0;
    let mut first_error = None;
    for _ in 0..expected {
        match results.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                failed += 1;
                first_error.get_or_insert(e);
            }
            None => break,
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} of {expected} {what} could not connect; the first said: {}",
            first_error.unwrap_or_default()
        );
    }
    Ok(())
}
