//! An error's cause chain: [`Cause`] keeps the library error underneath one of the core's
//! errors, [`report`] prints a whole chain on one line.
//!
//! The core's error enums say what failed in locker terms and keep the library error that
//! made it fail (an `io::Error`, a `serialport::Error`, an `image::ImageError`, tract's
//! error, ...) as their `#[source]`, so [`std::error::Error::source`] walks to it and
//! callers can downcast it. Their `Display` does not repeat the cause: a reporter that
//! walks the chain (anyhow's `{:#}`, the CLI's "caused by" lines, [`report`]) prints each
//! message once. This module depends on nothing else in the crate.

use std::error::Error as StdError;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// The library error that caused one of the core's errors, shared so that the error holding
/// it stays `Clone`.
///
/// It is the `#[source]` of that error, and `source()` returns the library error itself,
/// not this wrapper: `Cause` derefs to `dyn Error` and deliberately does not implement
/// `Error`, so thiserror reaches the inner error through the deref. Two causes are equal
/// when their messages are (equality of errors serves tests; the message is what a test can
/// state).
#[derive(Clone)]
pub struct Cause(Arc<dyn StdError + Send + Sync + 'static>);

impl Cause {
    /// Keeps `error` as a cause.
    pub fn new(error: impl StdError + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }

    /// Keeps an already boxed error (such as an `anyhow::Error` turned into a box) as a
    /// cause, without another layer around it.
    pub fn from_boxed(error: Box<dyn StdError + Send + Sync + 'static>) -> Self {
        Self(Arc::from(error))
    }
}

impl Deref for Cause {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.to_string() == other.0.to_string()
    }
}

impl Eq for Cause {}

/// The message of `error` followed by those of its sources, joined by `": "`: the text the
/// C and Python shells return and the HTTP envelope shows for errors it does not hide.
///
/// A source whose message the text already ends with is skipped (some libraries repeat
/// their source in their own message).
pub fn report(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let message = cause.to_string();
        if !message.is_empty() && !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer failed")]
    struct Outer {
        #[source]
        source: Cause,
    }

    #[test]
    fn the_source_is_the_library_error_itself() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let outer = Outer { source: Cause::new(io) };
        let source = outer.source().expect("a source");
        let io = source.downcast_ref::<std::io::Error>().expect("the io::Error, not the wrapper");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn report_walks_the_chain_once() {
        let io = std::io::Error::other("disk on fire");
        let outer = Outer { source: Cause::new(io) };
        assert_eq!(outer.to_string(), "outer failed");
        assert_eq!(report(&outer), "outer failed: disk on fire");

        #[derive(Debug, thiserror::Error)]
        #[error("wrapper: {source}")]
        struct Repeats {
            source: std::io::Error,
        }
        let repeats = Repeats { source: std::io::Error::other("inner") };
        assert_eq!(report(&repeats), "wrapper: inner");
    }

    #[test]
    fn causes_compare_by_message() {
        let a = Cause::new(std::io::Error::other("x"));
        assert_eq!(a, a.clone());
        assert_eq!(a, Cause::new(std::io::Error::other("x")));
        assert_ne!(a, Cause::new(std::io::Error::other("y")));
    }
}
