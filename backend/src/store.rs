//! The session store: SQLite (WAL) rows for sessions and their nodes, so a restarted backend can
//! re-adopt live sandboxes. Calls are short and synchronous under a std `Mutex` that is never
//! held across an `.await`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use protocol::NodeStatus;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use rusqlite_migration::{Migrations, M};

use crate::provider::NodeHandle;

/// The schema, as numbered migrations (SQLite's `user_version` counts the ones applied).
///
/// Databases made before versioned migrations have `user_version` 0 and tables created by
/// `CREATE TABLE IF NOT EXISTS`, some with and some without `nodes.start_time`: the first two
/// migrations accept both (the first creates nothing that exists, the second adds the column
/// only when it is missing).
fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            "CREATE TABLE IF NOT EXISTS sessions (
                id            TEXT PRIMARY KEY,
                token_sha256  TEXT NOT NULL,
                created_at    INTEGER NOT NULL,
                expires_at    INTEGER NOT NULL,
                lesson        TEXT,
                subnet        INTEGER NOT NULL
            );
            CREATE TABLE IF NOT EXISTS nodes (
                session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                name        TEXT NOT NULL,
                idx         INTEGER NOT NULL,
                key         TEXT NOT NULL,
                ip          TEXT NOT NULL,
                pid         INTEGER NOT NULL,
                uid_base    INTEGER NOT NULL,
                status      TEXT NOT NULL,
                PRIMARY KEY (session_id, name)
            );",
        ),
        M::up_with_hook("", |tx: &Transaction| {
            let has = tx.prepare("SELECT 1 FROM pragma_table_info('nodes') WHERE name = 'start_time'")?.exists([])?;
            if !has {
                tx.execute_batch("ALTER TABLE nodes ADD COLUMN start_time INTEGER NOT NULL DEFAULT 0")?;
            }
            Ok(())
        }),
        // The classroom (`crate::classes`): instructor tokens (their digests), classes, their
        // students (each with the session it has now) and every step a student passed.
        M::up(
            "CREATE TABLE instructor_tokens (
                token_sha256  TEXT PRIMARY KEY,
                created_at    INTEGER NOT NULL
            );
            CREATE TABLE classes (
                id            TEXT PRIMARY KEY,
                join_code     TEXT NOT NULL UNIQUE,
                name          TEXT NOT NULL,
                lessons       TEXT NOT NULL,
                nodes         INTEGER NOT NULL,
                duration_secs INTEGER NOT NULL,
                seats         INTEGER NOT NULL,
                created_at    INTEGER NOT NULL,
                ended_at      INTEGER
            );
            CREATE TABLE class_students (
                id            TEXT PRIMARY KEY,
                class_id      TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
                name          TEXT NOT NULL,
                session_id    TEXT,
                lesson        TEXT,
                joined_at     INTEGER NOT NULL,
                step_since    INTEGER NOT NULL
            );
            CREATE INDEX class_students_session ON class_students(session_id);
            CREATE TABLE class_progress (
                student_id    TEXT NOT NULL REFERENCES class_students(id) ON DELETE CASCADE,
                lesson        TEXT NOT NULL,
                step          INTEGER NOT NULL,
                done_at       INTEGER NOT NULL,
                PRIMARY KEY (student_id, lesson, step)
            );
            CREATE TABLE class_messages (
                id            INTEGER PRIMARY KEY AUTOINCREMENT,
                class_id      TEXT NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
                student_id    TEXT,
                text          TEXT NOT NULL,
                sent_at       INTEGER NOT NULL
            );",
        ),
        // Session networks are /28s of `MUELLE_SESSION_NET` (`crate::provider::addr`): `net` holds
        // the session's `a.b.c.d/28`, `subnet` its slot. Rows stored before have no `net`: their
        // `subnet` still names 10.100.<subnet>.0/24 (`SessionNet::legacy`).
        M::up("ALTER TABLE sessions ADD COLUMN net TEXT;"),
    ])
}

/// One persisted session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Session id.
    pub id: String,
    /// Hex sha256 of the bearer token.
    pub token_sha256: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Lesson id, if any.
    pub lesson: Option<String>,
    /// Slot of the session's network in the session range (for a row without `net`, the
    /// legacy /24 10.100.<subnet>.0/24).
    pub subnet: u32,
    /// The session's network, `a.b.c.d/28` (`None` in rows stored before the /28 plan).
    pub net: Option<String>,
}

/// One persisted node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    /// 1-based index (`node<index>`).
    pub index: u8,
    /// What the provider returned (or the planned handle while starting).
    pub handle: NodeHandle,
    /// Lifecycle state.
    pub status: NodeStatus,
}

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database file and its schema.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let mut conn = Connection::open(path).with_context(|| format!("opening {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn).context("migrating the schema")?;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> anyhow::Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(f(&mut conn)?)
    }

    /// Runs `f` on the connection (for the tables of other modules: `crate::classes`).
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>) -> anyhow::Result<T> {
        self.with(f)
    }

    /// Inserts a session and its nodes in one transaction.
    pub fn insert_session(&self, s: &SessionRow, nodes: &[NodeRow]) -> anyhow::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO sessions (id, token_sha256, created_at, expires_at, lesson, subnet, net)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![s.id, s.token_sha256, s.created_at, s.expires_at, s.lesson, s.subnet, s.net],
            )?;
            for n in nodes {
                upsert_node(&tx, &s.id, n)?;
            }
            tx.commit()
        })
        .with_context(|| format!("storing session {}", s.id))
    }

    /// Inserts or replaces one node row.
    pub fn upsert_node(&self, session_id: &str, node: &NodeRow) -> anyhow::Result<()> {
        self.with(|conn| upsert_node(conn, session_id, node).map(drop))
            .with_context(|| format!("storing node {}", node.handle.key))
    }

    /// Sets a session's end (after an extension).
    pub fn set_expires_at(&self, id: &str, expires_at: i64) -> anyhow::Result<()> {
        self.with(|conn| conn.execute("UPDATE sessions SET expires_at = ?2 WHERE id = ?1", params![id, expires_at]))
            .map(drop)
            .with_context(|| format!("storing the end of session {id}"))
    }

    /// Sets a session's lesson (a class's student moved to the class's next lesson).
    pub fn set_lesson(&self, id: &str, lesson: &str) -> anyhow::Result<()> {
        self.with(|conn| conn.execute("UPDATE sessions SET lesson = ?2 WHERE id = ?1", params![id, lesson]))
            .map(drop)
            .with_context(|| format!("storing the lesson of session {id}"))
    }

    /// Deletes one node row.
    pub fn delete_node(&self, session_id: &str, name: &str) -> anyhow::Result<()> {
        self.with(|conn| {
            conn.execute("DELETE FROM nodes WHERE session_id = ?1 AND name = ?2", params![session_id, name])
        })
        .map(drop)
    }

    /// Deletes a session and (by cascade) its nodes.
    pub fn delete_session(&self, id: &str) -> anyhow::Result<()> {
        self.with(|conn| conn.execute("DELETE FROM sessions WHERE id = ?1", params![id])).map(drop)
    }

    /// Every stored session with its nodes (ordered by index).
    pub fn load_all(&self) -> anyhow::Result<Vec<(SessionRow, Vec<NodeRow>)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, token_sha256, created_at, expires_at, lesson, subnet, net FROM sessions",
            )?;
            let sessions = stmt
                .query_map([], |r| {
                    Ok(SessionRow {
                        id: r.get(0)?,
                        token_sha256: r.get(1)?,
                        created_at: r.get(2)?,
                        expires_at: r.get(3)?,
                        lesson: r.get(4)?,
                        subnet: r.get(5)?,
                        net: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(sessions.len());
            for s in sessions {
                let nodes = load_nodes(conn, &s.id)?;
                out.push((s, nodes));
            }
            Ok(out)
        })
        .context("loading sessions")
    }

    /// The stored status of one node (for tests and diagnostics).
    pub fn node_status(&self, session_id: &str, name: &str) -> anyhow::Result<Option<NodeStatus>> {
        let raw: Option<String> = self.with(|conn| {
            conn.query_row(
                "SELECT status FROM nodes WHERE session_id = ?1 AND name = ?2",
                params![session_id, name],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(raw.map(|s| parse_status(&s)))
    }
}

fn upsert_node(conn: &Connection, session_id: &str, n: &NodeRow) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT OR REPLACE INTO nodes (session_id, name, idx, key, ip, pid, uid_base, status, start_time)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            session_id,
            n.handle.name,
            n.index,
            n.handle.key,
            n.handle.ip,
            n.handle.pid,
            n.handle.uid_base,
            status_str(n.status),
            // SQLite integers are signed; start times (clock ticks since boot) fit.
            i64::try_from(n.handle.start_time).unwrap_or(0)
        ],
    )
}

fn load_nodes(conn: &Connection, session_id: &str) -> rusqlite::Result<Vec<NodeRow>> {
    let mut stmt = conn.prepare(
        "SELECT name, idx, key, ip, pid, uid_base, status, start_time FROM nodes
         WHERE session_id = ?1 ORDER BY idx",
    )?;
    let rows = stmt.query_map(params![session_id], |r| {
        let status: String = r.get(6)?;
        Ok(NodeRow {
            index: r.get(1)?,
            handle: NodeHandle {
                name: r.get(0)?,
                key: r.get(2)?,
                ip: r.get(3)?,
                pid: r.get(4)?,
                uid_base: r.get(5)?,
                start_time: u64::try_from(r.get::<_, i64>(7)?).unwrap_or(0),
            },
            status: parse_status(&status),
        })
    })?;
    rows.collect()
}

fn status_str(s: NodeStatus) -> &'static str {
    match s {
        NodeStatus::Starting => "starting",
        NodeStatus::Running => "running",
        NodeStatus::Stopped => "stopped",
        NodeStatus::Failed => "failed",
    }
}

/// Unknown strings (from a newer version) read as `Failed`, the safe choice.
fn parse_status(s: &str) -> NodeStatus {
    match s {
        "starting" => NodeStatus::Starting,
        "running" => NodeStatus::Running,
        "stopped" => NodeStatus::Stopped,
        _ => NodeStatus::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(id: &str) -> SessionRow {
        SessionRow {
            id: id.into(),
            token_sha256: "ab".repeat(32),
            created_at: 10,
            expires_at: 20,
            lesson: Some("01-hello".into()),
            subnet: 48,
            net: Some("10.100.3.0/28".into()),
        }
    }

    fn node(index: u8, status: NodeStatus) -> NodeRow {
        NodeRow {
            index,
            handle: NodeHandle {
                key: format!("abcdef-{index}"),
                name: format!("node{index}"),
                ip: format!("10.100.3.{}", 10 + index),
                pid: 42,
                uid_base: 1_000_000,
                start_time: 987_654,
            },
            status,
        }
    }

    #[test]
    fn rows_round_trip_through_a_reopened_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/muelle.db");
        let store = Store::open(&path).unwrap();
        store.insert_session(&session("s1"), &[node(2, NodeStatus::Starting), node(1, NodeStatus::Running)]).unwrap();
        store.upsert_node("s1", &node(2, NodeStatus::Failed)).unwrap();
        drop(store);

        let store = Store::open(&path).unwrap();
        let all = store.load_all().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, session("s1"));
        assert_eq!(all[0].1, vec![node(1, NodeStatus::Running), node(2, NodeStatus::Failed)]);
        assert_eq!(store.node_status("s1", "node2").unwrap(), Some(NodeStatus::Failed));
    }

    #[test]
    fn deleting_a_session_deletes_its_nodes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("muelle.db")).unwrap();
        store.insert_session(&session("s1"), &[node(1, NodeStatus::Running)]).unwrap();
        store.insert_session(&session("s2"), &[node(1, NodeStatus::Running)]).unwrap();
        store.delete_node("s2", "node1").unwrap();
        store.delete_session("s1").unwrap();
        let all = store.load_all().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0.id, "s2");
        assert!(all[0].1.is_empty());
        assert_eq!(store.node_status("s1", "node1").unwrap(), None);
    }

    #[test]
    fn duplicate_session_ids_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("muelle.db")).unwrap();
        store.insert_session(&session("s1"), &[]).unwrap();
        assert!(store.insert_session(&session("s1"), &[]).is_err());
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// The schema as the code before versioned migrations wrote it (`user_version` 0);
    /// `start_time` was added to it later by an ALTER, so both forms exist on disk.
    fn legacy_schema(with_start_time: bool) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS sessions (
                id TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL, created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL, lesson TEXT, subnet INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS nodes (
                session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                name TEXT NOT NULL, idx INTEGER NOT NULL, key TEXT NOT NULL, ip TEXT NOT NULL,
                pid INTEGER NOT NULL, uid_base INTEGER NOT NULL, status TEXT NOT NULL,
                {}
                PRIMARY KEY (session_id, name));",
            if with_start_time { "start_time INTEGER NOT NULL DEFAULT 0," } else { "" }
        )
    }

    fn legacy_db(path: &Path, with_start_time: bool) {
        let conn = Connection::open(path).unwrap();
        conn.execute_batch(&legacy_schema(with_start_time)).unwrap();
        conn.execute_batch(
            "INSERT INTO sessions VALUES ('s1', 'ab', 1, 2, NULL, 3);
             INSERT INTO sessions VALUES ('s2', 'cd', 5, 6, '01-hello', 4);
             INSERT INTO nodes (session_id, name, idx, key, ip, pid, uid_base, status)
                 VALUES ('s1', 'node1', 1, 'abc-1', '10.100.3.11', 42, 1000000, 'running');",
        )
        .unwrap();
        if with_start_time {
            conn.execute_batch(
                "INSERT INTO nodes VALUES ('s2', 'node1', 1, 'cde-1', '10.100.4.11', 43, 1065536, 'starting', 777);",
            )
            .unwrap();
        }
        assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    }

    fn user_version(path: &Path) -> i64 {
        Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn the_migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[test]
    fn a_database_without_start_times_is_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        legacy_db(&path, false);
        let store = Store::open(&path).unwrap();
        assert_eq!(user_version(&path), 4);
        let all = store.load_all().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].1[0].handle.pid, all[0].1[0].handle.start_time), (42, 0));
        let mut row = all[0].1[0].clone();
        row.handle.start_time = 123;
        store.upsert_node("s1", &row).unwrap();
        drop(store);
        assert_eq!(Store::open(&path).unwrap().load_all().unwrap()[0].1[0].handle.start_time, 123);
    }

    #[test]
    fn a_database_of_the_last_unversioned_schema_opens_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("muelle.db");
        legacy_db(&path, true);
        let store = Store::open(&path).unwrap();
        assert_eq!(user_version(&path), 4);
        let all = store.load_all().unwrap();
        let s2 = all.iter().find(|(s, _)| s.id == "s2").unwrap();
        assert_eq!(s2.0.lesson.as_deref(), Some("01-hello"));
        assert_eq!(s2.1.len(), 1);
        assert_eq!((s2.1[0].handle.key.as_str(), s2.1[0].handle.start_time), ("cde-1", 777));
        assert_eq!(s2.1[0].status, NodeStatus::Starting);
        // Opening again changes nothing.
        drop(store);
        assert_eq!(Store::open(&path).unwrap().load_all().unwrap(), all);
        assert_eq!(user_version(&path), 4);
    }
}

#[cfg(test)]
#[path = "store_upgrade_tests.rs"]
mod upgrade_tests;
