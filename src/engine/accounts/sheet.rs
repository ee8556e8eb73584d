//! The printable sheet: one card per learner with where to connect, their user name and password, and a
//! mosquitto_sub line to try; plain HTML and CSS that prints several cards to an A4 page.

use std::net::IpAddr;

use crate::engine::connect_info::{self, EXAMPLE_TOPIC, shell_quote, websocket_url};

use super::LearnerAccounts;

/// Where the learners connect, as printed on every card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetTarget {
    /// Addresses with who can use them ("wlan0", "this computer"); the network ones when there are any.
    pub addresses: Vec<(IpAddr, String)>,
    pub tcp_port: u16,
    pub ws_port: Option<u16>,
}

impl SheetTarget {
    /// The addresses a broker listening on `bind` is reached at: for a broker open to the network,
    /// the network's (a learner's laptop cannot use 127.0.0.1), else this computer's.
    pub fn new(bind: IpAddr, tcp_port: u16, ws_port: Option<u16>) -> Self {
        let all = connect_info::client_addresses(bind);
        let network: Vec<_> = all
            .iter()
            .filter(|a| !a.ip.is_loopback())
            .cloned()
            .collect();
        let chosen = if network.is_empty() { all } else { network };
        Self {
            addresses: chosen.into_iter().map(|a| (a.ip, a.scope)).collect(),
            tcp_port,
            ws_port,
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "\
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: sans-serif; font-size: 10pt; margin: 0; color: #000; }
h1 { font-size: 13pt; margin: 0 0 4mm 0; }
.note { margin: 0 0 4mm 0; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 5mm; }
.card { border: 1px dashed #666; padding: 4mm; break-inside: avoid; page-break-inside: avoid; }
.card h2 { font-size: 11pt; margin: 0 0 2mm 0; }
.card dl { display: grid; grid-template-columns: auto 1fr; gap: 1mm 3mm; margin: 0 0 2mm 0; }
.card dt { font-weight: bold; }
.card dd { margin: 0; font-family: monospace; word-break: break-all; }
.card dd.secret { font-size: 13pt; }
.card pre { font-size: 8pt; white-space: pre-wrap; word-break: break-all; margin: 0; background: #f2f2f2; padding: 1.5mm; }
@media print { .note { display: none; } }
";

/// The whole sheet as one HTML page.
pub fn to_html(accounts: &LearnerAccounts, target: &SheetTarget) -> String {
    let mut html = String::with_capacity(1024 + accounts.len() * 1200);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<title>MQTT Playground: learner accounts</title>\n<style>\n");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<h1>MQTT Playground: learner accounts</h1>\n");
    html.push_str(
        "<p class=\"note\">Print this page (Ctrl+P), cut along the dashed lines and hand each learner their card. This note is not printed.</p>\n",
    );
    if target.addresses.iter().all(|(ip, _)| ip.is_loopback()) {
        html.push_str(
            "<p class=\"note\"><strong>The broker serves this computer only:</strong> learners' laptops cannot reach it. Choose \"Open to my network\" (or serve --bind 0.0.0.0) and export the sheet again.</p>\n",
        );
    }
    html.push_str("<main class=\"cards\">\n");
    for account in accounts.iter() {
        push_card(&mut html, &account.username, &account.password, target);
    }
    html.push_str("</main>\n</body>\n</html>\n");
    html
}

fn push_card(html: &mut String, username: &str, password: &str, target: &SheetTarget) {
    let user = escape_html(username);
    html.push_str("<section class=\"card\">\n");
    html.push_str(&format!("<h2>MQTT Playground · {user}</h2>\n<dl>\n"));
    for (ip, scope) in &target.addresses {
        html.push_str(&format!(
            "<dt>Broker</dt><dd>{} <small>({})</small></dd>\n",
            escape_html(&ip.to_string()),
            escape_html(scope)
        ));
    }
    html.push_str(&format!("<dt>Port</dt><dd>{}</dd>\n", target.tcp_port));
    if let Some(ws) = target.ws_port {
        for (ip, _) in &target.addresses {
            html.push_str(&format!(
                "<dt>WebSocket</dt><dd>{}</dd>\n",
                escape_html(&websocket_url(*ip, ws))
            ));
        }
    }
    html.push_str(&format!(
        "<dt>User name</dt><dd class=\"secret\">{user}</dd>\n<dt>Password</dt><dd class=\"secret\">{}</dd>\n</dl>\n",
        escape_html(password)
    ));
    if let Some((ip, _)) = target.addresses.first() {
        let command = format!(
            "mosquitto_sub -h {ip} -p {} -u {} -P {} -t {} -v",
            target.tcp_port,
            shell_quote(username),
            shell_quote(password),
            shell_quote(&topic_filter()),
        );
        html.push_str(&format!("<pre>{}</pre>\n", escape_html(&command)));
    }
    html.push_str("</section>\n");
}

/// What the card's command listens to: everything under the playground's example topic's root.
fn topic_filter() -> String {
    let root = EXAMPLE_TOPIC.split('/').next().unwrap_or("playground");
    format!("{root}/#")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::settings::Credentials;
    use std::net::Ipv4Addr;

    fn target() -> SheetTarget {
        SheetTarget {
            addresses: vec![(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20)), "wlan0".into())],
            tcp_port: 1883,
            ws_port: Some(9001),
        }
    }

    #[test]
    fn every_learner_gets_a_card_with_everything_to_connect() {
        let accounts = super::super::generate::generate(3, "student").expect("generated");
        let html = to_html(&accounts, &target());
        assert_eq!(html.matches("<section class=\"card\">").count(), 3);
        let first = &accounts.as_slice()[0];
        assert!(html.contains("<dd class=\"secret\">student01</dd>"));
        assert!(html.contains(&format!("<dd class=\"secret\">{}</dd>", first.password)));
        assert!(html.contains("<dd>ws://192.168.1.20:9001/mqtt</dd>"));
        assert!(html.contains(&format!(
            "mosquitto_sub -h 192.168.1.20 -p 1883 -u student01 -P {} -t &#39;playground/#&#39; -v",
            first.password
        )));
        assert!(html.contains("@page { size: A4"));
        assert!(html.contains("break-inside: avoid"));
    }

    #[test]
    fn odd_names_are_escaped() {
        let accounts = LearnerAccounts::new(vec![Credentials {
            username: "<b>&\"x'01".into(),
            password: "</dd><script>".into(),
        }])
        .expect("valid");
        let html = to_html(&accounts, &target());
        assert!(!html.contains("<b>&"), "raw markup in: {html}");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;b&gt;&amp;&quot;x&#39;01"));
        assert!(html.contains("&lt;/dd&gt;&lt;script&gt;"));
    }

    #[test]
    fn a_broker_open_to_the_network_prints_no_loopback_address_when_it_has_others() {
        let target = SheetTarget::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1883, None);
        assert_eq!(target.addresses.len(), 1);
        assert!(target.addresses[0].0.is_loopback());
        let open = SheetTarget::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 1883, None);
        let has_network = open.addresses.iter().any(|(ip, _)| !ip.is_loopback());
        assert!(!has_network || open.addresses.iter().all(|(ip, _)| !ip.is_loopback()));
    }
}
