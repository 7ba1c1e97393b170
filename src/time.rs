//! Time as Unix seconds, the unit every expiry in the store uses, and the
//! clock the protocol core reads it from, so that its rules about expiry
//! can be tested at any moment without waiting.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Unix milliseconds, for the time-ordered ids of tokens.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Where the protocol core reads the time: the system clock, or (in tests)
/// a clock that stands still until moved.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    pub fn system() -> Self {
        Clock(None)
    }

    /// A clock stopped at `at`; [`Clock::advance`] moves it.
    pub fn fixed(at: i64) -> Self {
        Clock(Some(Arc::new(AtomicI64::new(at))))
    }

    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(fixed) => fixed.load(Ordering::SeqCst),
            None => now(),
        }
    }

    /// Moves a fixed clock on by `seconds` (no effect on the system clock).
    pub fn advance(&self, seconds: i64) {
        if let Some(fixed) = &self.0 {
            fixed.fetch_add(seconds, Ordering::SeqCst);
        }
    }
}
