//! The schema, embedded in the binary and applied at start.

use super::configure;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// The writer's page cache, in KiB (SQLite's default is 2000). Keys grow
/// with time, so a commit appends to the last pages of each B-tree and a
/// few hundred cached pages hold all it touches.
const WRITER_CACHE_KIB: i64 = 512;

/// The schema, in order; `PRAGMA user_version` records how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_rate_limits.sql"),
    include_str!("../../../migrations/sqlite/0003_codes_grant.sql"),
    include_str!("../../../migrations/sqlite/0004_security_review.sql"),
    include_str!("../../../migrations/sqlite/0005_restaurant_oids.sql"),
    include_str!("../../../migrations/sqlite/0006_openid_connect.sql"),
    include_str!("../../../migrations/sqlite/0007_dynamic_registration.sql"),
    include_str!("../../../migrations/sqlite/0008_operations.sql"),
    include_str!("../../../migrations/sqlite/0009_resource_indicators.sql"),
];

/// The schema version this build writes (`PRAGMA user_version`).
pub fn schema_version() -> usize {
    MIGRATIONS.len()
}

/// Opens (creating if missing) the writer's connection and migrates the
/// file.
pub fn open_writer(path: &Path) -> anyhow::Result<Connection> {
    let mut conn = Connection::open(path)?;
    configure(&conn)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a commit is on disk before anyone is answered (SPEC §6).
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Applies the migrations this file lacks. The version is read and raised
/// inside one `BEGIN IMMEDIATE` transaction, so that processes starting
/// together on one file migrate one after the other, never twice.
fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied: usize = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    anyhow::ensure!(
        applied <= MIGRATIONS.len(),
        "the database has schema version {applied}; this build knows only {}: upgrade Portcullis",
        MIGRATIONS.len()
    );
    for migration in &MIGRATIONS[applied..] {
        tx.execute_batch(migration)?;
    }
    tx.pragma_update(None, "user_version", MIGRATIONS.len())?;
    tx.commit()?;
    Ok(())
}
