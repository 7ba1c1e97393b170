//! One read transaction per step of a request.
//!
//! Each read transaction takes and releases a WAL-index lock with two
//! `fcntl` calls, which cost more than a cached lookup: under introspection
//! they were a fifth of the server's time. So the reads that one request
//! makes without waiting in between (the client, the token) share one read
//! transaction. The store's [`crate::store::Store::poll_scope`] runs each
//! poll of a back-channel request in a [`step_scope`]: the first read of
//! the step begins the transaction, and the end of the step (before the
//! request waits for anything) or a write ends it. So no read is older than
//! the request's last step, and reads after a write see it.

use super::readers::Readers;
use super::{classify, run_cached};
use crate::store::StoreResult;
use rusqlite::Connection;
use std::cell::RefCell;
use std::sync::Arc;

tokio::task_local! {
    /// The read transaction shared by the reads of the current step of a
    /// request; empty until the step's first read.
    static STEP_READER: RefCell<Option<StepReader>>;
}

/// A reader connection inside an open read transaction.
struct StepReader {
    conn: Connection,
    readers: Arc<Readers>,
}

impl StepReader {
    /// Ends the read transaction and returns the connection to its pool;
    /// a connection whose transaction will not end is closed instead.
    fn end(self) {
        if run_cached(&self.conn, "COMMIT").is_ok() {
            self.readers.give_back(self.conn);
        } else {
            self.readers.discard(self.conn);
        }
    }
}

/// Runs `step` (one poll of a request's future) with a step reader.
pub fn step_scope(step: &mut dyn FnMut()) {
    STEP_READER.sync_scope(RefCell::new(None), || {
        step();
        end_step_reader();
    })
}

/// Ends the current step's read transaction, if any: at the end of the
/// step, and before a write, so that reads after it see it.
pub fn end_step_reader() {
    let reader = STEP_READER
        .try_with(|slot| slot.try_borrow_mut().ok().and_then(|mut slot| slot.take()))
        .ok()
        .flatten();
    if let Some(reader) = reader {
        reader.end();
    }
}

/// Runs `query` on a read-only connection, here and now: inside the
/// current step's read transaction if there is a step scope, else in a
/// transaction of its own.
pub fn read<T>(
    readers: &Arc<Readers>,
    query: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    let in_step = STEP_READER
        .try_with(|slot| slot.try_borrow_mut().is_ok())
        .unwrap_or(false);
    if in_step {
        // Just checked: the scope is set and its slot is free.
        STEP_READER.with(|slot| read_in_step(readers, &mut slot.borrow_mut(), query))
    } else {
        let conn = readers.take().map_err(classify)?;
        let result = query(&conn);
        readers.give_back(conn);
        result.map_err(classify)
    }
}

fn read_in_step<T>(
    readers: &Arc<Readers>,
    slot: &mut Option<StepReader>,
    query: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> StoreResult<T> {
    let reader = match slot {
        Some(reader) if Arc::ptr_eq(&reader.readers, readers) => reader,
        _ => {
            // A step that reads two stores (only tests run several) keeps
            // a transaction on the latest one.
            if let Some(other) = slot.take() {
                other.end();
            }
            let conn = readers.take().map_err(classify)?;
            // BEGIN is deferred: the snapshot is taken by the first read.
            run_cached(&conn, "BEGIN").map_err(classify)?;
            slot.insert(StepReader {
                conn,
                readers: Arc::clone(readers),
            })
        }
    };
    let result = query(&reader.conn);
    if result.is_err() {
        if let Some(reader) = slot.take() {
            reader.end();
        }
    }
    result.map_err(classify)
}
