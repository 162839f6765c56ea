//! The result codes of the committed `include/locker.h` agree with `locker_core::ErrorCode`:
//! every core code has a `LOCKER_RESULT_<NAME>` constant with its number, and every constant
//! of 100 and up is a core code (1..=99 belong to the C layer itself).
//!
//! `ErrorCode::ALL` is declared from the same list as the enum (one macro), so a code added
//! to the core and not to `locker_result` fails here. `tests/header.rs` checks separately
//! that the committed header is what cbindgen generates from `locker_result`.

use std::collections::BTreeMap;
use std::path::Path;

use locker_core::ErrorCode;

/// `LOCKER_RESULT_*` name (without the prefix) to number, from the `locker_result` enum of
/// the committed header.
fn header_results() -> BTreeMap<String, u32> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/locker.h"))
        .expect("read include/locker.h");
    let end = text.find("} locker_result;").expect("locker.h declares locker_result");
    let start = text[..end].rfind("typedef enum {").expect("locker_result is a typedef enum");
    let mut results = BTreeMap::new();
    for line in text[start..end].lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("LOCKER_RESULT_") else { continue };
        let (name, number) = rest.trim_end_matches(',').split_once(" = ").expect("NAME = number");
        let number: u32 = number.parse().expect("a decimal number");
        assert!(results.insert(name.to_owned(), number).is_none(), "LOCKER_RESULT_{name} twice");
    }
    results
}

/// The SCREAMING_SNAKE_CASE name of `code` (its serde name, as the shells spell it).
fn name(code: ErrorCode) -> String {
    serde_json::to_value(code).unwrap().as_str().expect("a unit variant").to_owned()
}

#[test]
fn every_core_code_has_a_result_constant_with_its_number() {
    let header = header_results();
    let missing: Vec<String> = ErrorCode::ALL
        .iter()
        .filter(|&&code| header.get(&name(code)) != Some(&code.as_u32()))
        .map(|&code| format!("LOCKER_RESULT_{} = {}", name(code), code.as_u32()))
        .collect();
    assert!(missing.is_empty(), "locker.h lacks (or numbers differently): {missing:?}");
}

#[test]
fn every_result_constant_from_100_up_is_a_core_code() {
    let header = header_results();
    assert_eq!(header.get("OK"), Some(&0));
    for (result, &number) in &header {
        if number < 100 {
            continue;
        }
        let code = ErrorCode::from_u32(number)
            .unwrap_or_else(|| panic!("LOCKER_RESULT_{result} = {number} is no locker_core::ErrorCode"));
        assert_eq!(name(code), *result, "number {number} has two names");
    }
}

#[test]
fn result_numbers_are_distinct() {
    let header = header_results();
    let mut numbers: Vec<u32> = header.values().copied().collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), header.len());
}
