//! The way into rumqttd's router for the front door: local links made on the router this app owns,
//! and the last wills the front door keeps for its clients (see session.rs for one client's session).
//!
//! rumqttd's `Router::channel` returns its channel, whose element type the crate does not export,
//! so it is held inside closures here; the public `LinkBuilder` takes it as it is.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rumqttd::Notification;
use rumqttd::local::{LinkBuilder, LinkError, LinkRx, LinkTx, PendingLink};
use rumqttd::protocol::{LastWill, LastWillProperties, Packet, Publish, PublishProperties};
use tokio::sync::oneshot;

type NewLink = Box<dyn for<'a> Fn(&'a str) -> LinkBuilder<'a> + Send + Sync>;
type IsFull = Box<dyn Fn() -> bool + Send + Sync>;

/// A new link on the router: its router client id and the CONNECT's choices.
pub struct LinkRequest {
    pub router_client_id: String,
    pub clean_session: bool,
    pub topic_alias_max: u16,
}

/// A link the router accepted (or refused, in the notification), as `LinkBuilder::build` returns it.
pub type BuiltLink = (LinkTx, LinkRx, Notification);

/// A client's last will, held by the front door (the router never sees it, so its publication does
/// not depend on how rumqttd learns that a connection ended).
#[derive(Debug, Clone)]
pub struct Will {
    pub publish: Publish,
    pub properties: Option<Box<PublishProperties>>,
    /// MQTT 5's will delay, already capped by the session's expiry interval.
    pub delay: Duration,
}

impl Will {
    /// The will a CONNECT carries, in the form the router takes for a PUBLISH.
    pub fn from_connect(
        will: Option<Box<LastWill>>,
        properties: Option<Box<LastWillProperties>>,
        session_expiry_secs: u32,
    ) -> Option<Self> {
        let will = *will?;
        let delay_secs = properties
            .as_ref()
            .and_then(|p| p.delay_interval)
            .unwrap_or(0)
            .min(session_expiry_secs);
        // QoS 0 like rumqttd's own will publication: the router delivers at each subscription's QoS.
        let publish = Publish::new(will.topic, will.message, will.retain);
        let properties = properties.map(|p| {
            let p = *p;
            Box::new(PublishProperties {
                payload_format_indicator: p.payload_format_indicator,
                message_expiry_interval: p.message_expiry_interval,
                response_topic: p.response_topic,
                correlation_data: p.correlation_data,
                user_properties: p.user_properties,
                content_type: p.content_type,
                ..Default::default()
            })
        });
        Some(Self {
            publish,
            properties,
            delay: Duration::from_secs(u64::from(delay_secs)),
        })
    }

    pub fn packet(self) -> Packet {
        Packet::Publish(self.publish, self.properties)
    }
}

/// What happens to a delayed will when its client id connects again before the delay is over.
enum WillFate {
    /// The new connection starts a clean session: the old session ended, so its will goes now.
    PublishNow,
    /// The new connection resumes the session: the will is not published.
    Cancel,
}

/// The router the app owns, reachable through local links.
pub struct RouterAccess {
    /// The router itself, for sessions that take a turn of it (see `LinkTx::serve_or_notify`).
    router: rumqttd::SharedRouter,
    new_link: NewLink,
    channel_full: IsFull,
    /// Wills waiting out an MQTT 5 will delay, by router client id.
    delayed_wills: Mutex<DelayedWills>,
    will_links: AtomicU64,
    /// Every filter the router keeps a log for (it frees none), bounded.
    known_filters: Mutex<super::known_filters::KnownFilters>,
}

/// Wills waiting out their delay, and what they hold: bounded, as any client can leave one behind.
struct DelayedWills {
    by_client: HashMap<String, WaitingWill>,
    bytes: usize,
    limits: DelayedWillLimits,
    /// Tells each waiting will from a newer one for the same client id.
    next_generation: u64,
}

struct WaitingWill {
    generation: u64,
    bytes: usize,
    fate: oneshot::Sender<WillFate>,
}

/// How many delayed wills may wait at once, and how many bytes of topic and payload they may hold;
/// past either, a will goes at once instead of waiting (early is what MQTT allows a server).
#[derive(Debug, Clone, Copy)]
struct DelayedWillLimits {
    count: usize,
    bytes: usize,
}

const DELAYED_WILL_LIMITS: DelayedWillLimits = DelayedWillLimits {
    count: 10_000,
    bytes: 64 * 1024 * 1024,
};

impl DelayedWills {
    fn new(limits: DelayedWillLimits) -> Self {
        Self {
            by_client: HashMap::new(),
            bytes: 0,
            limits,
            next_generation: 0,
        }
    }

    /// The waiting will of this client id, taken out.
    fn take(&mut self, router_client_id: &str) -> Option<WaitingWill> {
        let waiting = self.by_client.remove(router_client_id)?;
        self.bytes = self.bytes.saturating_sub(waiting.bytes);
        Some(waiting)
    }

    /// Takes out this client id's waiting will only if it is still the one of this generation.
    fn take_own(&mut self, router_client_id: &str, generation: u64) {
        if self
            .by_client
            .get(router_client_id)
            .is_some_and(|waiting| waiting.generation == generation)
        {
            self.take(router_client_id);
        }
    }

    /// Registers a will to wait; None when the limits leave no room (it should go at once).
    fn wait(
        &mut self,
        router_client_id: &str,
        bytes: usize,
    ) -> Option<(u64, oneshot::Receiver<WillFate>)> {
        // An older will still waiting for this id belongs to a session that has ended for good.
        if let Some(older) = self.take(router_client_id) {
            let _ = older.fate.send(WillFate::PublishNow);
        }
        if self.by_client.len() >= self.limits.count || self.bytes + bytes > self.limits.bytes {
            return None;
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        let (fate, fate_rx) = oneshot::channel();
        self.bytes += bytes;
        self.by_client.insert(
            router_client_id.to_owned(),
            WaitingWill {
                generation,
                bytes,
                fate,
            },
        );
        Some((generation, fate_rx))
    }
}

impl RouterAccess {
    /// The way into `router`, whether it runs yet or not.
    pub fn of(router: &rumqttd::SharedRouter) -> Self {
        let router_tx = router.channel();
        let full_tx = router_tx.clone();
        Self {
            router: router.clone(),
            new_link: Box::new(move |client_id| LinkBuilder::new(client_id, router_tx.clone())),
            // A router that is gone never empties its channel: links then fail at once.
            channel_full: Box::new(move || full_tx.is_full() && !full_tx.is_disconnected()),
            delayed_wills: Mutex::new(DelayedWills::new(DELAYED_WILL_LIMITS)),
            known_filters: Mutex::new(Default::default()),
            will_links: AtomicU64::new(0),
        }
    }

    /// The router, for a session's turns.
    pub fn router(&self) -> &rumqttd::SharedRouter {
        &self.router
    }

    /// The same, with other limits for delayed wills (tests use small ones).
    #[cfg(test)]
    fn with_delayed_will_limits(self, limits: DelayedWillLimits) -> Self {
        Self {
            delayed_wills: Mutex::new(DelayedWills::new(limits)),
            ..self
        }
    }

    /// How many delayed wills are waiting.
    #[cfg(test)]
    fn delayed_wills_waiting(&self) -> usize {
        self.delayed_wills
            .lock()
            .map(|wills| wills.by_client.len())
            .unwrap_or_default()
    }

    /// A new link on the router, or None if the router did not take it (it is full, or gone).
    /// The wait for the router's answer blocks no thread (rumqttd's `build` would block a worker
    /// for a round trip through the router).
    pub async fn link(&self, request: LinkRequest) -> Option<BuiltLink> {
        let pending = loop {
            self.wait_for_room().await;
            let started = (self.new_link)(&request.router_client_id)
                .clean_session(request.clean_session)
                .dynamic_filters(true)
                .topic_alias_max(request.topic_alias_max)
                .start();
            match started {
                Ok(pending) => break pending,
                // Another connection took the room first: wait for room again.
                Err(LinkError::TrySend(flume::TrySendError::Full(_))) => {
                    tokio::task::yield_now().await;
                }
                Err(_) => return None,
            }
        };
        let mut waiting = UnansweredLink(Some(pending));
        let answer = waiting.0.as_ref()?.answer().await;
        let pending = waiting.0.take()?;
        pending.into_link(answer.ok()?).ok()
    }

    /// Waits while the router's event channel is full, so a new link's request finds room (it is
    /// sent without waiting).
    pub async fn wait_for_room(&self) {
        while (self.channel_full)() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// A SUBSCRIBE's filters may go to the router, or the reason they may not (see known_filters.rs).
    pub fn admit_filters<'a>(
        &self,
        filters: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), String> {
        match self.known_filters.lock() {
            Ok(mut known) => known.admit(filters),
            Err(_) => Err("the broker's list of topic filters is unusable".to_owned()),
        }
    }

    /// A client id connects: a will still waiting for it is published now (clean session) or
    /// dropped (the session resumes), as MQTT 5 says.
    pub fn client_connects(&self, router_client_id: &str, clean_session: bool) {
        let waiting = self
            .delayed_wills
            .lock()
            .ok()
            .and_then(|mut wills| wills.take(router_client_id));
        if let Some(waiting) = waiting {
            let _ = waiting.fate.send(if clean_session {
                WillFate::PublishNow
            } else {
                WillFate::Cancel
            });
        }
    }

    /// Publishes a will after its delay (or at once), through a short-lived link of its own.
    pub fn publish_will_later(self: &std::sync::Arc<Self>, router_client_id: String, will: Will) {
        let bytes = will.publish.topic.len() + will.publish.payload.len();
        let registered = self
            .delayed_wills
            .lock()
            .ok()
            .and_then(|mut wills| wills.wait(&router_client_id, bytes));
        let router = self.clone();
        let Some((generation, fate_rx)) = registered else {
            tracing::info!(
                "too many delayed last wills are waiting: {router_client_id:?}'s goes at once"
            );
            tokio::spawn(async move { router.publish_will_now(will).await });
            return;
        };
        // However this task ends (the broker's runtime shutting down drops it, even before it first
        // ran), its entry goes: the list outlives the runtime, and a stale entry would count against
        // the bound. Made out here, so a task dropped unpolled drops it too.
        let entry = WaitingEntry {
            router: router.clone(),
            router_client_id,
            generation,
        };
        tokio::spawn(async move {
            let _entry = entry;
            let publish = match tokio::time::timeout(will.delay, fate_rx).await {
                Ok(Ok(WillFate::Cancel)) => false,
                Ok(Ok(WillFate::PublishNow)) => true,
                // The delay is over (or the broker is going away): the will goes.
                Ok(Err(_)) | Err(_) => true,
            };
            if publish {
                router.publish_will_now(will).await;
            }
        });
    }

    /// Publishes a will through a link of its own, which ends right after.
    pub async fn publish_will_now(&self, will: Will) {
        // `%%` never occurs in a client's router id (client_id.rs escapes `%` as `%25`).
        let id = format!("%%will-{}", self.will_links.fetch_add(1, Ordering::Relaxed));
        let request = LinkRequest {
            router_client_id: id,
            clean_session: true,
            topic_alias_max: 0,
        };
        let Some((mut tx, _rx, _ack)) = self.link(request).await else {
            tracing::warn!(
                "a last will could not be published: the broker's router refused its link"
            );
            return;
        };
        tx.buffer().push_back(will.packet());
        let _ = tx.send(super::session::disconnect_packet()).await;
    }
}

/// A delayed will's place in the list, given up when its task ends (an entry already taken by a
/// reconnecting client or a newer will is left alone).
struct WaitingEntry {
    router: std::sync::Arc<RouterAccess>,
    router_client_id: String,
    generation: u64,
}

impl Drop for WaitingEntry {
    fn drop(&mut self) {
        if let Ok(mut wills) = self.router.delayed_wills.lock() {
            wills.take_own(&self.router_client_id, self.generation);
        }
    }
}

/// A link asked of the router whose answer was not awaited to the end (the connection's task was
/// dropped, as Stop drops the broker runtime's tasks). The router would keep that session and its
/// connection slot for good, so a thread of its own waits for the answer and ends the link.
struct UnansweredLink(Option<PendingLink>);

impl Drop for UnansweredLink {
    fn drop(&mut self) {
        let Some(pending) = self.0.take() else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("abandoned-link".into())
            .spawn(move || {
                let Ok(answer) = pending.answer_blocking() else {
                    return;
                };
                if let Ok((mut tx, _rx, _ack)) = pending.into_link(answer) {
                    super::session::end_link_now(&mut tx);
                }
            });
        if let Err(error) = spawned {
            tracing::warn!("an abandoned router link could not be ended: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::broker::RouterRun;

    fn request(id: &str) -> LinkRequest {
        LinkRequest {
            router_client_id: id.to_owned(),
            clean_session: true,
            topic_alias_max: 0,
        }
    }

    /// A real router, with room for `max_connections`.
    fn real_router(max_connections: usize) -> RouterAccess {
        let config = rumqttd::RouterConfig {
            max_connections,
            ..super::super::broker::router_config()
        };
        let router = rumqttd::SharedRouter::new(rumqttd::Router::new(0, config));
        let access = RouterAccess::of(&router);
        // On a thread of its own, as tests without a runtime use it too.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a runtime for the router");
            runtime.block_on(router.run_until(std::future::pending()));
        });
        access
    }

    fn will(topic: &str, payload: &str) -> Will {
        Will {
            publish: Publish::new(topic.to_owned(), payload.to_owned(), false),
            properties: None,
            delay: Duration::from_secs(600),
        }
    }

    /// A link on the router subscribed to `wills/#`.
    async fn will_watcher(router: &RouterAccess) -> LinkRx {
        let (mut tx, rx, _ack) = router
            .link(request("watcher"))
            .await
            .expect("the watcher's link");
        tx.subscribe("wills/#").expect("the watcher subscribes");
        rx
    }

    /// The next will the watcher sees: (topic, payload).
    async fn next_will(watcher: &mut LinkRx) -> (String, String) {
        let patience = Duration::from_secs(20);
        loop {
            let next = tokio::time::timeout(patience, watcher.next()).await;
            match next {
                Ok(Ok(Some(Notification::Forward(forward)))) => {
                    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                    return (text(&forward.publish.topic), text(&forward.publish.payload));
                }
                Ok(Ok(Some(Notification::Unschedule))) => {
                    let _ = watcher.wake().await;
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => panic!("the watcher's link ended: {error}"),
                Err(_) => panic!("no will within {patience:?}"),
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_delayed_wills_limit_a_will_goes_at_once() {
        let router =
            std::sync::Arc::new(real_router(10).with_delayed_will_limits(DelayedWillLimits {
                count: 1,
                bytes: 1024,
            }));
        let mut watcher = will_watcher(&router).await;
        router.publish_will_later("waits".into(), will("wills/waits", "later"));
        router.publish_will_later("no-room".into(), will("wills/no-room", "now"));
        assert_eq!(
            next_will(&mut watcher).await,
            ("wills/no-room".to_owned(), "now".to_owned())
        );
        assert_eq!(router.delayed_wills_waiting(), 1, "the first still waits");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_newer_will_for_the_same_id_sends_the_older_and_keeps_waiting_itself() {
        let router = std::sync::Arc::new(real_router(10));
        let mut watcher = will_watcher(&router).await;
        router.publish_will_later("twice".into(), will("wills/twice", "older"));
        router.publish_will_later("twice".into(), will("wills/twice", "newer"));
        assert_eq!(
            next_will(&mut watcher).await,
            ("wills/twice".to_owned(), "older".to_owned())
        );
        assert_eq!(
            router.delayed_wills_waiting(),
            1,
            "the newer will still waits, so its session can still cancel it"
        );
        router.client_connects("twice", false);
        assert_eq!(router.delayed_wills_waiting(), 0);
    }

    /// Stop drops the broker runtime's tasks: a waiting will's entry must go with its task, whether
    /// the task already waits (`started`) or never ran yet.
    fn a_waiting_will_leaves_the_list_when_its_runtime_shuts_down(started: bool) {
        let router = std::sync::Arc::new(real_router(10));
        // One thread: a spawned task runs only while `block_on` waits, so whether it started is
        // up to the test, not to timing.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            router.publish_will_later("stopped".into(), will("wills/stopped", "x"));
            if started {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        assert_eq!(router.delayed_wills_waiting(), 1);
        runtime.shutdown_timeout(Duration::from_secs(5));
        assert_eq!(router.delayed_wills_waiting(), 0);
    }

    #[test]
    fn a_waiting_will_leaves_the_list_when_the_broker_runtime_it_waits_on_shuts_down() {
        a_waiting_will_leaves_the_list_when_its_runtime_shuts_down(true);
    }

    #[test]
    fn a_will_whose_task_never_ran_leaves_the_list_when_the_broker_runtime_shuts_down() {
        a_waiting_will_leaves_the_list_when_its_runtime_shuts_down(false);
    }

    /// Asks for links until the router takes one (a slot freed by a DISCONNECT in its channel), or
    /// 20 s pass.
    async fn next_link_within_patience(router: &RouterAccess) -> Option<BuiltLink> {
        let patience = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match router.link(request("next")).await {
                Some(link) => return Some(link),
                None if tokio::time::Instant::now() < patience => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                None => return None,
            }
        }
    }

    /// A router for `max_connections` clients, running as a task on the test's runtime.
    fn small_router(max_connections: usize) -> (rumqttd::SharedRouter, RouterAccess, RouterRun) {
        let config = rumqttd::RouterConfig {
            max_connections,
            ..super::super::broker::router_config()
        };
        let router = rumqttd::SharedRouter::new(rumqttd::Router::new(0, config));
        let access = RouterAccess::of(&router);
        let run = RouterRun::start(&tokio::runtime::Handle::current(), router.clone());
        (router, access, run)
    }

    /// A session dropped while the router's channel is full (as Stop can drop one mid-flood): its
    /// DISCONNECT must still reach the router, or the router keeps its slot for good. The router
    /// runs as a task on the same workers, so the drop must not wait for room there either.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_link_ended_while_the_routers_channel_is_full_still_frees_its_slot() {
        let (router, access, run) = small_router(2);
        let (mut filler, _filler_rx, _) = access.link(request("filler")).await.expect("a link");
        let (mut ended, _ended_rx, _) = access.link(request("ended")).await.expect("a link");
        // Paused, the router empties nothing: the filler's pings fill its channel.
        run.pause().await.expect("the router's task ends");
        let ping = || Packet::PingReq(rumqttd::protocol::PingReq);
        while !matches!(
            filler.try_send(ping()),
            Err(LinkError::TrySend(flume::TrySendError::Full(_)))
        ) {}
        super::super::session::end_link_now(&mut ended);
        drop(ended);
        let _running = RouterRun::start(&tokio::runtime::Handle::current(), router);
        assert!(
            next_link_within_patience(&access).await.is_some(),
            "the router refused the next client: the ended link still holds its slot"
        );
    }

    /// A client's packets are served by its own session when the router is free: a publish reaches
    /// a subscriber's link while the router's task is paused (notified through the channel, as
    /// before, it would wait there for the task).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sessions_own_turn_delivers_without_the_routers_task() {
        let (_router, access, run) = small_router(4);
        let patience = Duration::from_secs(20);
        let (mut subscriber_tx, mut subscriber_rx, _) =
            access.link(request("subscriber")).await.expect("a link");
        let (mut publisher_tx, _publisher_rx, _) =
            access.link(request("publisher")).await.expect("a link");
        subscriber_tx
            .subscribe("t/#")
            .expect("the subscriber subscribes");
        let suback = tokio::time::timeout(patience, subscriber_rx.next()).await;
        assert!(
            matches!(suback, Ok(Ok(Some(_)))),
            "no SUBACK within {patience:?}: {suback:?}"
        );
        run.pause().await.expect("the router's task ends");

        publisher_tx
            .buffer()
            .push_back(Packet::Publish(Publish::new("t/1", "hi", false), None));
        publisher_tx
            .serve_or_notify(access.router())
            .await
            .expect("the router takes the publish");
        let delivered = tokio::time::timeout(patience, async {
            loop {
                match subscriber_rx.next().await {
                    Ok(Some(Notification::Forward(forward))) => break Some(forward.publish.topic),
                    Ok(Some(_)) => {}
                    _ => break None,
                }
            }
        })
        .await;
        assert!(
            matches!(&delivered, Ok(Some(topic)) if topic.as_ref() == b"t/1"),
            "the publish did not reach the subscriber without the router's task: {delivered:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_link_whose_session_gave_up_waiting_does_not_keep_its_slot_on_the_router() {
        let router = real_router(1);
        // Asked for, and the wait for the answer dropped (as Stop drops a connection's task).
        let pending = (router.new_link)("left-early")
            .dynamic_filters(true)
            .start()
            .expect("the router takes the request");
        drop(UnansweredLink(Some(pending)));
        assert!(
            next_link_within_patience(&router).await.is_some(),
            "the router refused the next client: the abandoned link still holds the only slot"
        );
    }
}
