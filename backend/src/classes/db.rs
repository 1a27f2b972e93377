//! The classroom's rows (tables of the store's third migration).

use protocol::classes::{ClassMessage, StepDone};
use rusqlite::{params, OptionalExtension, Row};

use crate::store::Store;

/// One class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassRow {
    /// Random id.
    pub id: String,
    /// Short code students type.
    pub join_code: String,
    /// Name.
    pub name: String,
    /// Lesson ids in order (empty: playground).
    pub lessons: Vec<String>,
    /// Nodes per student.
    pub nodes: u8,
    /// Each student session's lifetime.
    pub duration_secs: u32,
    /// Students it takes.
    pub seats: u32,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once ended.
    pub ended_at: Option<i64>,
}

impl ClassRow {
    /// The nodes its seats hold.
    pub fn reserved_nodes(&self) -> u32 {
        self.seats.saturating_mul(u32::from(self.nodes))
    }
}

/// One student of a class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentRow {
    /// Random id.
    pub id: String,
    /// The class.
    pub class_id: String,
    /// Display name.
    pub name: String,
    /// The session the student has now.
    pub session_id: Option<String>,
    /// The lesson of that session.
    pub lesson: Option<String>,
    /// Unix seconds.
    pub joined_at: i64,
    /// Unix seconds since the student is on the current step.
    pub step_since: i64,
}

const CLASS_COLUMNS: &str = "id, join_code, name, lessons, nodes, duration_secs, seats, created_at, ended_at";
const STUDENT_COLUMNS: &str = "id, class_id, name, session_id, lesson, joined_at, step_since";

fn class_of(r: &Row<'_>) -> rusqlite::Result<ClassRow> {
    let lessons: String = r.get(3)?;
    Ok(ClassRow {
        id: r.get(0)?,
        join_code: r.get(1)?,
        name: r.get(2)?,
        lessons: serde_json::from_str(&lessons).unwrap_or_default(),
        nodes: r.get(4)?,
        duration_secs: r.get(5)?,
        seats: r.get(6)?,
        created_at: r.get(7)?,
        ended_at: r.get(8)?,
    })
}

fn student_of(r: &Row<'_>) -> rusqlite::Result<StudentRow> {
    Ok(StudentRow {
        id: r.get(0)?,
        class_id: r.get(1)?,
        name: r.get(2)?,
        session_id: r.get(3)?,
        lesson: r.get(4)?,
        joined_at: r.get(5)?,
        step_since: r.get(6)?,
    })
}

/// Stores a new class.
pub fn insert_class(store: &Store, c: &ClassRow) -> anyhow::Result<()> {
    let lessons = serde_json::to_string(&c.lessons)?;
    store.with_conn(|conn| {
        conn.execute(
            &format!("INSERT INTO classes ({CLASS_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
            params![c.id, c.join_code, c.name, lessons, c.nodes, c.duration_secs, c.seats, c.created_at, c.ended_at],
        )
    })?;
    Ok(())
}

/// Class `id`, ended or not.
pub fn class(store: &Store, id: &str) -> anyhow::Result<Option<ClassRow>> {
    store.with_conn(|conn| {
        conn.query_row(&format!("SELECT {CLASS_COLUMNS} FROM classes WHERE id = ?1"), params![id], class_of).optional()
    })
}

/// The class a join code opens, while it has not ended.
pub fn open_class_by_code(store: &Store, code: &str) -> anyhow::Result<Option<ClassRow>> {
    store.with_conn(|conn| {
        conn.query_row(
            &format!("SELECT {CLASS_COLUMNS} FROM classes WHERE join_code = ?1 AND ended_at IS NULL"),
            params![code],
            class_of,
        )
        .optional()
    })
}

/// Every class, newest first.
pub fn all_classes(store: &Store) -> anyhow::Result<Vec<ClassRow>> {
    store.with_conn(|conn| {
        let mut stmt = conn.prepare(&format!("SELECT {CLASS_COLUMNS} FROM classes ORDER BY created_at DESC, id"))?;
        let rows = stmt.query_map([], class_of)?.collect();
        rows
    })
}

/// The classes that have not ended.
pub fn open_classes(store: &Store) -> anyhow::Result<Vec<ClassRow>> {
    Ok(all_classes(store)?.into_iter().filter(|c| c.ended_at.is_none()).collect())
}

/// Marks class `id` ended at `at`.
pub fn end_class(store: &Store, id: &str, at: i64) -> anyhow::Result<()> {
    store.with_conn(|conn| conn.execute("UPDATE classes SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL", params![id, at]))?;
    Ok(())
}

/// A class's students in join order.
pub fn students(store: &Store, class_id: &str) -> anyhow::Result<Vec<StudentRow>> {
    store.with_conn(|conn| {
        let mut stmt = conn.prepare(&format!(
            "SELECT {STUDENT_COLUMNS} FROM class_students WHERE class_id = ?1 ORDER BY joined_at, rowid"
        ))?;
        let rows = stmt.query_map(params![class_id], student_of)?.collect();
        rows
    })
}

/// How many students a class has.
pub fn student_count(store: &Store, class_id: &str) -> anyhow::Result<u32> {
    store.with_conn(|conn| {
        conn.query_row("SELECT COUNT(*) FROM class_students WHERE class_id = ?1", params![class_id], |r| r.get(0))
    })
}

/// Student `id` of class `class_id`.
pub fn student(store: &Store, class_id: &str, id: &str) -> anyhow::Result<Option<StudentRow>> {
    store.with_conn(|conn| {
        conn.query_row(
            &format!("SELECT {STUDENT_COLUMNS} FROM class_students WHERE class_id = ?1 AND id = ?2"),
            params![class_id, id],
            student_of,
        )
        .optional()
    })
}

/// The student whose session is `session_id`.
pub fn student_by_session(store: &Store, session_id: &str) -> anyhow::Result<Option<StudentRow>> {
    store.with_conn(|conn| {
        conn.query_row(
            &format!("SELECT {STUDENT_COLUMNS} FROM class_students WHERE session_id = ?1"),
            params![session_id],
            student_of,
        )
        .optional()
    })
}

/// Stores a new student.
pub fn insert_student(store: &Store, s: &StudentRow) -> anyhow::Result<()> {
    store.with_conn(|conn| {
        conn.execute(
            &format!("INSERT INTO class_students ({STUDENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
            params![s.id, s.class_id, s.name, s.session_id, s.lesson, s.joined_at, s.step_since],
        )
    })?;
    Ok(())
}

/// Gives student `id` its session.
pub fn set_student_session(store: &Store, id: &str, session_id: &str) -> anyhow::Result<()> {
    store.with_conn(|conn| conn.execute("UPDATE class_students SET session_id = ?2 WHERE id = ?1", params![id, session_id]))?;
    Ok(())
}

/// Puts student `id` on lesson `lesson` since `at`.
pub fn set_student_lesson(store: &Store, id: &str, lesson: &str, at: i64) -> anyhow::Result<()> {
    store.with_conn(|conn| {
        conn.execute("UPDATE class_students SET lesson = ?2, step_since = ?3 WHERE id = ?1", params![id, lesson, at])
    })?;
    Ok(())
}

/// Forgets student `id` (a join whose session could not start gives its seat back).
pub fn delete_student(store: &Store, id: &str) -> anyhow::Result<()> {
    store.with_conn(|conn| conn.execute("DELETE FROM class_students WHERE id = ?1", params![id]))?;
    Ok(())
}

/// The steps student `id` passed, in the order passed.
pub fn progress(store: &Store, student_id: &str) -> anyhow::Result<Vec<StepDone>> {
    store.with_conn(|conn| {
        let mut stmt = conn.prepare(
            "SELECT lesson, step, done_at FROM class_progress WHERE student_id = ?1 ORDER BY done_at, lesson, step",
        )?;
        let rows = stmt
            .query_map(params![student_id], |r| Ok(StepDone { lesson: r.get(0)?, step: r.get(1)?, at: r.get(2)? }))?
            .collect();
        rows
    })
}

/// Records a step passed (and the student's new "on this step since"); false if it was known.
pub fn insert_progress(store: &Store, student_id: &str, lesson: &str, step: u32, at: i64) -> anyhow::Result<bool> {
    store.with_conn(|conn| {
        let tx = conn.transaction()?;
        let n = tx.execute(
            "INSERT OR IGNORE INTO class_progress (student_id, lesson, step, done_at) VALUES (?1, ?2, ?3, ?4)",
            params![student_id, lesson, step, at],
        )?;
        if n > 0 {
            tx.execute("UPDATE class_students SET step_since = ?2 WHERE id = ?1", params![student_id, at])?;
        }
        tx.commit()?;
        Ok(n > 0)
    })
}

/// Stores a message to a class (`student` none: everyone) → its id.
pub fn insert_message(store: &Store, class_id: &str, student: Option<&str>, text: &str, at: i64) -> anyhow::Result<i64> {
    store.with_conn(|conn| {
        conn.execute(
            "INSERT INTO class_messages (class_id, student_id, text, sent_at) VALUES (?1, ?2, ?3, ?4)",
            params![class_id, student, text, at],
        )?;
        Ok(conn.last_insert_rowid())
    })
}

/// The messages student `student` sees: theirs and the class's, oldest first.
pub fn messages_for(store: &Store, class_id: &str, student: &str) -> anyhow::Result<Vec<ClassMessage>> {
    store.with_conn(|conn| {
        let mut stmt = conn.prepare(
            "SELECT id, text, sent_at, student_id IS NULL FROM class_messages
             WHERE class_id = ?1 AND (student_id IS NULL OR student_id = ?2) ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![class_id, student], |r| {
                Ok(ClassMessage { id: r.get(0)?, text: r.get(1)?, at: r.get(2)?, to_all: r.get(3)? })
            })?
            .collect();
        rows
    })
}
