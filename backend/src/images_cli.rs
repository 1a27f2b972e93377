//! The `muelle images` subcommands: `build`, `list` and `registry` (options in
//! [`crate::cli::ImagesCommand`]).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;

use crate::images::builder::{build_node, build_tarball, disk_size, human_size, ImagePaths, Outcome};
use crate::images::catalog::{Catalog, ImageSpec};
use crate::images::publish::{is_pushed, push, read_record, repository};
use crate::images::registry::RegistryClient;
use crate::images::registry_service::{ensure_registry, local_url, run_foreground};
use crate::cli::{ImagesCommand, StoreArgs};

/// What one subcommand works on, from its parsed arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    data_dir: PathBuf,
    listen: String,
    only: Option<String>,
    no_node: bool,
}

impl Options {
    fn new(store: &StoreArgs) -> Self {
        Self { data_dir: store.data_dir.clone(), listen: store.listen.clone(), only: None, no_node: false }
    }
}

/// Runs one subcommand on a fresh single-threaded runtime.
pub(super) fn run(command: ImagesCommand) -> anyhow::Result<i32> {
    let (o, catalog_args, building) = match command {
        ImagesCommand::Registry { store } => return run_foreground(&crate::config::registry_bin(), &store.data_dir, &store.listen),
        ImagesCommand::List { store, catalog } => (Options::new(&store), catalog, false),
        ImagesCommand::Build(b) => (Options { only: b.only, no_node: b.no_node, ..Options::new(&b.store) }, b.catalog, true),
    };
    let catalog = Catalog::load(catalog_args.path()?)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    if building {
        runtime.block_on(build(&o, &catalog))
    } else {
        runtime.block_on(list(&o, &catalog))
    }
}

/// Progress lines stamped with the seconds since the command started.
struct Progress(Instant);

impl Progress {
    fn step(&self, message: impl std::fmt::Display) {
        println!("[{:6.1}s] {message}", self.0.elapsed().as_secs_f64());
    }
}

fn selected<'a>(o: &Options, catalog: &'a Catalog) -> anyhow::Result<Vec<&'a ImageSpec>> {
    match o.only.as_deref() {
        None => Ok(catalog.images.iter().collect()),
        // `node` is the node rootfs; the Node.js image is `library/node` or `node:TAG`.
        Some("node") => Ok(Vec::new()),
        Some(name) => match catalog.get(name).or_else(|| catalog.lookup(name)) {
            Some(image) => Ok(vec![image]),
            None => {
                bail!("--only {name}: no such image in the catalog (or `node` for the node rootfs)")
            }
        },
    }
}

async fn build(o: &Options, catalog: &Catalog) -> anyhow::Result<i32> {
    let progress = Progress(Instant::now());
    let paths = ImagePaths::new(&o.data_dir);
    let images = selected(o, catalog)?;
    progress.step(format_args!(
        "data dir {}, catalog {}",
        o.data_dir.display(),
        catalog.dir.display()
    ));
    if !o.no_node && matches!(o.only.as_deref(), None | Some("node")) {
        progress.step("node rootfs: checking");
        let outcome = build_node(catalog, &paths)?;
        report(&progress, "node rootfs", outcome, &paths.node_rootfs);
    }
    for image in &images {
        let tar = paths.tarball(image);
        let outcome = build_tarball(catalog, image, &paths)?;
        report(&progress, &format!("{} tarball", image.name), outcome, &tar);
    }
    if images.is_empty() {
        progress.step("done");
        return Ok(0);
    }
    match ensure_registry(&crate::config::registry_bin(), &o.data_dir, &o.listen).await? {
        Some(child) => progress.step(format_args!(
            "registry: started (pid {}) on {}, log in {}",
            child.id().unwrap_or(0),
            o.listen,
            o.data_dir.join("registry/registry.log").display()
        )),
        None => progress.step(format_args!("registry: already answering on {}", o.listen)),
    }
    let client = RegistryClient::new(&local_url(&o.listen)?);
    for image in &images {
        let tar = paths.tarball(image);
        let tags = image.references().join(", ");
        if is_pushed(&client, image, &tar).await? {
            progress.step(format_args!("{tags}: already in the registry"));
            continue;
        }
        let started = Instant::now();
        let pushed = push(&client, image, &tar).await?;
        progress.step(format_args!(
            "{tags}: pushed as {} in {:.1} s ({} gzip layer, {} blob(s) uploaded, manifest {})",
            repository(image),
            started.elapsed().as_secs_f64(),
            human_size(pushed.layer_size),
            pushed.uploaded_blobs,
            &pushed.manifest_digest[..19]
        ));
    }
    progress.step("done");
    Ok(0)
}

fn report(progress: &Progress, what: &str, outcome: Outcome, path: &std::path::Path) {
    let size = human_size(disk_size(path));
    match outcome {
        Outcome::Built(took) => progress.step(format_args!(
            "{what}: built in {:.1} s ({size})",
            took.as_secs_f64()
        )),
        Outcome::UpToDate => progress.step(format_args!("{what}: up to date ({size})")),
    }
}

async fn list(o: &Options, catalog: &Catalog) -> anyhow::Result<i32> {
    let paths = ImagePaths::new(&o.data_dir);
    let client = RegistryClient::new(&local_url(&o.listen)?);
    let registry_up = client.ping().await;
    println!(
        "{:<28} {:>9}  {:<13} DESCRIPTION",
        "IMAGE", "TARBALL", "PUSHED (GZIP)"
    );
    for image in &catalog.images {
        let tar = paths.tarball(image);
        let size = if tar.is_file() {
            human_size(disk_size(&tar))
        } else {
            "-".to_string()
        };
        let pushed = match registry_up {
            false => "?".to_string(),
            true if is_pushed(&client, image, &tar).await? => match read_record(&tar) {
                Some(r) if r.layer_size > 0 => format!("yes ({})", human_size(r.layer_size)),
                _ => "yes".to_string(),
            },
            true => "no".to_string(),
        };
        let names = format!("{}:{}", image.name, image.tags.join(","));
        println!(
            "{names:<28} {size:>9}  {pushed:<13} {}",
            image.description.en
        );
    }
    let node = &paths.node_rootfs;
    let node_size = if node.is_dir() {
        human_size(disk_size(node))
    } else {
        "-".to_string()
    };
    println!(
        "{:<28} {node_size:>9}  {:<13} node rootfs ({})",
        "(node)",
        "-",
        node.display()
    );
    if !registry_up {
        println!(
            "registry not answering at {}: PUSHED unknown",
            client.base_url()
        );
    }
    Ok(0)
}

#[cfg(test)]
#[path = "images_cli_tests.rs"]
mod tests;

/// `muelle images ...`; returns the process exit code. Runs its own tokio runtime on a separate
/// thread, so it may be called from inside or outside a runtime.
pub fn run_cli(command: ImagesCommand) -> anyhow::Result<i32> {
    std::thread::spawn(move || run(command))
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("muelle images panicked")))
}
