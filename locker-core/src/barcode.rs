//! Scanner records (seed 002): what a kiosk's barcode scanner read, checked against the
//! symbology it claims to be, and the [`BarcodeStore`](crate::ports::BarcodeStore) port that keeps them.
//!
//! The checks are pure ([`Symbology::validate`]):
//! - EAN-13, EAN-8 and UPC-A: exactly 13, 8 or 12 digits whose last digit is the GS1
//!   mod-10 check digit of the others ([`gs1_check_digit`]);
//! - Code 128: printable ASCII (`0x20..=0x7E`), at most [`CODE128_MAX_LEN`] characters;
//! - QR: any non-empty text that fits a version-40 symbol at error-correction level L
//!   ([`qr_fits`]: 7089 digits, 4296 alphanumeric characters or 2953 bytes).
//!
//! Implemented by `store::sqlite::SqliteStore` and `store::postgres::PgStore`
//! (migration `0004_barcodes.sql`).

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::domain::{Id, Timestamp};

/// Longest Code 128 text accepted. The symbology itself has no limit; 80 characters is the
/// longest a handheld scanner reads reliably from one label, and GS1-128 caps at 48.
pub const CODE128_MAX_LEN: usize = 80;
/// QR version 40-L capacity in numeric mode.
pub const QR_MAX_NUMERIC: usize = 7089;
/// QR version 40-L capacity in alphanumeric mode (`0-9 A-Z space $ % * + - . / :`).
pub const QR_MAX_ALPHANUMERIC: usize = 4296;
/// QR version 40-L capacity in byte mode (UTF-8 bytes).
pub const QR_MAX_BYTES: usize = 2953;

/// The barcode symbologies a scanner record may declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Symbology {
    /// QR Code (ISO/IEC 18004).
    Qr,
    /// EAN-13 (GS1, 13 digits with check digit).
    Ean13,
    /// EAN-8 (GS1, 8 digits with check digit).
    Ean8,
    /// UPC-A (GS1, 12 digits with check digit).
    UpcA,
    /// Code 128 (printable ASCII here).
    Code128,
}

/// Why scanned data does not fit its declared symbology.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    /// The declared type is none of the supported symbologies.
    #[error("unknown barcode type {0:?}; expected QR, EAN13, EAN8, UPCA or CODE128")]
    UnknownType(String),
    /// No data.
    #[error("barcode data is empty")]
    Empty,
    /// A GS1 code of the wrong length.
    #[error("{symbology} needs exactly {expected} digits, got {got} characters")]
    Length {
        /// The symbology.
        symbology: &'static str,
        /// Digits it needs.
        expected: usize,
        /// Characters given.
        got: usize,
    },
    /// A GS1 code with a non-digit.
    #[error("{symbology} takes digits only")]
    NotDigits {
        /// The symbology.
        symbology: &'static str,
    },
    /// A GS1 code whose last digit is not the check digit of the others.
    #[error("{symbology} check digit is {got}, expected {expected}")]
    CheckDigit {
        /// The symbology.
        symbology: &'static str,
        /// The check digit the others call for.
        expected: u8,
        /// The last digit given.
        got: u8,
    },
    /// Code 128 data with a character outside printable ASCII.
    #[error("CODE128 takes printable ASCII only (found {0:?})")]
    NotPrintable(char),
    /// More data than the symbology can carry.
    #[error("{symbology} can carry at most {max} {unit}, got {got}")]
    TooLong {
        /// The symbology.
        symbology: &'static str,
        /// Its capacity.
        max: usize,
        /// What the capacity counts (characters, bytes, digits).
        unit: &'static str,
        /// How many were given.
        got: usize,
    },
}

impl From<BarcodeError> for crate::Error {
    fn from(e: BarcodeError) -> Self {
        let field = if matches!(e, BarcodeError::UnknownType(_)) { "type" } else { "barcodeData" };
        crate::Error::validation(field, e.to_string())
    }
}

impl Symbology {
    /// Every symbology.
    pub const ALL: [Symbology; 5] =
        [Symbology::Qr, Symbology::Ean13, Symbology::Ean8, Symbology::UpcA, Symbology::Code128];

    /// The canonical name (`QR`, `EAN13`, `EAN8`, `UPCA`, `CODE128`), as stored and answered.
    pub fn as_str(self) -> &'static str {
        match self {
            Symbology::Qr => "QR",
            Symbology::Ean13 => "EAN13",
            Symbology::Ean8 => "EAN8",
            Symbology::UpcA => "UPCA",
            Symbology::Code128 => "CODE128",
        }
    }

    /// Parses a declared type, ignoring case and the separators scanners put in names
    /// (`EAN-13`, `ean_13`, `UPC-A`, `Code 128`, `QR_CODE`).
    pub fn parse(name: &str) -> Result<Self, BarcodeError> {
        let key: String = name.chars().filter(|c| !matches!(c, '-' | '_' | ' ')).flat_map(char::to_uppercase).collect();
        match key.as_str() {
            "QR" | "QRCODE" => Ok(Symbology::Qr),
            "EAN13" => Ok(Symbology::Ean13),
            "EAN8" => Ok(Symbology::Ean8),
            "UPCA" | "UPC" => Ok(Symbology::UpcA),
            "CODE128" => Ok(Symbology::Code128),
            _ => Err(BarcodeError::UnknownType(name.to_owned())),
        }
    }

    /// Checks that `data` is a valid payload of this symbology.
    pub fn validate(self, data: &str) -> Result<(), BarcodeError> {
        if data.is_empty() {
            return Err(BarcodeError::Empty);
        }
        match self {
            Symbology::Ean13 => gs1(self.as_str(), data, 13),
            Symbology::Ean8 => gs1(self.as_str(), data, 8),
            Symbology::UpcA => gs1(self.as_str(), data, 12),
            Symbology::Code128 => {
                if let Some(c) = data.chars().find(|c| !(' '..='~').contains(c)) {
                    return Err(BarcodeError::NotPrintable(c));
                }
                if data.len() > CODE128_MAX_LEN {
                    return Err(BarcodeError::TooLong {
                        symbology: "CODE128",
                        max: CODE128_MAX_LEN,
                        unit: "characters",
                        got: data.len(),
                    });
                }
                Ok(())
            }
            Symbology::Qr => qr_fits(data),
        }
    }
}

impl std::fmt::Display for Symbology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The GS1 mod-10 check digit of `digits` (the payload without its check digit): weights
/// 3 and 1 alternate from the rightmost digit, and the check digit tops the sum up to a
/// multiple of ten. Every byte must be an ASCII digit.
pub fn gs1_check_digit(digits: &[u8]) -> u8 {
    let sum: u32 =
        digits.iter().rev().enumerate().map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

fn gs1(symbology: &'static str, data: &str, len: usize) -> Result<(), BarcodeError> {
    let bytes = data.as_bytes();
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(BarcodeError::NotDigits { symbology });
    }
    if bytes.len() != len {
        return Err(BarcodeError::Length { symbology, expected: len, got: data.chars().count() });
    }
    let (payload, check) = bytes.split_at(len - 1);
    let expected = gs1_check_digit(payload);
    let got = check[0] - b'0';
    if expected != got {
        return Err(BarcodeError::CheckDigit { symbology, expected, got });
    }
    Ok(())
}

/// Whether `data` fits the largest QR symbol (version 40, level L) in the densest single
/// mode that can encode all of it: numeric, alphanumeric, else bytes.
pub fn qr_fits(data: &str) -> Result<(), BarcodeError> {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let bytes = data.as_bytes();
    let (max, unit, got) = if bytes.iter().all(u8::is_ascii_digit) {
        (QR_MAX_NUMERIC, "digits", bytes.len())
    } else if bytes.iter().all(|b| ALNUM.contains(b)) {
        (QR_MAX_ALPHANUMERIC, "alphanumeric characters", bytes.len())
    } else {
        (QR_MAX_BYTES, "bytes", bytes.len())
    };
    if got > max {
        return Err(BarcodeError::TooLong { symbology: "QR", max, unit, got });
    }
    Ok(())
}

/// A scan to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBarcode {
    /// The declared symbology (already validated against `data`).
    pub symbology: Symbology,
    /// What the scanner read.
    pub data: String,
    /// The scanning device.
    pub device: String,
    /// Where it was scanned, if known.
    pub location: Option<String>,
    /// The account whose token recorded it.
    pub created_by: Option<Id>,
}

impl NewBarcode {
    /// Checks `data` against `symbology` and the metadata lengths (device 1..=200 characters,
    /// location at most 200), naming the field at fault.
    pub fn validate(&self) -> Result<()> {
        self.symbology.validate(&self.data)?;
        let device = self.device.trim();
        if device.is_empty() || self.device.chars().count() > 200 {
            return Err(crate::Error::validation("metadata.device", "must be 1 to 200 characters"));
        }
        if self.location.as_ref().is_some_and(|l| l.chars().count() > 200) {
            return Err(crate::Error::validation("metadata.location", "must be at most 200 characters"));
        }
        Ok(())
    }
}

/// A stored scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BarcodeRecord {
    /// Id (UUIDv7).
    pub id: Id,
    /// Symbology.
    pub symbology: Symbology,
    /// What the scanner read.
    pub data: String,
    /// The scanning device.
    pub device: String,
    /// Where, if known.
    pub location: Option<String>,
    /// Who recorded it.
    pub created_by: Option<Id>,
    /// Recorded.
    pub created_at: Timestamp,
    /// Last changed (equal to `created_at`: records are not edited).
    pub updated_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gs1_check_digits_of_real_codes() {
        // EAN-13 of "Harry Potter and the Philosopher's Stone" (ISBN 978-0-7475-3269-9).
        assert_eq!(gs1_check_digit(b"978074753269"), 9);
        // The GS1 example number 4006381333931 (Stabilo pen).
        assert_eq!(gs1_check_digit(b"400638133393"), 1);
        // EAN-8 73513537 and UPC-A 036000291452 (GS1 and Wikipedia examples).
        assert_eq!(gs1_check_digit(b"7351353"), 7);
        assert_eq!(gs1_check_digit(b"03600029145"), 2);
        // A sum that is already a multiple of ten gives 0.
        assert_eq!(gs1_check_digit(b"000000000000"), 0);
    }

    #[test]
    fn gs1_codes_are_validated_by_length_digits_and_check_digit() {
        assert_eq!(Symbology::Ean13.validate("9780747532699"), Ok(()));
        assert_eq!(Symbology::Ean13.validate("4006381333931"), Ok(()));
        assert_eq!(Symbology::Ean8.validate("73513537"), Ok(()));
        assert_eq!(Symbology::UpcA.validate("036000291452"), Ok(()));
        assert_eq!(
            Symbology::Ean13.validate("4006381333932"),
            Err(BarcodeError::CheckDigit { symbology: "EAN13", expected: 1, got: 2 })
        );
        // The seed's own duplicate example is not a valid EAN-13 (check digit 8, not 3).
        assert_eq!(
            Symbology::Ean13.validate("1234567890123"),
            Err(BarcodeError::CheckDigit { symbology: "EAN13", expected: 8, got: 3 })
        );
        assert_eq!(Symbology::Ean13.validate("1234567890128"), Ok(()));
        assert_eq!(Symbology::Ean13.validate("abc123"), Err(BarcodeError::NotDigits { symbology: "EAN13" }));
        assert_eq!(
            Symbology::Ean8.validate("7351353"),
            Err(BarcodeError::Length { symbology: "EAN8", expected: 8, got: 7 })
        );
        assert!(matches!(Symbology::UpcA.validate("0360002914521"), Err(BarcodeError::Length { .. })));
        assert_eq!(Symbology::UpcA.validate(""), Err(BarcodeError::Empty));
        // A full-width digit is not an ASCII digit.
        assert_eq!(Symbology::Ean8.validate("7351353７"), Err(BarcodeError::NotDigits { symbology: "EAN8" }));
    }

    #[test]
    fn code128_is_printable_ascii_up_to_its_limit() {
        assert_eq!(Symbology::Code128.validate("PARCEL-0042 / A01 ~"), Ok(()));
        assert_eq!(Symbology::Code128.validate("tab\there"), Err(BarcodeError::NotPrintable('\t')));
        assert_eq!(Symbology::Code128.validate("phở"), Err(BarcodeError::NotPrintable('ở')));
        assert_eq!(Symbology::Code128.validate(&"X".repeat(CODE128_MAX_LEN)), Ok(()));
        assert!(matches!(
            Symbology::Code128.validate(&"X".repeat(CODE128_MAX_LEN + 1)),
            Err(BarcodeError::TooLong { max: CODE128_MAX_LEN, .. })
        ));
    }

    #[test]
    fn qr_takes_any_text_up_to_the_capacity_of_its_densest_mode() {
        assert_eq!(Symbology::Qr.validate("https://example.com/parcel/42?x=ặ"), Ok(()));
        assert_eq!(qr_fits(&"7".repeat(QR_MAX_NUMERIC)), Ok(()));
        assert!(qr_fits(&"7".repeat(QR_MAX_NUMERIC + 1)).is_err());
        assert_eq!(qr_fits(&"A".repeat(QR_MAX_ALPHANUMERIC)), Ok(()));
        assert!(qr_fits(&"A".repeat(QR_MAX_ALPHANUMERIC + 1)).is_err());
        assert_eq!(qr_fits(&"a".repeat(QR_MAX_BYTES)), Ok(()));
        assert!(qr_fits(&"a".repeat(QR_MAX_BYTES + 1)).is_err());
        // Bytes, not characters: 'ặ' is three UTF-8 bytes.
        assert!(qr_fits(&"ặ".repeat(QR_MAX_BYTES / 3 + 1)).is_err());
    }

    #[test]
    fn qr_capacities_agree_with_a_real_encoder() {
        use qrcode::{EcLevel, QrCode};
        for (data, fits) in [
            ("7".repeat(QR_MAX_NUMERIC), true),
            ("7".repeat(QR_MAX_NUMERIC + 1), false),
            ("A".repeat(QR_MAX_ALPHANUMERIC), true),
            ("A".repeat(QR_MAX_ALPHANUMERIC + 1), false),
            ("a".repeat(QR_MAX_BYTES), true),
            ("a".repeat(QR_MAX_BYTES + 1), false),
        ] {
            let encoded = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::L).is_ok();
            assert_eq!(encoded, fits, "encoder and rule disagree at {} bytes", data.len());
            assert_eq!(qr_fits(&data).is_ok(), fits);
        }
    }

    #[test]
    fn type_names_parse_loosely_and_print_canonically() {
        for (name, sym) in [
            ("QR", Symbology::Qr),
            ("qr_code", Symbology::Qr),
            ("EAN13", Symbology::Ean13),
            ("EAN-13", Symbology::Ean13),
            ("ean_8", Symbology::Ean8),
            ("UPC-A", Symbology::UpcA),
            ("Code 128", Symbology::Code128),
        ] {
            assert_eq!(Symbology::parse(name), Ok(sym), "{name}");
        }
        for sym in Symbology::ALL {
            assert_eq!(Symbology::parse(sym.as_str()), Ok(sym));
        }
        assert_eq!(Symbology::parse("PDF417"), Err(BarcodeError::UnknownType("PDF417".into())));
        let err: crate::Error = BarcodeError::UnknownType("x".into()).into();
        assert!(matches!(err, crate::Error::Validation { ref field, .. } if field == "type"));
    }

    #[test]
    fn new_barcode_checks_metadata_too() {
        let mut new = NewBarcode {
            symbology: Symbology::Ean8,
            data: "73513537".into(),
            device: "kiosk-1".into(),
            location: None,
            created_by: None,
        };
        assert!(new.validate().is_ok());
        new.device = "  ".into();
        assert!(
            matches!(new.validate(), Err(crate::Error::Validation { ref field, .. }) if field == "metadata.device")
        );
        new.device = "kiosk-1".into();
        new.location = Some("x".repeat(201));
        assert!(
            matches!(new.validate(), Err(crate::Error::Validation { ref field, .. }) if field == "metadata.location")
        );
    }
}
