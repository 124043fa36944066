//! Delay before a retry: exponential in the attempt number, capped, with seeded jitter.
//!
//! The jitter is a pure function of (seed, job, attempt), so the state machine stays a pure
//! function of the journal and a simulation is the same for the same seed.

/// First retry waits about this long.
const BASE_S: u64 = 30;
/// No retry waits longer than this.
const CAP_S: u64 = 600;

/// Seconds to wait after failed attempt `attempt` (1-based): half the exponential delay
/// plus a jitter of up to the other half ("equal jitter").
pub fn delay_s(seed: u64, job: &str, attempt: u32) -> u64 {
    let exponent = attempt.saturating_sub(1).min(20);
    let full = BASE_S.saturating_mul(1 << exponent).min(CAP_S);
    let half = full / 2;
    half + mix(seed, job, attempt) % (full - half + 1)
}

/// splitmix64 over the inputs: well spread, stable across platforms and releases.
fn mix(seed: u64, job: &str, attempt: u32) -> u64 {
    let mut x = seed ^ u64::from(attempt).rotate_left(32);
    for byte in job.bytes() {
        x = splitmix(x ^ u64::from(byte));
    }
    splitmix(x)
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_within_its_jitter_and_cap() {
        for attempt in 1..12 {
            let full = (30u64 << (attempt - 1)).min(600);
            let d = delay_s(42, "blvm-node", attempt);
            assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d}");
        }
        assert_eq!(delay_s(1, "a", 1), delay_s(1, "a", 1));
        let spread: std::collections::HashSet<u64> = (0..50).map(|s| delay_s(s, "a", 3)).collect();
        assert!(spread.len() > 10);
    }
}
