//! The OpenAPI document against the seed surfaces, as `locker serve` mounts them (the
//! `/api/v1` app merged with [`locker_server::seeds::router`]) over real HTTP: every seed
//! route is documented under its seed's tag with its security, body fields and envelope, and
//! every documented seed route is answered by its seed (not the `/api/v1` fallback).

use crate::seeds_support;

use std::sync::Arc;

use locker_core::token::Pepper;
use locker_core::token::jwt::AccessTokens;
use locker_core::token::otp::FileOutbox;
use locker_server::AppState;
use locker_server::catalog::{Operation, Surface as Seed};
use locker_server::http::guard::Access;
use locker_server::seeds::{SeedParts, router};
use seeds_support::{backends, client, json_of, serve};
use serde_json::{Value, json};

/// Every route of the seed surfaces (001, 002, 003).
fn seed_operations() -> Vec<Operation> {
    locker_server::operations().into_iter().filter(|o| o.surface != Seed::V1).collect()
}

/// `http://…` of the `/api/v1` app plus the three seed surfaces on a SQLite file.
async fn start(dir: &tempfile::TempDir) -> (String, seeds_support::TestDb) {
    let db = backends().await.into_iter().next().unwrap();
    let (service, jwt) = seeds_support::service_on(&db.store, Arc::new(locker_core::ports::SystemClock)).await;
    let state = AppState::new(service.clone(), AccessTokens::new(jwt.clone()));
    let parts = SeedParts {
        service: service.clone(),
        jwt: jwt.clone(),
        otp_pepper: Pepper::generate().unwrap(),
        pickup_pepper: Pepper::generate().unwrap(),
        notifier: Arc::new(FileOutbox::new(dir.path().join("outbox.jsonl"))),
        credentials: state.credentials.clone(),
    };
    let app = locker_server::app(state).merge(router(parts).await.unwrap());
    (serve(app).await, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seed_route_is_documented_under_its_seed_with_its_fields() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _db) = start(&dir).await;
    let (status, doc) = json_of(client().get(format!("{base}/api/v1/openapi.json")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    let ops = seed_operations();
    assert_eq!(ops.iter().filter(|o| o.surface == Seed::Cabinets).count(), 30, "seed 001 lists 30 method-paths");
    assert_eq!(ops.iter().filter(|o| o.surface == Seed::Barcodes).count(), 4);
    assert_eq!(ops.iter().filter(|o| o.surface == Seed::OtpLogin).count(), 2);
    for o in &ops {
        let ctx = format!("{} {}", o.method, o.path);
        let op = &doc["paths"][o.path][o.method.as_str().to_ascii_lowercase()];
        assert!(op.is_object(), "{ctx} is routed but not documented");
        assert_eq!(op["tags"], json!([o.surface.tag()]), "{ctx}");
        let secured = !op["security"].as_array().unwrap().is_empty();
        assert_eq!(secured, o.access != Access::Public, "{ctx}");
        if o.access == Access::Controller {
            assert_eq!(op["security"], json!([{ "apiKey": [] }]), "{ctx}");
        }
        let schema = &op["requestBody"]["content"]["application/json"]["schema"];
        let documented: Vec<&str> =
            schema["properties"].as_object().map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
        let mut fields: Vec<&str> = o.body.iter().map(|f| f.name).collect();
        fields.sort_unstable();
        assert_eq!(documented, fields, "{ctx}");
        let required: Vec<&str> = o.body.iter().filter(|f| f.required).map(|f| f.name).collect();
        if !o.body.is_empty() {
            assert_eq!(schema["required"], json!(required), "{ctx}");
        }
        // The success answer refers to a schema that exists.
        let answer = op["responses"][o.status.to_string()]["content"]["application/json"]["schema"]["$ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{ctx}: no success answer"));
        let name = answer.rsplit('/').next().unwrap();
        assert!(doc["components"]["schemas"][name].is_object(), "{ctx}: {answer} missing");
        // Path parameters are declared.
        let declared = op["parameters"].as_array().map_or(0, |p| p.iter().filter(|p| p["in"] == "path").count());
        assert_eq!(declared, o.path.matches('{').count(), "{ctx}");
    }
    // Spot checks against the seeds' own words.
    let pay = &doc["paths"]["/api/orders/{order_id}/pay/"]["post"];
    assert_eq!(pay["requestBody"]["content"]["application/json"]["schema"]["required"], json!(["payment_method"]));
    let create = &doc["paths"]["/api/barcodes"]["post"];
    assert!(create["responses"]["201"].is_object(), "{create}");
    assert_eq!(
        doc["paths"]["/apis/auth/verify-otp"]["post"]["requestBody"]["content"]["application/json"]["schema"]["required"],
        json!(["email", "otpCode"])
    );
    assert_eq!(
        doc["paths"]["/api/auth/token/"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/Seed001TokenPair"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_seed_route_is_answered_by_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (base, _db) = start(&dir).await;
    let http = client();
    for o in seed_operations() {
        let path = o
            .path
            .replace("{id}", "00000000-0000-0000-0000-000000000001")
            .replace("{cabinet_id}", "A001")
            .replace("{order_id}", "1")
            .replace("{device_id}", "ESP32_001");
        let res = http
            .request(o.method.as_str().parse().unwrap(), format!("{base}{path}"))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(res).await;
        let ctx = format!("{} {path}: {status} {body}", o.method);
        assert_ne!(status, 405, "{ctx}");
        assert!(status < 500, "{ctx}");
        // The /api/v1 fallback answers `{success: false, ...}`; a seed never does.
        assert!(body.get("success").is_none(), "{ctx} fell through to /api/v1");
        let shape_ok = match o.surface {
            Seed::Cabinets => body["code"].is_i64() && body["message"].is_string(),
            Seed::Barcodes => body["error"]["code"].is_string() || body["id"].is_string(),
            Seed::OtpLogin => body["code"].is_i64() && body.get("data").is_some(),
            Seed::V1 => false,
        };
        assert!(shape_ok, "{ctx}: not the seed's envelope");
    }
    // A method the document does not list is refused in the seed's own shape, with 405 (the
    // one answer of seed 003 that is not 200: the method is wrong, not the request).
    let res = http.delete(format!("{base}/apis/auth/request-otp")).send().await.unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    let (status, body): (u16, Value) = json_of(res).await;
    assert_eq!((status, body["code"].as_i64()), (405, Some(-1)), "{body}");
}
