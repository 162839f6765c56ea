//! # locker-py
//!
//! Python bindings of `locker-core`: `import locker`. Built with maturin as an abi3 wheel
//! (CPython 3.9+); the pure-Python package in `python/locker/` re-exports this extension
//! (`locker._locker`) and ships the type stubs (`.pyi`, `py.typed`).
//!
//! Classes mirror the C API: `QrKeyring`/`QrClaims` and `qr_png`/`qr_svg`/`qr_data_url`,
//! `Tokens` (single-use QR, OTP, pickup codes on SQLite or PostgreSQL), `encode_frame`
//! and `FrameDecoder` (v1 codec), `Controller` (serial or simulator), `FaceEngine`,
//! `Embedding` and `Gallery`, and `Service` (the locker service on a database with a
//! controller: check-in, reopen and check-out by QR or face, lockers, events; `close()` and
//! `with`). Core errors raise the `LockerError` tree, one class per
//! `locker_core::ErrorCode` (see `errors.rs`), each with a `code` attribute.
//!
//! What the service returns is typed (`records.rs`): `Locker`, `Rental`, `CheckIn`,
//! `Reopened`, `CheckedOut`, and the `Event` subclasses `SessionUpdated`,
//! `LockerStatusChanged` and `SecurityAlert`; frozen, with their fields as attributes,
//! equality, a `repr` of every field, and `to_dict()` for the core's JSON shape.
//!
//! ## One name per object
//!
//! | object | Rust (`locker_core::kiosk`) | C (`locker.h`) | Python (`locker`) |
//! |---|---|---|---|
//! | the service facade | `Service`, `ServiceOptions` | `locker_service`, `locker_service_options` | `Service` |
//! | codes on a database | `Tokens` | `locker_tokens` | `Tokens` |
//! | a lock controller | `Controller` | `locker_controller` | `Controller` |
//!
//! `Service` is the name C and Python already used; Rust's `Kiosk`/`KioskOptions` became
//! `kiosk::Service`/`kiosk::ServiceOptions`. `Tokens` is C's name; Rust's `Codes` and
//! Python's `TokenStore` (which read as the core's `ports::TokenStore` trait) became `Tokens`.
//! The former names stay one release as deprecated aliases: `Kiosk`, `KioskOptions` and
//! `Codes` in Rust (`#[deprecated]`), `locker.TokenStore` in Python (a `DeprecationWarning`
//! on use, from `python/locker/__init__.py`).
//!
//! Inference, database and serial waits run inside `py.detach`, so other Python threads run
//! meanwhile. Async core calls block on the process-global runtime of `locker_core::kiosk`.
#![deny(missing_docs)]

mod errors;
mod face;
mod records;
mod service;
mod tokens;
mod wire;

/// The extension module `locker._locker`.
#[pyo3::pymodule]
mod _locker {
    #[pymodule_export]
    use crate::errors::{
        AlreadyExists, ConfigError, Conflict, ControllerFault, ControllerNotAttached, FaceError, FaceMismatch,
        FaceModelError, FaceNotFound, FaceTooSmall, ImageEmpty, ImageTooLarge, ImageTooSmall, ImageUnreadable,
        InsufficientBalance, InternalError, InvalidCredentials, InvalidTransition, LockerError, LockerInUse,
        MultipleFaces, NoAvailableLocker, NotFound, OtpError, OtpExpired, OtpInvalid, OtpSendFailed,
        OtpTooManyAttempts, OtpTooManyRequests, OtpUsed, PaymentDeclined, PaymentNotConfigured, PickupCodeInvalid,
        QrExpired, QrUsed, RateLimited, SerialPortError, SerialPortNotFound, StorageError, TemplateError, TokenError,
        TokenExpired, TokenInvalid, TokenReused, TokenRevoked, UartBadChannel, UartError, UartPayloadTooLong,
        UartTimeout, UartUnknownDriver, UartUnsupported, ValidationError,
    };
    #[pymodule_export]
    use crate::face::{PyEmbedding, PyFaceBox, PyFaceEngine, PyGallery, PyMatch};
    #[pymodule_export]
    use crate::records::{
        PyCheckIn, PyCheckedOut, PyEvent, PyLocker, PyLockerStatusChanged, PyRental, PyReopened, PySecurityAlert,
        PySessionUpdated,
    };
    #[pymodule_export]
    use crate::service::{PyService, ServiceClosed};
    #[pymodule_export]
    use crate::tokens::{PyQrClaims, PyQrKeyring, PyTokens, qr_data_url, qr_png, qr_svg};
    #[pymodule_export]
    use crate::wire::{
        PyController, PyControllerEvent, PyDroppedFrame, PyFrame, PyFrameDecoder, PyUnlockResult, encode_frame,
    };

    /// The library version.
    #[allow(non_upper_case_globals)]
    #[pymodule_export]
    const __version__: &str = env!("CARGO_PKG_VERSION");
}
