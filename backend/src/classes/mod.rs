//! The classroom: an instructor's classes, the students who joined them with a display name,
//! and every step each student passed, in SQLite beside the sessions (so a class and its
//! progress outlive a restart). A class holds its seats' nodes of `MAX_NODES` in the session
//! registry from its creation to its end ([`crate::sessions::SessionRegistry::hold_for_class`]).
//!
//! Steps passed reach the classroom from the lesson player
//! ([`crate::player::live::LiveLessons::subscribe_passed`]); each change of a class is announced
//! on [`Classes::subscribe`], which the dashboard's event stream follows.

pub mod db;
pub mod instructor;

use std::sync::Arc;

use protocol::classes::{ClassLesson, ClassProgress, StudentProgress};
use tokio::sync::broadcast;

use crate::error::AppError;
use crate::player::live::LiveLessons;
use crate::sessions::{now_unix, SessionRegistry};
use crate::store::Store;
use db::{ClassRow, StudentRow};

/// The classes of this server.
pub struct Classes {
    store: Store,
    sessions: Arc<SessionRegistry>,
    lessons: Arc<LiveLessons>,
    changed: broadcast::Sender<String>,
    /// Serializes seat claims (count, then insert) across joins.
    seats: std::sync::Mutex<()>,
}

impl Classes {
    /// The classes of the registry's store: holds their capacity again, gives the lesson player
    /// back the steps their students passed, and (inside a runtime) starts following steps.
    pub fn open(sessions: Arc<SessionRegistry>, lessons: Arc<LiveLessons>) -> Arc<Self> {
        let store = sessions.store().clone();
        let (changed, _) = broadcast::channel(256);
        let classes = Arc::new(Self { store, sessions, lessons, changed, seats: std::sync::Mutex::new(()) });
        if let Err(err) = classes.restore() {
            tracing::error!(?err, "could not restore the classes");
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            let rx = classes.lessons.subscribe_passed();
            tokio::spawn(follow_steps(Arc::downgrade(&classes), rx));
        }
        classes
    }

    fn restore(&self) -> anyhow::Result<()> {
        let live = self.sessions.session_ids();
        for class in db::open_classes(&self.store)? {
            let students = db::students(&self.store, &class.id)?;
            let ids: Vec<String> = students.iter().filter_map(|s| s.session_id.clone()).collect();
            self.sessions.restore_hold(&class.id, class.reserved_nodes(), &ids);
            for s in &students {
                let Some(session) = s.session_id.as_ref().filter(|id| live.contains(id)) else { continue };
                for done in db::progress(&self.store, &s.id)? {
                    if Some(&done.lesson) == s.lesson.as_ref() {
                        self.lessons.mark_done(session, done.step);
                    }
                }
            }
        }
        Ok(())
    }

    /// The store the classes live in.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Class ids as they change (a student joined or passed a step, an action ran).
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.changed.subscribe()
    }

    /// Announces that class `id` changed.
    pub fn touch(&self, id: &str) {
        let _ = self.changed.send(id.to_string());
    }

    /// Claims a seat of `class` for `name` (a student row without a session yet), or
    /// [`AppError::ClassFull`].
    pub fn claim_seat(&self, class: &ClassRow, name: &str, lesson: Option<&str>) -> Result<StudentRow, AppError> {
        let _one = self.seats.lock().unwrap_or_else(|e| e.into_inner());
        if db::student_count(&self.store, &class.id)? >= class.seats {
            return Err(AppError::ClassFull(class.seats));
        }
        let now = now_unix();
        let row = StudentRow {
            id: crate::sessions::alloc::new_session_id(),
            class_id: class.id.clone(),
            name: name.to_string(),
            session_id: None,
            lesson: lesson.map(str::to_string),
            joined_at: now,
            step_since: now,
        };
        db::insert_student(&self.store, &row)?;
        Ok(row)
    }

    /// Class `class`'s lessons in order, titles in `lang` (or another language).
    pub fn lessons_of(&self, class: &ClassRow, lang: &str) -> Vec<ClassLesson> {
        class
            .lessons
            .iter()
            .map(|l| {
                let parsed = self.lessons.store.resolve_lang(l, lang).and_then(|lang| self.lessons.store.parsed(l, &lang));
                ClassLesson {
                    id: l.clone(),
                    title: parsed.as_ref().map_or_else(|| l.clone(), |p| p.front.title.clone()),
                    steps: parsed.map(|p| p.steps.iter().map(|s| s.title.clone()).collect()).unwrap_or_default(),
                }
            })
            .collect()
    }

    /// The dashboard's view of class `id`: lesson titles in `lang` (or another language).
    pub fn progress(&self, id: &str, lang: &str) -> Result<ClassProgress, AppError> {
        let class = db::class(&self.store, id)?.ok_or(AppError::ClassNotFound)?;
        let lessons = self.lessons_of(&class, lang);
        let mut students = Vec::new();
        for s in db::students(&self.store, id)? {
            let info = s.session_id.as_deref().and_then(|sid| self.sessions.info(sid).ok());
            students.push(StudentProgress {
                done: db::progress(&self.store, &s.id)?,
                session_id: info.as_ref().map(|i| i.id.clone()),
                nodes: info.map(|i| i.nodes.into_iter().map(|n| n.name).collect()).unwrap_or_default(),
                id: s.id,
                name: s.name,
                lesson: s.lesson,
                step_since: s.step_since,
                joined_at: s.joined_at,
            });
        }
        Ok(ClassProgress {
            id: class.id,
            name: class.name,
            join_code: class.join_code,
            seats: class.seats,
            nodes: class.nodes,
            ended: class.ended_at.is_some(),
            lessons,
            students,
            now: now_unix(),
        })
    }

    /// Student `student` (session `session`) is on `lesson` from now on: the lesson player gets
    /// the steps of it the student passed before (none for a lesson never started).
    pub fn move_student(&self, student: &StudentRow, session: &str, lesson: &str) -> anyhow::Result<()> {
        db::set_student_lesson(&self.store, &student.id, lesson, now_unix())?;
        let done = db::progress(&self.store, &student.id)?;
        self.lessons.new_lesson(session, done.iter().filter(|d| d.lesson == lesson).map(|d| d.step));
        self.touch(&student.class_id);
        Ok(())
    }

    /// Records that the student with session `session` passed `step`; returns their class id
    /// when it was new.
    pub fn record_step(&self, session: &str, step: u32) -> anyhow::Result<Option<String>> {
        let Some(student) = db::student_by_session(&self.store, session)? else { return Ok(None) };
        let lesson = self.sessions.info(session).ok().and_then(|i| i.lesson).or(student.lesson.clone());
        let Some(lesson) = lesson else { return Ok(None) };
        let fresh = db::insert_progress(&self.store, &student.id, &lesson, step, now_unix())?;
        Ok(fresh.then_some(student.class_id))
    }
}

/// Records each step passed by a class's student and announces the class's change, until the
/// classes are dropped.
async fn follow_steps(classes: std::sync::Weak<Classes>, mut rx: broadcast::Receiver<(String, u32)>) {
    loop {
        let (session, step) = match rx.recv().await {
            Ok(passed) => passed,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(missed = n, "the classroom missed steps passed");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let Some(classes) = classes.upgrade() else { return };
        match classes.record_step(&session, step) {
            Ok(Some(class)) => classes.touch(&class),
            Ok(None) => {}
            Err(err) => tracing::warn!(?err, session_id = %session, step, "could not record a step passed"),
        }
    }
}

/// A fresh join code: 6 characters without look-alikes (no 0/O, 1/I/L).
pub fn new_join_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..6).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect()
}

/// A join code as typed: trimmed, upper case; `None` unless it could be one.
pub fn normalize_code(code: &str) -> Option<String> {
    let code = code.trim().to_ascii_uppercase();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(code)
}

/// A display name: trimmed, 1-40 characters, no control characters.
pub fn validate_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > 40 || name.chars().any(char::is_control) {
        return Err(AppError::BadRequest("the name must be 1-40 characters, without control characters".into()));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        let code = new_join_code();
        assert_eq!(normalize_code(&code.to_lowercase()).as_deref(), Some(code.as_str()));
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']));
        assert_eq!(normalize_code(" ab3def "), Some("AB3DEF".into()));
        assert_eq!(normalize_code("AB3DE"), None);
        assert_eq!(normalize_code("AB/DEF"), None);
        assert_eq!(validate_name("  Ana  ").unwrap(), "Ana");
        assert!(validate_name("").is_err());
        assert!(validate_name("a\u{7}b").is_err());
        assert!(validate_name(&"x".repeat(41)).is_err());
    }
}
