//! The values a course snippet's placeholders take here: this broker's address, ports and a user name.

use std::net::IpAddr;
use std::time::Instant;

use crate::engine::connect_info::{self, ClientAddress};
use crate::engine::course::Placeholders;
use crate::engine::{BrokerStatus, RunningInfo, Snapshot};

/// The user name snippets carry when no learner is chosen and sign-in is off.
pub const STAND_IN_USER: &str = "student01";

/// The broker's client addresses, looked up once per broker start (as the Connect-here card does).
#[derive(Default)]
pub struct SnippetAddress {
    addresses: Option<(Instant, Vec<ClientAddress>)>,
}

impl SnippetAddress {
    /// `None` while the broker is not running: there is no address to give yet.
    /// `learner_user` is the chosen learner's user name, when they are known by one.
    pub fn placeholders(
        &mut self,
        snapshot: &Snapshot,
        learner_user: Option<&str>,
    ) -> Option<Placeholders> {
        let BrokerStatus::Running(info) = &snapshot.broker else {
            return None;
        };
        let host = self.host_for(info)?;
        let username = match (learner_user, &info.settings.credentials) {
            (Some(user), _) => user.to_owned(),
            // The whole class is shown: the instructor's own account works for a try on this screen.
            (None, Some(credentials)) => credentials.username.clone(),
            (None, None) => STAND_IN_USER.to_owned(),
        };
        Some(Placeholders {
            host: host.to_string(),
            port: info.tcp.port(),
            ws_url: info
                .websocket
                .map(|ws| connect_info::websocket_url(host, ws.port()))
                .unwrap_or_default(),
            username,
        })
    }

    /// The address the rest of the room reaches: a network one when the broker listens on the
    /// network (a learner on another laptop cannot use 127.0.0.1), else this computer's.
    fn host_for(&mut self, info: &RunningInfo) -> Option<IpAddr> {
        let fresh = !matches!(&self.addresses, Some((started, _)) if *started == info.started);
        if fresh {
            self.addresses = Some((
                info.started,
                connect_info::client_addresses(info.settings.bind),
            ));
        }
        let addresses = &self.addresses.as_ref()?.1;
        addresses
            .iter()
            .find(|a| !a.ip.is_loopback())
            .or(addresses.first())
            .map(|a| a.ip)
    }
}
