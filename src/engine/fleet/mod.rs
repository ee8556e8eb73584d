//! The device fleet: groups of simulated devices (real rumqttc clients), started, edited live, paused,
//! killed and stopped by commands, and shown through a snapshot.

pub mod counters;
pub mod device;
pub mod pacer;
pub mod session;
pub mod spec;
pub mod target;
mod tls;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

use super::broker::RunningInfo;
use super::stats::RateMeter;
pub use counters::DeviceState;
use counters::GroupCounters;
use device::{DeviceControl, DeviceHandle, LiveGroup, ResolvedTarget};
pub use spec::{
    CompiledGroup, FixedMessage, GroupError, GroupField, GroupSpec, MAX_DEVICES_TOTAL, MqttVersion,
    Pace,
};
pub use target::{ExternalBroker, FleetTarget, TargetError};

/// How many devices may be connecting at once; more wait their turn (a burst of a thousand
/// simultaneous connects makes some time out).
const CONNECTING_AT_ONCE: usize = 64;
/// How long a stopped device may take to disconnect before it is cut off.
const LEAVING_AT_MOST: std::time::Duration = std::time::Duration::from_secs(10);
/// The most devices the snapshot lists per group; counts always cover all of them.
pub const DEVICE_ROWS_SHOWN: usize = 10_000;

/// A group's identity while the app runs (names can change; ids do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub u64);

/// What a front end asks of the fleet.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetCommand {
    AddGroup(GroupSpec),
    /// Applies an edit; a running group follows it live (rate, count, payload) or reconnects its
    /// devices (client ids, will, protocol). An invalid edit is refused and changes nothing.
    UpdateGroup(GroupId, GroupSpec),
    RemoveGroup(GroupId),
    /// One group, or all of them.
    Start(Option<GroupId>),
    Stop(Option<GroupId>),
    Pause(GroupId, bool),
    /// Cuts device `n`'s connection without DISCONNECT, so its last will fires.
    Kill(GroupId, u32),
    Reconnect(GroupId, u32),
    SetTarget(FleetTarget),
    /// Replaces every group and the target (a scenario opened), optionally starting them all.
    Replace {
        target: FleetTarget,
        groups: Vec<GroupSpec>,
        start: bool,
    },
}

/// Why the fleet did not carry out a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FleetError {
    #[error("group \"{name}\": {error}")]
    Group { name: String, error: GroupError },
    #[error(transparent)]
    Target(#[from] TargetError),
    #[error("there is no such group any more")]
    NoSuchGroup,
    #[error("group \"{name}\" has no device {index} (it has {count})")]
    NoSuchDevice {
        name: String,
        index: u32,
        count: u32,
    },
    #[error("group \"{name}\" is not running: start it first")]
    NotRunning { name: String },
    #[error("another group is already called \"{0}\": give each group its own name")]
    DuplicateName(String),
    #[error("device {index} is {state}, not connected: there is no connection to cut")]
    NotConnected { index: u32, state: &'static str },
    #[error("device {index} is already connected")]
    AlreadyConnected { index: u32 },
    /// Not enough open files (or connection cap) for the devices: nothing was started.
    #[error(transparent)]
    NoRoom(Box<crate::engine::limits::CapacityError>),
    #[error(
        "groups \"{0}\" and \"{1}\" would give devices the same client id (\"{2}\"), and devices sharing an id knock each other off the broker: make the client id patterns differ, e.g. with {{group}}"
    )]
    SharedClientId(String, String, String),
    #[error(
        "that makes {asked} devices in all; at most {MAX_DEVICES_TOTAL} run at once (lower a group's count or remove a group)"
    )]
    TooManyDevices { asked: u64 },
}

/// Refuses a set of groups with more devices in all than [`MAX_DEVICES_TOTAL`]; checked before any
/// client id is built.
fn check_total_devices<'a>(
    counts: impl IntoIterator<Item = &'a GroupSpec>,
) -> Result<(), FleetError> {
    let asked: u64 = counts.into_iter().map(|g| u64::from(g.count)).sum();
    if asked > u64::from(MAX_DEVICES_TOTAL) {
        return Err(FleetError::TooManyDevices { asked });
    }
    Ok(())
}

/// Whether a group runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Stopped,
    Running,
    Paused,
}

/// One device as the Devices panel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub index: u32,
    pub client_id: String,
    pub state: DeviceState,
    pub last_error: Option<String>,
}

/// A group as front ends draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupStatus {
    pub id: GroupId,
    pub spec: GroupSpec,
    pub run: RunState,
    pub devices_total: u32,
    pub connected: u32,
    /// Waiting for their turn, or for the broker, or connecting.
    pub connecting: u32,
    pub reconnecting: u32,
    pub killed: u32,
    pub sent: u64,
    pub acknowledged: u64,
    pub skipped: u64,
    pub errors: u64,
    pub last_error: Option<String>,
    /// Messages sent in the last complete second.
    pub rate_per_s: u64,
    /// What the pace asks for: devices × per-device rate.
    pub target_rate: f64,
    pub devices: Vec<DeviceRow>,
}

/// The fleet as front ends draw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FleetSnapshot {
    pub target: FleetTarget,
    pub groups: Vec<GroupStatus>,
    /// Why devices cannot connect right now, if there is one reason for all of them.
    pub target_note: Option<String>,
}

struct Running {
    live: watch::Sender<Arc<LiveGroup>>,
    devices: Vec<DeviceHandle>,
}

struct Group {
    id: GroupId,
    compiled: Arc<CompiledGroup>,
    counters: Arc<GroupCounters>,
    meter: RateMeter,
    running: Option<Running>,
    paused: bool,
    /// Bumped when this group's devices must reconnect to take up an edit.
    generation: u64,
}

/// Owns the groups; lives in the engine's loop, so commands are carried out one at a time.
pub struct Fleet {
    groups: Vec<Group>,
    next_id: u64,
    target: FleetTarget,
    resolved: Option<ResolvedTarget>,
    /// Bumped whenever devices must connect somewhere new.
    target_generation: u64,
    connect_gate: Arc<Semaphore>,
    /// Devices told to stop that may still be saying goodbye, and since when.
    leaving: Vec<(Instant, DeviceHandle)>,
    /// Connections the embedded broker serves now, devices included (set by the engine before each command).
    broker_connections: u64,
}

impl Default for Fleet {
    fn default() -> Self {
        Self {
            groups: Vec::new(),
            next_id: 1,
            target: FleetTarget::Embedded,
            resolved: None,
            target_generation: 0,
            connect_gate: Arc::new(Semaphore::new(CONNECTING_AT_ONCE)),
            leaving: Vec::new(),
            broker_connections: 0,
        }
    }
}

fn compile(spec: &GroupSpec) -> Result<Arc<CompiledGroup>, FleetError> {
    spec.compile()
        .map(Arc::new)
        .map_err(|error| FleetError::Group {
            name: spec.name.clone(),
            error,
        })
}

impl Fleet {
    /// Carries out a command; what it did is returned as a sentence for the activity log.
    pub fn execute(
        &mut self,
        command: FleetCommand,
        broker: Option<&RunningInfo>,
    ) -> Result<String, FleetError> {
        match command {
            FleetCommand::AddGroup(spec) => {
                check_total_devices(self.groups.iter().map(|g| &g.compiled.spec).chain([&spec]))?;
                let compiled = compile(&spec)?;
                self.check_unique_name(&compiled.spec.name, None)?;
                check_client_ids(
                    self.groups
                        .iter()
                        .map(|g| g.compiled.as_ref())
                        .chain([compiled.as_ref()]),
                )?;
                let id = self.add(compiled);
                Ok(format!(
                    "added device group \"{}\" (#{})",
                    spec.name.trim(),
                    id.0
                ))
            }
            FleetCommand::UpdateGroup(id, spec) => self.update(id, spec, broker),
            FleetCommand::RemoveGroup(id) => {
                let index = self.index_of(id)?;
                self.stop_group(index);
                let group = self.groups.remove(index);
                Ok(format!(
                    "removed device group \"{}\"",
                    group.compiled.spec.name
                ))
            }
            FleetCommand::Start(which) => {
                self.resolve_target(broker)?;
                let starting: u64 = self
                    .selected(which)?
                    .into_iter()
                    .filter(|i| self.groups[*i].running.is_none())
                    .map(|i| u64::from(self.groups[i].compiled.spec.count))
                    .sum();
                let running = self.devices_running();
                self.check_room(&self.target, running + starting, running, running, broker)?;
                let mut started = Vec::new();
                for index in self.selected(which)? {
                    if self.start_group(index) {
                        started.push(self.groups[index].compiled.spec.name.clone());
                    }
                }
                Ok(match started.len() {
                    0 => "every chosen group was already running".to_owned(),
                    _ => format!(
                        "started {} toward {}",
                        quoted_list(&started),
                        self.target.label()
                    ),
                })
            }
            FleetCommand::Stop(which) => {
                let mut stopped = Vec::new();
                for index in self.selected(which)? {
                    if self.stop_group(index) {
                        stopped.push(self.groups[index].compiled.spec.name.clone());
                    }
                }
                Ok(match stopped.len() {
                    0 => "no chosen group was running".to_owned(),
                    _ => format!("stopped {}", quoted_list(&stopped)),
                })
            }
            FleetCommand::Pause(id, paused) => {
                let index = self.index_of(id)?;
                let group = &mut self.groups[index];
                if group.running.is_none() {
                    return Err(FleetError::NotRunning {
                        name: group.compiled.spec.name.clone(),
                    });
                }
                group.paused = paused;
                self.publish_live(index);
                let name = &self.groups[index].compiled.spec.name;
                Ok(if paused {
                    format!("paused \"{name}\" (devices stay connected)")
                } else {
                    format!("resumed \"{name}\"")
                })
            }
            FleetCommand::Kill(id, n) => {
                let device = self.device(id, n)?;
                let state = device.status.state();
                if state != DeviceState::Connected {
                    return Err(FleetError::NotConnected {
                        index: n,
                        state: state.label(),
                    });
                }
                device.order(DeviceControl::Kill);
                Ok(format!(
                    "killed device {n} of \"{}\": its connection was cut without DISCONNECT, so the broker publishes its last will",
                    self.groups[self.index_of(id)?].compiled.spec.name
                ))
            }
            FleetCommand::Reconnect(id, n) => {
                let device = self.device(id, n)?;
                let state = device.status.state();
                if state == DeviceState::Connected {
                    return Err(FleetError::AlreadyConnected { index: n });
                }
                device.order(DeviceControl::Reconnect);
                Ok(format!(
                    "reconnecting device {n} (it was {})",
                    state.label()
                ))
            }
            FleetCommand::SetTarget(target) => {
                target.validate()?;
                self.target = target;
                self.resolved = None;
                self.broker_changed(broker);
                Ok(format!("devices now connect to {}", self.target.label()))
            }
            FleetCommand::Replace {
                target,
                groups,
                start,
            } => {
                // Everything is checked before anything running is touched (a TLS CA file is read here).
                target.resolve(broker)?;
                check_total_devices(&groups)?;
                let compiled = groups.iter().map(compile).collect::<Result<Vec<_>, _>>()?;
                let mut names = std::collections::HashSet::new();
                for group in &compiled {
                    if !names.insert(group.spec.name.clone()) {
                        return Err(FleetError::DuplicateName(group.spec.name.clone()));
                    }
                }
                check_client_ids(compiled.iter().map(|g| g.as_ref()))?;
                if start {
                    let wanted = compiled.iter().map(|g| u64::from(g.spec.count)).sum();
                    // The devices running now are replaced: they count neither as running nor as others.
                    let replaced = self.devices_running();
                    self.check_room(&target, wanted, 0, replaced, broker)?;
                }
                for index in 0..self.groups.len() {
                    self.stop_group(index);
                }
                self.groups.clear();
                self.target = target;
                self.resolved = None;
                for group in compiled {
                    self.add(group);
                }
                if start {
                    self.execute(FleetCommand::Start(None), broker)
                } else {
                    self.broker_changed(broker);
                    Ok(format!("loaded {} device groups", self.groups.len()))
                }
            }
        }
    }

    /// Where devices connect, as the user chose it (the app's subscriber follows it too).
    pub fn target(&self) -> &FleetTarget {
        &self.target
    }

    /// Follows the embedded broker: devices connect when it starts, wherever it listens.
    pub fn broker_changed(&mut self, broker: Option<&RunningInfo>) {
        let resolved = self.target.resolve(broker).ok().flatten();
        let moved = match (&self.resolved, &resolved) {
            (Some(a), Some(b)) => {
                a.host != b.host || a.port != b.port || a.credentials != b.credentials
            }
            (None, None) => false,
            _ => true,
        };
        self.resolved = resolved;
        if moved {
            self.target_generation += 1;
            for index in 0..self.groups.len() {
                self.publish_live(index);
            }
        }
    }

    fn resolve_target(&mut self, broker: Option<&RunningInfo>) -> Result<(), FleetError> {
        self.target.resolve(broker)?;
        self.broker_changed(broker);
        Ok(())
    }

    fn add(&mut self, compiled: Arc<CompiledGroup>) -> GroupId {
        let id = GroupId(self.next_id);
        self.next_id += 1;
        self.groups.push(Group {
            id,
            compiled,
            counters: Arc::new(GroupCounters::default()),
            meter: RateMeter::default(),
            running: None,
            paused: false,
            generation: 0,
        });
        id
    }

    fn check_unique_name(&self, name: &str, except: Option<GroupId>) -> Result<(), FleetError> {
        if self
            .groups
            .iter()
            .any(|g| Some(g.id) != except && g.compiled.spec.name == name)
        {
            return Err(FleetError::DuplicateName(name.to_owned()));
        }
        Ok(())
    }

    fn update(
        &mut self,
        id: GroupId,
        spec: GroupSpec,
        broker: Option<&RunningInfo>,
    ) -> Result<String, FleetError> {
        let index = self.index_of(id)?;
        check_total_devices(
            self.groups
                .iter()
                .filter(|g| g.id != id)
                .map(|g| &g.compiled.spec)
                .chain([&spec]),
        )?;
        let compiled = compile(&spec)?;
        self.check_unique_name(&compiled.spec.name, Some(id))?;
        check_client_ids(
            self.groups
                .iter()
                .filter(|g| g.id != id)
                .map(|g| g.compiled.as_ref())
                .chain([compiled.as_ref()]),
        )?;
        if let Some(running) = &self.groups[index].running {
            let now = running.devices.len() as u64;
            let after = u64::from(compiled.spec.count);
            if after > now {
                let all = self.devices_running();
                self.check_room(&self.target, all - now + after, all, all, broker)?;
            }
        }
        let group = &mut self.groups[index];
        let old = std::mem::replace(&mut group.compiled, compiled.clone());
        let reconnect = connection_differs(&old.spec, &compiled.spec);
        if let Some(running) = group.running.as_mut() {
            let count = compiled.spec.count;
            while running.devices.len() as u32 > count {
                if let Some(device) = running.devices.pop() {
                    device.stop();
                    self.leaving.push((Instant::now(), device));
                }
            }
            let live = running.live.subscribe();
            for n in (running.devices.len() as u32 + 1)..=count {
                running.devices.push(DeviceHandle::spawn(
                    n,
                    live.clone(),
                    group.counters.clone(),
                    self.connect_gate.clone(),
                ));
            }
        }
        if reconnect {
            self.groups[index].generation += 1;
        }
        self.publish_live(index);
        Ok(format!(
            "applied changes to \"{}\"{}",
            compiled.spec.name,
            if reconnect && self.groups[index].running.is_some() {
                " (its devices reconnect with the new settings)"
            } else {
                ""
            }
        ))
    }

    fn live_for(&self, index: usize, started: Instant) -> Arc<LiveGroup> {
        let group = &self.groups[index];
        Arc::new(LiveGroup {
            compiled: group.compiled.clone(),
            paused: group.paused,
            target: self.resolved.clone(),
            // Both parts only grow, so the sum changes whenever either does.
            generation: self.target_generation + group.generation,
            started,
        })
    }

    fn publish_live(&mut self, index: usize) {
        let Some(started) = self.groups[index]
            .running
            .as_ref()
            .map(|r| r.live.borrow().started)
        else {
            return;
        };
        let live = self.live_for(index, started);
        if let Some(running) = &self.groups[index].running {
            running.live.send_replace(live);
        }
    }

    /// Starts a stopped group; false when it already ran.
    fn start_group(&mut self, index: usize) -> bool {
        if self.groups[index].running.is_some() {
            return false;
        }
        let live = self.live_for(index, Instant::now());
        let (live_tx, live_rx) = watch::channel(live);
        let group = &mut self.groups[index];
        group.paused = false;
        let devices = (1..=group.compiled.spec.count)
            .map(|n| {
                DeviceHandle::spawn(
                    n,
                    live_rx.clone(),
                    group.counters.clone(),
                    self.connect_gate.clone(),
                )
            })
            .collect();
        group.running = Some(Running {
            live: live_tx,
            devices,
        });
        true
    }

    /// Stops a running group (devices disconnect cleanly); false when it was not running.
    fn stop_group(&mut self, index: usize) -> bool {
        let Some(running) = self.groups[index].running.take() else {
            return false;
        };
        self.groups[index].paused = false;
        let now = Instant::now();
        for device in running.devices {
            device.stop();
            self.leaving.push((now, device));
        }
        true
    }

    fn index_of(&self, id: GroupId) -> Result<usize, FleetError> {
        self.groups
            .iter()
            .position(|g| g.id == id)
            .ok_or(FleetError::NoSuchGroup)
    }

    fn selected(&self, which: Option<GroupId>) -> Result<Vec<usize>, FleetError> {
        match which {
            Some(id) => Ok(vec![self.index_of(id)?]),
            None => Ok((0..self.groups.len()).collect()),
        }
    }

    fn device(&self, id: GroupId, n: u32) -> Result<&DeviceHandle, FleetError> {
        let group = &self.groups[self.index_of(id)?];
        let name = group.compiled.spec.name.clone();
        let running = group
            .running
            .as_ref()
            .ok_or(FleetError::NotRunning { name: name.clone() })?;
        running
            .devices
            .iter()
            .find(|d| d.index == n)
            .ok_or(FleetError::NoSuchDevice {
                name,
                index: n,
                count: running.devices.len() as u32,
            })
    }

    /// Turns counters into rates; called once a second.
    pub fn close_second(&mut self) {
        for group in &mut self.groups {
            group
                .meter
                .close_second(group.counters.sent.load(Ordering::Relaxed));
        }
    }

    /// Tells the fleet how many connections the embedded broker serves now (its devices included),
    /// so a group that would not fit next to them is refused.
    pub fn set_broker_connections(&mut self, connections: usize) {
        self.broker_connections = connections as u64;
    }

    /// Devices of running groups (not counting those saying goodbye).
    fn devices_running(&self) -> u64 {
        self.groups
            .iter()
            .filter_map(|g| g.running.as_ref())
            .map(|r| r.devices.len() as u64)
            .sum()
    }

    /// Refuses, before anything starts, devices that would not fit in the open-files limit or the
    /// broker's connection cap. `devices` counts every device that would run (`running` of them run
    /// already); `ours_connected` is how many of the broker's connections are this fleet's devices.
    fn check_room(
        &self,
        target: &FleetTarget,
        devices: u64,
        running: u64,
        ours_connected: u64,
        broker: Option<&RunningInfo>,
    ) -> Result<(), FleetError> {
        if devices <= running {
            return Ok(());
        }
        let embedded = matches!(target, FleetTarget::Embedded);
        let ours = if matches!(self.target, FleetTarget::Embedded) {
            ours_connected
        } else {
            0
        };
        let demand = crate::engine::limits::Demand {
            embedded_devices: if embedded { devices } else { 0 },
            external_devices: if embedded { 0 } else { devices },
            running,
            external_clients: self.broker_connections.saturating_sub(ours),
            connection_cap: broker.filter(|_| embedded).map(|b| b.connection_cap),
        };
        crate::engine::limits::Capacity::current()
            .check(&demand)
            .map_err(|e| FleetError::NoRoom(Box::new(e)))
    }

    /// Devices still connected, counting those saying goodbye.
    pub fn devices_alive(&self) -> usize {
        self.leaving
            .iter()
            .filter(|(_, d)| !d.is_finished())
            .count()
            + self
                .groups
                .iter()
                .filter_map(|g| g.running.as_ref())
                .map(|r| r.devices.len())
                .sum::<usize>()
    }

    pub fn snapshot(&mut self) -> FleetSnapshot {
        // A goodbye takes at most a few seconds; one that hangs (a broker that stopped reading) is cut.
        for (since, device) in &self.leaving {
            if since.elapsed() > LEAVING_AT_MOST {
                device.abort();
            }
        }
        self.leaving.retain(|(_, d)| !d.is_finished());
        let target_note = match (&self.target, &self.resolved) {
            (FleetTarget::Embedded, None) => Some(
                "the embedded broker is not running: devices connect as soon as it starts"
                    .to_owned(),
            ),
            _ => None,
        };
        let groups = self
            .groups
            .iter()
            .map(|group| group_status(group, self.resolved.as_ref()))
            .collect();
        FleetSnapshot {
            target: self.target.clone(),
            groups,
            target_note,
        }
    }
}

fn group_status(group: &Group, resolved: Option<&ResolvedTarget>) -> GroupStatus {
    let spec = &group.compiled.spec;
    let counters = &group.counters;
    let mut status = GroupStatus {
        id: group.id,
        spec: spec.clone(),
        run: match (&group.running, group.paused) {
            (None, _) => RunState::Stopped,
            (Some(_), false) => RunState::Running,
            (Some(_), true) => RunState::Paused,
        },
        devices_total: spec.count,
        connected: 0,
        connecting: 0,
        reconnecting: 0,
        killed: 0,
        sent: counters.sent.load(Ordering::Relaxed),
        acknowledged: counters.acknowledged.load(Ordering::Relaxed),
        skipped: counters.skipped.load(Ordering::Relaxed),
        errors: counters.errors.load(Ordering::Relaxed),
        last_error: counters.last_error(),
        rate_per_s: group.meter.per_second(),
        target_rate: f64::from(spec.count) * group.compiled.pace.per_second(),
        devices: Vec::new(),
    };
    let Some(running) = &group.running else {
        return status;
    };
    let prefix = resolved.map(|t| t.client_id_prefix.as_str()).unwrap_or("");
    for device in &running.devices {
        let state = device.status.state();
        match state {
            DeviceState::Connected => status.connected += 1,
            DeviceState::Waiting | DeviceState::Connecting => status.connecting += 1,
            DeviceState::Reconnecting => status.reconnecting += 1,
            DeviceState::Killed => status.killed += 1,
            DeviceState::Stopped => {}
        }
        if status.devices.len() < DEVICE_ROWS_SHOWN {
            status.devices.push(DeviceRow {
                index: device.index,
                client_id: format!(
                    "{prefix}{}",
                    group
                        .compiled
                        .client_id
                        .expand(&spec.name, device.index, "")
                ),
                state,
                last_error: device.status.last_error(),
            });
        }
    }
    status
}

/// Refuses groups whose devices would share a client id (checked over every device of every group).
fn check_client_ids<'a>(
    groups: impl IntoIterator<Item = &'a CompiledGroup>,
) -> Result<(), FleetError> {
    let mut owners: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for group in groups {
        let name = group.spec.name.as_str();
        for n in 1..=group.spec.count {
            let id = group.client_id.expand(name, n, "");
            if let Some(other) = owners.insert(id.clone(), name)
                && other != name
            {
                return Err(FleetError::SharedClientId(
                    other.to_owned(),
                    name.to_owned(),
                    id,
                ));
            }
        }
    }
    Ok(())
}

/// True when devices must reconnect to take up the edit (it changes what their CONNECT says).
fn connection_differs(old: &GroupSpec, new: &GroupSpec) -> bool {
    old.name != new.name
        || old.client_id != new.client_id
        || old.will != new.will
        || old.birth != new.birth
        || old.clean_session != new.clean_session
        || old.protocol != new.protocol
        || old.keep_alive != new.keep_alive
}

fn quoted_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
