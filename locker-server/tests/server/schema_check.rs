//! Holds an answer to the schema the OpenAPI document names for it: the JSON Schema
//! keywords the document uses (`$ref`, `anyOf`, `type`, `const`, `enum`, `required`,
//! `properties`, `items`, `minimum`, `maximum`, `pattern`, `maxProperties` and the
//! `date-time`, `date` and `uuid` formats), each violation named by its JSON path.
#![allow(dead_code)]

use serde_json::Value;

/// The document, built once from the catalogue as `GET /api/v1/openapi.json` serves it.
pub fn document() -> &'static Value {
    static DOCUMENT: std::sync::LazyLock<Value> =
        std::sync::LazyLock::new(|| locker_server::openapi::build(&locker_server::operations()));
    &DOCUMENT
}

/// The schema of `method path`'s `status` answer (panics when the document names none).
pub fn answer_schema<'d>(doc: &'d Value, method: &str, path: &str, status: u16) -> &'d Value {
    let method = method.to_ascii_lowercase();
    let answer = &doc["paths"][path][&method]["responses"][status.to_string()];
    let schema = &answer["content"]["application/json"]["schema"];
    assert!(schema.is_object(), "{method} {path}: the document names no {status} answer: {answer}");
    schema
}

/// Panics with every violation unless `body`, answered by `method path` with `status`,
/// matches the schema the document names for it.
pub fn assert_answer(doc: &Value, method: &str, path: &str, status: u16, body: &Value) {
    let schema = answer_schema(doc, method, path, status);
    let found = violations(doc, schema, body, "$");
    assert!(
        found.is_empty(),
        "{method} {path} {status}: the answer does not match its schema:\n{}\n{body}",
        found.join("\n")
    );
}

/// Every way `value` (at `at`) breaks `schema`.
pub fn violations(doc: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return vec![format!("{at}: unknown schema {reference}")];
        }
        return violations(doc, target, value, at);
    }
    let mut out = Vec::new();
    if let Some(options) = schema["anyOf"].as_array() {
        let all: Vec<Vec<String>> = options.iter().map(|o| violations(doc, o, value, at)).collect();
        if all.iter().all(|v| !v.is_empty()) {
            out.push(format!(
                "{at}: matches none of anyOf: [{}]",
                all.iter().map(|v| v.join("; ")).collect::<Vec<_>>().join(" | ")
            ));
        }
    }
    if let Some(expected) = schema.get("type") {
        let types: Vec<&str> = match expected {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !types.iter().any(|t| has_type(value, t)) {
            out.push(format!("{at}: {value} is not of type {expected}"));
            return out;
        }
    }
    if let Some(expected) = schema.get("const").filter(|c| *c != value) {
        out.push(format!("{at}: {value} is not {expected}"));
    }
    if let Some(options) = schema["enum"].as_array().filter(|o| !o.contains(value)) {
        out.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| n < m) {
            out.push(format!("{at}: {n} is below {}", schema["minimum"]));
        }
        if schema["maximum"].as_f64().is_some_and(|m| n > m) {
            out.push(format!("{at}: {n} is above {}", schema["maximum"]));
        }
    }
    if let Some(s) = value.as_str() {
        if let Some(pattern) = schema["pattern"].as_str() {
            if !regex::Regex::new(pattern).unwrap().is_match(s) {
                out.push(format!("{at}: {s:?} does not match {pattern}"));
            }
        }
        let well_formed = match schema["format"].as_str() {
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            Some("date") => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            Some("uuid") => uuid::Uuid::parse_str(s).is_ok(),
            _ => true,
        };
        if !well_formed {
            out.push(format!("{at}: {s:?} is not a {}", schema["format"]));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(name) {
                out.push(format!("{at}: `{name}` is missing"));
            }
        }
        if schema["maxProperties"].as_u64().is_some_and(|m| object.len() as u64 > m) {
            out.push(format!("{at}: more than {} members", schema["maxProperties"]));
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(member) = object.get(name) {
                out.extend(violations(doc, property, member, &format!("{at}.{name}")));
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            out.extend(violations(doc, items, item, &format!("{at}[{i}]")));
        }
    }
    out
}

fn has_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}

#[test]
fn the_checker_finds_what_is_wrong() {
    let doc = serde_json::json!({ "components": { "schemas": { "N": { "type": "integer", "minimum": 0 } } } });
    let schema = serde_json::json!({ "type": "object", "required": ["a", "b"], "properties": {
        "a": { "$ref": "#/components/schemas/N" },
        "b": { "anyOf": [{ "type": "string", "pattern": "^x" }, { "type": "null" }] },
        "c": { "type": "array", "items": { "enum": [1, 2] } } } });
    let fine = serde_json::json!({ "a": 3, "b": null, "c": [1, 2] });
    assert!(violations(&doc, &schema, &fine, "$").is_empty());
    let wrong = serde_json::json!({ "a": -1, "b": "y", "c": [3] });
    let found = violations(&doc, &schema, &wrong, "$");
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(violations(&doc, &schema, &serde_json::json!({ "a": 1 }), "$")[0].contains("`b` is missing"));
}
