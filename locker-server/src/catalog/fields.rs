//! The fields of a request (body or query) as the catalogue lists them: name, type,
//! whether required, whether `null` is accepted, and the range of a number or the length of
//! a string. [`Field::schema`] gives the document's JSON Schema; [`Field::check_json`] and
//! [`Field::check_query`] are what [`super::Gate`] enforces in front of the handler, so the
//! document and the gate read the same list.

use serde_json::{Value, json};

/// The type of a documented field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A decimal amount: a number or a string such as `"2.00"`.
    Decimal,
    /// An amount of money, not negative, at most two decimals: a number or a string such as
    /// `"2.00"` (`locker_core::domain::Money`).
    Money,
    /// A duration in hours, 0.5 to 720 in steps of 0.5: a number or a string such as `"1.5"`
    /// (`locker_core::domain::HalfHours`).
    Hours,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 date and time.
    DateTime,
    /// A date (`YYYY-MM-DD`) or an RFC 3339 date and time.
    DateOrTime,
    /// A UUID.
    Uuid,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A JSON object with these fields (others allowed).
    Fields(&'static [Field]),
    /// A JSON object whose every value is `true` or `false`.
    Flags,
}

/// A documented request field (body or query).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name, as the seed spells it.
    pub name: &'static str,
    /// Its type.
    pub ty: FieldType,
    /// Whether a request without it is refused.
    pub required: bool,
    /// Whether a JSON `null` is accepted (as "not given").
    pub nullable: bool,
    /// Least value of an integer, or least length of a string (in characters).
    pub min: Option<i64>,
    /// Greatest value of an integer, or greatest length of a string (in characters).
    pub max: Option<i64>,
    /// A regular expression a string must match somewhere (anchor it with `^…$`), in the
    /// syntax JSON Schema and the `regex` crate share.
    pub pattern: Option<&'static str>,
}

/// A required field.
pub const fn req(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty, required: true, nullable: false, min: None, max: None, pattern: None }
}

/// An optional field.
pub const fn opt(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty, required: false, nullable: false, min: None, max: None, pattern: None }
}

impl Field {
    /// Accepts `null` too.
    pub const fn nullable(mut self) -> Self {
        self.nullable = true;
        self
    }

    /// An integer from `min` to `max`, or a string of `min` to `max` characters.
    pub const fn range(mut self, min: i64, max: i64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }

    /// An integer of at least `min`, or a string of at least `min` characters.
    pub const fn at_least(mut self, min: i64) -> Self {
        self.min = Some(min);
        self
    }

    /// A string matching `pattern`.
    pub const fn pattern(mut self, pattern: &'static str) -> Self {
        self.pattern = Some(pattern);
        self
    }

    /// Its JSON Schema (of the JSON value, or of the query value read as its type).
    pub fn schema(&self) -> Value {
        let mut schema = match self.ty {
            FieldType::String => json!({ "type": "string" }),
            FieldType::Integer => json!({ "type": "integer" }),
            FieldType::Decimal => json!({ "type": ["number", "string"], "pattern": DECIMAL, "examples": ["2.00"] }),
            FieldType::Money => json!({ "type": ["number", "string"], "minimum": 0, "maximum": 1e16,
                "multipleOf": 0.01, "pattern": MONEY, "examples": ["2.00"] }),
            FieldType::Hours => json!({ "type": ["number", "string"], "minimum": 0.5, "maximum": 720,
                "multipleOf": 0.5, "pattern": HOURS, "examples": [2] }),
            FieldType::Boolean => json!({ "type": "boolean" }),
            FieldType::Object => json!({ "type": "object" }),
            FieldType::Date => json!({ "type": "string", "format": "date", "pattern": DATE }),
            FieldType::DateTime => json!({ "type": "string", "format": "date-time", "pattern": DATE_TIME }),
            FieldType::DateOrTime => {
                json!({ "type": "string", "anyOf": [{ "format": "date", "pattern": DATE },
                    { "format": "date-time", "pattern": DATE_TIME }] })
            }
            FieldType::Uuid => json!({ "type": "string", "format": "uuid", "pattern": UUID }),
            FieldType::Enum(values) => json!({ "type": "string", "enum": values }),
            FieldType::Fields(fields) => object_schema(fields, false),
            FieldType::Flags => json!({ "type": "object", "additionalProperties": { "type": "boolean" } }),
        };
        let (low, high) = match self.ty {
            FieldType::Integer => ("minimum", "maximum"),
            _ => ("minLength", "maxLength"),
        };
        if let Some(min) = self.min {
            schema[low] = json!(min);
        }
        if let Some(max) = self.max {
            schema[high] = json!(max);
        }
        if let Some(pattern) = self.pattern {
            schema["pattern"] = json!(pattern);
        }
        if self.nullable {
            let mut types = match schema["type"].take() {
                Value::Array(types) => types,
                one => vec![one],
            };
            types.push(json!("null"));
            schema["type"] = Value::Array(types);
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
        }
        schema
    }

    /// Why the JSON `value` given for this field is refused, if it is: the field at fault
    /// (this one, or one inside it) and the rule.
    pub fn check_json(&self, value: &Value) -> Result<(), Invalid> {
        if let (FieldType::Fields(fields), Value::Object(map)) = (self.ty, value) {
            return check_object(fields, map, false)
                .map_err(|e| Invalid { field: format!("{}.{}", self.name, e.field), ..e });
        }
        self.check_value(value).map_err(|reason| Invalid {
            field: self.name.to_owned(),
            reason,
            missing: value.is_null(),
        })
    }

    /// Why `value` is not of this field's type and range, if it is not (nested fields aside).
    fn check_value(&self, value: &Value) -> Result<(), String> {
        if value.is_null() {
            return if self.nullable { Ok(()) } else { Err("must not be null".into()) };
        }
        match (self.ty, value) {
            (FieldType::Integer, Value::Number(n)) => match integer(n) {
                Some(n) => self.check_range(n),
                None if n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0) => Err(self.range_text()),
                None => Err("must be an integer".into()),
            },
            (FieldType::Integer, _) => Err("must be an integer".into()),
            (FieldType::Decimal, Value::Number(_)) => Ok(()),
            (FieldType::Decimal, Value::String(s)) if is_decimal(s) => Ok(()),
            (FieldType::Decimal, _) => Err("must be a decimal number (`2`, `\"2.00\"`)".into()),
            (FieldType::Money, Value::Number(n)) => check_money(&n.to_string()),
            (FieldType::Money, Value::String(s)) => check_money(s),
            (FieldType::Hours, Value::Number(n)) => n
                .as_f64()
                .map(locker_core::domain::HalfHours::from_hours_f64)
                .map_or(Err(HOURS_TEXT.into()), |h| h.map(drop).map_err(|_| HOURS_TEXT.into())),
            (FieldType::Hours, Value::String(s)) => {
                locker_core::domain::HalfHours::parse_hours(s).map(drop).map_err(|_| HOURS_TEXT.into())
            }
            (FieldType::Money | FieldType::Hours, _) => Err("must be a number or a numeric string".into()),
            (FieldType::Boolean, Value::Bool(_)) => Ok(()),
            (FieldType::Boolean, _) => Err("must be true or false".into()),
            (FieldType::Flags, Value::Object(map)) if map.values().all(Value::is_boolean) => Ok(()),
            (FieldType::Flags, Value::Object(_)) => Err("every value must be true or false".into()),
            (FieldType::Object | FieldType::Fields(_), Value::Object(_)) => Ok(()),
            (FieldType::Object | FieldType::Fields(_) | FieldType::Flags, _) => Err("must be a JSON object".into()),
            (_, Value::String(s)) => self.check_text(s),
            _ => Err("must be a string".into()),
        }
    }

    /// Why the query value `text` given for this field is refused, if it is.
    pub fn check_query(&self, text: &str) -> Result<(), String> {
        match self.ty {
            FieldType::Integer => match text.parse::<i64>() {
                Ok(n) => self.check_range(n),
                Err(_) => Err("must be an integer".into()),
            },
            FieldType::Decimal if is_decimal(text) => Ok(()),
            FieldType::Decimal => Err("must be a decimal number".into()),
            FieldType::Money => check_money(text),
            FieldType::Hours => {
                locker_core::domain::HalfHours::parse_hours(text).map(drop).map_err(|_| HOURS_TEXT.into())
            }
            FieldType::Boolean if text == "true" || text == "false" => Ok(()),
            FieldType::Boolean => Err("must be true or false".into()),
            FieldType::Object | FieldType::Fields(_) | FieldType::Flags => {
                Err("an object cannot be a query value".into())
            }
            _ => self.check_text(text),
        }
    }

    /// A string value: its format, enum and length.
    fn check_text(&self, s: &str) -> Result<(), String> {
        let date = |s: &str| matches(DATE, s) && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
        let time = |s: &str| matches(DATE_TIME, s) && chrono::DateTime::parse_from_rfc3339(s).is_ok();
        let format_ok = match self.ty {
            FieldType::Date => date(s),
            FieldType::DateTime => time(s),
            FieldType::DateOrTime => date(s) || time(s),
            FieldType::Uuid => matches(UUID, s) && uuid::Uuid::try_parse(s).is_ok(),
            FieldType::Enum(values) => values.contains(&s),
            _ => true,
        };
        if !format_ok {
            return Err(match self.ty {
                FieldType::Date => "must be a date, YYYY-MM-DD, from 1970-01-01 to 9999-12-31".into(),
                FieldType::DateTime => "must be an RFC 3339 date and time".into(),
                FieldType::DateOrTime => "expected a date (YYYY-MM-DD) or an RFC 3339 time".into(),
                FieldType::Uuid => "must be an id (UUID)".into(),
                FieldType::Enum(values) => format!("must be one of {}", values.join(", ")),
                _ => "must be a string".into(),
            });
        }
        if let Some(pattern) = self.pattern
            && !matches(pattern, s)
        {
            return Err(format!("must match {pattern}"));
        }
        let length = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
        if self.min.is_some_and(|min| length < min) || self.max.is_some_and(|max| length > max) {
            return Err(match (self.min, self.max) {
                (Some(min), Some(max)) => format!("must be {min} to {max} characters"),
                (Some(min), None) => format!("must be at least {min} characters"),
                (None, Some(max)) => format!("must be at most {max} characters"),
                (None, None) => unreachable!("checked above"),
            });
        }
        Ok(())
    }

    fn check_range(&self, n: i64) -> Result<(), String> {
        if self.min.is_some_and(|min| n < min) || self.max.is_some_and(|max| n > max) {
            return Err(self.range_text());
        }
        Ok(())
    }

    fn range_text(&self) -> String {
        match (self.min, self.max) {
            (Some(min), Some(max)) => format!("must be an integer from {min} to {max}"),
            (Some(min), None) => format!("must be an integer of at least {min}"),
            (None, Some(max)) => format!("must be an integer of at most {max}"),
            (None, None) => "must be an integer".into(),
        }
    }
}

/// `n` as an integer: JSON Schema's `integer` includes `34.0`.
fn integer(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
}

/// `value` with every integer field of `fields` written as `34` even when sent as `34.0`
/// (what [`Field::check_json`] accepted), so handlers that read integers take it too.
pub fn integers_as_integers(fields: &[Field], value: &mut Value) {
    let Value::Object(map) = value else { return };
    for field in fields {
        match (field.ty, map.get_mut(field.name)) {
            (FieldType::Integer, Some(v @ Value::Number(_))) => {
                if let Value::Number(n) = &*v
                    && n.as_i64().is_none()
                    && let Some(i) = integer(n)
                {
                    *v = Value::from(i);
                }
            }
            (FieldType::Fields(inner), Some(v)) => integers_as_integers(inner, v),
            _ => {}
        }
    }
}

/// Why a request is refused by its field list: the field at fault (`body` for the body as a
/// whole, `a.b` inside an object) and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field at fault.
    pub field: String,
    /// The rule it broke.
    pub reason: String,
    /// Whether the field was absent or `null` (rather than of the wrong type or value).
    pub missing: bool,
}

/// The JSON Schema of an object with `fields` (and no others, when `closed`).
pub fn object_schema(fields: &[Field], closed: bool) -> Value {
    let properties: serde_json::Map<String, Value> = fields.iter().map(|f| (f.name.to_owned(), f.schema())).collect();
    let required: Vec<&str> = fields.iter().filter(|f| f.required).map(|f| f.name).collect();
    let mut schema = json!({ "type": "object", "properties": properties, "required": required });
    if closed {
        schema["additionalProperties"] = json!(false);
    }
    schema
}

/// `map` against `fields`: every required field present, every field of its type and range,
/// and (when `closed`) no other field.
pub fn check_object(fields: &[Field], map: &serde_json::Map<String, Value>, closed: bool) -> Result<(), Invalid> {
    for field in fields {
        match map.get(field.name) {
            None if field.required => {
                let reason = "this field is required".into();
                return Err(Invalid { field: field.name.to_owned(), reason, missing: true });
            }
            None => {}
            Some(value) => field.check_json(value)?,
        }
    }
    if closed && let Some(unknown) = map.keys().find(|k| !fields.iter().any(|f| f.name == k.as_str())) {
        return Err(Invalid { field: unknown.clone(), reason: "unknown field".into(), missing: false });
    }
    Ok(())
}

/// Whether `text` matches `pattern` (compiled once per pattern; the patterns are the
/// catalogue's constants, so the cache stays small).
fn matches(pattern: &'static str, text: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static COMPILED: OnceLock<Mutex<HashMap<&'static str, regex::Regex>>> = OnceLock::new();
    let mut compiled = COMPILED.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    let regex = compiled
        .entry(pattern)
        .or_insert_with(|| regex::Regex::new(pattern).unwrap_or_else(|e| panic!("catalogue pattern {pattern}: {e}")));
    regex.is_match(text)
}

/// A UUID, hyphenated or not (JSON Schema's `format` alone is not checked by validators).
pub const UUID: &str =
    r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$";
/// A date, `YYYY-MM-DD`, from 1970 (periods reaching back from an earlier date would
/// answer days before year 1, which no date format can write).
const DATE: &str = r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
/// An RFC 3339 date and time, as JSON Schema's `date-time` takes it (`T` and `Z` upper case).
const DATE_TIME: &str = concat!(
    r"^(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]",
    r"(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
);

/// An amount as a string: up to 16 digits, at most two decimals.
const MONEY: &str = r"^\s*[0-9]{1,16}(\.[0-9]{0,2})?\s*$";
/// Hours as a string: 0.5 to 720 in steps of 0.5.
const HOURS: &str = r"^\s*(0*([1-9][0-9]?|[1-6][0-9]{2}|7[01][0-9])(\.(50*|0*))?|0+\.50*|0*720(\.0*)?)\s*$";
/// Why hours are refused.
const HOURS_TEXT: &str = "must be 0.5 to 720 hours in steps of 0.5";

/// An amount of money: what `Money` parses, not negative, within the document's maximum.
fn check_money(text: &str) -> Result<(), String> {
    match text.parse::<locker_core::domain::Money>() {
        Ok(m) if (0..=1_000_000_000_000_000_000).contains(&m.minor()) => Ok(()),
        _ => Err("must be an amount like 2.00: not negative, at most two decimals".into()),
    }
}

/// The pattern of a decimal given as a string: `2`, `2.5`, `"2.00"`, `-1.25`.
const DECIMAL: &str = r"^-?[0-9]+(\.[0-9]+)?$";

/// Whether `s` matches [`DECIMAL`].
fn is_decimal(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_refuses_what_its_schema_refuses() {
        let days = opt("days", FieldType::Integer).range(1, 365);
        assert_eq!(days.schema(), json!({ "type": "integer", "minimum": 1, "maximum": 365 }));
        assert!(days.check_json(&json!(30)).is_ok());
        const DEVICE: &[Field] = &[req("device", FieldType::String).at_least(1)];
        let metadata = req("metadata", FieldType::Fields(DEVICE));
        let at = |v: Value| metadata.check_json(&v).map_err(|e| e.field);
        assert_eq!(at(json!({ "device": "" })), Err("metadata.device".into()));
        assert_eq!(at(json!({ "device": "d", "other": 1 })), Ok(()));
        assert_eq!(at(json!([])), Err("metadata".into()));
        for bad in [json!(0), json!(366), json!(1.5), json!("3"), Value::Null, json!(u64::MAX)] {
            assert!(days.check_json(&bad).is_err(), "{bad}");
        }
        for bad in ["", "x", "0", "1.0"] {
            assert!(days.check_query(bad).is_err(), "{bad:?}");
        }
        let size = opt("size", FieldType::Enum(&["small", "large"])).nullable();
        assert_eq!(size.schema(), json!({ "type": ["string", "null"], "enum": ["small", "large", null] }));
        assert!(size.check_json(&Value::Null).is_ok());
        assert!(size.check_json(&json!("medium")).is_err());
        let price = req("price", FieldType::Decimal);
        assert!(price.check_json(&json!("2.00")).is_ok() && price.check_json(&json!(2)).is_ok());
        assert!(price.check_json(&json!("2.")).is_err() && price.check_json(&json!("")).is_err());
        let name = req("name", FieldType::String).range(1, 3);
        assert!(name.check_json(&json!("")).is_err() && name.check_json(&json!("abcd")).is_err());
        assert!(name.check_json(&json!("ab")).is_ok());
        assert!(req("on", FieldType::Date).check_query("2026-02-30").is_err());
        assert!(req("on", FieldType::DateOrTime).check_query("0000-01-01").is_err());
        assert!(req("on", FieldType::DateOrTime).check_query("2026-01-01T00:00:00Z").is_ok());
        let hours = req("h", FieldType::Hours);
        let hours_text = regex::Regex::new(HOURS).unwrap();
        for ok in [json!(0.5), json!(720), json!("1.50"), json!(" 2 "), json!("0.5"), json!("720.0")] {
            assert!(hours.check_json(&ok).is_ok(), "{ok}");
            if let Value::String(s) = &ok {
                assert!(hours_text.is_match(s), "{s}");
            }
        }
        for bad in [json!(0), json!(0.25), json!(720.5), json!("0"), json!("721"), json!("1.25")] {
            assert!(hours.check_json(&bad).is_err(), "{bad}");
            if let Value::String(s) = &bad {
                assert!(!hours_text.is_match(s), "{s}");
            }
        }
        assert!(days.check_json(&json!(30.0)).is_ok() && days.check_json(&json!(366.0)).is_err());
        let mut body = json!({ "days": 30.0 });
        integers_as_integers(&[days], &mut body);
        assert_eq!(body, json!({ "days": 30 }));
        let id = req("id", FieldType::Uuid);
        assert!(
            id.check_json(&json!("")).is_err()
                && id.check_json(&json!("{00000000-0000-0000-0000-000000000000}")).is_err()
        );
        assert!(id.check_json(&json!("00000000-0000-0000-0000-000000000000")).is_ok());
        let price = req("p", FieldType::Money);
        assert!(price.check_json(&json!(2.5)).is_ok() && price.check_json(&json!("2.00")).is_ok());
        assert!(price.check_json(&json!(-1)).is_err() && price.check_json(&json!("2.001")).is_err());
        let code = req("code", FieldType::String).pattern(r"^[A-Z][0-9]{2}$");
        assert_eq!(code.schema()["pattern"], r"^[A-Z][0-9]{2}$");
        assert!(code.check_json(&json!("A01")).is_ok() && code.check_json(&json!("A1")).is_err());
    }
}
