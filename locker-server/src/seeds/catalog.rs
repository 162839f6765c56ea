//! The route lists of the seed surfaces. Each seed module lists its routes once, as
//! [`SeedRoute`]s; its router is built from that list ([`build_router`]) and so is its part of
//! the OpenAPI document ([`crate::openapi`]), so neither can list a route the other lacks.

use std::collections::BTreeMap;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use serde::Serialize;

/// Which seed contract a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Seed {
    /// Seed 001: cabinets, orders, devices (`/api/…/`, `{code, message, data}`).
    Cabinets,
    /// Seed 002: scanner records (`/api/barcodes`).
    Barcodes,
    /// Seed 003: e-mail OTP login (`/apis/auth/*`).
    OtpLogin,
}

impl Seed {
    /// The OpenAPI tag of its operations.
    pub fn tag(self) -> &'static str {
        match self {
            Seed::Cabinets => "seed 001: cabinets, orders, devices",
            Seed::Barcodes => "seed 002: scanner records",
            Seed::OtpLogin => "seed 003: e-mail OTP login",
        }
    }
}

/// Who may call a seed route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedAuth {
    /// Anyone.
    Public,
    /// A signed-in user (`Authorization: Bearer <access token>`).
    User,
    /// A signed-in admin.
    Admin,
    /// A device (`X-API-Key`).
    DeviceKey,
}

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

/// What one seed route is, for the OpenAPI document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Its seed.
    pub seed: Seed,
    /// HTTP method.
    pub method: Method,
    /// Full path with `{param}` placeholders, exactly as routed.
    pub path: &'static str,
    /// Who may call it.
    pub auth: SeedAuth,
    /// One line.
    pub summary: &'static str,
    /// Query parameters.
    pub query: Vec<Field>,
    /// JSON body fields (empty: no body).
    pub body: Vec<Field>,
    /// The success status (200, or 201 for a created scanner record).
    pub status: u16,
    /// The component schema of the success answer.
    pub answer: &'static str,
}

/// One route of a seed surface: its description and its handler.
pub struct SeedRoute<S> {
    /// The description.
    pub op: Operation,
    handler: fn() -> MethodRouter<S>,
}

impl<S> std::fmt::Debug for SeedRoute<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.op.method, self.op.path)
    }
}

impl<S> SeedRoute<S> {
    /// A route answering `method path` with `handler` (a `MethodRouter` for that method),
    /// with no query or body fields and the seed's usual success answer.
    pub fn new(
        seed: Seed,
        method: Method,
        path: &'static str,
        auth: SeedAuth,
        summary: &'static str,
        handler: fn() -> MethodRouter<S>,
    ) -> Self {
        let answer = match seed {
            Seed::Cabinets => "Seed001Envelope",
            Seed::Barcodes => "Seed002Barcode",
            Seed::OtpLogin => "Seed003Envelope",
        };
        let op =
            Operation { seed, method, path, auth, summary, query: Vec::new(), body: Vec::new(), status: 200, answer };
        Self { op, handler }
    }

    /// Documents its JSON body fields.
    pub fn body(mut self, fields: &[Field]) -> Self {
        self.op.body = fields.to_vec();
        self
    }

    /// Documents its query parameters.
    pub fn query(mut self, fields: &[Field]) -> Self {
        self.op.query = fields.to_vec();
        self
    }

    /// Documents a success answer other than the seed's usual one.
    pub fn answers(mut self, status: u16, schema: &'static str) -> Self {
        self.op.status = status;
        self.op.answer = schema;
        self
    }
}

/// `seed_route!(Cabinets POST "/api/auth/login/", Public, "Log in", auth::login)`: a
/// [`SeedRoute`] whose handler is routed for exactly the method it is documented with.
macro_rules! seed_route {
    ($seed:ident $method:ident $path:literal, $auth:ident, $summary:literal, $handler:path) => {
        $crate::seeds::catalog::SeedRoute::new(
            $crate::seeds::catalog::Seed::$seed,
            axum::http::Method::$method,
            $path,
            $crate::seeds::catalog::SeedAuth::$auth,
            $summary,
            || axum::routing::on(axum::routing::MethodFilter::$method, $handler),
        )
    };
}
pub(crate) use seed_route;

/// The router of `routes`: one entry per path with every documented method merged, and
/// `not_allowed` (the seed's own error shape) for any other method on those paths.
pub fn build_router<S, H, T>(routes: Vec<SeedRoute<S>>, not_allowed: H) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    H: Handler<T, S> + Clone,
    T: 'static,
{
    let mut by_path: BTreeMap<&'static str, MethodRouter<S>> = BTreeMap::new();
    for route in routes {
        let handler = (route.handler)();
        let merged = match by_path.remove(route.op.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        by_path.insert(route.op.path, merged);
    }
    let mut router = Router::new();
    for (path, methods) in by_path {
        router = router.route(path, methods.fallback(not_allowed.clone()));
    }
    router
}

/// Every seed route's description: seed 001, then 002, then 003.
pub fn operations() -> Vec<Operation> {
    let cabinets = super::cabinets::routes().into_iter().map(|r| r.op);
    let barcodes = super::barcodes::routes().into_iter().map(|r| r.op);
    let otp = super::otp_login::routes().into_iter().map(|r| r.op);
    cabinets.chain(barcodes).chain(otp).collect()
}
