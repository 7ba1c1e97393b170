//! Audit events: security events recorded in the store (README, "Audit
//! events"). The protocol core and the handlers describe what happened
//! with a typed [`AuditEvent`] and hand it to the [`Audit`] handle, which
//! only queues it: no request waits for the audit write, and the core
//! stays free of I/O. A recorder task writes the queue in batches (one
//! group commit on SQLite for many events) and, at shutdown, drains it
//! before the store closes, so no event of a served request is lost.

mod event;

pub use event::{AccountChange, Actor, AuditEvent, AuditKind, ClientChange, Outcome};

use crate::store::{AuditRecord, SharedStore, Store};
use std::net::IpAddr;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Most events one store call writes.
const BATCH: usize = 256;
/// Attempts at writing a batch before its events are given up (and the
/// loss logged): the database may be away for a moment.
const ATTEMPTS: u32 = 5;

/// Where events are sent; cheap to clone. [`Audit::discard`] drops them
/// (unit tests of the core).
#[derive(Clone, Debug)]
pub struct Audit {
    queue: Option<mpsc::UnboundedSender<AuditRecord>>,
}

impl Audit {
    pub fn discard() -> Self {
        Audit { queue: None }
    }

    /// Queues `event`, seen now from `address`. Never blocks nor fails: an
    /// event after shutdown began is logged instead.
    pub fn record(&self, event: AuditEvent, address: Option<IpAddr>) {
        let Some(queue) = &self.queue else { return };
        let record = event.record(crate::time::now(), address);
        if let Err(lost) = queue.send(record) {
            tracing::warn!(kind = %lost.0.kind, "audit event after shutdown, not recorded");
        }
    }

    /// Starts the recorder task writing to `store`.
    pub fn start(store: SharedStore) -> (Audit, Recorder) {
        let (queue, events) = mpsc::unbounded_channel();
        let (close, closing) = oneshot::channel();
        let task = tokio::spawn(record_events(store, events, closing));
        (Audit { queue: Some(queue) }, Recorder { close, task })
    }
}

/// The recorder task, to flush at shutdown.
pub struct Recorder {
    close: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Recorder {
    /// Stops taking events and returns once every queued one is written.
    pub async fn flush(self) {
        let _ = self.close.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the audit recorder failed");
        }
    }
}

async fn record_events(
    store: SharedStore,
    mut events: mpsc::UnboundedReceiver<AuditRecord>,
    mut closing: oneshot::Receiver<()>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut open = true;
    loop {
        tokio::select! {
            received = events.recv_many(&mut batch, BATCH) => {
                if received == 0 {
                    return;
                }
                write(store.as_ref(), &batch).await;
                batch.clear();
            }
            // Closing lets the queue run dry: recv_many then answers what
            // is left, and 0 once it is empty.
            _ = &mut closing, if open => {
                open = false;
                events.close();
            }
        }
    }
}

async fn write(store: &dyn Store, batch: &[AuditRecord]) {
    let mut pause = Duration::from_millis(50);
    for attempt in 1..=ATTEMPTS {
        match store.record_audit(batch).await {
            Ok(()) => return,
            Err(error) if attempt == ATTEMPTS => {
                tracing::error!(%error, lost = batch.len(), "audit events could not be written");
            }
            Err(error) => {
                tracing::warn!(%error, "audit write failed; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
    }
}

/// Records `event` at once, for commands that write to the store directly
/// (the command line).
pub async fn record_now(store: &dyn Store, event: AuditEvent) -> anyhow::Result<()> {
    store
        .record_audit(&[event.record(crate::time::now(), None)])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use crate::store::AuditQuery;
    use std::sync::Arc;

    /// On one thread the recorder has not run yet when `flush` is called:
    /// every event still queued must be written by it.
    #[tokio::test(flavor = "current_thread")]
    async fn flush_writes_every_queued_event_before_returning() {
        let store: SharedStore = Arc::new(MemoryStore::default());
        let (audit, recorder) = Audit::start(store.clone());
        for _ in 0..(BATCH * 2 + 3) {
            audit.record(AuditEvent::AdminAuthFailed, None);
        }
        recorder.flush().await;
        let query = AuditQuery {
            since: 0,
            kind: None,
            after: 0,
            limit: 10_000,
        };
        assert_eq!(
            store.audit_events(&query).await.unwrap().len(),
            BATCH * 2 + 3
        );
        // After the flush, events are refused (and logged), not lost silently.
        audit.record(AuditEvent::AdminAuthFailed, None);
    }
}
