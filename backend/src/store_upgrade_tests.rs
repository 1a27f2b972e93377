//! Upgrades: a database made by an earlier release's schema (the first N migrations) opens in
//! this one with its rows, and one from a newer release is refused rather than misread.

use super::*;

fn latest() -> i64 {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations().to_latest(&mut conn).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

/// A database at schema version `n`, with one session and one node written as that release did.
fn release_db(path: &Path, n: usize) {
    let mut conn = Connection::open(path).unwrap();
    migrations().to_version(&mut conn, n).unwrap();
    conn.execute_batch(
        "INSERT INTO sessions (id, token_sha256, created_at, expires_at, lesson, subnet)
             VALUES ('s1', 'ab', 10, 20, '01-hello', 7);
         INSERT INTO nodes (session_id, name, idx, key, ip, pid, uid_base, status)
             VALUES ('s1', 'node1', 1, 's1-1', '10.100.7.11', 42, 1000000, 'running');",
    )
    .unwrap();
    assert_eq!(conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), i64::try_from(n).unwrap());
}

#[test]
fn every_earlier_schema_is_migrated_with_its_rows() {
    let latest = latest();
    assert!(latest >= 2, "{latest}");
    // The previous release's schema is latest - 1; every one before it must upgrade too.
    for n in 1..usize::try_from(latest).unwrap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("muelle.db");
        release_db(&path, n);
        let store = Store::open(&path).unwrap_or_else(|e| panic!("schema {n}: {e:#}"));
        let v: i64 = Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, latest, "schema {n}");
        let all = store.load_all().unwrap();
        assert_eq!(all.len(), 1, "schema {n}");
        let (s, nodes) = &all[0];
        assert_eq!((s.id.as_str(), s.lesson.as_deref(), s.subnet, s.expires_at), ("s1", Some("01-hello"), 7, 20));
        // Stored before the /28 plan: the session keeps its 10.100.7.0/24 and its nodes' addresses.
        let net = crate::provider::SessionNet::from_stored(s.subnet, s.net.as_deref()).unwrap();
        assert_eq!((s.net.as_deref(), net.cidr().as_str(), net.node_ip(1).as_str()), (None, "10.100.7.0/24", "10.100.7.11"), "schema {n}");
        assert_eq!((nodes[0].handle.key.as_str(), nodes[0].handle.pid, nodes[0].status), ("s1-1", 42, NodeStatus::Running));
    }
}

#[test]
fn a_database_of_a_newer_release_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("muelle.db");
    drop(Store::open(&path).unwrap());
    Connection::open(&path).unwrap().pragma_update(None, "user_version", latest() + 1).unwrap();
    let err = Store::open(&path).err().expect("a newer schema must not open");
    assert!(format!("{err:#}").contains("migrating the schema"), "{err:#}");
}
