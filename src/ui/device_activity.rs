//! Activity's summary of the app's own devices: a group of 50 starting makes one line ("50 devices of
//! "sensors" connected"), not fifty; external clients keep a line each.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::engine::Event;
use crate::engine::fleet::{FleetSnapshot, GroupId, RunState};

/// A group's burst of connects ends after this long without another one; then its line is written.
const SETTLE: Duration = Duration::from_millis(1_000);
/// A long ramp (thousands of devices) gets a line at least this often.
const LONGEST_BURST: Duration = Duration::from_secs(10);
/// While the fleet is changing, a connect from a client not yet known as a device waits at most this
/// long for the snapshot that lists it (a group's rows may land a moment after its first connects).
const HOLD: Duration = Duration::from_millis(600);
/// A fleet change counts as recent for this long.
const FLEET_CHANGE_RECENT: Duration = Duration::from_secs(2);
/// Client ids remembered as devices, also after their group stopped (its disconnects come after the
/// snapshot stops listing its devices); beyond this the memory starts again from the current fleet.
const REMEMBERED_DEVICES: usize = 50_000;

/// How a line reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Good,
    Warning,
}

/// What Activity writes for a frame's events.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    /// An event as it is (an external client, the broker, a refused command…).
    Event(Event),
    /// Several devices of one group, in one line.
    Summary { text: String, tone: Tone },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum What {
    Connected,
    Disconnected,
    Lost,
}

/// One group's device connects (or disconnects) gathered into one line.
struct Burst {
    group: Arc<str>,
    what: What,
    count: u32,
    /// The only event, shown as it is when the burst stays at one device.
    first_event: Event,
    started: Instant,
    last: Instant,
}

/// Sorts events into device chatter (summarised) and everything else (passed on in order).
#[derive(Default)]
pub struct DeviceActivity {
    /// Client id → group name.
    devices: HashMap<String, Arc<str>>,
    /// What the device index was built from: it is rebuilt only when this changes.
    indexed: Vec<(GroupId, RunState, usize)>,
    /// Connects of clients not known as devices, held briefly while the fleet changes.
    held: VecDeque<(Instant, Event)>,
    fleet_changed_at: Option<Instant>,
    bursts: Vec<Burst>,
}

impl DeviceActivity {
    /// Takes this frame's events (oldest first) and the fleet as the engine shows it now; returns
    /// what to write, and when to look again if something is still being gathered.
    pub fn sort(
        &mut self,
        events: Vec<Event>,
        fleet: &FleetSnapshot,
        now: Instant,
    ) -> (Vec<Shown>, Option<Duration>) {
        self.index(fleet);
        if events.iter().any(|e| matches!(e, Event::FleetChanged(_))) {
            self.fleet_changed_at = Some(now);
        }
        let in_flux = self
            .fleet_changed_at
            .is_some_and(|at| now.saturating_duration_since(at) < FLEET_CHANGE_RECENT)
            || fleet
                .groups
                .iter()
                .any(|g| g.run != RunState::Stopped && g.connecting > 0);
        let mut shown = Vec::new();

        // Held connects first: they happened before this frame's events.
        let held = std::mem::take(&mut self.held);
        for (at, event) in held {
            if !self.absorb(&event, now) {
                if now.saturating_duration_since(at) < HOLD && in_flux {
                    self.held.push_back((at, event));
                } else {
                    shown.push(Shown::Event(event));
                }
            }
        }
        for event in events {
            if self.absorb(&event, now) {
                continue;
            }
            let may_be_a_device = matches!(event, Event::ClientConnected { .. });
            if may_be_a_device && in_flux {
                self.held.push_back((now, event));
            } else {
                shown.push(Shown::Event(event));
            }
        }

        // Bursts that have gone quiet (or gone on long enough) become a line.
        let mut still = Vec::new();
        for burst in std::mem::take(&mut self.bursts) {
            let quiet = now.saturating_duration_since(burst.last) >= SETTLE;
            let long = now.saturating_duration_since(burst.started) >= LONGEST_BURST;
            if quiet || long {
                shown.push(burst.line());
            } else {
                still.push(burst);
            }
        }
        self.bursts = still;

        let again =
            (!self.bursts.is_empty() || !self.held.is_empty()).then_some(SETTLE.min(HOLD) / 2);
        (shown, again)
    }

    /// Counts a device's connect or disconnect into its group's burst; false for anything else.
    fn absorb(&mut self, event: &Event, now: Instant) -> bool {
        let (client_id, what) = match event {
            Event::ClientConnected { client_id, .. } => (client_id, What::Connected),
            Event::ClientDisconnected {
                client_id, clean, ..
            } => (
                client_id,
                if *clean {
                    What::Disconnected
                } else {
                    What::Lost
                },
            ),
            _ => return false,
        };
        let Some(group) = self.devices.get(client_id) else {
            return false;
        };
        match self
            .bursts
            .iter_mut()
            .find(|b| b.group == *group && b.what == what)
        {
            Some(burst) => {
                burst.count += 1;
                burst.last = now;
            }
            None => self.bursts.push(Burst {
                group: group.clone(),
                what,
                count: 1,
                first_event: event.clone(),
                started: now,
                last: now,
            }),
        }
        true
    }

    /// Learns the fleet's client ids when its groups changed (not every frame: a group may have thousands).
    fn index(&mut self, fleet: &FleetSnapshot) {
        let key: Vec<(GroupId, RunState, usize)> = fleet
            .groups
            .iter()
            .map(|g| (g.id, g.run, g.devices.len()))
            .collect();
        if key == self.indexed {
            return;
        }
        self.indexed = key;
        let listed: usize = fleet.groups.iter().map(|g| g.devices.len()).sum();
        if self.devices.len() + listed > REMEMBERED_DEVICES {
            self.devices.clear();
        }
        for group in &fleet.groups {
            let name: Arc<str> = Arc::from(group.spec.name.as_str());
            for device in &group.devices {
                self.devices
                    .entry(device.client_id.clone())
                    .or_insert_with(|| name.clone());
            }
        }
    }
}

impl Burst {
    fn line(self) -> Shown {
        if self.count == 1 {
            // One device (a kill, a reconnect): its own words say more than a count.
            return Shown::Event(self.first_event);
        }
        let (verb, tone) = match self.what {
            What::Connected => ("connected", Tone::Good),
            What::Disconnected => ("disconnected", Tone::Normal),
            What::Lost => (
                "lost their connection (their last wills, if any, are published)",
                Tone::Warning,
            ),
        };
        Shown::Summary {
            text: format!(
                "{} devices of \"{}\" {verb}",
                crate::ui::format::count(u64::from(self.count)),
                self.group
            ),
            tone,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::engine::fleet::{DeviceRow, DeviceState, GroupSpec, GroupStatus};
    use crate::engine::{ProtocolVersion, Transport};

    fn fleet(name: &str, devices: u32) -> FleetSnapshot {
        FleetSnapshot {
            groups: vec![GroupStatus {
                id: GroupId(1),
                spec: GroupSpec {
                    name: name.to_owned(),
                    ..GroupSpec::default()
                },
                run: RunState::Running,
                devices_total: devices,
                connected: devices,
                connecting: 0,
                reconnecting: 0,
                killed: 0,
                sent: 0,
                acknowledged: 0,
                skipped: 0,
                errors: 0,
                last_error: None,
                rate_per_s: 0,
                target_rate: 0.0,
                devices: (1..=devices)
                    .map(|index| DeviceRow {
                        index,
                        client_id: format!("{name}-{index}"),
                        state: DeviceState::Connected,
                        last_error: None,
                    })
                    .collect(),
            }],
            ..FleetSnapshot::default()
        }
    }

    fn connected(client_id: &str) -> Event {
        Event::ClientConnected {
            peer: SocketAddr::from(([127, 0, 0, 1], 50_000)),
            client_id: client_id.to_owned(),
            version: ProtocolVersion::V311,
            transport: Transport::Tcp,
        }
    }

    fn texts(shown: &[Shown]) -> Vec<String> {
        shown
            .iter()
            .map(|s| match s {
                Shown::Event(event) => event.describe(),
                Shown::Summary { text, .. } => text.clone(),
            })
            .collect()
    }

    #[test]
    fn fifty_devices_make_one_line_and_an_outsider_keeps_its_own() {
        let fleet = fleet("sensors", 50);
        let mut activity = DeviceActivity::default();
        let start = Instant::now();
        let mut events: Vec<Event> = (1..=50)
            .map(|i| connected(&format!("sensors-{i}")))
            .collect();
        events.insert(10, connected("mosquitto_sub-outsider"));
        let (now, again) = activity.sort(events, &fleet, start);
        assert_eq!(
            texts(&now),
            vec![
                "client \"mosquitto_sub-outsider\" connected from 127.0.0.1:50000 (MQTT 3.1.1, TCP)"
            ],
            "the outsider at once, the devices not yet"
        );
        assert!(
            again.is_some(),
            "the window looks again to write the summary"
        );
        let (later, again) = activity.sort(Vec::new(), &fleet, start + SETTLE);
        assert_eq!(texts(&later), vec!["50 devices of \"sensors\" connected"]);
        assert!(again.is_none());
    }

    #[test]
    fn one_device_keeps_its_own_words_and_disconnects_are_summarised_after_a_stop() {
        let running = fleet("sensors", 3);
        let mut activity = DeviceActivity::default();
        let start = Instant::now();
        let lost = Event::ClientDisconnected {
            peer: SocketAddr::from(([127, 0, 0, 1], 50_001)),
            client_id: "sensors-2".to_owned(),
            clean: false,
        };
        activity.sort(vec![lost.clone()], &running, start);
        let (shown, _) = activity.sort(Vec::new(), &running, start + SETTLE);
        assert_eq!(shown, vec![Shown::Event(lost)]);

        // Stopped: the snapshot lists no devices any more, but their goodbyes are still theirs.
        let mut stopped = running.clone();
        stopped.groups[0].run = RunState::Stopped;
        stopped.groups[0].devices.clear();
        let goodbyes = (1..=3)
            .map(|i| Event::ClientDisconnected {
                peer: SocketAddr::from(([127, 0, 0, 1], 50_000)),
                client_id: format!("sensors-{i}"),
                clean: true,
            })
            .collect();
        let later = start + Duration::from_secs(10);
        let (shown, _) = activity.sort(goodbyes, &stopped, later);
        assert!(shown.is_empty());
        let (shown, _) = activity.sort(Vec::new(), &stopped, later + SETTLE);
        assert_eq!(texts(&shown), vec!["3 devices of \"sensors\" disconnected"]);
    }

    #[test]
    fn a_connect_before_its_group_is_listed_waits_for_the_listing() {
        let mut activity = DeviceActivity::default();
        let start = Instant::now();
        let empty = FleetSnapshot::default();
        // The fleet said it started a group; the snapshot listing its devices is a moment behind.
        let (shown, _) = activity.sort(
            vec![
                Event::FleetChanged("started".into()),
                connected("sensors-1"),
            ],
            &empty,
            start,
        );
        assert_eq!(texts(&shown), vec!["started"]);
        let listed = fleet("sensors", 2);
        let step = Duration::from_millis(100);
        activity.sort(vec![connected("sensors-2")], &listed, start + step);
        let (shown, _) = activity.sort(Vec::new(), &listed, start + step + SETTLE);
        assert_eq!(texts(&shown), vec!["2 devices of \"sensors\" connected"]);

        // An outsider while the fleet changes waits at most HOLD, then shows as itself.
        let at = start + Duration::from_secs(1);
        let (shown, _) = activity.sort(
            vec![Event::FleetChanged("x".into()), connected("outsider")],
            &listed,
            at,
        );
        assert_eq!(texts(&shown), vec!["x"]);
        let (shown, _) = activity.sort(Vec::new(), &listed, at + HOLD);
        assert_eq!(shown.len(), 1, "{:?}", texts(&shown));
    }
}
