//! `muelle backup FILE` and `muelle restore FILE`: the state database (sessions, and whatever
//! later migrations keep there: classes, progress), never the nodes. Backup runs while the server
//! serves (SQLite's online backup API copies a consistent snapshot); restore needs the server
//! stopped (it takes the data directory's lock, [`crate::datalock`]) and migrates an older backup
//! the next time the server opens it.

use std::path::Path;

use anyhow::{bail, Context};
use rusqlite::{Connection, OpenFlags};

/// Copies the database at `db` to `file` (which must not exist), in pages, while others write.
pub fn backup(db: &Path, file: &Path) -> anyhow::Result<()> {
    if !db.is_file() {
        bail!("no database at {} (is MUELLE_DATA_DIR/MUELLE_DB right?)", db.display());
    }
    if file.exists() {
        bail!("{} exists; pick a new file name", file.display());
    }
    let src = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", db.display()))?;
    src.busy_timeout(std::time::Duration::from_secs(5))?;
    let partial = file.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| -> anyhow::Result<()> {
        let mut dst = Connection::open(&partial).with_context(|| format!("creating {}", partial.display()))?;
        let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
        b.run_to_completion(256, std::time::Duration::from_millis(5), None)?;
        drop(b);
        // One self-contained file, not a WAL beside it.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        check_is_muelle_db(&dst)?;
        Ok(())
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(err).with_context(|| format!("backing up {} to {}", db.display(), file.display()));
    }
    std::fs::rename(&partial, file).with_context(|| format!("moving the backup to {}", file.display()))?;
    Ok(())
}

/// Replaces the database at `db` with the backup `file`. The caller holds the data directory's
/// lock (no server runs).
pub fn restore(file: &Path, db: &Path) -> anyhow::Result<()> {
    let src = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening the backup {}", file.display()))?;
    check_is_muelle_db(&src).with_context(|| format!("{} is not a muelle backup", file.display()))?;
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut dst = Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    let b = rusqlite::backup::Backup::new(&src, &mut dst)?;
    b.run_to_completion(256, std::time::Duration::from_millis(5), None)
        .with_context(|| format!("restoring {} into {}", file.display(), db.display()))?;
    Ok(())
}

/// The database has muelle's tables.
fn check_is_muelle_db(conn: &Connection) -> anyhow::Result<()> {
    let ok = conn
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'")
        .and_then(|mut s| s.exists([]))
        .context("reading the schema")?;
    if !ok {
        bail!("it has no `sessions` table");
    }
    Ok(())
}

/// `muelle backup` / `muelle restore` of the CLI.
pub fn run_cli(args: &crate::cli::BackupArgs, restoring: bool) -> anyhow::Result<i32> {
    let db = args.db.clone().unwrap_or_else(|| args.data_dir.join("muelle.db"));
    if restoring {
        let _lock = crate::datalock::acquire(&args.data_dir, crate::datalock::Hold::Owner)
            .context("restore needs the server stopped")?;
        restore(&args.file, &db)?;
        println!("restored {} into {}; the server migrates it when it starts", args.file.display(), db.display());
    } else {
        backup(&db, &args.file)?;
        println!("backed up {} to {}", db.display(), args.file.display());
    }
    Ok(0)
}
