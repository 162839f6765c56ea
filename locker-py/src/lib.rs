//! # locker-py
//!
//! Python bindings of `locker-core`: `import locker`. Built with maturin as an abi3 wheel
//! (CPython 3.9+); the pure-Python package in `python/locker/` re-exports this extension
//! (`locker._locker`) and ships the type stubs (`.pyi`, `py.typed`).
//!
//! Classes mirror the C API: `QrKeyring`/`QrClaims` and `qr_png`/`qr_svg`/`qr_data_url`,
//! `TokenStore` (single-use QR, OTP, pickup codes on SQLite or PostgreSQL), `encode_frame`
//! and `FrameDecoder` (v1 codec), `Controller` (serial or simulator), `FaceEngine`,
//! `Embedding` and `Gallery`, and `Service` (the locker service on a database with a
//! controller: check-in, reopen and check-out by QR or face, lockers, events). Core errors raise the `LockerError` tree, one class per
//! `locker_core::ErrorCode` (see `errors.rs`), each with a `code` attribute.
//!
//! Inference, database and serial waits run inside `py.detach`, so other Python threads run
//! meanwhile. Async core calls block on the process-global runtime of `locker_core::kiosk`.
#![deny(missing_docs)]

mod errors;
mod face;
mod service;
mod tokens;
mod wire;

/// The extension module `locker._locker`.
#[pyo3::pymodule]
mod _locker {
    #[pymodule_export]
    use crate::errors::{
        AlreadyExists, ConfigError, Conflict, ControllerFault, FaceError, FaceMismatch, FaceModelError, FaceNotFound,
        FaceTooSmall, ImageEmpty, ImageTooLarge, ImageTooSmall, ImageUnreadable, InternalError, InvalidCredentials,
        InvalidTransition, LockerError, MultipleFaces, NoAvailableLocker, NotFound, OtpError, OtpExpired, OtpInvalid,
        OtpSendFailed, OtpTooManyAttempts, OtpTooManyRequests, OtpUsed, PickupCodeInvalid, QrExpired, QrUsed,
        RateLimited, SerialPortError, SerialPortNotFound, StorageError, TemplateError, TokenError, TokenExpired,
        TokenInvalid, TokenReused, TokenRevoked, UartBadChannel, UartError, UartPayloadTooLong, UartTimeout,
        UartUnknownDriver, UartUnsupported, ValidationError,
    };
    #[pymodule_export]
    use crate::face::{PyEmbedding, PyFaceBox, PyFaceEngine, PyGallery, PyMatch};
    #[pymodule_export]
    use crate::service::PyService;
    #[pymodule_export]
    use crate::tokens::{PyQrClaims, PyQrKeyring, PyTokenStore, qr_data_url, qr_png, qr_svg};
    #[pymodule_export]
    use crate::wire::{
        PyController, PyControllerEvent, PyDroppedFrame, PyFrame, PyFrameDecoder, PyUnlockResult, encode_frame,
    };

    /// The library version.
    #[allow(non_upper_case_globals)]
    #[pymodule_export]
    const __version__: &str = env!("CARGO_PKG_VERSION");
}
