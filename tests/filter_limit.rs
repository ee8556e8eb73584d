//! rumqttd keeps a log for every distinct topic filter ever subscribed to, until the app exits, and
//! walks all of a connection's filters for each when it leaves: past the bounds per connection and
//! for the broker (src/engine/known_filters.rs) a SUBSCRIBE closes the connection, while the filters
//! already kept still serve everyone. Real broker, raw clients over TCP.

mod common;

use std::io::{Read, Write};

use common::raw::{self, mqtt_string, packet};
use common::*;
use mqtt_playground::engine::known_filters::{MAX_FILTERS, MAX_FILTERS_PER_CONNECTION};

fn subscribe(pkid: u16, filters: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut body = pkid.to_be_bytes().to_vec();
    for filter in filters {
        body.extend(mqtt_string(filter.as_bytes()));
        body.push(0);
    }
    packet(0x82, &body)
}

/// Reads until the broker hangs up (true) or the wait ends (false).
fn hung_up(socket: &mut std::net::TcpStream) -> bool {
    let mut sink = [0u8; 64 * 1024];
    loop {
        match socket.read(&mut sink) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

/// A new client subscribed to `filter` gets what it publishes there.
fn still_serves(addr: std::net::SocketAddr, id: &str, filter: &str) -> bool {
    let (client, mut connection) = v4_client(addr, id, |_| {});
    client.subscribe(filter, rumqttc::QoS::AtMostOnce).unwrap();
    wait_v4_suback(&mut connection);
    client
        .publish(filter, rumqttc::QoS::AtMostOnce, false, "still here")
        .unwrap();
    let got = receive_v4(&mut connection, 1);
    got.first().map(|r| r.topic.as_str()) == Some(filter)
}

#[test]
fn one_connection_past_its_bound_is_closed_and_the_filters_it_held_still_serve_others() {
    let (_engine, info) = running_broker();
    let mut greedy = raw::connected_blocking(info.tcp, "greedy");
    let filters = (0..MAX_FILTERS_PER_CONNECTION).map(|i| format!("mine/{i}"));
    greedy.write_all(&subscribe(1, filters)).unwrap();
    greedy
        .write_all(&subscribe(2, ["mine/one-more".to_owned()]))
        .unwrap();
    assert!(
        hung_up(&mut greedy),
        "a connection past {MAX_FILTERS_PER_CONNECTION} filters is closed"
    );
    assert!(still_serves(info.tcp, "after-greedy", "mine/7"));
}

#[test]
fn past_the_brokers_bound_new_filters_close_the_connection_and_kept_ones_are_still_served() {
    let (_engine, info) = running_broker();
    // Connections that stay within their own bound fill the broker's.
    let mut fillers = Vec::new();
    for (n, first) in (0..MAX_FILTERS)
        .step_by(MAX_FILTERS_PER_CONNECTION)
        .enumerate()
    {
        let mut filler = raw::connected_blocking(info.tcp, &format!("filler-{n}"));
        let filters = (first..first + MAX_FILTERS_PER_CONNECTION).map(|i| format!("many/{i}"));
        filler.write_all(&subscribe(1, filters)).unwrap();
        // Its SUBACK means the broker has counted its filters (each connection is its own stream,
        // so without it the late client's SUBSCRIBE could be counted first).
        let mut suback = vec![0u8; 1 + 2 + 2 + MAX_FILTERS_PER_CONNECTION];
        filler
            .read_exact(&mut suback)
            .expect("a SUBACK for the filler's filters");
        fillers.push(filler);
    }
    let mut late = raw::connected_blocking(info.tcp, "late");
    late.write_all(&subscribe(1, ["many/one-more".to_owned()]))
        .unwrap();
    assert!(
        hung_up(&mut late),
        "a SUBSCRIBE past {MAX_FILTERS} distinct filters closes the connection"
    );
    // A filter the broker keeps already is still served, to anyone.
    assert!(still_serves(info.tcp, "kept-filter", "many/7"));
}
