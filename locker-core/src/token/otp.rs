//! One-time passwords for e-mail/phone login and phone verification (seeds 003 and 004).
//!
//! Rules ([`OtpPolicy::default`]): 6 digits from the OS CSPRNG; stored only as
//! HMAC-SHA256(pepper, address, code); compared in constant time; valid 5 minutes; a new
//! request voids older codes of the address; used once; 5 tries per code (the 6th fails even
//! with the right code); at most 3 sends per address per 24 hours and one per 60 seconds.
//!
//! The rules are pure ([`OtpPolicy::check_send`], [`OtpPolicy::precheck`]);
//! [`Otp::request`] and [`Otp::verify`] drive them over a [`TokenStore`] and a [`Notifier`].
//! Verification counts the attempt *before* comparing, atomically in the store, so parallel
//! guesses cannot exceed the budget.

use crate::ports::Notifier;
use async_trait::async_trait;

use super::{OtpError, Pepper, TokenError, ct_eq, hmac_sha256, random_digits};
use crate::domain::{Id, Timestamp, new_id};
use crate::error::{Error, Result};
use crate::ports::TokenStore;

/// Digits in a code.
pub const OTP_DIGITS: u32 = 6;

/// The limits of one-time passwords.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long a code is valid (seconds).
    pub lifetime_secs: i64,
    /// Tries per code.
    pub max_attempts: u32,
    /// Sends per address in [`Self::send_window_secs`].
    pub max_sends_per_window: usize,
    /// The window the send cap counts over (24 h).
    pub send_window_secs: i64,
    /// Minimum gap between two sends to one address.
    pub min_send_interval_secs: i64,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            lifetime_secs: 300,
            max_attempts: 5,
            max_sends_per_window: 3,
            send_window_secs: 24 * 3600,
            min_send_interval_secs: 60,
        }
    }
}

impl OtpPolicy {
    /// When the next send to an address is allowed, given its sends in the window (any
    /// order); `None` means now.
    pub fn next_send_at(&self, sends: &[Timestamp], now: Timestamp) -> Option<Timestamp> {
        let window_start = now - chrono::Duration::seconds(self.send_window_secs);
        let mut recent: Vec<Timestamp> = sends.iter().copied().filter(|t| *t > window_start).collect();
        recent.sort();
        let mut earliest = now;
        if recent.len() >= self.max_sends_per_window {
            // The oldest send that must leave the window before another fits.
            let oldest = recent[recent.len() - self.max_sends_per_window];
            earliest = earliest.max(oldest + chrono::Duration::seconds(self.send_window_secs));
        }
        if let Some(last) = recent.last() {
            earliest = earliest.max(*last + chrono::Duration::seconds(self.min_send_interval_secs));
        }
        (earliest > now).then_some(earliest)
    }

    /// Allows or refuses a send ([`OtpError::TooManyRequests`]).
    pub fn check_send(&self, sends: &[Timestamp], now: Timestamp) -> Result<(), TokenError> {
        match self.next_send_at(sends, now) {
            None => Ok(()),
            Some(_) => Err(OtpError::TooManyRequests.into()),
        }
    }

    /// The checks before a try is counted: used, expired, out of tries.
    pub fn precheck(&self, record: &OtpRecord, now: Timestamp) -> Result<(), OtpError> {
        if record.used_at.is_some() {
            Err(OtpError::AlreadyUsed)
        } else if now >= record.expires_at {
            Err(OtpError::Expired)
        } else if record.attempts >= self.max_attempts {
            Err(OtpError::TooManyAttempts)
        } else {
            Ok(())
        }
    }
}

/// A stored code: its keyed hash, never the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpRecord {
    /// Id.
    pub id: Id,
    /// The normalised address (e-mail or phone) it was sent to.
    pub address: String,
    /// HMAC-SHA256(pepper, address, code).
    pub code_hash: [u8; 32],
    /// Sent.
    pub created_at: Timestamp,
    /// Expires.
    pub expires_at: Timestamp,
    /// Tries so far.
    pub attempts: u32,
    /// When it was used.
    pub used_at: Option<Timestamp>,
    /// Replaced by a newer code.
    pub voided: bool,
}

/// The language of the message that carries a code (seed 003 `lang`: `vi`, `en`, `lo`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtpLanguage {
    /// Vietnamese.
    Vi,
    /// English (the default of the core).
    #[default]
    En,
    /// Lao.
    Lo,
}

impl OtpLanguage {
    /// The ISO 639-1 code.
    pub fn as_str(self) -> &'static str {
        match self {
            OtpLanguage::Vi => "vi",
            OtpLanguage::En => "en",
            OtpLanguage::Lo => "lo",
        }
    }

    /// Parses an ISO 639-1 code (`vi`, `en`, `lo`; case-insensitive).
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(OtpLanguage::Vi),
            "en" => Some(OtpLanguage::En),
            "lo" => Some(OtpLanguage::Lo),
            _ => None,
        }
    }
}

/// A code to deliver. `Debug` hides the code.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpMessage {
    /// Where to.
    pub address: String,
    /// The code.
    pub code: String,
    /// Seconds until it expires (seed 003 `expireInSeconds`).
    pub expires_in_secs: i64,
    /// The language of the subject and body.
    pub lang: OtpLanguage,
}

impl std::fmt::Debug for OtpMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "OtpMessage {{ address: {:?}, code: \"******\", expires_in_secs: {}, lang: {:?} }}",
            self.address, self.expires_in_secs, self.lang
        )
    }
}

impl OtpMessage {
    /// The plain-text body sent to the user, in [`Self::lang`].
    pub fn body(&self) -> String {
        let (code, minutes) = (&self.code, self.expires_in_secs / 60);
        match self.lang {
            OtpLanguage::En => {
                format!("Your locker code is {code}. It expires in {minutes} minutes. Do not share it with anyone.")
            }
            OtpLanguage::Vi => format!(
                "Mã xác thực của bạn là {code}. Mã có hiệu lực trong {minutes} phút. Không chia sẻ mã này với bất kỳ ai."
            ),
            OtpLanguage::Lo => format!("ລະຫັດຢືນຢັນຂອງທ່ານແມ່ນ {code}. ລະຫັດນີ້ໃຊ້ໄດ້ພາຍໃນ {minutes} ນາທີ. ຢ່າແບ່ງປັນລະຫັດນີ້ໃຫ້ຜູ້ອື່ນ."),
        }
    }

    /// The e-mail subject, in [`Self::lang`].
    pub fn subject(&self) -> &'static str {
        match self.lang {
            OtpLanguage::En => "Your locker code",
            OtpLanguage::Vi => "Mã xác thực đăng nhập",
            OtpLanguage::Lo => "ລະຫັດຢືນຢັນການເຂົ້າສູ່ລະບົບ",
        }
    }
}

/// Lower-cases and trims e-mail addresses; keeps `+` and digits of phone numbers.
pub fn normalize_address(address: &str) -> Result<String> {
    let trimmed = address.trim();
    if trimmed.contains('@') {
        let (local, domain) = trimmed.split_once('@').unwrap_or_default();
        if local.is_empty() || !domain.contains('.') || trimmed.len() > 254 || trimmed.chars().any(char::is_whitespace)
        {
            return Err(Error::validation("email", "not a valid e-mail address"));
        }
        return Ok(trimmed.to_lowercase());
    }
    let phone: String = trimmed.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
    let digits = phone.strip_prefix('+').unwrap_or(&phone);
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::validation("phone", "not a valid phone number"));
    }
    Ok(phone)
}

/// Issues and verifies codes with a pepper and a policy.
#[derive(Debug, Clone)]
pub struct Otp {
    pepper: Pepper,
    policy: OtpPolicy,
}

impl Otp {
    /// Codes hashed with `pepper` under `policy`.
    pub fn new(pepper: Pepper, policy: OtpPolicy) -> Self {
        Self { pepper, policy }
    }

    /// The policy.
    pub fn policy(&self) -> &OtpPolicy {
        &self.policy
    }

    /// HMAC-SHA256(pepper, "otp", address, code).
    pub fn hash_code(&self, address: &str, code: &str) -> [u8; 32] {
        hmac_sha256(self.pepper.expose(), &[b"otp", address.as_bytes(), code.as_bytes()])
    }

    /// Whether `code` matches `record` (constant time). Pure; does not count the try.
    pub fn matches(&self, record: &OtpRecord, code: &str) -> bool {
        ct_eq(&self.hash_code(&record.address, code), &record.code_hash)
    }

    /// A fresh code and its record for `address` at `now` (not stored yet), worded in English.
    pub fn new_code(&self, address: &str, now: Timestamp) -> Result<(OtpMessage, OtpRecord)> {
        let code = random_digits(OTP_DIGITS)?;
        let record = OtpRecord {
            id: new_id(),
            address: address.to_owned(),
            code_hash: self.hash_code(address, &code),
            created_at: now,
            expires_at: now + chrono::Duration::seconds(self.policy.lifetime_secs),
            attempts: 0,
            used_at: None,
            voided: false,
        };
        let message = OtpMessage {
            address: address.to_owned(),
            code,
            expires_in_secs: self.policy.lifetime_secs,
            lang: OtpLanguage::default(),
        };
        Ok((message, record))
    }

    /// Sends a new code to `address` if the send limits allow; older codes are voided.
    /// Returns the stored record (for `expires_at`). The message is in English; see
    /// [`Self::request_in`].
    pub async fn request(
        &self,
        store: &dyn TokenStore,
        notifier: &dyn Notifier,
        address: &str,
        now: Timestamp,
    ) -> Result<OtpRecord> {
        self.request_in(store, notifier, address, OtpLanguage::default(), now).await
    }

    /// [`Self::request`] with the message worded in `lang`.
    pub async fn request_in(
        &self,
        store: &dyn TokenStore,
        notifier: &dyn Notifier,
        address: &str,
        lang: OtpLanguage,
        now: Timestamp,
    ) -> Result<OtpRecord> {
        let address = normalize_address(address)?;
        let (mut message, record) = self.new_code(&address, now)?;
        message.lang = lang;
        let window_start = now - chrono::Duration::seconds(self.policy.send_window_secs);
        let policy = self.policy;
        store.create_otp(&record, window_start, &move |sends| policy.check_send(sends, now)).await?;
        if let Err(e) = notifier.send(&message).await {
            tracing::warn!(error = %e, "OTP delivery failed");
            return Err(TokenError::Otp(OtpError::SendFailed).into());
        }
        Ok(record)
    }

    /// Checks `code` for `address` at `now`; on success the code is used up.
    pub async fn verify(&self, store: &dyn TokenStore, address: &str, code: &str, now: Timestamp) -> Result<()> {
        let address = normalize_address(address)?;
        let record = store.live_otp(&address).await?.ok_or(TokenError::Otp(OtpError::Invalid))?;
        self.policy.precheck(&record, now).map_err(TokenError::Otp)?;
        let attempts = store.add_otp_attempt(record.id).await?;
        if attempts > self.policy.max_attempts {
            return Err(TokenError::Otp(OtpError::TooManyAttempts).into());
        }
        if !self.matches(&record, code) {
            return Err(TokenError::Otp(OtpError::Invalid).into());
        }
        if !store.consume_otp(record.id, now).await? {
            return Err(TokenError::Otp(OtpError::AlreadyUsed).into());
        }
        Ok(())
    }
}

/// The development notifier: appends each message as a JSON line to a file (mode 0600) and
/// logs that a code went out (without the code). Never use it in production: the file holds codes.
#[derive(Debug, Clone)]
pub struct FileOutbox {
    path: std::path::PathBuf,
}

impl FileOutbox {
    /// An outbox writing to `path`.
    pub fn new(path: impl Into<std::path::PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Every message in the outbox, oldest first.
    pub fn read_all(&self) -> Result<Vec<OtpMessage>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(Error::config_from(format!("cannot read outbox {}", self.path.display()), e));
            }
        };
        text.lines()
            .map(|line| {
                let v: serde_json::Value =
                    serde_json::from_str(line).map_err(|e| Error::config_from("bad outbox line", e))?;
                Ok(OtpMessage {
                    address: v["address"].as_str().unwrap_or_default().to_owned(),
                    code: v["code"].as_str().unwrap_or_default().to_owned(),
                    expires_in_secs: v["expires_in_secs"].as_i64().unwrap_or_default(),
                    lang: v["lang"].as_str().and_then(OtpLanguage::parse).unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[async_trait]
impl Notifier for FileOutbox {
    async fn send(&self, message: &OtpMessage) -> Result<()> {
        use std::io::Write as _;
        let line = serde_json::json!({
            "address": message.address,
            "code": message.code,
            "expires_in_secs": message.expires_in_secs,
            "lang": message.lang.as_str(),
            "subject": message.subject(),
            "body": message.body(),
        });
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options
            .open(&self.path)
            .map_err(|e| Error::config_from(format!("cannot open outbox {}", self.path.display()), e))?;
        writeln!(file, "{line}").map_err(|e| Error::config_from("cannot write outbox", e))?;
        tracing::info!(address = %message.address, outbox = %self.path.display(), "OTP written to the development outbox");
        Ok(())
    }
}

/// SMTP delivery of codes by e-mail (lettre, rustls). Phone numbers are refused (no SMS gateway).
#[cfg(feature = "smtp")]
pub mod smtp {
    use async_trait::async_trait;
    use lettre::transport::smtp::authentication::Credentials;
    use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

    use super::OtpMessage;
    use crate::error::{Error, Result};
    use crate::ports::Notifier;

    /// Where and how to send.
    #[derive(Clone)]
    pub struct SmtpConfig {
        /// Server host.
        pub host: String,
        /// Server port (587 for STARTTLS, 465 for TLS, 25 plain).
        pub port: u16,
        /// `Starttls`, `Tls` (implicit) or `None` (plain; only for a local relay or tests).
        pub security: SmtpSecurity,
        /// Login, if the server wants one.
        pub credentials: Option<(String, String)>,
        /// The `From:` address.
        pub from: String,
    }

    impl std::fmt::Debug for SmtpConfig {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("SmtpConfig")
                .field("host", &self.host)
                .field("port", &self.port)
                .field("security", &self.security)
                .field("user", &self.credentials.as_ref().map(|(u, _)| u))
                .field("from", &self.from)
                .finish()
        }
    }

    /// Transport security.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum SmtpSecurity {
        /// STARTTLS on a plain connection (port 587).
        Starttls,
        /// TLS from the first byte (port 465).
        Tls,
        /// No TLS: local relays and tests only.
        None,
    }

    /// Sends codes by e-mail.
    pub struct SmtpNotifier {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: lettre::message::Mailbox,
    }

    impl SmtpNotifier {
        /// A notifier for `config` (no connection is made until the first send).
        pub fn new(config: &SmtpConfig) -> Result<Self> {
            fn bad(e: impl std::error::Error + Send + Sync + 'static) -> Error {
                Error::config_from("SMTP", e)
            }
            let mut builder = match config.security {
                SmtpSecurity::Starttls => {
                    AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host).map_err(bad)?
                }
                SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host).map_err(bad)?,
                SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            }
            .port(config.port)
            .timeout(Some(std::time::Duration::from_secs(10)));
            if let Some((user, pass)) = &config.credentials {
                builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
            }
            let from = config.from.parse().map_err(bad)?;
            Ok(Self { transport: builder.build(), from })
        }

        /// The e-mail for `message`.
        pub fn build_message(&self, message: &OtpMessage) -> Result<Message> {
            let to = message
                .address
                .parse()
                .map_err(|_| Error::validation("email", "SMTP delivery needs an e-mail address"))?;
            Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(message.subject())
                // Without a charset, clients read the Vietnamese and Lao texts as ASCII.
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(message.body())
                .map_err(|e| Error::config_from("SMTP message", e))
        }
    }

    #[async_trait]
    impl Notifier for SmtpNotifier {
        async fn send(&self, message: &OtpMessage) -> Result<()> {
            let email = self.build_message(message)?;
            self.transport.send(email).await.map_err(|e| Error::config_from("SMTP send failed", e))?;
            tracing::info!(address = %message.address, "OTP e-mailed");
            Ok(())
        }
    }
}

#[cfg(test)]
#[path = "otp_tests.rs"]
mod tests;
