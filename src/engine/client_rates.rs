//! Each connection's messages per second, for the snapshot's client rows.
//!
//! Kept as a list in connection order, as the rows come (`ClientRegistry::rows`), and walked
//! alongside them: with a thousand clients, a map looked up three times per row and refresh (a
//! SipHash each) and rebuilt every second was most of the refresh's cost, and a refresh that takes
//! a core for a millisecond twice a second delays the broker's messages behind it.

use super::clients::ClientRow;

/// Per connection: its message totals at the last second boundary, and its rates over that second.
#[derive(Debug, Default)]
pub struct ClientRates {
    /// Ascending by connection.
    last: Vec<(u64, Rate)>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rate {
    total_in: u64,
    total_out: u64,
    in_per_s: u64,
    out_per_s: u64,
}

impl ClientRates {
    /// Closes a second: each row's rate is what its totals grew since the last close (all of them
    /// for a connection new since then). `rows` ascend by connection.
    pub fn close_second(&mut self, rows: &[ClientRow]) {
        let mut previous = self.last.iter().peekable();
        let mut next = Vec::with_capacity(rows.len());
        for row in rows {
            // Both lists ascend by connection: connections gone since are passed over.
            while previous.next_if(|(c, _)| *c < row.connection).is_some() {}
            let last = previous
                .next_if(|(c, _)| *c == row.connection)
                .map(|(_, r)| r);
            let (in_per_s, out_per_s) = match last {
                Some(l) => (
                    row.messages_in.saturating_sub(l.total_in),
                    row.messages_out.saturating_sub(l.total_out),
                ),
                None => (row.messages_in, row.messages_out),
            };
            next.push((
                row.connection,
                Rate {
                    total_in: row.messages_in,
                    total_out: row.messages_out,
                    in_per_s,
                    out_per_s,
                },
            ));
        }
        self.last = next;
    }

    /// Fills in each row's rates over the last closed second (none for a connection newer than it).
    /// `rows` ascend by connection.
    pub fn fill(&self, rows: &mut [ClientRow]) {
        let mut rates = self.last.iter().peekable();
        for row in rows {
            while rates.next_if(|(c, _)| *c < row.connection).is_some() {}
            if let Some((_, rate)) = rates.next_if(|(c, _)| *c == row.connection) {
                row.messages_in_per_s = rate.in_per_s;
                row.messages_out_per_s = rate.out_per_s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Instant, SystemTime};

    use super::*;
    use crate::engine::clients::Transport;
    use crate::engine::mqtt_wire::ProtocolVersion;

    fn row(connection: u64, messages_in: u64, messages_out: u64) -> ClientRow {
        ClientRow {
            connection,
            client_id: format!("c{connection}").into(),
            peer: SocketAddr::from(([127, 0, 0, 1], 1883)),
            version: ProtocolVersion::V311,
            transport: Transport::Tcp,
            connected_at: SystemTime::UNIX_EPOCH,
            connected_instant: Instant::now(),
            messages_in,
            messages_out,
            bytes_in: 0,
            bytes_out: 0,
            messages_in_per_s: 0,
            messages_out_per_s: 0,
        }
    }

    fn rates_of(rows: &[ClientRow]) -> Vec<(u64, u64, u64)> {
        rows.iter()
            .map(|r| (r.connection, r.messages_in_per_s, r.messages_out_per_s))
            .collect()
    }

    #[test]
    fn each_row_gets_what_its_totals_grew_over_the_last_closed_second() {
        let mut rates = ClientRates::default();
        rates.close_second(&[row(1, 10, 5), row(3, 7, 0), row(4, 100, 1)]);
        // A second later: 2 is new, 3 is gone, 1 and 4 moved on.
        let mut rows = vec![row(1, 25, 5), row(2, 9, 4), row(4, 160, 3), row(6, 1, 1)];
        rates.close_second(&rows);
        rates.fill(&mut rows);
        assert_eq!(
            rates_of(&rows),
            [(1, 15, 0), (2, 9, 4), (4, 60, 2), (6, 1, 1)],
            "a connection new since the last close counts all it sent"
        );
    }

    #[test]
    fn between_closes_rows_show_the_last_closed_second_and_new_rows_none() {
        let mut rates = ClientRates::default();
        rates.close_second(&[row(2, 4, 4)]);
        rates.close_second(&[row(2, 10, 6), row(5, 3, 0)]);
        let mut rows = vec![row(1, 50, 50), row(2, 99, 99), row(5, 8, 8), row(7, 1, 0)];
        rates.fill(&mut rows);
        assert_eq!(
            rates_of(&rows),
            [(1, 0, 0), (2, 6, 2), (5, 3, 0), (7, 0, 0)]
        );
    }
}
