//! The one route catalogue of every surface (`/api/v1` and the seed surfaces alike). Each
//! surface lists its routes once, as [`Route`]s; its router is built from that list
//! ([`build_router`], [`merge_by_path`]) and so is its part of the OpenAPI document
//! ([`crate::openapi`]), so neither can list a route the other lacks.
//!
//! ## One field list for the document and the parser
//! A route's query parameters, headers and JSON body fields ([`Field`]: type, required,
//! nullable, range or length, pattern, enum) are written once, in its row. The document
//! describes them ([`Field::schema`]) and the [`Gate`] in front of the handler enforces
//! them, answering what fails in the surface's own error shape: a request the document
//! calls invalid never reaches a handler, and a rule cannot be documented without being
//! enforced. Enum values come from the domain types (`LockerSize::NAMES`, ...), so a new
//! value is documented and accepted at once. The handlers still parse what they take (and
//! may refuse more: a taken name, a wrong pickup code, rules between two fields); the
//! Schemathesis run of the suite (`tests/server/contract.rs`) checks that the two agree.

use std::collections::BTreeMap;

use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use serde::Serialize;

use crate::http::guard::{Access, RateClass};

mod fields;
mod gate;

pub use fields::{Field, FieldType, Invalid, UUID, object_schema, opt, req};
pub use gate::Gate;

/// Which surface (which seed's contract) a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Surface {
    /// Seed 000: Face Locker (`/api/v1`, `{success, message, data}`), with `/health`, `/ws`
    /// and the OpenAPI document.
    V1,
    /// Seed 001: cabinets, orders, devices (`/api/…/`, `{code, message, data}`).
    Cabinets,
    /// Seed 002: scanner records (`/api/barcodes`).
    Barcodes,
    /// Seed 003: e-mail OTP login (`/apis/auth/*`).
    OtpLogin,
}

impl Surface {
    /// Every surface, in the order the document lists them.
    pub const ALL: [Surface; 4] = [Surface::V1, Surface::Cabinets, Surface::Barcodes, Surface::OtpLogin];

    /// The OpenAPI tag of its operations.
    pub fn tag(self) -> &'static str {
        match self {
            Surface::V1 => "seed 000: Face Locker (/api/v1)",
            Surface::Cabinets => "seed 001: cabinets, orders, devices",
            Surface::Barcodes => "seed 002: scanner records",
            Surface::OtpLogin => "seed 003: e-mail OTP login",
        }
    }

    /// The component schema of its usual success answer.
    fn answer(self) -> &'static str {
        match self {
            Surface::V1 => "Success",
            Surface::Cabinets => "Seed001Envelope",
            Surface::Barcodes => "Seed002Barcode",
            Surface::OtpLogin => "Seed003Envelope",
        }
    }
}

/// What a route's request body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyKind {
    /// No body.
    None,
    /// A JSON object (its fields: [`Operation::body`]).
    Json,
    /// `multipart/form-data` with a `face_image` file (the image body limit applies).
    FaceImage,
    /// Either of the above (`face_image` or JSON `qr_token`).
    FaceOrQr,
}

/// What one route is: the row the router, the guard and the OpenAPI document read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Its surface.
    pub surface: Surface,
    /// HTTP method.
    pub method: Method,
    /// Full path with `{param}` placeholders, exactly as routed.
    pub path: &'static str,
    /// Who may call it (enforced by the guard on `/api/v1`, by the handlers on the seeds).
    pub access: Access,
    /// Which rate limit it counts against (`/api/v1`'s guard).
    pub class: RateClass,
    /// One line.
    pub summary: &'static str,
    /// Query parameters.
    pub query: Vec<Field>,
    /// Request headers it needs (besides credentials).
    pub headers: Vec<Field>,
    /// What its body is.
    pub kind: BodyKind,
    /// JSON body fields (with [`BodyKind::Json`]).
    pub body: Vec<Field>,
    /// Whether a JSON body with a field not in [`Operation::body`] is refused.
    pub closed: bool,
    /// Whether a request without a body is refused (a JSON body is required unless said).
    pub body_required: bool,
    /// Whether a repeated `Idempotency-Key` replays the first answer.
    pub idempotent: bool,
    /// The success status (200, or 201 for a created scanner record).
    pub status: u16,
    /// The component schema of the success answer.
    pub answer: &'static str,
}

/// One route: its description and its handler.
pub struct Route<S> {
    /// The description.
    pub op: Operation,
    handler: fn() -> MethodRouter<S>,
}

impl<S> std::fmt::Debug for Route<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} ({:?})", self.op.method, self.op.path, self.op.access)
    }
}

impl<S> Route<S> {
    /// A route answering `method path` with `handler` (a `MethodRouter` for that method),
    /// with no query or body, the general rate class and the surface's usual success answer.
    pub fn new(
        surface: Surface,
        method: Method,
        path: &'static str,
        access: Access,
        summary: &'static str,
        handler: fn() -> MethodRouter<S>,
    ) -> Self {
        let op = Operation {
            surface,
            method,
            path,
            access,
            class: RateClass::General,
            summary,
            query: Vec::new(),
            headers: Vec::new(),
            kind: BodyKind::None,
            body: Vec::new(),
            closed: false,
            body_required: true,
            idempotent: false,
            status: 200,
            answer: surface.answer(),
        };
        Self { op, handler }
    }

    /// Its handler, routed for its method.
    pub fn handler(&self) -> MethodRouter<S> {
        (self.handler)()
    }

    /// Takes a JSON body with `fields`.
    pub fn body(mut self, fields: &[Field]) -> Self {
        self.op.kind = BodyKind::Json;
        self.op.body = fields.to_vec();
        self
    }

    /// Refuses JSON body fields other than those of [`Route::body`].
    pub fn closed(mut self) -> Self {
        self.op.closed = true;
        self
    }

    /// Takes no body as well as its JSON body.
    pub fn optional_body(mut self) -> Self {
        self.op.body_required = false;
        self
    }

    /// Takes a body of `kind` (a face image, or a face image or QR token).
    pub fn kind(mut self, kind: BodyKind) -> Self {
        self.op.kind = kind;
        self
    }

    /// Documents its query parameters.
    pub fn query(mut self, fields: &[Field]) -> Self {
        self.op.query = fields.to_vec();
        self
    }

    /// Documents the request headers it needs (besides credentials).
    pub fn headers(mut self, fields: &[Field]) -> Self {
        self.op.headers = fields.to_vec();
        self
    }

    /// Counts against rate class `class`.
    pub fn class(mut self, class: RateClass) -> Self {
        self.op.class = class;
        self
    }

    /// Replays the first answer to a repeated `Idempotency-Key`.
    pub fn idempotent(mut self) -> Self {
        self.op.idempotent = true;
        self
    }

    /// Documents a success answer other than the surface's usual one.
    pub fn answers(mut self, status: u16, schema: &'static str) -> Self {
        self.op.status = status;
        self.op.answer = schema;
        self
    }
}

/// `route!(Cabinets POST "/api/auth/login/", Public, "Log in", auth::login)`: a [`Route`] of
/// that surface, access level and summary whose handler is routed for exactly the method it
/// is documented with.
macro_rules! route {
    ($surface:ident $method:ident $path:literal, $access:ident, $summary:literal, $handler:path) => {
        $crate::catalog::Route::new(
            $crate::catalog::Surface::$surface,
            axum::http::Method::$method,
            $path,
            $crate::http::guard::Access::$access,
            $summary,
            || axum::routing::on(axum::routing::MethodFilter::$method, $handler),
        )
    };
}
pub(crate) use route;

/// One router entry per path of `routes`, every method of a path merged, each route's
/// handler first passed through `wrap` (its layers) and each path's through `per_path`.
pub fn merge_by_path<S>(
    routes: Vec<Route<S>>,
    mut wrap: impl FnMut(&Operation, MethodRouter<S>) -> MethodRouter<S>,
    mut per_path: impl FnMut(MethodRouter<S>) -> MethodRouter<S>,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let mut by_path: BTreeMap<&'static str, MethodRouter<S>> = BTreeMap::new();
    for route in routes {
        let handler = wrap(&route.op, route.handler());
        let merged = match by_path.remove(route.op.path) {
            Some(existing) => existing.merge(handler),
            None => handler,
        };
        by_path.insert(route.op.path, merged);
    }
    let mut router = Router::new();
    for (path, methods) in by_path {
        router = router.route(path, per_path(methods));
    }
    router
}

/// `handler` behind the [`Gate`] of `op` (when it has fields to check), which refuses
/// with `reject` and reads at most `limit` body bytes.
pub fn gated<S>(
    op: &Operation,
    handler: MethodRouter<S>,
    limit: usize,
    reject: fn(Invalid) -> axum::response::Response,
) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    let gate = Gate::new(op, limit, reject);
    if !gate.checks_anything() {
        return handler;
    }
    handler.route_layer(axum::middleware::from_fn_with_state(std::sync::Arc::new(gate), gate::gate))
}

/// The router of a seed surface's `routes`: one entry per path with every documented method
/// merged, each behind its [`Gate`] (refusals by `reject`), and `not_allowed` (the surface's
/// own error shape) for any other method on those paths.
pub fn build_router<S, H, T>(
    routes: Vec<Route<S>>,
    not_allowed: H,
    reject: fn(Invalid) -> axum::response::Response,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    H: Handler<T, S> + Clone,
    T: 'static,
{
    let gate = |op: &Operation, handler| gated(op, handler, crate::JSON_BODY_LIMIT, reject);
    merge_by_path(routes, gate, |methods| methods.fallback(not_allowed.clone()))
}
