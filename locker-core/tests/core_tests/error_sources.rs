//! Errors keep their causes: a real failure (a serial device that does not exist, a file
//! that is no serial port, bytes that are no image, a model file that is no model) comes
//! back as a typed error whose `source()` chain reaches the library or OS error, through
//! `locker_core::Error` too.

use std::error::Error as _;

use locker_core::controller::wire::UartError;
use locker_core::error::report;
use locker_core::{Error, ErrorCode};

#[cfg(all(unix, feature = "serial"))]
mod serial {
    use super::*;
    use locker_core::controller::serial::{SerialSettings, open_controller};
    use locker_core::controller::wire::Driver;

    #[test]
    fn a_missing_device_is_port_not_found_caused_by_the_os_error() {
        let err = open_controller(&SerialSettings::new("/dev/ttyDOESNOTEXIST", Driver::V1)).unwrap_err();
        assert!(matches!(&err, UartError::PortNotFound { path, .. } if path == "/dev/ttyDOESNOTEXIST"), "{err:?}");
        assert_eq!(err.code(), ErrorCode::SerialPortNotFound);
        let os = err.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the OS error as source");
        assert_eq!(os.kind(), std::io::ErrorKind::NotFound);
        assert_eq!(os.raw_os_error(), Some(2), "ENOENT");
        let os_message = os.to_string();

        // Through the core error (transparent) the chain is the same, and the report has both.
        let core = Error::from(err);
        assert_eq!(core.code(), ErrorCode::SerialPortNotFound);
        assert!(core.source().is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()));
        let text = report(&core);
        assert!(text.starts_with("serial port not found: /dev/ttyDOESNOTEXIST: "), "{text}");
        assert!(text.ends_with(&os_message), "{text}");
    }

    #[test]
    fn a_file_that_is_no_serial_port_is_a_port_error_caused_by_serialport() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-tty");
        std::fs::write(&path, b"plain file").unwrap();
        let err = open_controller(&SerialSettings::new(path.to_str().unwrap(), Driver::V1)).unwrap_err();
        assert!(matches!(&err, UartError::Port { .. }), "{err:?}");
        assert_eq!(err.code(), ErrorCode::SerialPort);
        let cause = err.source().expect("a source");
        assert!(cause.downcast_ref::<serialport::Error>().is_some(), "the serialport error itself: {cause:?}");
        // Clones share the cause and compare equal.
        assert_eq!(err.clone(), err);
    }
}

#[cfg(feature = "face")]
mod face {
    use super::*;
    use locker_core::face::decode::{ImageLimits, decode_rgb};
    use locker_core::face::{FaceConfig, FaceEngine, FaceError};

    #[test]
    fn undecodable_bytes_are_image_unreadable_caused_by_the_image_crate() {
        let err = decode_rgb(b"name,locker\nalice,A-01\n", ImageLimits::default()).unwrap_err();
        assert!(matches!(err, FaceError::ImageUnreadable { .. }), "{err:?}");
        let cause = err.source().expect("a source");
        assert!(cause.downcast_ref::<image::ImageError>().is_some(), "{cause:?}");

        // A PNG whose header reads but whose pixels are cut off.
        let mut png = Vec::new();
        image::RgbImage::new(64, 64).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        png.truncate(png.len() / 2);
        let err = decode_rgb(&png, ImageLimits::default()).unwrap_err();
        assert!(matches!(err, FaceError::ImageUnreadable { .. }), "{err:?}");
        let cause = err.source().and_then(|s| s.downcast_ref::<image::ImageError>()).expect("the image error");
        assert!(report(&err).ends_with(&cause.to_string()), "{}", report(&err));
        assert_eq!(Error::from(err).code(), ErrorCode::ImageUnreadable);
    }

    #[test]
    fn a_model_file_that_is_no_model_is_a_model_error_caused_by_tract() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("yunet_dynamic.onnx"), b"this is not protobuf").unwrap();
        std::fs::write(dir.path().join("mobilefacenet.onnx"), b"nor is this").unwrap();
        let err = FaceEngine::load(FaceConfig::with_models_dir(dir.path())).unwrap_err();
        assert!(
            matches!(&err, FaceError::Model { context, source: Some(_) } if context.contains("detector")),
            "{err:?}"
        );
        assert_eq!(err.code(), ErrorCode::FaceModel);
        let text = report(&err);
        assert!(text.len() > err.to_string().len(), "the report adds tract's message: {text}");
    }
}

mod config {
    use super::*;
    use locker_core::token::keyfile::{self, KeyAlg, KeyFile, KeyPurpose};

    #[test]
    fn a_key_file_that_does_not_parse_is_a_config_error_caused_by_serde_json() {
        let err = KeyFile::parse("{").unwrap_err();
        assert!(matches!(&err, Error::Config { message, .. } if message == "bad key file"), "{err:?}");
        assert!(err.source().is_some_and(|s| s.downcast_ref::<serde_json::Error>().is_some()), "{err:?}");
    }

    #[test]
    fn a_key_directory_that_cannot_be_created_is_a_config_error_caused_by_the_os_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("keys");
        std::fs::write(&blocker, b"a file where the directory should be").unwrap();
        let key = KeyFile::generate(KeyPurpose::Qr, KeyAlg::Ed25519, 1).unwrap();
        let err = keyfile::write(&blocker, &key).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Config);
        let os = err.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the OS error as source");
        assert!(os.raw_os_error().is_some(), "{os:?}");
        assert!(report(&err).starts_with(&format!("configuration error: cannot create {}: ", blocker.display())));
    }
}

#[cfg(all(feature = "test-utils", feature = "sqlite"))]
mod storage {
    use super::*;
    use sqlx::Connection as _;

    #[tokio::test]
    async fn a_corrupted_stored_value_is_a_storage_error_caused_by_the_parser() {
        // SQLite keeps timestamps as text, so a hand edit can break one.
        let db = locker_core::testing::sqlite();
        let store = locker_core::store::open(&db.url).await.unwrap();
        let (_, lockers) = crate::cabinet::sim_cabinet(store.as_ref(), 1).await;
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query("UPDATE lockers SET created_at = 'yesterday'").execute(&mut c).await.unwrap();
        let err = store.get_locker(lockers[0].id).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::Storage);
        assert!(err.source().is_some_and(|s| s.downcast_ref::<chrono::ParseError>().is_some()), "{err:?}");
        assert!(report(&err).starts_with("storage error: column created_at holds a bad value: "), "{}", report(&err));
    }
}
