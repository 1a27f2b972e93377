//! Registry tests with the fake provider: allocation, capacity, clean-up, expiry, recovery.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use protocol::NodeStatus;

use super::*;
use crate::error::AppError;
use crate::provider::fake::FakeProvider;

fn config(dir: &Path) -> Config {
    Config { bind: "127.0.0.1:0".parse().unwrap(), data_dir: dir.to_path_buf(), ..Config::default() }
}

fn registry(config: Config) -> (SessionRegistry, Arc<FakeProvider>) {
    let provider = Arc::new(FakeProvider::new(config.data_dir.join("nodes")));
    let reg = SessionRegistry::open(Arc::new(config), provider.clone()).unwrap();
    (reg, provider)
}

fn new(nodes: u8) -> NewSession {
    NewSession { nodes, ..NewSession::default() }
}

#[tokio::test]
async fn sessions_get_distinct_subnets_uid_ranges_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    let (a, token_a) = reg.create(new(2)).await.unwrap();
    let (b, _) = reg.create(new(1)).await.unwrap();
    assert_eq!(token_a.len(), 64);
    assert_eq!(a.nodes.iter().map(|n| n.ip.as_str()).collect::<Vec<_>>(), ["10.100.0.2", "10.100.0.3"]);
    assert_eq!(b.nodes[0].ip, "10.100.0.18");
    assert!(a.nodes.iter().all(|n| n.status == NodeStatus::Running));
    assert_eq!(provider.networks(), ["mb-0a640000", "mb-0a640010"]);
    let handles: Vec<_> = ["node1", "node2"].iter().map(|n| reg.running_node(&a.id, n).unwrap()).collect();
    assert_eq!(handles[0].key, format!("{}-1", &a.id[..6]));
    assert_eq!(handles[1].uid_base, alloc::UID_BASE + alloc::UID_RANGE);
    assert_eq!(reg.running_node(&b.id, "node1").unwrap().uid_base, alloc::UID_BASE + 2 * alloc::UID_RANGE);
    assert_eq!(reg.live_nodes(), 3);
    assert!((3590..=3600).contains(&a.expires_in_secs));
}

#[tokio::test]
async fn tokens_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, _) = registry(config(dir.path()));
    let (s, token) = reg.create(new(1)).await.unwrap();
    reg.authorize(&s.id, &token).unwrap();
    assert!(matches!(reg.authorize(&s.id, "nope"), Err(AppError::Unauthorized)));
    assert!(matches!(reg.authorize("missing", &token), Err(AppError::SessionNotFound)));
}

#[tokio::test]
async fn capacity_is_enforced_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, _) = registry(Config { max_nodes: 3, ..config(dir.path()) });
    reg.create(new(2)).await.unwrap();
    assert!(matches!(reg.create(new(2)).await, Err(AppError::OutOfCapacity)));
    reg.create(new(1)).await.unwrap();
    assert!(matches!(reg.create(new(1)).await, Err(AppError::OutOfCapacity)));
    assert!(matches!(reg.create(new(0)).await, Err(AppError::BadRequest(_))));
    assert!(matches!(reg.create(new(6)).await, Err(AppError::BadRequest(_))));
}

#[tokio::test]
async fn delete_destroys_everything_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    let (s, _) = reg.create(new(2)).await.unwrap();
    let handle = reg.running_node(&s.id, "node2").unwrap();
    assert!(provider.home(&handle.key).is_dir());
    reg.delete(&s.id).await.unwrap();
    reg.delete(&s.id).await.unwrap();
    assert!(!provider.home(&handle.key).exists());
    assert!(provider.networks().is_empty());
    assert!(matches!(reg.info(&s.id), Err(AppError::SessionNotFound)));
    assert!(reg.store().load_all().unwrap().is_empty());
    assert_eq!(reg.live_nodes(), 0);
}

#[tokio::test]
async fn a_failed_creation_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    provider.fail_next_creates(1);
    let err = reg.create(new(3)).await.unwrap_err();
    assert!(matches!(err, AppError::Internal(_)));
    // The API's message names the failed node and the cause (the code stays INTERNAL).
    let body = err.to_api_error();
    assert_eq!(body.code, "INTERNAL");
    assert!(body.message.starts_with("failed to create node ") && body.message.ends_with(": injected failure"), "{}", body.message);
    assert!(reg.session_ids().is_empty());
    assert!(provider.networks().is_empty());
    assert!(reg.store().load_all().unwrap().is_empty());
    assert_eq!(std::fs::read_dir(dir.path().join("nodes")).map(|d| d.count()).unwrap_or(0), 0);
}

#[tokio::test]
async fn nodes_are_added_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(Config { max_nodes_per_session: 3, ..config(dir.path()) });
    let (s, _) = reg.create(new(2)).await.unwrap();
    reg.remove_node(&s.id, "node1").await.unwrap();
    assert!(matches!(reg.remove_node(&s.id, "node1").await, Err(AppError::NodeNotFound)));
    assert_eq!(reg.add_node(&s.id).await.unwrap().name, "node1");
    assert_eq!(reg.add_node(&s.id).await.unwrap().name, "node3");
    assert!(matches!(reg.add_node(&s.id).await, Err(AppError::TooManyNodes(3))));
    provider.fail_next_creates(1);
    reg.remove_node(&s.id, "node3").await.unwrap();
    assert!(matches!(reg.add_node(&s.id).await, Err(AppError::Internal(_))));
    let names: Vec<_> = reg.info(&s.id).unwrap().nodes.into_iter().map(|n| n.name).collect();
    assert_eq!(names, ["node1", "node2"]);
    assert_eq!(reg.store().load_all().unwrap()[0].1.len(), 2);
}

#[tokio::test]
async fn expired_sessions_are_removed_by_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    let reg = Arc::new(reg);
    let ttl = Some(Duration::from_secs(1));
    let (s, _) = reg.create(NewSession { nodes: 1, ttl, lesson: None }).await.unwrap();
    let (keep, _) = reg.create(new(1)).await.unwrap();
    let task = reg.spawn_expiry_task(Duration::from_millis(100));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while reg.session_ids().contains(&s.id) {
        assert!(tokio::time::Instant::now() < deadline, "session did not expire");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert_eq!(reg.session_ids(), [keep.id]);
    assert_eq!(provider.networks(), ["mb-0a640010"]);
}

#[tokio::test]
async fn a_new_registry_recovers_live_sessions_and_clears_expired_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    let (live, token) = reg.create(new(2)).await.unwrap();
    let short = NewSession { nodes: 1, ttl: Some(Duration::from_secs(1)), lesson: Some("01-x".into()) };
    let (gone, _) = reg.create(short).await.unwrap();
    let dead = reg.running_node(&live.id, "node2").unwrap();
    let expired_node = reg.running_node(&gone.id, "node1").unwrap();
    drop(reg);
    provider.kill_node(&dead.key);
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let (reg, provider) = registry(config(dir.path()));
    let report = reg.recover().await.unwrap();
    assert_eq!(report, RecoverReport { recovered: 1, expired: 1, failed_nodes: 1 });
    reg.authorize(&live.id, &token).unwrap();
    let info = reg.info(&live.id).unwrap();
    let statuses: Vec<_> = info.nodes.iter().map(|n| n.status).collect();
    assert_eq!(statuses, [NodeStatus::Running, NodeStatus::Failed]);
    assert_eq!(info.expires_at, live.expires_at);
    assert_eq!(reg.store().node_status(&live.id, "node2").unwrap(), Some(NodeStatus::Failed));
    assert!(matches!(reg.info(&gone.id), Err(AppError::SessionNotFound)));
    assert!(!provider.home(&expired_node.key).exists());
    // The live session keeps subnet 0; the expired one freed subnet 1.
    let (next, _) = reg.create(new(1)).await.unwrap();
    assert_eq!(next.nodes[0].ip, "10.100.0.18");
}

#[tokio::test]
async fn session_networks_are_28s_of_the_range_freed_and_recovered() {
    let dir = tempfile::tempdir().unwrap();
    // Two /28s: the third session finds no addresses, whatever the node limit.
    let small = || Config { session_net: "172.20.0.0/27".parse().unwrap(), max_nodes: 100, ..config(dir.path()) };
    let (reg, provider) = registry(small());
    let (a, _) = reg.create(new(5)).await.unwrap();
    let (b, _) = reg.create(new(1)).await.unwrap();
    let ips = |s: &protocol::SessionInfo| s.nodes.iter().map(|n| n.ip.clone()).collect::<Vec<_>>();
    assert_eq!(ips(&a), ["172.20.0.2", "172.20.0.3", "172.20.0.4", "172.20.0.5", "172.20.0.6"]);
    assert_eq!(ips(&b), ["172.20.0.18"]);
    assert_eq!(provider.networks(), ["mb-ac140000", "mb-ac140010"]);
    assert!(matches!(reg.create(new(1)).await, Err(AppError::OutOfCapacity)));
    // Released: the freed /28 is handed out again.
    reg.delete(&a.id).await.unwrap();
    let (c, _) = reg.create(new(1)).await.unwrap();
    assert_eq!(ips(&c), ["172.20.0.2"]);
    // Stored with its /28: a new process keeps both networks taken.
    drop(reg);
    let (reg, provider) = registry(small());
    assert_eq!(reg.recover().await.unwrap().recovered, 2);
    assert!(matches!(reg.create(new(1)).await, Err(AppError::OutOfCapacity)));
    assert_eq!(reg.info(&b.id).unwrap().nodes[0].ip, "172.20.0.18");
    reg.delete(&b.id).await.unwrap();
    let (d, _) = reg.create(new(2)).await.unwrap();
    assert_eq!(ips(&d), ["172.20.0.18", "172.20.0.19"]);
    assert_eq!(provider.networks(), ["mb-ac140010"]);
}

#[tokio::test]
async fn a_session_stored_with_a_24_keeps_it_and_its_slots() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, _) = registry(config(dir.path()));
    // As a muelle before the /28 plan stored it: subnet 0 = 10.100.0.0/24, no `net`.
    let row = crate::store::SessionRow {
        id: "legacy0000000000".into(),
        token_sha256: hex::encode(alloc::token_digest("tok")),
        created_at: now_unix(),
        expires_at: now_unix() + 3600,
        lesson: None,
        subnet: 0,
        net: None,
    };
    reg.store().insert_session(&row, &[]).unwrap();
    assert_eq!(reg.recover().await.unwrap().recovered, 1);
    let (s, _) = reg.create(new(1)).await.unwrap();
    // Slots 0..16 are the legacy /24's: the next /28 is 10.100.1.0/28.
    assert_eq!(s.nodes[0].ip, "10.100.1.2");
    let n = reg.add_node(&row.id).await.unwrap();
    assert_eq!(n.ip, "10.100.0.11");
}

#[tokio::test]
async fn a_node_whose_init_died_is_stopped_and_can_be_reset() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    let (s, _) = reg.create(new(2)).await.unwrap();
    let old = reg.running_node(&s.id, "node2").unwrap();
    // The fake provider's node "dies" when its home goes away.
    provider.destroy_node(&old).unwrap();
    assert_eq!(reg.check_liveness().await, 1);
    let status = |reg: &SessionRegistry| reg.info(&s.id).unwrap().nodes.iter().map(|n| n.status).collect::<Vec<_>>();
    assert_eq!(status(&reg), [NodeStatus::Running, NodeStatus::Stopped]);
    let err = reg.running_node(&s.id, "node2").unwrap_err();
    assert!(matches!(&err, AppError::NodeStopped(n) if n == "node2"), "{err:?}");
    assert_eq!(err.to_api_error().message, "node2 has stopped; reset it or remove it");
    assert_eq!(reg.store().node_status(&s.id, "node2").unwrap(), Some(NodeStatus::Stopped));
    assert_eq!(reg.check_liveness().await, 0, "already stopped");

    let info = reg.reset_node(&s.id, "node2").await.unwrap();
    assert_eq!((info.name.as_str(), info.ip.as_str(), info.status), ("node2", "10.100.0.3", NodeStatus::Running));
    let new = reg.running_node(&s.id, "node2").unwrap();
    assert!(provider.is_alive(&new));
    assert_ne!(new.uid_base, old.uid_base, "a fresh uid range");
    assert_eq!(status(&reg), [NodeStatus::Running, NodeStatus::Running]);
}

#[tokio::test]
async fn a_dead_node_is_caught_by_the_first_request() {
    let dir = tempfile::tempdir().unwrap();
    let (reg, provider) = registry(config(dir.path()));
    let (s, _) = reg.create(new(1)).await.unwrap();
    provider.destroy_node(&reg.running_node(&s.id, "node1").unwrap()).unwrap();
    assert!(matches!(reg.running_node(&s.id, "node1"), Err(AppError::NodeStopped(_))));
    assert_eq!(reg.info(&s.id).unwrap().nodes[0].status, NodeStatus::Stopped);
}

#[test]
fn hosts_file_names_every_node() {
    let h = |name: &str, ip: &str| NodeHandle { key: "k".into(), name: name.into(), ip: ip.into(), pid: 0, uid_base: 0, start_time: 0 };
    let text = hosts_file(&[h("node1", "10.100.3.11"), h("node3", "10.100.3.13")], "10.99.0.1:5000");
    assert_eq!(text, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.100.3.11\tnode1\n10.100.3.13\tnode3\n10.99.0.1\tregistry-1.docker.io index.docker.io\n");
}
