//! The session countdown (mm:ss); the clock behind it is `hooks::use_countdown`.

use yew::prelude::*;

use crate::hooks::{use_countdown, use_lang};

/// `mm:ss`; minutes keep counting past 59 (`90:00` for an hour and a half).
pub fn format_mmss(secs: u64) -> String {
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

/// Props of [`Countdown`].
#[derive(Properties, PartialEq)]
pub struct CountdownProps {
    /// When the session ends, in milliseconds since the epoch.
    pub deadline_ms: f64,
    /// Called once when the countdown reaches zero.
    pub on_expire: Callback<()>,
}

/// Shows the time left and reports when it runs out.
#[component]
pub fn Countdown(props: &CountdownProps) -> Html {
    let s = use_lang().strings();
    let left = use_countdown(props.deadline_ms);
    {
        let on_expire = props.on_expire.clone();
        use_effect_with(left == 0, move |expired| {
            if *expired {
                on_expire.emit(());
            }
        });
    }
    let warning = warning_of(left).map(|w| match w {
        Warning::OneMinute => s.warn_1min,
        Warning::FiveMinutes => s.warn_5min,
    });
    let class = classes!("countdown", (left < 60).then_some("urgent"), warning.is_some().then_some("warn"));
    html! {
        <>
            <span {class} title={s.time_left} aria-label={s.time_left}>
                <span class="countdown-label">{ s.time_left }</span>
                <span class="countdown-value">{ format_mmss(left) }</span>
            </span>
            <span class="time-warning" role="status" aria-live="polite">{ warning.unwrap_or_default() }</span>
        </>
    }
}

/// What the countdown warns about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Warning {
    /// Five minutes or less are left.
    FiveMinutes,
    /// One minute or less is left.
    OneMinute,
}

/// The warning due with `left` seconds to go (none at zero: the page says the session ended).
pub fn warning_of(left: u64) -> Option<Warning> {
    match left {
        0 => None,
        1..=60 => Some(Warning::OneMinute),
        61..=300 => Some(Warning::FiveMinutes),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mmss() {
        assert_eq!(format_mmss(0), "00:00");
        assert_eq!(format_mmss(59), "00:59");
        assert_eq!(format_mmss(61), "01:01");
        assert_eq!(format_mmss(3600), "60:00");
        assert_eq!(format_mmss(5999), "99:59");
    }

    #[test]
    fn warnings_at_five_and_one_minute() {
        assert_eq!(warning_of(301), None);
        assert_eq!(warning_of(300), Some(Warning::FiveMinutes));
        assert_eq!(warning_of(61), Some(Warning::FiveMinutes));
        assert_eq!(warning_of(60), Some(Warning::OneMinute));
        assert_eq!(warning_of(1), Some(Warning::OneMinute));
        assert_eq!(warning_of(0), None);
    }
}
