//! Which broker a bench run loads: an embedded one it starts itself (loopback, a port the OS picks), or
//! any broker given with --host/--port; and the client settings every bench client uses.

use std::time::Duration;

use rumqttc::{AsyncClient, EventLoop, MqttOptions, NetworkOptions};
use serde::Serialize;

use super::args::TargetArgs;
use crate::engine::Engine;

/// Requests a client may queue before `publish().await` waits. rumqttc 0.25 writes one request per
/// poll, so a deep queue only adds latency; 1,024 keeps a flat-out publisher's event loop busy without
/// making its last messages wait long at the end of a run.
pub const REQUEST_QUEUE: usize = 1024;
/// rumqttc gives up on a CONNECT after this; thousands at once on a busy machine take seconds.
const CONNECT_TIMEOUT_S: u64 = 30;

pub struct Target {
    pub host: String,
    pub port: u16,
    credentials: Option<(String, String)>,
    pub prefix: String,
    /// Held to the end: dropping it stops the embedded broker.
    embedded: Option<Engine>,
}

/// Where the run connected, for the summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetInfo {
    pub host: String,
    pub port: u16,
    /// true: the broker is this process's own (embedded) one.
    pub embedded: bool,
}

impl Target {
    pub fn open(args: &TargetArgs) -> anyhow::Result<Self> {
        let credentials = args.username.clone().zip(args.password.clone());
        if args.embedded() {
            let (engine, info) = super::legacy::loopback_engine()?;
            return Ok(Self {
                host: info.tcp.ip().to_string(),
                port: info.tcp.port(),
                credentials,
                prefix: args.client_prefix.clone(),
                embedded: Some(engine),
            });
        }
        Ok(Self {
            host: args.host.clone().unwrap_or_else(|| "127.0.0.1".to_owned()),
            port: args.port.unwrap_or(1883),
            credentials,
            prefix: args.client_prefix.clone(),
            embedded: None,
        })
    }

    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            host: self.host.clone(),
            port: self.port,
            embedded: self.embedded.is_some(),
        }
    }

    /// A client (MQTT 3.1.1, clean session, keep-alive 60 s) and its event loop.
    pub fn client(
        &self,
        client_id: String,
        inflight: u16,
        max_packet: usize,
    ) -> (AsyncClient, EventLoop) {
        let mut options = MqttOptions::new(client_id, self.host.clone(), self.port);
        options.set_keep_alive(Duration::from_secs(60));
        options.set_clean_session(true);
        options.set_inflight(inflight.max(1));
        let max_packet = max_packet.max(10 * 1024);
        options.set_max_packet_size(max_packet, max_packet);
        if let Some((user, password)) = &self.credentials {
            options.set_credentials(user.clone(), password.clone());
        }
        let (client, mut eventloop) = AsyncClient::new(options, REQUEST_QUEUE);
        let mut network = NetworkOptions::new();
        network.set_connection_timeout(CONNECT_TIMEOUT_S);
        network.set_tcp_nodelay(true);
        eventloop.set_network_options(network);
        (client, eventloop)
    }
}
