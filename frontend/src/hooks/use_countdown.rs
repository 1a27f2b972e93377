//! Seconds left until a deadline, re-read from the clock every second (no drift).

use gloo_timers::callback::Interval;
use yew::prelude::*;

use crate::components::countdown::remaining_secs;

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
