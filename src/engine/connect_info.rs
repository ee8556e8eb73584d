//! What to tell people who want to connect: the broker's reachable addresses and ready-to-run snippets.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::settings::Credentials;

/// An address other clients can use, and who can use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress {
    pub ip: IpAddr,
    /// "this computer" or the network interface's name.
    pub scope: String,
}

/// The addresses clients should use for a broker listening on `bind`.
pub fn client_addresses(bind: IpAddr) -> Vec<ClientAddress> {
    let this_computer = ClientAddress {
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        scope: "this computer".to_owned(),
    };
    if bind.is_loopback() {
        return vec![ClientAddress {
            ip: bind,
            scope: "this computer".to_owned(),
        }];
    }
    if !bind.is_unspecified() {
        return vec![ClientAddress {
            ip: bind,
            scope: "network".to_owned(),
        }];
    }
    let mut addresses = vec![this_computer];
    if let Ok(interfaces) = if_addrs::get_if_addrs() {
        addresses.extend(
            interfaces
                .into_iter()
                .filter(|i| !i.is_loopback())
                .filter_map(|i| match i.ip() {
                    ip @ IpAddr::V4(_) => Some(ClientAddress {
                        ip,
                        scope: i.name.clone(),
                    }),
                    IpAddr::V6(_) => None,
                }),
        );
    }
    addresses
}

/// A titled, copyable piece of text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub title: &'static str,
    pub text: String,
}

/// Where the snippets point.
pub struct Target<'a> {
    pub host: IpAddr,
    pub tcp_port: u16,
    pub websocket_port: Option<u16>,
    pub credentials: Option<&'a Credentials>,
}

/// A topic learners can publish to and see in the playground.
pub const EXAMPLE_TOPIC: &str = "playground/hello";

/// Ready-to-run commands and code for the common clients.
pub fn snippets(target: &Target<'_>) -> Vec<Snippet> {
    let host = host_text(target.host);
    let port = target.tcp_port;
    let auth_flags = target
        .credentials
        .map(|c| {
            format!(
                " -u {} -P {}",
                shell_quote(&c.username),
                shell_quote(&c.password)
            )
        })
        .unwrap_or_default();
    let mut out = vec![
        Snippet {
            title: "mosquitto_sub (watch everything)",
            text: format!("mosquitto_sub -h {host} -p {port}{auth_flags} -t '#' -v"),
        },
        Snippet {
            title: "mosquitto_pub (send one message)",
            text: format!(
                "mosquitto_pub -h {host} -p {port}{auth_flags} -t {EXAMPLE_TOPIC} -m 'hello from mosquitto_pub'"
            ),
        },
        Snippet {
            title: "Python paho-mqtt 2.x",
            text: paho_snippet(&host, port, target.credentials),
        },
    ];
    if let Some(ws) = target.websocket_port {
        out.push(Snippet {
            title: "WebSocket URL (MQTT.js, paho JS)",
            text: websocket_url(target.host, ws),
        });
    }
    out
}

/// The connection string phone apps and URL-taking clients understand, e.g. `mqtt://192.168.1.20:1883`.
pub fn mqtt_url(host: IpAddr, port: u16) -> String {
    format!("mqtt://{}", SocketAddr::new(host, port))
}

/// Which of `addresses` a phone on the room's network can most likely reach: a home or office LAN
/// address (192.168/16, then 10/8, then 172.16/12, where container bridges usually sit), then any
/// other non-loopback one; loopback only when there is nothing else. `None` for an empty list.
pub fn best_for_other_devices(addresses: &[ClientAddress]) -> Option<usize> {
    let rank = |address: &ClientAddress| match address.ip {
        IpAddr::V4(v4) if v4.is_loopback() => 5,
        IpAddr::V4(v4) if v4.octets()[..2] == [192, 168] => 0,
        IpAddr::V4(v4) if v4.octets()[0] == 10 => 1,
        IpAddr::V4(v4) if v4.is_private() => 2,
        IpAddr::V4(v4) if v4.is_link_local() => 4,
        IpAddr::V6(v6) if v6.is_loopback() => 5,
        _ => 3,
    };
    (0..addresses.len()).min_by_key(|&i| rank(&addresses[i]))
}

/// The URL browser clients use; any path works, `/mqtt` is what MQTT.js expects.
pub fn websocket_url(host: IpAddr, port: u16) -> String {
    format!("ws://{}/mqtt", SocketAddr::new(host, port))
}

fn host_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => v6.to_string(),
    }
}

/// Quotes `text` for a POSIX shell when it holds anything but plain characters.
pub fn shell_quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn python_string(text: &str) -> String {
    format!("{text:?}")
}

fn paho_snippet(host: &str, port: u16, credentials: Option<&Credentials>) -> String {
    let auth = credentials
        .map(|c| {
            format!(
                "client.username_pw_set({}, {})\n",
                python_string(&c.username),
                python_string(&c.password)
            )
        })
        .unwrap_or_default();
    format!(
        r#"# pip install "paho-mqtt>=2"
import paho.mqtt.client as mqtt

def on_connect(client, userdata, flags, reason_code, properties):
    print("connected:", reason_code)
    client.subscribe("playground/#")

def on_message(client, userdata, message):
    print(message.topic, message.payload.decode(errors="replace"))

client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
{auth}client.on_connect = on_connect
client.on_message = on_message
client.connect({host:?}, {port})
client.publish({EXAMPLE_TOPIC:?}, "hello from paho")
client.loop_forever()
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lan_address_is_preferred_over_loopback_and_container_bridges() {
        let at = |ip: &str| ClientAddress {
            ip: ip.parse().unwrap(),
            scope: "x".into(),
        };
        let addresses = [
            at("127.0.0.1"),
            at("172.17.0.1"),
            at("192.168.1.20"),
            at("10.8.0.3"),
        ];
        assert_eq!(best_for_other_devices(&addresses), Some(2));
        assert_eq!(best_for_other_devices(&addresses[..2]), Some(1));
        assert_eq!(best_for_other_devices(&addresses[..1]), Some(0));
        assert_eq!(best_for_other_devices(&[]), None);
        assert_eq!(mqtt_url(addresses[2].ip, 1883), "mqtt://192.168.1.20:1883");
    }

    #[test]
    fn loopback_broker_offers_only_loopback() {
        let addresses = client_addresses(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(addresses.len(), 1);
        assert!(addresses[0].ip.is_loopback());
    }

    #[test]
    fn open_broker_offers_loopback_and_no_other_loopback() {
        let addresses = client_addresses(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert!(addresses[0].ip.is_loopback());
        assert!(addresses.iter().skip(1).all(|a| !a.ip.is_loopback()));
    }

    #[test]
    fn snippets_carry_address_port_and_credentials() {
        let credentials = Credentials {
            username: "teacher".into(),
            password: "it's secret".into(),
        };
        let target = Target {
            host: "192.168.1.20".parse().unwrap(),
            tcp_port: 1884,
            websocket_port: Some(9001),
            credentials: Some(&credentials),
        };
        let all = snippets(&target);
        assert_eq!(all.len(), 4);
        assert_eq!(
            all[0].text,
            "mosquitto_sub -h 192.168.1.20 -p 1884 -u teacher -P 'it'\\''s secret' -t '#' -v"
        );
        assert!(
            all[2]
                .text
                .contains("client.connect(\"192.168.1.20\", 1884)")
        );
        assert!(
            all[2]
                .text
                .contains("username_pw_set(\"teacher\", \"it's secret\")")
        );
        assert_eq!(all[3].text, "ws://192.168.1.20:9001/mqtt");
    }
}
