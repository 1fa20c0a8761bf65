//! The scan's analysis slot a port's analysis holds (`camscan::scan::dispatch`), lent back while
//! the analysis only waits: an RTSP walk that waits for the WS-Discovery window before its first
//! round (`rtsp::opening`) holds no slot meanwhile, so on a site of hundreds of cameras found in
//! the window's first second the walks that wait do not keep the other ports' analyses from
//! starting (issue 83: 1.5 s of every early camera's slot). At most as many slots are lent at once
//! as there are slots, so the connections a waiting analysis keeps open stay within twice the
//! analyses' share of the open-file limit ([`net::analysis_slots`]).

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slots of a scan's analyses and how many may be lent at once.
#[derive(Debug, Clone)]
pub struct Slots {
    pool: Arc<Semaphore>,
    lendable: Arc<Semaphore>,
    n: usize,
}

impl Slots {
    pub fn new(n: usize) -> Slots {
        Slots {
            pool: Arc::new(Semaphore::new(n)),
            lendable: Arc::new(Semaphore::new(n)),
            n,
        }
    }

    /// One slot, when one is free.
    pub async fn take(&self) -> Option<OwnedSemaphorePermit> {
        self.pool.clone().acquire_owned().await.ok()
    }

    /// Every slot: once it is had, no analysis holds one (an analysis that lent its slot while
    /// it waits may still be waiting; its port's `Analysed` message, not this, tells the
    /// collector it is done).
    pub async fn all(&self) {
        let _ = self.pool.acquire_many(self.n as u32).await;
    }
}

#[derive(Clone)]
struct Held {
    slots: Slots,
    permit: Arc<Mutex<Option<OwnedSemaphorePermit>>>,
}

tokio::task_local! {
    static HELD: Held;
}

/// Run `f` (one port's analysis) holding `permit` of `slots`; the permit comes back with its
/// output (the caller drops it once the analysis' results are handed on).
pub async fn scope<F: Future>(
    slots: Slots,
    permit: OwnedSemaphorePermit,
    f: F,
) -> (F::Output, Option<OwnedSemaphorePermit>) {
    let held = Held {
        slots,
        permit: Arc::new(Mutex::new(Some(permit))),
    };
    let cell = held.permit.clone();
    let out = HELD.scope(held, f).await;
    let permit = cell.lock().map(|mut p| p.take()).unwrap_or(None);
    (out, permit)
}

/// Await `f`, which only waits, without this task's slot: it is given back for the while (when
/// fewer than all the slots are lent already) and taken again, waiting for one, before this
/// returns. Outside a [`scope`], just `f`.
pub async fn idle<F: Future>(f: F) -> F::Output {
    let Ok(held) = HELD.try_with(Clone::clone) else {
        return f.await;
    };
    let Ok(lent) = held.slots.lendable.clone().try_acquire_owned() else {
        return f.await;
    };
    let given = held.permit.lock().map(|mut p| p.take()).unwrap_or(None);
    let Some(given) = given else {
        return f.await;
    };
    drop(given);
    let out = f.await;
    let again = held.slots.take().await;
    if let Ok(mut p) = held.permit.lock() {
        *p = again;
    }
    drop(lent);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A waiting analysis lends its slot: another one runs meanwhile; it takes a slot back after.
    #[tokio::test]
    async fn an_idle_analysis_lends_its_slot() {
        let slots = Slots::new(1);
        let first = slots.take().await.unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let s = slots.clone();
        let waiter = tokio::spawn(scope(s, first, async move {
            idle(async {
                let _ = rx.await;
            })
            .await;
            "done"
        }));
        // The one slot is free while the first analysis waits.
        let second = tokio::time::timeout(Duration::from_secs(5), slots.take())
            .await
            .expect("the waiting analysis lent its slot")
            .unwrap();
        let _ = tx.send(());
        // It cannot end before the slot it needs back is free again.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiter.is_finished());
        drop(second);
        let (out, permit) = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(out, "done");
        assert!(permit.is_some(), "it holds its slot again");
        assert!(slots.pool.try_acquire().is_err());
    }

    /// No more slots are lent at once than there are: beyond that an idle analysis keeps its own.
    #[tokio::test]
    async fn no_more_slots_are_lent_than_there_are() {
        let slots = Slots::new(1);
        let _all_lent = slots.lendable.clone().try_acquire_owned().unwrap();
        let permit = slots.take().await.unwrap();
        let (_, kept) = scope(slots.clone(), permit, async {
            idle(async {
                assert!(slots.pool.try_acquire().is_err(), "the slot was kept");
            })
            .await;
        })
        .await;
        assert!(kept.is_some());
        // Outside a scope, `idle` is just its future.
        assert_eq!(idle(async { 7 }).await, 7);
    }
}
