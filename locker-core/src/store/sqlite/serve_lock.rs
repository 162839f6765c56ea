//! [`ServeLock`]: one server process per SQLite file.
//!
//! SQLite is the embedded default for one process. Two servers on one file would each keep
//! their own door machines, timers and event channel and drift apart silently, so a server
//! holds an exclusive lock for its whole life and a second one is refused at start, with a
//! message naming the file and pointing to PostgreSQL.
//!
//! The lock is `flock(2)` (via [`std::fs::File::try_lock`]) on a side file `FILE-serve.lock`
//! holding the server's process id. A side file, not the database: SQLite's own locks are
//! POSIX record locks, which a process loses when it closes *any* descriptor of that file,
//! so the database file itself must not be opened a second time. The kernel drops the lock
//! when the server dies, so a crash never leaves the file locked (the side file stays, and
//! is reused). Admin commands (`locker controllers add`, `locker users unlock`, ...) take no
//! such lock: their short writes are what SQLite's own locking is for.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use sqlx::sqlite::SqliteConnectOptions;

use crate::{Error, Result};

/// The lock of the server serving a SQLite file; released when dropped (or the process ends).
#[derive(Debug)]
pub struct ServeLock {
    path: PathBuf,
    _file: File,
}

impl ServeLock {
    /// Takes the serve lock of the SQLite database at `url`: `Ok(None)` for an in-memory
    /// database (nothing to share), [`Error::Config`] when another process serves the file.
    pub fn acquire(url: &str) -> Result<Option<ServeLock>> {
        if url.contains(":memory:") {
            return Ok(None);
        }
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::config_from(format!("bad SQLite URL {url:?}"), e))?;
        Self::acquire_file(opts.get_filename()).map(Some)
    }

    /// [`acquire`](Self::acquire) for the database file `db`.
    pub fn acquire_file(db: &Path) -> Result<ServeLock> {
        let path = side_file(db);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::config_from(format!("cannot open the serve lock {}", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (process {pid})"),
                };
                return Err(Error::config(format!(
                    "the SQLite database {} is already served by another `locker serve`{holder}. SQLite serves \
                     one process: to run several servers, point them all at one PostgreSQL database \
                     (--db postgres://...)",
                    db.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::config_from(format!("cannot lock {}", path.display()), e));
            }
        }
        // Who holds it, for the next one's message.
        let written = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| {
            writeln!(file, "{}", std::process::id())?;
            file.flush()
        });
        if let Err(e) = written {
            tracing::warn!(file = %path.display(), error = %e, "serve lock holder not recorded");
        }
        Ok(ServeLock { path, _file: file })
    }

    /// The side file holding the lock.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `FILE-serve.lock` next to `db` (as SQLite's `FILE-wal` and `FILE-shm`).
fn side_file(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-serve.lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("site.db").display());
        let first = ServeLock::acquire(&url).unwrap().expect("a file database is locked");
        let refused = ServeLock::acquire(&url).unwrap_err().to_string();
        assert!(refused.contains("site.db"), "{refused}");
        assert!(refused.contains("PostgreSQL"), "{refused}");
        assert!(refused.contains(&std::process::id().to_string()), "{refused}");
        assert!(first.path().ends_with("site.db-serve.lock"));
        drop(first);
        ServeLock::acquire(&url).unwrap().expect("free again");
        assert!(ServeLock::acquire("sqlite::memory:").unwrap().is_none());
    }
}
