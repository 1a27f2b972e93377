//! Lessons: the markdown format, its parser and lint, and the lesson store.

/// `muelle lessons ...`
pub fn run_cli(_args: &[String]) -> anyhow::Result<i32> {
    anyhow::bail!("muelle lessons: not built yet")
}
