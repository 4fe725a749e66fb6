//! Wall-clock profile of the network's parts (issue 13): named spans summed per name while
//! profiling is switched on, for `cargo bench -p duologue-model --bench model -- --profile`.
//!
//! Off by default: a span then costs one relaxed atomic load. On eager backends (`flex`) a
//! span's time is the work of the operations inside it; on asynchronous backends (GPUs) it is
//! only the time to queue them, so the profile is meant for the CPU. Backward passes cannot be
//! split this way (burn's autodiff runs the whole graph in one call); they are one span each.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static ON: AtomicBool = AtomicBool::new(false);
static SPANS: Mutex<Vec<(&'static str, Duration, usize)>> = Mutex::new(Vec::new());

/// Starts recording spans (clears what was recorded before).
pub fn start() {
    SPANS.lock().unwrap_or_else(|e| e.into_inner()).clear();
    ON.store(true, Ordering::Relaxed);
}

/// Stops recording and returns `(name, total time, calls)` per span name, in first-seen order.
pub fn stop() -> Vec<(&'static str, Duration, usize)> {
    ON.store(false, Ordering::Relaxed);
    std::mem::take(&mut *SPANS.lock().unwrap_or_else(|e| e.into_inner()))
}

/// Runs `f`, adding its wall time to span `name` while profiling is on.
pub fn span<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !ON.load(Ordering::Relaxed) {
        return f();
    }
    let t = Instant::now();
    let out = f();
    let dt = t.elapsed();
    let mut spans = SPANS.lock().unwrap_or_else(|e| e.into_inner());
    match spans.iter_mut().find(|(n, _, _)| *n == name) {
        Some((_, d, c)) => {
            *d += dt;
            *c += 1;
        }
        None => spans.push((name, dt, 1)),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_add_up_only_while_on() {
        span("off", || std::thread::sleep(Duration::from_millis(1)));
        start();
        for _ in 0..3 {
            span("a", || std::thread::sleep(Duration::from_millis(2)));
        }
        let got = stop();
        span("a", || ());
        // Other tests of this crate may run network passes meanwhile: look at "a" alone.
        let a: Vec<_> = got.iter().filter(|s| s.0 == "a").collect();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].2, 3);
        assert!(a[0].1 >= Duration::from_millis(6));
        assert!(!got.iter().any(|s| s.0 == "off"));
        assert!(stop().is_empty());
    }
}
