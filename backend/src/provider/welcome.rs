//! The node's welcome text in the UI's language. Nodes carry `/etc/motd` (English, printed by
//! the image's `.bashrc`) and `/etc/motd.es`; a terminal opened from a Spanish UI (the
//! `muelle_lang=es` cookie the front end sets) starts its login shell through a line that prints
//! the Spanish text and tells `.bashrc` the welcome was shown.

use std::process::Command;
use std::sync::Arc;

use axum::http::HeaderMap;

use super::{NodeHandle, NodeSpec, ProviderError, SandboxProvider, SessionNet};

/// The cookie the front end keeps in step with its language switch.
pub const LANG_COOKIE: &str = "muelle_lang";

/// The UI language of a request, from its `muelle_lang` cookie: `es`, or `None` for English
/// (the nodes' default) and anything unknown.
pub fn welcome_lang(headers: &HeaderMap) -> Option<&'static str> {
    crate::portlinks::cookie_values(headers, LANG_COOKIE).find_map(|v| (v == "es").then_some("es"))
}

/// The login shell's argv for a welcome in `lang`: the plain login shell for English.
pub fn login_argv(lang: Option<&str>) -> Vec<String> {
    match lang {
        Some("es") => vec![
            "/bin/sh".into(),
            "-c".into(),
            "cat /etc/motd.es 2>/dev/null || cat /etc/motd 2>/dev/null; MUELLE_MOTD_SHOWN=1 exec /bin/bash -l".into(),
        ],
        _ => vec!["/bin/bash".into(), "-l".into()],
    }
}

/// A provider whose terminals greet in `lang`; everything else is `inner`'s.
pub struct Welcome {
    inner: Arc<dyn SandboxProvider>,
    lang: Option<&'static str>,
}

impl Welcome {
    /// `inner` itself when the welcome is English (nothing to change), else a wrapper.
    pub fn wrap(inner: Arc<dyn SandboxProvider>, lang: Option<&'static str>) -> Arc<dyn SandboxProvider> {
        match lang {
            None => inner,
            Some(_) => Arc::new(Self { inner, lang }),
        }
    }
}

impl SandboxProvider for Welcome {
    fn create_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.inner.create_network(net)
    }
    fn destroy_network(&self, net: &SessionNet) -> Result<(), ProviderError> {
        self.inner.destroy_network(net)
    }
    fn create_node(&self, spec: &NodeSpec) -> Result<NodeHandle, ProviderError> {
        self.inner.create_node(spec)
    }
    fn command(&self, node: &NodeHandle, argv: &[String]) -> Command {
        self.inner.command(node, argv)
    }
    fn destroy_node(&self, node: &NodeHandle) -> Result<(), ProviderError> {
        self.inner.destroy_node(node)
    }
    fn is_alive(&self, node: &NodeHandle) -> bool {
        self.inner.is_alive(node)
    }
    fn sweep_orphans(&self, live_keys: &[String], live_bridges: &[String]) -> usize {
        self.inner.sweep_orphans(live_keys, live_bridges)
    }
    fn hosts_command(&self, node: &NodeHandle, content: &str) -> Option<Command> {
        self.inner.hosts_command(node, content)
    }
    fn start_background(&self) -> anyhow::Result<()> {
        self.inner.start_background()
    }
    fn usage(&self, node: &NodeHandle) -> Option<super::NodeUsage> {
        self.inner.usage(node)
    }
    fn pool_ready(&self) -> usize {
        self.inner.pool_ready()
    }
    fn terminal(
        &self,
        node: &NodeHandle,
        argv: &[String],
        cols: u16,
        rows: u16,
    ) -> std::io::Result<(std::os::fd::OwnedFd, std::process::Child)> {
        // Only the login shell is greeted; any other program runs as asked.
        if argv == login_argv(None).as_slice() {
            self.inner.terminal(node, &login_argv(self.lang), cols, rows)
        } else {
            self.inner.terminal(node, argv, cols, rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_picks_the_welcome() {
        let with = |cookie: &str| {
            let mut h = HeaderMap::new();
            h.insert(axum::http::header::COOKIE, cookie.parse().unwrap());
            welcome_lang(&h)
        };
        assert_eq!(with("muelle_lang=es"), Some("es"));
        assert_eq!(with("a=1; muelle_lang=es; b=2"), Some("es"));
        assert_eq!(with("muelle_lang=en"), None);
        assert_eq!(with("muelle_lang=fr"), None);
        assert_eq!(with("muelle_lang=es;rm -rf"), Some("es"));
        assert_eq!(welcome_lang(&HeaderMap::new()), None);
        assert_eq!(login_argv(None), ["/bin/bash", "-l"]);
        assert!(login_argv(Some("es"))[2].contains("/etc/motd.es"));
    }
}
