//! Extending a session: its end moves by the operator's step, never past `max_session` from its
//! start.

use std::time::Duration;

use protocol::SessionInfo;

use super::{now_unix, SessionRegistry};
use crate::error::AppError;

/// The new end of a session created at `created_at` that ends at `expires_at`, extended by
/// `step` but never past `created_at + max`; `None` when it already ends there.
pub fn extended_end(created_at: i64, expires_at: i64, step: Duration, max: Duration) -> Option<i64> {
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let limit = created_at.saturating_add(secs(max));
    let end = expires_at.saturating_add(secs(step)).min(limit);
    (end > expires_at).then_some(end)
}

impl SessionRegistry {
    /// Moves session `id`'s end by `MUELLE_EXTEND_MINUTES`, up to `MUELLE_MAX_SESSION_MINUTES`
    /// after its start; [`AppError::SessionAtMaximum`] when it already ends there.
    pub fn extend(&self, id: &str) -> Result<SessionInfo, AppError> {
        let (step, max) = (self.config.extend_step, self.config.max_session);
        let now = now_unix();
        let end = {
            let mut state = self.lock();
            let session = state.get_mut(id).filter(|s| s.is_visible(now)).ok_or(AppError::SessionNotFound)?;
            let Some(end) = extended_end(session.row.created_at, session.row.expires_at, step, max) else {
                return Err(AppError::SessionAtMaximum(format!(
                    "this session already lasts {} minutes, the most this server allows",
                    max.as_secs() / 60
                )));
            };
            session.row.expires_at = end;
            end
        };
        // A store failure leaves the longer end in memory only: a restart would bring back the
        // earlier one. Logged, not fatal for the student.
        if let Err(err) = self.store.set_expires_at(id, end) {
            tracing::warn!(session_id = %id, err = ?err, "could not store an extended end");
        }
        tracing::info!(session_id = %id, expires_at = end, "session extended");
        self.info(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_move_by_the_step_up_to_the_maximum() {
        let (m30, m120) = (Duration::from_secs(1800), Duration::from_secs(7200));
        assert_eq!(extended_end(0, 3600, m30, m120), Some(5400));
        assert_eq!(extended_end(0, 5400, m30, m120), Some(7200));
        assert_eq!(extended_end(0, 6000, m30, m120), Some(7200), "the last step is cut to the maximum");
        assert_eq!(extended_end(0, 7200, m30, m120), None);
        assert_eq!(extended_end(0, 9000, m30, m120), None, "a lesson longer than the maximum is not extended");
    }
}
