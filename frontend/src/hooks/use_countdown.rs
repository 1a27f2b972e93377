//! Seconds left until a deadline, re-read from the clock every second (no drift).

use gloo_timers::callback::Interval;
use yew::prelude::*;

/// Whole seconds until `deadline_ms` (milliseconds since the epoch), updated every second.
#[hook]
pub fn use_countdown(deadline_ms: f64) -> u64 {
    let left = use_state(|| remaining_secs(deadline_ms, js_sys::Date::now()));
    {
        let left = left.clone();
        use_effect_with(deadline_ms.to_bits(), move |_| {
            left.set(remaining_secs(deadline_ms, js_sys::Date::now()));
            let tick = Interval::new(1_000, move || {
                left.set(remaining_secs(deadline_ms, js_sys::Date::now()));
            });
            move || drop(tick)
        });
    }
    *left
}

/// Whole seconds from `now_ms` until `deadline_ms`, rounded up, never negative.
fn remaining_secs(deadline_ms: f64, now_ms: f64) -> u64 {
    let left = (deadline_ms - now_ms) / 1000.0;
    if left.is_nan() || left <= 0.0 {
        0
    } else {
        left.ceil() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_rounds_up_and_clamps() {
        assert_eq!(remaining_secs(10_000.0, 0.0), 10);
        assert_eq!(remaining_secs(10_000.0, 500.0), 10);
        assert_eq!(remaining_secs(10_000.0, 9_001.0), 1);
        assert_eq!(remaining_secs(10_000.0, 10_000.0), 0);
        assert_eq!(remaining_secs(10_000.0, 99_000.0), 0);
        assert_eq!(remaining_secs(f64::NAN, 0.0), 0);
    }
}
