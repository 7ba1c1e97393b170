//! The SQLite engine's own behaviour: the per-step read snapshot and the
//! writer's recovery from a panicking write. What every engine must do is
//! the contract suite's (`store/contract.rs`).

use super::*;

/// Runs `request` the way the router runs a back-channel request.
async fn share_read_snapshots<F: std::future::Future>(request: F) -> F::Output {
    crate::store::in_poll_scope(snapshot::step_scope, request).await
}

/// A store in a fresh directory, and a connection of its own that
/// commits behind the store's back, as another process would.
async fn store_and_other_writer() -> (tempfile::TempDir, SqliteStore, Connection) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("portcullis.db");
    let store = SqliteStore::open(&format!("sqlite://{}", path.display()), 2)
        .await
        .expect("open the store");
    let other = Connection::open(&path).expect("open a second connection");
    (dir, store, other)
}

fn add_user(conn: &Connection, name: &str) {
    conn.execute(
        "INSERT INTO users (username, password_hash, created_at) VALUES (?, 'x', 0)",
        [name],
    )
    .expect("insert a user");
}

#[tokio::test]
async fn reads_in_one_step_share_a_snapshot() {
    let (_dir, store, other) = store_and_other_writer().await;
    let (before, during) = share_read_snapshots(async {
        let before = store.user_by_name("alice").await.expect("read");
        add_user(&other, "alice");
        let during = store.user_by_name("alice").await.expect("read");
        (before, during)
    })
    .await;
    assert!(before.is_none());
    assert!(
        during.is_none(),
        "the second read used the first's snapshot"
    );
    let after = store.user_by_name("alice").await.expect("read");
    assert!(after.is_some(), "a later read sees the commit");
}

#[tokio::test]
async fn a_snapshot_ends_when_the_request_waits() {
    let (_dir, store, other) = store_and_other_writer().await;
    let after_wait = share_read_snapshots(async {
        assert!(store.user_by_name("bob").await.expect("read").is_none());
        add_user(&other, "bob");
        tokio::task::yield_now().await;
        store.user_by_name("bob").await.expect("read")
    })
    .await;
    assert!(after_wait.is_some(), "a read after a wait sees the commit");
}

#[tokio::test]
async fn a_panicking_write_is_rolled_back_and_the_writer_goes_on() {
    let (_dir, store, _) = store_and_other_writer().await;
    let panicked = store
        .write(|conn| -> rusqlite::Result<()> {
            conn.execute(
                "INSERT INTO users (username, password_hash, created_at) VALUES ('x', 'x', 0)",
                [],
            )?;
            panic!("a bug in a write")
        })
        .await;
    assert!(matches!(panicked, Err(StoreError::Database(_))));
    assert!(store.user_by_name("x").await.expect("read").is_none());
    store
        .create_user("dave", "x")
        .await
        .expect("the next write works");
    assert!(store.user_by_name("dave").await.expect("read").is_some());
}

#[tokio::test]
async fn a_write_ends_the_snapshot() {
    let (_dir, store, _) = store_and_other_writer().await;
    let found = share_read_snapshots(async {
        assert!(store.user_by_name("carol").await.expect("read").is_none());
        store.create_user("carol", "x").await.expect("write");
        store.user_by_name("carol").await.expect("read")
    })
    .await;
    assert!(found.is_some(), "a read after the request's write sees it");
}
