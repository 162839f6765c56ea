//! [`Notifier`]: how one-time codes reach people (SMTP, SMS gateways, a test capture).

use crate::error::Result;
use crate::token::otp::OtpMessage;
use async_trait::async_trait;

/// Delivers codes. Object-safe, so the service holds a `Box<dyn Notifier>`.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Sends `message`; failure is [`OtpError::SendFailed`](crate::token::OtpError::SendFailed) for the caller.
    async fn send(&self, message: &OtpMessage) -> Result<()>;
}
