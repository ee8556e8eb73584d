//! The router's wake signal to a link (rumqttd patch, `rumqttd::wake_signal`): raises before a look
//! are one, a close comes after the last raise, and blocked threads wake on both.

use std::time::{Duration, Instant};

use flume::{RecvError, RecvTimeoutError, TryRecvError};
use rumqttd::wake_signal::wake_signal;

#[test]
fn raises_before_a_look_are_one_and_a_close_comes_after_the_last() {
    let (tx, rx) = wake_signal();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(()).ok();
    tx.try_send(()).ok();
    assert_eq!(rx.try_recv(), Ok(()));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    tx.try_send(()).ok();
    drop(tx);
    assert_eq!(rx.try_recv(), Ok(()));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn a_blocked_thread_wakes_on_a_raise_and_on_a_close() {
    let (tx, rx) = wake_signal();
    let waiter = std::thread::spawn(move || {
        let first = rx.recv();
        let second = rx.recv();
        (first, second)
    });
    std::thread::sleep(Duration::from_millis(20));
    tx.try_send(()).ok();
    std::thread::sleep(Duration::from_millis(20));
    drop(tx);
    let (first, second) = waiter.join().expect("the waiter panicked");
    assert_eq!(first, Ok(()));
    assert_eq!(second, Err(RecvError::Disconnected));
}

#[test]
fn a_deadline_passes_when_nothing_is_raised() {
    let (_tx, rx) = wake_signal();
    let deadline = Instant::now() + Duration::from_millis(10);
    assert_eq!(rx.recv_deadline(deadline), Err(RecvTimeoutError::Timeout));
}

#[tokio::test]
async fn a_waiting_task_wakes_on_a_raise_and_on_a_close() {
    let (tx, rx) = wake_signal();
    let waiter = tokio::spawn(async move {
        let first = rx.recv_async().await;
        let second = rx.recv_async().await;
        (first, second)
    });
    tokio::task::yield_now().await;
    tx.try_send(()).ok();
    tokio::task::yield_now().await;
    drop(tx);
    let outcome = tokio::time::timeout(Duration::from_secs(60), waiter).await;
    let (first, second) = outcome
        .expect("the task was never woken")
        .expect("the task panicked");
    assert_eq!(first, Ok(()));
    assert_eq!(second, Err(RecvError::Disconnected));
}
