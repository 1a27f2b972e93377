//! Image catalog, image builds from Debian packages, and pushes to the local registry.

/// `muelle images ...`
pub fn run_cli(_args: &[String]) -> anyhow::Result<i32> {
    anyhow::bail!("muelle images: not built yet")
}
