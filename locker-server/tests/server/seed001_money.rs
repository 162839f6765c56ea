//! Seed 001's money safety and the demo's simulated payments (issue 17 item 7), over real
//! HTTP on a SQLite file and on PostgreSQL when `LOCKER_TEST_POSTGRES_URL` is set: a
//! cabinet nobody can open is refused before any money moves, the admin attaches a device
//! to it, and WeChat Pay / Alipay through `SimulatedPayments` complete the seed's flow,
//! labelled as simulated.

use crate::seed001_support;
use crate::seeds_support;

use std::sync::Arc;

use locker_server::seeds::cabinets::{self, payment::SimulatedPayments};
use seed001_support::{Auth, Fx, fail, ok};
use seeds_support::backends;
use serde_json::{Value, json};

const PHONE: &str = "13900139000";

/// `method path` on `base` as `token`, with a JSON body: status and body.
async fn call_at(fx: &Fx, base: &str, method: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let req = fx.http.request(method.parse().unwrap(), format!("{base}{path}")).bearer_auth(token).json(&body);
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_cabinet_without_a_device_is_not_sold_until_the_admin_attaches_one() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let token = fx.register("testuser", PHONE).await;
        fx.set_balance(PHONE, 10_000).await;
        let body = json!({ "cabinet_id": "D001", "size": "large", "location": "南广场入口", "station": "汽车站", "price_per_hour": "5.00" });
        ok(&fx.post("/api/cabinets/create/", Auth::Bearer(&fx.admin), body).await, 201, "创建成功");
        assert_eq!(ok(&fx.get("/api/cabinets/D001/", Auth::None).await, 200, "success")["device_id"], Value::Null);

        // Refused before any money moves, in the seed's shape, saying why.
        let order = json!({ "cabinet_id": "D001", "duration_hours": 2 });
        let got = fx.post("/api/orders/create/", Auth::Bearer(&token), order.clone()).await;
        let why = fail(&got, 400, "柜子不可用")["detail"].as_str().unwrap().to_owned();
        assert!(why.contains("D001") && why.contains("no device"), "{why} on {}", fx.db.name);
        assert_eq!(fx.balance(PHONE).await, 10_000, "on {}", fx.db.name);
        assert_eq!(ok(&fx.get("/api/orders/my/", Auth::Bearer(&token)).await, 200, "success"), &json!([]));
        assert_eq!(ok(&fx.get("/api/cabinets/D001/", Auth::None).await, 200, "success")["status"], "available");

        // The admin attaches a device (an unknown one is refused), then it is sold and opens.
        let wire = |device: &str| json!({ "cabinet_id": "D001", "device_id": device, "channel": 9 });
        fail(
            &fx.call("PUT", "/api/admin/cabinets/", Auth::Bearer(&fx.admin), Some(&wire("ESP32_404"))).await,
            404,
            "设备不存在",
        );
        fail(
            &fx.call("PUT", "/api/admin/cabinets/", Auth::Bearer(&token), Some(&wire("ESP32_001"))).await,
            403,
            "无权限访问",
        );
        let got = fx.call("PUT", "/api/admin/cabinets/", Auth::Bearer(&fx.admin), Some(&wire("ESP32_001"))).await;
        assert_eq!(ok(&got, 200, "更新成功")["device_id"], "ESP32_001");
        assert_eq!(ok(&fx.get("/api/cabinets/D001/", Auth::None).await, 200, "success")["device_id"], "ESP32_001");
        let id = fx.order(&token, "D001", 2.0).await;
        let code = fx.pay(&token, id).await;
        assert_eq!(fx.balance(PHONE).await, 10_000 - 1_000, "2 h at 5.00 on {}", fx.db.name);
        ok(&fx.open(&token, "D001", &code).await, 200, "开柜成功");
        assert_eq!(fx.poll().await.as_deref(), Some("D001"));
        // Its wiring does not change while the order holds it.
        let got = fx
            .call(
                "PUT",
                "/api/admin/cabinets/",
                Auth::Bearer(&fx.admin),
                Some(&json!({ "cabinet_id": "D001", "channel": 10 })),
            )
            .await;
        fail(&got, 400, "柜子不可用");
    }
}

#[tokio::test]
async fn a_deactivated_device_stops_payment_by_balance_and_by_provider_and_simulated_payments_complete_the_flow() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let sim = Arc::new(SimulatedPayments::new());
        // The same surface with the demo's provider, beside the fixture's (which has none).
        let demo = seeds_support::serve(cabinets::router(fx.state.clone().with_payments(sim.clone()))).await;
        let token = fx.register("testuser", PHONE).await;
        fx.set_balance(PHONE, 10_000).await;
        let id = fx.order(&token, "A001", 1.0).await;
        let pay = |method: &str| json!({ "payment_method": method });

        // The device is switched off after the order: no payment goes through, no money moves.
        let off = json!({ "device_id": "ESP32_001", "is_active": false });
        ok(&fx.call("PUT", "/api/admin/devices/", Auth::Bearer(&fx.admin), Some(&off)).await, 200, "更新成功");
        let path = format!("/api/orders/{id}/pay/");
        fail(&fx.post(&path, Auth::Bearer(&token), pay("balance")).await, 400, "柜子不可用");
        fail(&call_at(&fx, &demo, "POST", &path, &token, pay("wechat")).await, 400, "柜子不可用");
        assert_eq!(fx.balance(PHONE).await, 10_000, "on {}", fx.db.name);
        assert!(sim.charges().is_empty(), "the provider was not called on {}", fx.db.name);
        let detail = fx.get(&format!("/api/orders/{id}/"), Auth::Bearer(&token)).await;
        assert_eq!(ok(&detail, 200, "success")["status"], "pending");

        // Back on: WeChat Pay through the simulated provider completes the seed's flow.
        let on = json!({ "device_id": "ESP32_001", "is_active": true });
        ok(&fx.call("PUT", "/api/admin/devices/", Auth::Bearer(&fx.admin), Some(&on)).await, 200, "更新成功");
        // Without a provider (the server's default) WeChat Pay is refused, nothing taken.
        fail(&fx.post(&path, Auth::Bearer(&token), pay("wechat")).await, 400, "支付方式暂不可用");
        let got = call_at(&fx, &demo, "POST", &path, &token, pay("wechat")).await;
        let paid = ok(&got, 200, "支付成功");
        assert_eq!(paid["status"], "paid");
        assert_eq!(paid["simulated_payment"], true, "{paid}");
        assert!(paid["payment_note"].as_str().unwrap().contains("simulated"), "{paid}");
        let code = paid["pickup_code"].as_str().unwrap().to_owned();
        assert_eq!(fx.balance(PHONE).await, 10_000, "WeChat Pay does not touch the balance");
        let charges = sim.charges();
        assert_eq!(charges.len(), 1, "{charges:?}");
        assert_eq!(charges[0].2.minor(), 200, "1 h of A001 at 2.00");
        // Extending by Alipay is simulated too; by balance it is not labelled.
        let more = json!({ "additional_hours": 1, "payment_method": "alipay" });
        let got = call_at(&fx, &demo, "POST", &format!("/api/orders/{id}/extend/"), &token, more).await;
        assert_eq!(ok(&got, 200, "续费成功")["simulated_payment"], true);
        let more = json!({ "additional_hours": 1, "payment_method": "balance" });
        let got = call_at(&fx, &demo, "POST", &format!("/api/orders/{id}/extend/"), &token, more).await;
        assert!(ok(&got, 200, "续费成功").get("simulated_payment").is_none(), "{:?}", got.1);
        assert_eq!(fx.balance(PHONE).await, 10_000 - 200);
        assert_eq!(sim.charges().len(), 2);
        ok(&fx.open(&token, "A001", &code).await, 200, "开柜成功");
        assert_eq!(fx.poll().await.as_deref(), Some("A001"));
    }
}
