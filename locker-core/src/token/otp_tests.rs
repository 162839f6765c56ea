use std::sync::Mutex;

use super::*;
use crate::token::memory::MemoryTokenStore;

fn at(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(secs, 0).unwrap()
}

const T0: i64 = 1_768_730_400;

/// Remembers what it was asked to send (the unit-test stand-in for a mailbox).
#[derive(Default)]
struct Captured(Mutex<Vec<OtpMessage>>);

#[async_trait]
impl Notifier for Captured {
    async fn send(&self, message: &OtpMessage) -> Result<()> {
        self.0.lock().unwrap().push(message.clone());
        Ok(())
    }
}

impl Captured {
    fn last_code(&self) -> String {
        self.0.lock().unwrap().last().unwrap().code.clone()
    }
}

struct Failing;

#[async_trait]
impl Notifier for Failing {
    async fn send(&self, _: &OtpMessage) -> Result<()> {
        Err(Error::config("relay down"))
    }
}

fn otp() -> Otp {
    Otp::new(Pepper::new([3; 32]), OtpPolicy::default())
}

fn otp_err(r: Result<impl std::fmt::Debug>) -> OtpError {
    match r {
        Err(Error::Token(TokenError::Otp(e))) => e,
        other => panic!("expected an OTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn right_code_verifies_once() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    let rec = otp.request(&store, &mail, " User@Example.com ", at(T0)).await.unwrap();
    assert_eq!(rec.address, "user@example.com");
    assert_eq!(rec.expires_at, at(T0 + 300));
    let code = mail.last_code();
    assert_eq!(code.len(), 6);
    assert_ne!(&rec.code_hash[..], code.as_bytes(), "stored hashed");
    otp.verify(&store, "user@example.com", &code, at(T0 + 10)).await.unwrap();
    assert_eq!(otp_err(otp.verify(&store, "user@example.com", &code, at(T0 + 11)).await), OtpError::AlreadyUsed);
}

#[tokio::test]
async fn sixth_try_fails_even_with_the_right_code() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    otp.request(&store, &mail, "a@b.co", at(T0)).await.unwrap();
    let code = mail.last_code();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(otp_err(otp.verify(&store, "a@b.co", wrong, at(T0 + 1)).await), OtpError::Invalid);
    }
    assert_eq!(otp_err(otp.verify(&store, "a@b.co", &code, at(T0 + 2)).await), OtpError::TooManyAttempts);
}

#[tokio::test]
async fn fifth_try_with_the_right_code_still_works() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    otp.request(&store, &mail, "a@b.co", at(T0)).await.unwrap();
    let code = mail.last_code();
    let wrong = if code == "999999" { "999998" } else { "999999" };
    for _ in 0..4 {
        let _ = otp.verify(&store, "a@b.co", wrong, at(T0 + 1)).await;
    }
    otp.verify(&store, "a@b.co", &code, at(T0 + 2)).await.unwrap();
}

#[tokio::test]
async fn expired_code_is_refused() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    otp.request(&store, &mail, "a@b.co", at(T0)).await.unwrap();
    let code = mail.last_code();
    assert_eq!(otp_err(otp.verify(&store, "a@b.co", &code, at(T0 + 300)).await), OtpError::Expired);
}

#[tokio::test]
async fn new_request_voids_the_old_code() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    otp.request(&store, &mail, "a@b.co", at(T0)).await.unwrap();
    let first = mail.last_code();
    otp.request(&store, &mail, "a@b.co", at(T0 + 61)).await.unwrap();
    let second = mail.last_code();
    if first != second {
        assert_eq!(otp_err(otp.verify(&store, "a@b.co", &first, at(T0 + 62)).await), OtpError::Invalid);
    }
    otp.verify(&store, "a@b.co", &second, at(T0 + 63)).await.unwrap();
}

#[tokio::test]
async fn fourth_send_in_a_day_and_a_second_send_within_a_minute_are_refused() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    otp.request(&store, &mail, "0901 234 567", at(T0)).await.unwrap();
    assert_eq!(otp_err(otp.request(&store, &mail, "0901234567", at(T0 + 59)).await), OtpError::TooManyRequests);
    otp.request(&store, &mail, "0901234567", at(T0 + 60)).await.unwrap();
    otp.request(&store, &mail, "0901234567", at(T0 + 3600)).await.unwrap();
    assert_eq!(otp_err(otp.request(&store, &mail, "0901234567", at(T0 + 7200)).await), OtpError::TooManyRequests);
    assert_eq!(mail.0.lock().unwrap().len(), 3, "refused sends are not delivered");
    // The window rolls: 24 h after the first send, one more fits.
    otp.request(&store, &mail, "0901234567", at(T0 + 24 * 3600 + 1)).await.unwrap();
    // Other addresses are independent.
    otp.request(&store, &mail, "other@b.co", at(T0 + 7200)).await.unwrap();
}

#[test]
fn next_send_at_reports_the_retry_time() {
    let p = OtpPolicy::default();
    assert_eq!(p.next_send_at(&[], at(T0)), None);
    assert_eq!(p.next_send_at(&[at(T0)], at(T0 + 10)), Some(at(T0 + 60)));
    let three = [at(T0), at(T0 + 100), at(T0 + 200)];
    assert_eq!(p.next_send_at(&three, at(T0 + 300)), Some(at(T0 + 24 * 3600)));
}

#[tokio::test]
async fn delivery_failure_is_send_failed() {
    let (store, otp) = (MemoryTokenStore::default(), otp());
    assert_eq!(otp_err(otp.request(&store, &Failing, "a@b.co", at(T0)).await), OtpError::SendFailed);
}

#[tokio::test]
async fn unknown_address_and_bad_addresses() {
    let store = MemoryTokenStore::default();
    assert_eq!(otp_err(otp().verify(&store, "nobody@b.co", "123456", at(T0)).await), OtpError::Invalid);
    for bad in ["", "no-at-sign", "a@nodot", "12", "+12345678901234567", "09012x4567"] {
        assert!(matches!(normalize_address(bad), Err(Error::Validation { .. })), "{bad}");
    }
    assert_eq!(normalize_address("+84 (90) 123-4567").unwrap(), "+84901234567");
}

#[test]
fn the_pepper_and_the_address_bind_the_hash() {
    let a = Otp::new(Pepper::new([1; 32]), OtpPolicy::default());
    let b = Otp::new(Pepper::new([2; 32]), OtpPolicy::default());
    assert_ne!(a.hash_code("x@y.z", "123456"), b.hash_code("x@y.z", "123456"));
    assert_ne!(a.hash_code("x@y.z", "123456"), a.hash_code("w@y.z", "123456"));
}

#[test]
fn message_debug_hides_the_code() {
    let m = OtpMessage { address: "a@b.co".into(), code: "123456".into(), expires_in_secs: 300, lang: OtpLanguage::En };
    assert!(!format!("{m:?}").contains("123456"));
    assert!(m.body().contains("123456") && m.body().contains("5 minutes"));
}

#[tokio::test]
async fn file_outbox_appends_json_lines_with_private_mode() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = FileOutbox::new(dir.path().join("outbox.jsonl"));
    let (store, otp) = (MemoryTokenStore::default(), otp());
    otp.request(&store, &outbox, "a@b.co", at(T0)).await.unwrap();
    otp.request(&store, &outbox, "c@b.co", at(T0)).await.unwrap();
    let all = outbox.read_all().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].address, "c@b.co");
    otp.verify(&store, "a@b.co", &all[0].code, at(T0 + 1)).await.unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.path().join("outbox.jsonl")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[cfg(feature = "smtp")]
mod smtp_tests {
    use std::io::{BufRead as _, BufReader, Write as _};
    use std::net::TcpListener;

    use super::*;
    use crate::token::otp::smtp::{SmtpConfig, SmtpNotifier, SmtpSecurity};

    /// A one-connection SMTP server on localhost speaking just enough of RFC 5321 to accept
    /// one message; returns what it received after DATA.
    fn one_shot_smtp() -> (u16, std::thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut out = stream.try_clone().unwrap();
            let mut lines = BufReader::new(stream);
            writeln!(out, "220 test ESMTP\r").unwrap();
            let mut data = String::new();
            let mut in_data = false;
            let mut line = String::new();
            while lines.read_line(&mut line).unwrap() > 0 {
                if in_data {
                    if line == ".\r\n" {
                        in_data = false;
                        write!(out, "250 queued\r\n").unwrap();
                    } else {
                        data.push_str(&line);
                    }
                } else {
                    let cmd = line.to_ascii_uppercase();
                    if cmd.starts_with("EHLO") {
                        write!(out, "250-test\r\n250 8BITMIME\r\n").unwrap();
                    } else if cmd.starts_with("DATA") {
                        in_data = true;
                        write!(out, "354 go\r\n").unwrap();
                    } else if cmd.starts_with("QUIT") {
                        write!(out, "221 bye\r\n").unwrap();
                        break;
                    } else {
                        write!(out, "250 ok\r\n").unwrap();
                    }
                }
                line.clear();
            }
            data
        });
        (port, handle)
    }

    #[tokio::test]
    async fn smtp_notifier_delivers_the_code_over_a_real_socket() {
        let (port, server) = one_shot_smtp();
        let config = SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            credentials: None,
            from: "Locker <noreply@locker.test>".into(),
        };
        let notifier = SmtpNotifier::new(&config).unwrap();
        let (store, otp) = (MemoryTokenStore::default(), otp());
        otp.request(&store, &notifier, "user@example.com", at(T0)).await.unwrap();
        drop(notifier); // closes the pooled connection so the server thread ends
        let data = server.join().unwrap();
        assert!(data.contains("To: user@example.com"), "{data}");
        let code: String = data.split("code is ").nth(1).unwrap().chars().take(6).collect();
        otp.verify(&store, "user@example.com", &code, at(T0 + 5)).await.unwrap();
        assert!(!format!("{config:?}").contains("secret"));
    }

    #[tokio::test]
    async fn smtp_to_a_closed_port_is_send_failed() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            credentials: Some(("u".into(), "secret".into())),
            from: "noreply@locker.test".into(),
        };
        let notifier = SmtpNotifier::new(&config).unwrap();
        let store = MemoryTokenStore::default();
        assert_eq!(otp_err(otp().request(&store, &notifier, "user@example.com", at(T0)).await), OtpError::SendFailed);
        assert!(!format!("{config:?}").contains("secret"), "Debug hides the password");
    }
}

#[tokio::test]
async fn request_in_words_the_message_in_the_asked_language() {
    let (store, mail, otp) = (MemoryTokenStore::default(), Captured::default(), otp());
    let mut bodies = Vec::new();
    for (i, lang) in [OtpLanguage::Vi, OtpLanguage::En, OtpLanguage::Lo].into_iter().enumerate() {
        let address = format!("lang{i}@example.com");
        otp.request_in(&store, &mail, &address, lang, at(T0)).await.unwrap();
        let m = mail.0.lock().unwrap().last().unwrap().clone();
        assert_eq!((m.lang, m.address.as_str()), (lang, address.as_str()));
        assert!(m.body().contains(&m.code) && m.body().contains('5'), "{}", m.body());
        bodies.push((m.subject(), m.body().replace(&m.code, "")));
    }
    assert!(bodies[0].1.contains("Mã xác thực") && bodies[0].0.contains("xác thực"));
    assert!(bodies[1].1.contains("Your locker code"));
    assert!(bodies[2].1.contains("ລະຫັດ") && bodies[2].0.contains("ລະຫັດ"));
    // The default request stays English.
    otp.request(&store, &mail, "plain@example.com", at(T0)).await.unwrap();
    assert_eq!(mail.0.lock().unwrap().last().unwrap().lang, OtpLanguage::En);
    for lang in [OtpLanguage::Vi, OtpLanguage::En, OtpLanguage::Lo] {
        assert_eq!(OtpLanguage::parse(lang.as_str()), Some(lang));
    }
    assert_eq!(OtpLanguage::parse("VI"), Some(OtpLanguage::Vi));
    assert_eq!(OtpLanguage::parse("fr"), None);
}
