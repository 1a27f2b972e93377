//! The lesson player: plays the lessons of [`crate::lessons`] on a session's nodes. The step API
//! of one session ([`steps`]), the served lessons with each session's progress ([`live`]), the
//! scripts run in nodes ([`node_exec`]), and the runner of `muelle lessons test` ([`runner`]; its
//! command is [`crate::lessons_cli`]).

pub mod live;
pub mod node_exec;
pub mod runner;
pub mod setup;
pub mod steps;
