//! What time it is for the GitHub layer's credentials: when an installation token is due
//! for renewal, and the times an App's JWT carries. The system clock in production; the
//! tests hand the client the fake GitHub's clock, so a token that lives 20 seconds expires
//! in milliseconds of real time and no test waits for it.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

#[derive(Clone, Default)]
pub struct WallClock(Option<Arc<dyn Fn() -> SystemTime + Send + Sync>>);

impl WallClock {
    /// The system clock.
    pub fn system() -> WallClock {
        WallClock(None)
    }

    /// A clock that reads `now` (tests).
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> WallClock {
        WallClock(Some(Arc::new(now)))
    }

    pub fn now(&self) -> SystemTime {
        match &self.0 {
            Some(now) => now(),
            None => SystemTime::now(),
        }
    }
}

impl fmt::Debug for WallClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "WallClock(given)"
        } else {
            "WallClock(system)"
        })
    }
}
