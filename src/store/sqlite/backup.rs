//! `portcullis backup`: a consistent copy of a live database with SQLite's
//! online backup API. The copy is made in one step, inside one read
//! transaction: in WAL mode that transaction is a snapshot, so the server
//! goes on writing meanwhile and the copy holds exactly the commits made
//! before it began (a step-by-step copy would restart at every commit of
//! the server and might never finish under load).

use super::{configure, file_of};
use anyhow::Context;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// Copies the database of `url` to `destination`, a new file, and checks
/// the copy. Returns the number of pages copied.
pub fn backup(url: &str, destination: &Path) -> anyhow::Result<i32> {
    let source = file_of(url)?;
    anyhow::ensure!(
        source.exists(),
        "there is no database at {}",
        source.display()
    );
    anyhow::ensure!(
        !destination.exists(),
        "{} already exists: back up to a new file",
        destination.display()
    );
    let from = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    configure(&from)?;
    let mut to = Connection::open(destination)
        .with_context(|| format!("cannot create {}", destination.display()))?;
    let pages = {
        let copy = Backup::new(&from, &mut to)?;
        // -1: every page in one step. Busy or locked (another process
        // holds the file exclusively for a moment): wait and try again.
        while copy.step(-1)? != StepResult::Done {
            std::thread::sleep(Duration::from_millis(10));
        }
        copy.progress().pagecount
    };
    let check: String = to.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    anyhow::ensure!(check == "ok", "the copy fails its integrity check: {check}");
    Ok(pages)
}
