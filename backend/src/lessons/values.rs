//! Front matter values that need no YAML: durations, image references, the node limit. Both
//! [`super::frontmatter`] and its typed field access ([`super::fields`]) use them.

/// Most nodes a session can have.
pub const MAX_NODES: u8 = protocol::MAX_NODES_PER_SESSION;

/// Largest file block: its text travels to the node as one argument, and Linux caps one
/// argument at 128 KiB (`MAX_ARG_STRLEN`).
pub const MAX_FILE_BYTES: usize = 120 * 1024;

/// Parses `45`, `"45m"`, `"1h"`, `"1h30m"` into minutes.
pub fn parse_duration(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Ok(m) = s.parse() {
        return Some(m);
    }
    let (hours, rest) = match s.split_once('h') {
        Some((h, r)) => (h.trim().parse::<u32>().ok()?, r.trim()),
        None => (0, s),
    };
    let minutes = match rest {
        "" => 0,
        r => r
            .strip_suffix('m')
            .or(r.strip_suffix("min"))?
            .trim()
            .parse::<u32>()
            .ok()?,
    };
    hours.checked_mul(60)?.checked_add(minutes)
}

/// Normalizes `busybox` to `busybox:latest`; `None` if it is not an image reference.
pub fn normalize_image(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c))
        && !s.starts_with(['-', '/', ':']);
    let last = s.rsplit('/').next()?;
    match (ok, last.contains(':') || last.contains('@')) {
        (false, _) => None,
        (true, true) => Some(s.to_string()),
        (true, false) => Some(format!("{s}:latest")),
    }
}
