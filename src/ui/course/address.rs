//! The values a course snippet's placeholders take here: this broker's address, ports and a user name.

use std::net::IpAddr;
use std::time::Instant;

use crate::engine::connect_info::{self, ClientAddress};
use crate::engine::course::Placeholders;
use crate::engine::{BrokerStatus, RunningInfo, Snapshot};

/// The user name snippets carry when no learner is chosen and sign-in is off.
pub const STAND_IN_USER: &str = "student01";

/// The longest user name the snippet field takes.
pub const TYPED_USER_CHARS: usize = 32;

/// What a typed user name keeps: letters, digits, `_`, `-` and `.` (safe in a shell line and in a
/// topic level), at most [`TYPED_USER_CHARS`].
pub fn cleaned_user_name(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(TYPED_USER_CHARS)
        .collect()
}

/// The broker's client addresses, looked up once per broker start (as the Connect-here card does).
#[derive(Default)]
pub struct SnippetAddress {
    addresses: Option<(Instant, Vec<ClientAddress>)>,
}

impl SnippetAddress {
    /// `None` while the broker is not running: there is no address to give yet.
    /// `learner_user` is the chosen learner's user name, when they are known by one; `typed_user` is
    /// what the user typed as their own (empty: none).
    pub fn placeholders(
        &mut self,
        snapshot: &Snapshot,
        learner_user: Option<&str>,
        typed_user: &str,
    ) -> Option<Placeholders> {
        let BrokerStatus::Running(info) = &snapshot.broker else {
            return None;
        };
        let host = self.host_for(info)?;
        let username = match (learner_user, &info.settings.credentials) {
            (Some(user), _) => user.to_owned(),
            (None, _) if !typed_user.is_empty() => typed_user.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_user_name_keeps_only_what_is_safe_in_a_shell_line_and_a_topic() {
        assert_eq!(cleaned_user_name("ann"), "ann");
        assert_eq!(cleaned_user_name("ann b'; rm -rf /#+"), "annbrm-rf");
        assert_eq!(cleaned_user_name(&"x".repeat(100)).len(), TYPED_USER_CHARS);
    }
}
