//! The fields of a request (body or query) as the catalogue lists them.

/// The JSON type of a documented field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// A string.
    String,
    /// An integer.
    Integer,
    /// A decimal amount: a number or a string such as `"2.00"`.
    Decimal,
    /// `true` or `false`.
    Boolean,
    /// A JSON object.
    Object,
    /// A date, `YYYY-MM-DD`.
    Date,
}

impl FieldType {
    /// Its JSON Schema.
    pub fn schema(self) -> serde_json::Value {
        use serde_json::json;
        match self {
            FieldType::String => json!({ "type": "string" }),
            FieldType::Integer => json!({ "type": "integer" }),
            FieldType::Decimal => json!({ "type": ["number", "string"], "examples": ["2.00"] }),
            FieldType::Boolean => json!({ "type": "boolean" }),
            FieldType::Object => json!({ "type": "object" }),
            FieldType::Date => json!({ "type": "string", "format": "date" }),
        }
    }
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
}

/// A required field.
pub const fn req(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty, required: true }
}

/// An optional field.
pub const fn opt(name: &'static str, ty: FieldType) -> Field {
    Field { name, ty, required: false }
}
