//! `sandbox-init`: the single-threaded helper that creates and enters sandboxes.
fn main() {
    std::process::exit(sandbox::init_main());
}
