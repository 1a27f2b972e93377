//! Port links: each port a node publishes opens at an origin of its own,
//! `http://<port>-<node>-<session>.<domain>[:port]/`, so a page there shares nothing with the app
//! (no cookies, no storage, no service-worker scope). The credential of a link is an HMAC of
//! (session, node, port) under a server secret: it opens that one port and nothing else, and the
//! session token never leaves the app's origin.

use std::path::Path;

use anyhow::{bail, Context};
use axum::http::{header, HeaderMap};
use cookie::Cookie;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The query parameter a link carries once.
pub const LINK_PARAM: &str = "muelle_link";
/// The cookie the credential becomes, on the link's own host.
pub const COOKIE: &str = "muelle_link";
/// The parent domain of port links when `MUELLE_PORTS_DOMAIN` is unset: browsers and curl
/// resolve every `*.localhost` name to loopback.
pub const DEFAULT_DOMAIN: &str = "localhost";
/// File (in the data directory) holding the server secret.
const KEY_FILE: &str = "port-links.key";

/// Which port a request's host names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkTarget {
    /// Published port in the node.
    pub port: u16,
    /// Node name, e.g. `node1`.
    pub node: String,
    /// Session id.
    pub session: String,
}

/// What a `Host` header is, as far as port links go.
#[derive(Debug, PartialEq, Eq)]
pub enum HostKind {
    /// The app itself.
    App,
    /// A port link.
    Link(LinkTarget),
    /// A name under the ports domain that names no link: never the app.
    BadLink,
}

/// The server secret and the ports domain.
pub struct PortLinks {
    key: [u8; 32],
    domain: Option<String>,
}

impl PortLinks {
    /// Loads (or creates) the secret in the data directory. A data directory that cannot hold
    /// it gives a secret for this process only: links then stop working at the next restart,
    /// which costs a click on the port again.
    pub fn new(data_dir: &Path, domain: Option<String>) -> PortLinks {
        let key = load_or_create_key(data_dir).unwrap_or_else(|err| {
            tracing::warn!(
                ?err,
                "port links: secret not persisted; links end with this process"
            );
            rand::random()
        });
        PortLinks { key, domain }
    }

    /// A fixed secret (tests).
    pub fn with_key(key: [u8; 32], domain: Option<String>) -> PortLinks {
        PortLinks { key, domain }
    }

    /// The parent domain of links.
    pub fn domain(&self) -> &str {
        self.domain.as_deref().unwrap_or(DEFAULT_DOMAIN)
    }

    /// The credential of one link (hex HMAC-SHA256).
    pub fn credential(&self, t: &LinkTarget) -> String {
        hex::encode(self.mac(t).finalize().into_bytes())
    }

    /// Whether `cred` is the credential of `t` (constant time).
    pub fn verify(&self, t: &LinkTarget, cred: &str) -> bool {
        match hex::decode(cred.trim()) {
            Ok(bytes) => self.mac(t).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    fn mac(&self, t: &LinkTarget) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("muelle port link\0{}\0{}\0{}", t.session, t.node, t.port).as_bytes());
        mac
    }

    /// The URL that opens `t` (with its credential), on the port the app was reached at.
    pub fn url(&self, t: &LinkTarget, app_port: Option<u16>) -> String {
        let port = app_port.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "http://{}-{}-{}.{}{port}/?{LINK_PARAM}={}",
            t.port,
            t.node,
            t.session,
            self.domain(),
            self.credential(t)
        )
    }

    /// Classifies a `Host` header value.
    pub fn classify(&self, host: &str) -> HostKind {
        let host = host.trim().to_ascii_lowercase();
        let name = match host.rsplit_once(':') {
            Some((name, port)) if !host.starts_with('[') && port.parse::<u16>().is_ok() => name,
            _ => host.as_str(),
        };
        let name = name.trim_end_matches('.');
        let Some((first, parent)) = name.split_once('.') else {
            return HostKind::App;
        };
        let under_domain = parent == self.domain();
        match parse_label(first) {
            Some(t) if under_domain || parent == DEFAULT_DOMAIN => HostKind::Link(t),
            None if under_domain && self.domain.is_some() => HostKind::BadLink,
            _ => HostKind::App,
        }
    }
}

/// `8000-node1-abc123` → port 8000 of node `node1` in session `abc123`.
pub fn parse_label(label: &str) -> Option<LinkTarget> {
    let (port, rest) = label.split_once('-')?;
    let (node, session) = rest.rsplit_once('-')?;
    if port.starts_with('0') {
        return None;
    }
    let port: u16 = port.parse().ok()?;
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if !plain(node) || !plain(session) {
        return None;
    }
    Some(LinkTarget {
        port,
        node: node.to_string(),
        session: session.to_string(),
    })
}

/// Checks `MUELLE_PORTS_DOMAIN`: a DNS name (letters, digits, `-`, dots), no port or scheme.
pub fn check_domain(domain: &str) -> anyhow::Result<()> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
    };
    if domain.len() > 200 || !domain.split('.').all(label_ok) {
        bail!("{domain:?} is not a DNS name like ports.school.lan (no scheme, port or wildcard)");
    }
    Ok(())
}

/// Every value of cookie `name` in the request (a page may have set a look-alike; any valid one
/// counts). Parsed with the `cookie` crate directly: axum-extra's `CookieJar` keeps one cookie
/// per name, and every same-named one must be tried here.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = String> + 'a {
    request_cookies(headers).filter(move |c| c.name() == name).map(|c| c.value_trimmed().to_string())
}

/// The request's cookies without `name`, joined again; `None` when nothing is left.
pub fn cookies_without(headers: &HeaderMap, name: &str) -> Option<String> {
    let kept: Vec<String> = request_cookies(headers).filter(|c| c.name() != name).map(|c| c.to_string()).collect();
    (!kept.is_empty()).then(|| kept.join("; "))
}

/// Every `name=value` pair of every `Cookie` header (pairs that are not one are skipped).
fn request_cookies(headers: &HeaderMap) -> impl Iterator<Item = Cookie<'_>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
}

fn load_or_create_key(data_dir: &Path) -> anyhow::Result<[u8; 32]> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = data_dir.join(KEY_FILE);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let bytes =
            hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))?;
        return bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} is not 32 bytes", path.display()));
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let key: [u8; 32] = rand::random();
    let tmp = data_dir.join(format!("{KEY_FILE}.{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(hex::encode(key).as_bytes())?;
    f.sync_all()?;
    // Two processes starting together: the first rename wins and both read its key back.
    if std::fs::hard_link(&tmp, &path).is_err() && !path.exists() {
        bail!("cannot create {}", path.display());
    }
    std::fs::remove_file(&tmp).ok();
    let text = std::fs::read_to_string(&path)?;
    hex::decode(text.trim())?
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} is not 32 bytes", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(port: u16, node: &str, session: &str) -> LinkTarget {
        LinkTarget {
            port,
            node: node.into(),
            session: session.into(),
        }
    }

    #[test]
    fn hosts_are_classified() {
        let l = PortLinks::with_key([7; 32], None);
        let t = target(8000, "node1", "abc123");
        assert_eq!(
            l.classify("8000-node1-abc123.localhost:8080"),
            HostKind::Link(t.clone())
        );
        assert_eq!(
            l.classify("8000-NODE1-abc123.LOCALHOST."),
            HostKind::Link(t.clone())
        );
        for app in [
            "localhost:8080",
            "127.0.0.1:8080",
            "muelle.localhost",
            "[::1]:8080",
            "school.lan",
            "8000-node1-abc123.example.org",
        ] {
            assert_eq!(l.classify(app), HostKind::App, "{app}");
        }
        let d = PortLinks::with_key([7; 32], Some("ports.school.lan".into()));
        assert_eq!(
            d.classify("8000-node1-abc123.ports.school.lan:8080"),
            HostKind::Link(t.clone())
        );
        assert_eq!(
            d.classify("8000-node1-abc123.localhost:8080"),
            HostKind::Link(t)
        );
        assert_eq!(d.classify("www.ports.school.lan"), HostKind::BadLink);
        assert_eq!(d.classify("school.lan:8080"), HostKind::App);
    }

    #[test]
    fn labels_parse_strictly() {
        assert_eq!(
            parse_label("80-node-2-s1"),
            Some(target(80, "node-2", "s1"))
        );
        for bad in [
            "0-node1-s",
            "080-node1-s",
            "99999-node1-s",
            "x-node1-s",
            "80-node1",
            "80--s",
            "80-no_de-s",
            "80-node1-",
        ] {
            assert_eq!(parse_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_credential_opens_its_own_port_only() {
        let l = PortLinks::with_key([1; 32], None);
        let a = target(8000, "node1", "s1");
        let cred = l.credential(&a);
        assert!(l.verify(&a, &cred));
        for other in [
            target(8001, "node1", "s1"),
            target(8000, "node2", "s1"),
            target(8000, "node1", "s2"),
        ] {
            assert!(!l.verify(&other, &cred), "{other:?}");
        }
        assert!(!PortLinks::with_key([2; 32], None).verify(&a, &cred));
        assert!(!l.verify(&a, "zz") && !l.verify(&a, ""));
    }

    #[test]
    fn urls_carry_the_credential_once() {
        let l = PortLinks::with_key([1; 32], Some("ports.school.lan".into()));
        let t = target(8000, "node1", "s1");
        let url = l.url(&t, Some(8080));
        assert_eq!(
            url,
            format!(
                "http://8000-node1-s1.ports.school.lan:8080/?muelle_link={}",
                l.credential(&t)
            )
        );
        assert!(PortLinks::with_key([1; 32], None)
            .url(&t, None)
            .starts_with("http://8000-node1-s1.localhost/?"));
    }

    #[test]
    fn cookies_are_found_and_stripped() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "a=1; muelle_link=x; b=2".parse().unwrap());
        h.append(header::COOKIE, "muelle_link=\"y\"".parse().unwrap());
        assert_eq!(
            cookie_values(&h, COOKIE).collect::<Vec<_>>(),
            vec!["x", "y"]
        );
        assert_eq!(cookies_without(&h, COOKIE).as_deref(), Some("a=1; b=2"));
        let mut only = HeaderMap::new();
        only.insert(header::COOKIE, "muelle_link=x".parse().unwrap());
        assert_eq!(cookies_without(&only, COOKIE), None);
    }

    #[test]
    fn the_secret_persists_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_key(dir.path()).unwrap();
        assert_eq!(load_or_create_key(dir.path()).unwrap(), a);
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_ne!(
            load_or_create_key(tempfile::tempdir().unwrap().path()).unwrap(),
            a
        );
    }
}
