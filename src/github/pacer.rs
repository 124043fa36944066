//! Every wait of the GitHub layer (retry-after, rate-limit reset, backoff) goes through a
//! [`Pacer`], which records what was asked and sleeps for it scaled by a factor: 1 in
//! production, 0 in tests, so a test can assert "waited the 7 s GitHub asked for" from the
//! record without ever depending on how fast the machine is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Pacer {
    scale: f64,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Default for Pacer {
    fn default() -> Pacer {
        Pacer::scaled(1.0)
    }
}

impl Pacer {
    /// Sleeps `scale` real seconds per requested second (0 never sleeps).
    pub fn scaled(scale: f64) -> Pacer {
        Pacer {
            scale: scale.max(0.0),
            waits: Arc::default(),
        }
    }

    pub async fn wait(&self, duration: Duration) {
        if let Ok(mut waits) = self.waits.lock() {
            waits.push(duration);
        }
        let real = duration.mul_f64(self.scale);
        if !real.is_zero() {
            tokio::time::sleep(real).await;
        }
    }

    /// Every wait requested so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }
}
