//! Read-only connections, opened on demand and kept for reuse. Reads run
//! inline, on the thread of the request that asks: a lookup by primary key
//! in SQLite's page cache takes a few microseconds, less than handing it to
//! another thread and back (the benchmark measured sqlx's worker-thread
//! design spending over half of an introspection's time switching
//! threads). WAL lets these reads run beside the writer.

use super::configure;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Idle read-only connections; a read takes one or opens a new one.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    max_idle: usize,
    /// Connections taken and not yet given back or discarded (metrics).
    in_use: AtomicUsize,
}

impl Readers {
    pub fn new(path: PathBuf, max_idle: usize) -> Self {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
            max_idle,
            in_use: AtomicUsize::new(0),
        }
    }

    pub fn take(&self) -> rusqlite::Result<Connection> {
        let conn = match self.idle().pop() {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        self.in_use.fetch_add(1, Ordering::Relaxed);
        Ok(conn)
    }

    /// A taken connection that is closed instead of given back.
    pub fn discard(&self, conn: Connection) {
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        drop(conn);
    }

    /// Idle and in-use connections, and how many may stay idle.
    pub fn usage(&self) -> crate::metrics::PoolUsage {
        crate::metrics::PoolUsage {
            idle: self.idle().len(),
            in_use: self.in_use.load(Ordering::Relaxed),
            max: self.max_idle,
            waiting: 0,
        }
    }

    pub fn give_back(&self, conn: Connection) {
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        let mut idle = self.idle();
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // The lock is held for a push or a pop, which cannot panic: a
        // poisoned list is still a valid list.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn open_reader(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}
