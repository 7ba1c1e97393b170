//! Clients kept in one node's memory, so that the token endpoint's
//! client_credentials path is one statement: the insert of the grant.
//!
//! The cache is never trusted on its own. Each copy carries the version of
//! its row (migration 0010: a new one from a sequence at every insert and
//! update), and the statement that issues for a cached copy inserts only
//! if the row is still at that version; otherwise it writes nothing and the
//! request is decided again on a fresh read. So a client deleted, or given
//! a new secret or scope, on any node, stops being served from memory by
//! the first statement after the change commits: there is nothing to
//! invalidate, and no window a notification could miss.

use crate::store::Client;
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept at most; when full the cache starts again empty. Clients
/// that authenticate with client_credentials are few (services, not
/// users), and a flood of self-registered ones only costs reads.
const CAPACITY: usize = 1024;

#[derive(Default)]
pub(super) struct ClientCache {
    clients: Mutex<HashMap<String, Client>>,
}

impl ClientCache {
    pub(super) fn get(&self, client_id: &str) -> Option<Client> {
        self.lock().get(client_id).cloned()
    }

    /// Keeps `client`, which must carry its row's version.
    pub(super) fn put(&self, client: Client) {
        debug_assert!(client.version.is_some());
        let mut clients = self.lock();
        if clients.len() >= CAPACITY {
            clients.clear();
        }
        clients.insert(client.client_id.clone(), client);
    }

    pub(super) fn forget(&self, client_id: &str) {
        self.lock().remove(client_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Client>> {
        // A panic while holding the lock cannot leave a half-written map.
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }
}
