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
    let class = classes!("countdown", (left < 60).then_some("urgent"));
    html! {
        <span {class} title={s.time_left} aria-label={s.time_left}>
            <span class="countdown-label">{ s.time_left }</span>
            <span class="countdown-value">{ format_mmss(left) }</span>
        </span>
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
}
