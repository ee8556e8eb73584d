//! One simulated device: connects (staggered, with backoff after failures), publishes on its pace,
//! and obeys Kill, Reconnect and Stop while following live edits of its group.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rumqttc::TlsConfiguration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::super::template::{RenderContext, TemplateState};
use super::counters::{DeviceState, DeviceStatus, GroupCounters};
use super::pacer::Pacer;
use super::session::{self, Link, Publisher, SessionOptions, Will};
use super::spec::CompiledGroup;

/// The first pause after a failed connection; it doubles with each failure, up to [`BACKOFF_MAX`].
const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How long a clean stop waits for the DISCONNECT to go out before cutting the connection.
const DISCONNECT_GRACE: Duration = Duration::from_secs(3);

/// Where devices connect, worked out from the fleet's target and the broker's state.
#[derive(Clone, Debug)]
pub struct ResolvedTarget {
    pub host: String,
    pub port: u16,
    pub tls: Option<TlsConfiguration>,
    pub credentials: Option<(String, String)>,
    pub client_id_prefix: String,
}

/// What every device of a group follows live.
#[derive(Debug)]
pub struct LiveGroup {
    pub compiled: Arc<CompiledGroup>,
    pub paused: bool,
    /// `None` while there is nowhere to connect (the embedded broker is stopped).
    pub target: Option<ResolvedTarget>,
    /// Changes when devices must reconnect (a new target, a new client id pattern, a new will…).
    pub generation: u64,
    /// When the group started: the payload generators' clock (a sine's phase, say).
    pub started: Instant,
}

/// Orders for one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceControl {
    /// Cut the connection without DISCONNECT, so the broker publishes the device's will.
    Kill,
    Reconnect,
    Stop,
}

/// The fleet's handle on one running device.
pub struct DeviceHandle {
    pub index: u32,
    pub status: Arc<DeviceStatus>,
    control: mpsc::Sender<DeviceControl>,
    task: JoinHandle<()>,
}

impl DeviceHandle {
    /// Starts device `index` (1-based) of a group.
    pub fn spawn(
        index: u32,
        live: watch::Receiver<Arc<LiveGroup>>,
        counters: Arc<GroupCounters>,
        connect_gate: Arc<Semaphore>,
    ) -> Self {
        let status = Arc::new(DeviceStatus::default());
        let (control, control_rx) = mpsc::channel(8);
        let seed = live.borrow().compiled.spec.seed;
        let device = Device {
            index,
            live,
            control: control_rx,
            counters,
            status: status.clone(),
            connect_gate,
            rng: ChaCha8Rng::seed_from_u64(seed ^ (u64::from(index) << 32) ^ 0x5eed_0fde_71ce),
            backoff: BACKOFF_START,
        };
        let task = tokio::spawn(device.run());
        Self {
            index,
            status,
            control,
            task,
        }
    }

    /// Passes an order on without waiting; a device with orders still queued is busy enough to skip one.
    pub fn order(&self, order: DeviceControl) {
        let _ = self.control.try_send(order);
    }

    /// Asks the device to disconnect cleanly; if it is too busy to hear it, cuts it off instead,
    /// so a stop is never lost.
    pub fn stop(&self) {
        if self.control.try_send(DeviceControl::Stop).is_err() {
            self.abort();
        }
    }

    /// Ends the device at once (its socket closes without DISCONNECT).
    pub fn abort(&self) {
        self.task.abort();
    }

    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl Drop for DeviceHandle {
    fn drop(&mut self) {
        // A device dropped without Stop (the engine going away) ends with its task.
        if !self.task.is_finished() {
            self.stop();
        }
    }
}

/// How a session ended, which decides what the device does next.
enum SessionEnd {
    Lost,
    Killed,
    Stopped,
    /// The group's connection settings changed: connect again at once.
    Renew,
}

/// Aborts the connection's task however the session ends (an abort drops the socket).
struct Driver(JoinHandle<()>);

impl Drop for Driver {
    fn drop(&mut self) {
        self.0.abort();
    }
}

struct Device {
    index: u32,
    live: watch::Receiver<Arc<LiveGroup>>,
    control: mpsc::Receiver<DeviceControl>,
    counters: Arc<GroupCounters>,
    status: Arc<DeviceStatus>,
    connect_gate: Arc<Semaphore>,
    rng: ChaCha8Rng,
    backoff: Duration,
}

impl Device {
    async fn run(mut self) {
        let mut payload_state: Option<(Arc<CompiledGroup>, TemplateState)> = None;
        loop {
            let Some(live) = self.wait_for_target().await else {
                break;
            };
            match self.run_session(live, &mut payload_state).await {
                SessionEnd::Stopped => break,
                SessionEnd::Renew => continue,
                SessionEnd::Killed => {
                    self.status.set_state(DeviceState::Killed);
                    if !self.wait_for_reconnect().await {
                        break;
                    }
                }
                SessionEnd::Lost => {
                    self.status.set_state(DeviceState::Reconnecting);
                    if !self.back_off().await {
                        break;
                    }
                }
            }
        }
        self.status.set_state(DeviceState::Stopped);
    }

    /// Waits until there is a broker to connect to; None when told to stop.
    async fn wait_for_target(&mut self) -> Option<Arc<LiveGroup>> {
        loop {
            let live = self.live.borrow_and_update().clone();
            if live.target.is_some() {
                return Some(live);
            }
            self.status.set_state(DeviceState::Waiting);
            tokio::select! {
                changed = self.live.changed() => if changed.is_err() { return None },
                order = self.control.recv() => match order {
                    Some(DeviceControl::Stop) | None => return None,
                    Some(_) => {}
                },
            }
        }
    }

    /// Sleeps before the next attempt; false when told to stop meanwhile.
    async fn back_off(&mut self) -> bool {
        // ± 20% so a hundred devices that lost the broker together do not return together.
        let wait = self.backoff.mul_f64(self.rng.gen_range(0.8..1.2));
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
        tokio::select! {
            _ = tokio::time::sleep(wait) => true,
            order = self.control.recv() => match order {
                Some(DeviceControl::Stop) | None => false,
                Some(DeviceControl::Reconnect) => true,
                Some(DeviceControl::Kill) => {
                    self.status.set_state(DeviceState::Killed);
                    self.wait_for_reconnect().await
                }
            },
        }
    }

    /// Waits for Reconnect after a kill; false on Stop.
    async fn wait_for_reconnect(&mut self) -> bool {
        loop {
            match self.control.recv().await {
                Some(DeviceControl::Reconnect) => {
                    self.backoff = BACKOFF_START;
                    return true;
                }
                Some(DeviceControl::Stop) | None => return false,
                Some(DeviceControl::Kill) => {}
            }
        }
    }

    fn client_id(&self, live: &LiveGroup) -> String {
        let group = &live.compiled.spec.name;
        let prefix = live
            .target
            .as_ref()
            .map(|t| t.client_id_prefix.as_str())
            .unwrap_or("");
        format!(
            "{prefix}{}",
            live.compiled.client_id.expand(group, self.index, "")
        )
    }

    fn session_options(&self, live: &LiveGroup, client_id: &str) -> Option<SessionOptions> {
        let target = live.target.as_ref()?;
        let group = &live.compiled.spec.name;
        let spec = &live.compiled.spec;
        let will = spec
            .will
            .as_ref()
            .zip(live.compiled.will_topic.as_ref())
            .map(|(will, topic)| Will {
                topic: topic.expand(group, self.index, client_id),
                payload: Bytes::from(will.payload.clone()),
                qos: will.qos,
                retain: will.retain,
            });
        Some(SessionOptions {
            client_id: client_id.to_owned(),
            host: target.host.clone(),
            port: target.port,
            tls: target.tls.clone(),
            credentials: target.credentials.clone(),
            keep_alive: spec.keep_alive,
            clean_session: spec.clean_session,
            will,
            version: spec.protocol,
        })
    }

    /// Connects once and publishes until the connection ends or an order ends it.
    async fn run_session(
        &mut self,
        mut live: Arc<LiveGroup>,
        payload_state: &mut Option<(Arc<CompiledGroup>, TemplateState)>,
    ) -> SessionEnd {
        let client_id = self.client_id(&live);
        let Some(options) = self.session_options(&live, &client_id) else {
            return SessionEnd::Renew;
        };
        let generation = live.generation;
        self.status.set_state(DeviceState::Connecting);
        // Connection attempts queue at the gate, so a thousand devices do not all knock at once.
        let mut permit = tokio::select! {
            permit = self.connect_gate.clone().acquire_owned() => permit.ok(),
            order = self.control.recv() => return match order {
                Some(DeviceControl::Kill) => SessionEnd::Killed,
                Some(DeviceControl::Reconnect) => SessionEnd::Renew,
                Some(DeviceControl::Stop) | None => SessionEnd::Stopped,
            },
        };
        let (links_tx, mut links) = mpsc::channel(4);
        let (publisher, driver) = session::open(&options, self.counters.clone(), links_tx);
        let driver = Driver(driver);
        let mut connected = false;
        let mut topic = String::new();
        let mut pacer: Option<Pacer> = None;
        let mut due = Instant::now();
        loop {
            let sending = connected && !live.paused;
            tokio::select! {
                link = links.recv() => match link {
                    Some(Link::Connected) => {
                        permit = None;
                        connected = true;
                        self.backoff = BACKOFF_START;
                        self.status.set_error(None);
                        self.status.set_state(DeviceState::Connected);
                        self.publish_birth(&publisher, &live, &client_id);
                        topic = self.topic(&live, &client_id);
                        let mut fresh = self.pacer(&live);
                        due = fresh.next_due(&mut self.rng);
                        pacer = Some(fresh);
                    }
                    Some(Link::Closed) => return SessionEnd::Stopped,
                    Some(Link::Lost(why)) => {
                        self.status.set_error(Some(why.clone()));
                        self.status.reconnects.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        self.counters.record_error(&client_id, &why);
                        return SessionEnd::Lost;
                    }
                    None => return SessionEnd::Lost,
                },
                _ = tokio::time::sleep_until(due), if sending => {
                    self.publish(&publisher, &live, &client_id, &topic, payload_state);
                    if let Some(pacer) = pacer.as_mut() {
                        due = pacer.next_due(&mut self.rng);
                    }
                }
                order = self.control.recv() => match order {
                    Some(DeviceControl::Kill) => {
                        drop(driver);
                        drop(permit);
                        return SessionEnd::Killed;
                    }
                    Some(DeviceControl::Stop) | None => {
                        drop(permit);
                        return self.disconnect(&publisher, &mut links, driver).await;
                    }
                    Some(DeviceControl::Reconnect) => {
                        if !connected {
                            return SessionEnd::Renew;
                        }
                    }
                },
                changed = self.live.changed() => {
                    if changed.is_err() {
                        return self.disconnect(&publisher, &mut links, driver).await;
                    }
                    let next = self.live.borrow_and_update().clone();
                    if next.generation != generation || next.target.is_none() {
                        drop(permit);
                        self.disconnect(&publisher, &mut links, driver).await;
                        return SessionEnd::Renew;
                    }
                    let was_paused = live.paused;
                    let pace_changed = !Arc::ptr_eq(&next.compiled, &live.compiled);
                    live = next;
                    if connected && pace_changed {
                        topic = self.topic(&live, &client_id);
                        let mut fresh = self.pacer(&live);
                        due = fresh.next_due(&mut self.rng);
                        pacer = Some(fresh);
                    } else if was_paused && !live.paused
                        && let Some(pacer) = pacer.as_mut()
                    {
                        // Resume on the same grid, without a burst of the sends the pause skipped.
                        pacer.skip_missed(Instant::now());
                        due = pacer.next_due(&mut self.rng);
                    }
                }
            }
        }
    }

    /// Sends DISCONNECT and waits (bounded) for it to go out, so the broker does not publish the will.
    async fn disconnect(
        &mut self,
        publisher: &Publisher,
        links: &mut mpsc::Receiver<Link>,
        driver: Driver,
    ) -> SessionEnd {
        publisher.try_disconnect();
        let _ = tokio::time::timeout(DISCONNECT_GRACE, async {
            while let Some(link) = links.recv().await {
                if matches!(link, Link::Closed | Link::Lost(_)) {
                    break;
                }
            }
        })
        .await;
        drop(driver);
        SessionEnd::Stopped
    }

    fn pacer(&self, live: &LiveGroup) -> Pacer {
        let interval = live.compiled.pace.interval();
        let phase = Pacer::spread_phase(self.index - 1, live.compiled.spec.count, interval);
        Pacer::new(
            Instant::now(),
            phase,
            interval,
            live.compiled.spec.jitter_percent,
        )
    }

    fn topic(&self, live: &LiveGroup, client_id: &str) -> String {
        live.compiled
            .topic
            .expand(&live.compiled.spec.name, self.index, client_id)
    }

    fn publish_birth(&self, publisher: &Publisher, live: &LiveGroup, client_id: &str) {
        let compiled = &live.compiled;
        if let (Some(birth), Some(topic)) = (&compiled.spec.birth, &compiled.birth_topic) {
            let topic = topic.expand(&compiled.spec.name, self.index, client_id);
            if !publisher.try_publish(
                topic,
                birth.qos,
                birth.retain,
                Bytes::from(birth.payload.clone()),
            ) {
                self.counters
                    .skipped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }

    fn publish(
        &mut self,
        publisher: &Publisher,
        live: &LiveGroup,
        client_id: &str,
        topic: &str,
        payload_state: &mut Option<(Arc<CompiledGroup>, TemplateState)>,
    ) {
        let compiled = &live.compiled;
        // Generator state (counters, walks) carries across reconnects, and starts over only when the
        // template itself changed.
        let state = match payload_state {
            Some((owner, state))
                if owner.spec.payload == compiled.spec.payload
                    && owner.spec.format == compiled.spec.format =>
            {
                state
            }
            _ => {
                let fresh = compiled.payload.new_state(compiled.spec.seed, self.index);
                &mut payload_state.insert((compiled.clone(), fresh)).1
            }
        };
        let context = RenderContext {
            device_index: self.index,
            group: &compiled.spec.name,
            client_id,
            elapsed: live.started.elapsed(),
            now: SystemTime::now(),
        };
        let payload = compiled.payload.render(state, &context);
        let queued = publisher.try_publish(
            topic.to_owned(),
            compiled.spec.qos,
            compiled.spec.retain,
            Bytes::from(payload),
        );
        if !queued {
            self.counters
                .skipped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}
