//! Raising the process's open-file limit (`RLIMIT_NOFILE`): the soft limit (often 1,024)
//! is what runs out first under many connections; the hard limit is as far as an
//! unprivileged process may raise it.

/// The open-file limits after [`raise_open_files_limit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenFiles {
    /// The soft limit before.
    pub before: u64,
    /// The soft limit now (what the process may open).
    pub soft: u64,
    /// The hard limit.
    pub hard: u64,
}

/// Raises the soft `RLIMIT_NOFILE` to the hard limit; returns the figures.
#[cfg(unix)]
pub fn raise_open_files_limit() -> std::io::Result<OpenFiles> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `getrlimit` writes one `rlimit` through a valid pointer to a local.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let before = limit.rlim_cur;
    if limit.rlim_cur < limit.rlim_max {
        let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
        // SAFETY: `setrlimit` reads one `rlimit` through a valid pointer to a local.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        limit = raised;
    }
    Ok(OpenFiles { before, soft: limit.rlim_cur, hard: limit.rlim_max })
}

/// Elsewhere there is no such limit to raise: reports "unlimited".
#[cfg(not(unix))]
pub fn raise_open_files_limit() -> std::io::Result<OpenFiles> {
    Ok(OpenFiles { before: u64::MAX, soft: u64::MAX, hard: u64::MAX })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_ends_at_the_hard_limit() {
        let figures = raise_open_files_limit().unwrap();
        assert_eq!(figures.soft, figures.hard);
        assert!(figures.before <= figures.soft);
        assert_eq!(raise_open_files_limit().unwrap().before, figures.hard, "raised for the whole process");
    }
}
