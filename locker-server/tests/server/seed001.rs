//! Seed 001 (cabinets, orders, devices at `/api/…/`) over a real TCP socket with a real
//! HTTP client, on a SQLite file and, when `LOCKER_TEST_POSTGRES_URL` is set, a fresh
//! PostgreSQL database: each endpoint with the seed's own request example, the documented
//! response shape field by field, and each documented error case in the seed's envelope.

use crate::seed001_support;
use crate::seeds_support;

use seed001_support::{Auth, Fx, fail, is_amount, ok};
use seeds_support::{backends, keys, time};
use serde_json::{Value, json};

/// The seed's registration example.
fn registration() -> Value {
    json!({ "username": "testuser", "phone": "13900139000", "password": "test123456",
            "password2": "test123456", "email": "test@example.com" })
}

/// A user record of the seed: integer id, texts, balance `"0.00"`, time with +08:00.
fn assert_user(u: &Value, with_email: bool) {
    let mut expected = vec!["balance", "created_at", "id", "phone", "username"];
    if with_email {
        expected.insert(2, "email");
    }
    assert_eq!(keys(u), expected, "{u}");
    assert!(u["id"].as_i64().is_some_and(|i| i > 0), "{u}");
    assert_eq!(u["username"], "testuser");
    assert_eq!(u["phone"], "13900139000");
    assert!(is_amount(&u["balance"]), "{u}");
    assert!(u["created_at"].as_str().unwrap().ends_with("+08:00"), "{u}");
    time(&u["created_at"]);
    if with_email {
        assert_eq!(u["email"], "test@example.com");
    }
}

#[tokio::test]
async fn auth_register_login_tokens_me_and_users() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        // register: the seed's example.
        let got = fx.post("/api/auth/register/", Auth::None, registration()).await;
        let data = ok(&got, 201, "注册成功");
        assert_eq!(keys(data), ["access", "refresh", "user"]);
        assert_user(&data["user"], true);
        assert_eq!(data["user"]["balance"], "0.00");
        let me_id = data["user"]["id"].as_i64().unwrap();
        // register errors.
        fail(&fx.post("/api/auth/register/", Auth::None, registration()).await, 400, "注册失败");
        let mut other = registration();
        other["username"] = json!("someone");
        other["email"] = json!("someone@example.com");
        let answer = fx.post("/api/auth/register/", Auth::None, other).await;
        let data = fail(&answer, 400, "注册失败");
        assert_eq!(data["field"], "phone");
        for (patch, field) in [
            (json!({ "password2": "different1" }), "password2"),
            (json!({ "phone": "1390013900" }), "phone"),
            (json!({ "password": "12345", "password2": "12345" }), "password"),
            (json!({ "username": null }), "username"),
            (json!({ "email": "not-an-address" }), "email"),
        ] {
            let mut body = registration();
            body["phone"] = json!("13900139001");
            body["username"] = json!("fresh");
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let answer = fx.post("/api/auth/register/", Auth::None, body).await;
            let data = fail(&answer, 400, "参数错误");
            assert_eq!(data["field"], field);
        }

        // login by phone: the seed's example.
        fx.set_balance("13900139000", 10_000).await;
        let got =
            fx.post("/api/auth/login/", Auth::None, json!({ "phone": "13900139000", "password": "test123456" })).await;
        let data = ok(&got, 200, "登录成功");
        assert_eq!(keys(data), ["access", "refresh", "user"]);
        assert_user(&data["user"], false);
        assert_eq!(data["user"]["balance"], "100.00");
        let access = data["access"].as_str().unwrap().to_owned();
        for body in [
            json!({ "phone": "13900139000", "password": "wrong-one" }),
            json!({ "phone": "13900000009", "password": "test123456" }),
        ] {
            fail(&fx.post("/api/auth/login/", Auth::None, body).await, 400, "登录失败");
        }
        fail(&fx.post("/api/auth/login/", Auth::None, json!({ "phone": "13900139000" })).await, 400, "参数错误");

        // DRF token pair: bare {access, refresh}.
        let (status, pair) =
            fx.post("/api/auth/token/", Auth::None, json!({ "username": "testuser", "password": "test123456" })).await;
        assert_eq!((status, keys(&pair)), (200, vec!["access", "refresh"]), "{pair}");
        fail(
            &fx.post("/api/auth/token/", Auth::None, json!({ "username": "testuser", "password": "nope-nope" })).await,
            400,
            "登录失败",
        );
        let old_refresh = pair["refresh"].as_str().unwrap().to_owned();
        let (status, next) = fx.post("/api/auth/token/refresh/", Auth::None, json!({ "refresh": old_refresh })).await;
        assert_eq!((status, keys(&next)), (200, vec!["access", "refresh"]), "{next}");
        assert_ne!(next["refresh"], pair["refresh"], "rotated");
        let got = fx.get("/api/auth/me/", Auth::Bearer(next["access"].as_str().unwrap())).await;
        assert_user(ok(&got, 200, "success"), true);
        // The rotated token again: refused, and the family revoked.
        fail(
            &fx.post("/api/auth/token/refresh/", Auth::None, json!({ "refresh": old_refresh })).await,
            401,
            "认证令牌无效或已过期",
        );
        fail(
            &fx.post("/api/auth/token/refresh/", Auth::None, json!({ "refresh": next["refresh"] })).await,
            401,
            "认证令牌无效或已过期",
        );
        fail(&fx.post("/api/auth/token/refresh/", Auth::None, json!({})).await, 400, "参数错误");

        // me.
        let got = fx.get("/api/auth/me/", Auth::Bearer(&access)).await;
        let me = ok(&got, 200, "success");
        assert_user(me, true);
        assert_eq!(me["id"], me_id);
        fail(&fx.get("/api/auth/me/", Auth::None).await, 401, "认证凭据未提供");
        fail(&fx.get("/api/auth/me/", Auth::Bearer("not.a.token")).await, 401, "认证令牌无效或已过期");
        fx.clock.advance(24 * 3600 + 120);
        fail(&fx.get("/api/auth/me/", Auth::Bearer(&access)).await, 401, "认证令牌无效或已过期");
        let access = fx.login("13900139000", "test123456").await;
        let admin = fx.login("13800000000", "admin123456").await;

        // user by id: own record, others' for admins only.
        let got = fx.get(&format!("/api/auth/{me_id}/"), Auth::Bearer(&access)).await;
        assert_user(ok(&got, 200, "success"), false);
        let other = fx.register("other", "13700137000").await;
        fail(&fx.get(&format!("/api/auth/{me_id}/"), Auth::Bearer(&other)).await, 403, "无权限访问");
        assert_user(ok(&fx.get(&format!("/api/auth/{me_id}/"), Auth::Bearer(&admin)).await, 200, "success"), false);
        for missing in ["999999", "abc", "-1"] {
            fail(&fx.get(&format!("/api/auth/{missing}/"), Auth::Bearer(&admin)).await, 404, "用户不存在");
        }
        fail(&fx.get(&format!("/api/auth/{me_id}/"), Auth::None).await, 401, "认证凭据未提供");
    }
}

/// The keys of a cabinet list item, sorted.
const CABINET_KEYS: [&str; 9] =
    ["cabinet_id", "id", "location", "price_per_hour", "size", "size_display", "station", "status", "status_display"];

/// A cabinet list item of the seed.
fn assert_cabinet(c: &Value) {
    assert_eq!(keys(c), CABINET_KEYS, "{c}");
    assert!(c["id"].as_i64().is_some_and(|i| i > 0), "{c}");
    assert!(is_amount(&c["price_per_hour"]), "{c}");
}

#[tokio::test]
async fn cabinets_list_filter_create_detail_and_status() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let got = fx.get("/api/cabinets/", Auth::None).await;
        let list = ok(&got, 200, "success").as_array().unwrap().clone();
        assert_eq!(list.len(), 4);
        list.iter().for_each(assert_cabinet);
        let a = &list[0];
        assert_eq!(
            (
                &a["cabinet_id"],
                &a["size"],
                &a["size_display"],
                &a["location"],
                &a["station"],
                &a["status"],
                &a["status_display"],
                &a["price_per_hour"]
            ),
            (
                &json!("A001"),
                &json!("small"),
                &json!("小柜（放背包）"),
                &json!("站厅东侧"),
                &json!("火车站"),
                &json!("available"),
                &json!("空闲"),
                &json!("2.00")
            )
        );
        assert_eq!(list[2]["size_display"], "中柜（放行李箱）");
        assert_eq!(list[3]["size_display"], "大柜（放多个行李）");
        let codes = |got: &(u16, Value)| -> Vec<String> {
            ok(got, 200, "success")
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["cabinet_id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(codes(&fx.get("/api/cabinets/?size=small", Auth::None).await), ["A001", "A002"]);
        assert_eq!(
            codes(&fx.get("/api/cabinets/?station=%E7%81%AB%E8%BD%A6%E7%AB%99&size=large", Auth::None).await),
            ["C001"]
        );
        assert!(codes(&fx.get("/api/cabinets/?station=nowhere", Auth::None).await).is_empty());
        fail(&fx.get("/api/cabinets/?size=huge", Auth::None).await, 400, "参数错误");
        fail(&fx.get("/api/cabinets/?status=broken", Auth::None).await, 400, "参数错误");
        fail(&fx.get("/api/cabinets/?available=maybe", Auth::None).await, 400, "参数错误");

        // An order holds A001: in use, not available.
        let token = fx.register("testuser", "13900139000").await;
        fx.order(&token, "A001", 2.0).await;
        assert_eq!(codes(&fx.get("/api/cabinets/?status=in_use", Auth::None).await), ["A001"]);
        assert_eq!(codes(&fx.get("/api/cabinets/?available=true", Auth::None).await), ["A002", "B001", "C001"]);
        let got = fx.get("/api/cabinets/available/?size=small", Auth::None).await;
        let avail = ok(&got, 200, "success").as_array().unwrap().clone();
        avail.iter().for_each(assert_cabinet);
        assert_eq!(avail.len(), 1);
        assert_eq!((&avail[0]["cabinet_id"], &avail[0]["status_display"]), (&json!("A002"), &json!("空闲")));
        fail(&fx.get("/api/cabinets/available/?size=tiny", Auth::None).await, 400, "参数错误");

        // create: the seed's example, admin only.
        let example = json!({ "cabinet_id": "D001", "size": "large", "location": "南广场入口", "station": "汽车站", "price_per_hour": "5.00" });
        fail(&fx.post("/api/cabinets/create/", Auth::None, example.clone()).await, 401, "认证凭据未提供");
        fail(&fx.post("/api/cabinets/create/", Auth::Bearer(&token), example.clone()).await, 403, "无权限访问");
        let got = fx.post("/api/cabinets/create/", Auth::Bearer(&fx.admin), example.clone()).await;
        let d = ok(&got, 201, "创建成功");
        assert_eq!(keys(d), ["cabinet_id", "id", "location", "price_per_hour", "size", "station", "status"]);
        assert_eq!(
            (&d["id"], &d["cabinet_id"], &d["size"], &d["location"], &d["station"], &d["status"], &d["price_per_hour"]),
            (
                &json!(5),
                &json!("D001"),
                &json!("large"),
                &json!("南广场入口"),
                &json!("汽车站"),
                &json!("available"),
                &json!("5.00")
            )
        );
        fail(&fx.post("/api/cabinets/create/", Auth::Bearer(&fx.admin), example.clone()).await, 400, "参数错误");
        for (patch, field) in [
            (json!({ "size": "huge" }), "size"),
            (json!({ "price_per_hour": "-1" }), "price_per_hour"),
            (json!({ "price_per_hour": "1.234" }), "price_per_hour"),
            (json!({ "cabinet_id": "E 01" }), "cabinet_id"),
            (json!({ "station": 5 }), "station"),
        ] {
            let mut body = example.clone();
            body["cabinet_id"] = json!("E001");
            for (k, v) in patch.as_object().unwrap() {
                body[k] = v.clone();
            }
            let answer = fx.post("/api/cabinets/create/", Auth::Bearer(&fx.admin), body).await;
            let data = fail(&answer, 400, "参数错误");
            assert_eq!(data["field"], field);
        }
        let wired = json!({ "cabinet_id": "E001", "size": "small", "location": "x", "station": "汽车站", "price_per_hour": 4, "device_id": "ESP32_404" });
        fail(&fx.post("/api/cabinets/create/", Auth::Bearer(&fx.admin), wired).await, 404, "设备不存在");

        // detail.
        let got = fx.get("/api/cabinets/A002/", Auth::None).await;
        let c = ok(&got, 200, "success");
        let mut expected = [CABINET_KEYS.as_slice(), &["device_id", "is_locked"]].concat();
        expected.sort_unstable();
        assert_eq!(keys(c), expected);
        assert_eq!((&c["id"], &c["device_id"], &c["is_locked"]), (&json!(2), &json!("ESP32_001"), &json!(true)));
        assert_eq!(fx.get("/api/cabinets/D001/", Auth::None).await.1["data"]["device_id"], Value::Null);
        fail(&fx.get("/api/cabinets/Z999/", Auth::None).await, 404, "柜子不存在");

        // real-time status.
        let got = fx.get("/api/cabinets/A001/status/", Auth::None).await;
        let s = ok(&got, 200, "success");
        expected = vec!["cabinet_id", "id", "is_locked", "price_per_hour", "size", "status", "status_display"];
        assert_eq!(keys(s), expected);
        assert_eq!(
            (&s["id"], &s["status"], &s["status_display"], &s["price_per_hour"], &s["is_locked"]),
            (&json!(1), &json!("in_use"), &json!("使用中"), &json!("2.00"), &json!(true))
        );
        fail(&fx.get("/api/cabinets/Z999/status/", Auth::None).await, 404, "柜子不存在");
    }
}

#[tokio::test]
async fn orders_create_list_detail_pay_extend_cancel() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let token = fx.register("testuser", "13900139000").await;
        let other = fx.register("other", "13700137000").await;

        // create: the seed's example.
        let example = json!({ "cabinet_id": "A001", "duration_hours": 2 });
        fail(&fx.post("/api/orders/create/", Auth::None, example.clone()).await, 401, "认证凭据未提供");
        let got = fx.post("/api/orders/create/", Auth::Bearer(&token), example.clone()).await;
        let o = ok(&got, 201, "订单创建成功");
        assert_eq!(
            keys(o),
            [
                "cabinet_id",
                "cabinet_size",
                "duration_hours",
                "id",
                "order_no",
                "price_per_hour",
                "status",
                "status_display",
                "total_amount"
            ]
        );
        assert_eq!(
            (
                &o["cabinet_id"],
                &o["cabinet_size"],
                &o["status"],
                &o["status_display"],
                &o["duration_hours"],
                &o["price_per_hour"],
                &o["total_amount"]
            ),
            (
                &json!("A001"),
                &json!("small"),
                &json!("pending"),
                &json!("待支付"),
                &json!("2.00"),
                &json!("2.00"),
                &json!("4.00")
            )
        );
        let order_no = o["order_no"].as_str().unwrap();
        assert!(order_no.len() == 20 && order_no.starts_with('O') && order_no.ends_with('Z'), "{order_no}");
        let first = o["id"].as_i64().unwrap();
        fail(&fx.post("/api/orders/create/", Auth::Bearer(&other), example.clone()).await, 400, "柜子不可用");
        fail(
            &fx.post("/api/orders/create/", Auth::Bearer(&other), json!({ "cabinet_id": "Z999", "duration_hours": 1 }))
                .await,
            404,
            "柜子不存在",
        );
        for hours in [json!(0.25), json!(0), json!(-1), json!("abc"), json!(null)] {
            let answer = fx
                .post(
                    "/api/orders/create/",
                    Auth::Bearer(&other),
                    json!({ "cabinet_id": "A002", "duration_hours": hours }),
                )
                .await;
            let data = fail(&answer, 400, "参数错误");
            assert_eq!(data["field"], "duration_hours");
        }
        let half = fx
            .post("/api/orders/create/", Auth::Bearer(&other), json!({ "cabinet_id": "A002", "duration_hours": "0.5" }))
            .await;
        assert_eq!(ok(&half, 201, "订单创建成功")["total_amount"], "1.00");

        // my orders.
        let got = fx.get("/api/orders/my/", Auth::Bearer(&token)).await;
        let mine = ok(&got, 200, "success").as_array().unwrap().clone();
        assert_eq!(mine.len(), 1, "only the caller's orders");
        assert_eq!(
            keys(&mine[0]),
            [
                "cabinet_id",
                "created_at",
                "duration_hours",
                "end_time",
                "id",
                "order_no",
                "status",
                "status_display",
                "total_amount"
            ]
        );
        assert_eq!(
            (&mine[0]["id"], &mine[0]["end_time"], &mine[0]["total_amount"]),
            (&json!(first), &Value::Null, &json!("4.00"))
        );
        let created = mine[0]["created_at"].as_str().unwrap();
        assert!(chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%dT%H:%M:%S").is_ok(), "{created}");
        let answer = fx.get("/api/orders/my/?status=paid", Auth::Bearer(&token)).await;
        assert_eq!(ok(&answer, 200, "success"), &json!([]));
        fail(&fx.get("/api/orders/my/?status=lost", Auth::Bearer(&token)).await, 400, "参数错误");

        // detail.
        let got = fx.get(&format!("/api/orders/{first}/"), Auth::Bearer(&token)).await;
        let d = ok(&got, 200, "success");
        let detail_keys = [
            "cabinet_id",
            "cabinet_size",
            "duration_hours",
            "end_time",
            "id",
            "order_no",
            "pickup_code",
            "price_per_hour",
            "status",
            "status_display",
            "total_amount",
            "user_phone",
        ];
        assert_eq!(keys(d), detail_keys);
        assert_eq!(
            (&d["user_phone"], &d["pickup_code"], &d["order_no"]),
            (&json!("13900139000"), &Value::Null, &json!(order_no))
        );
        fail(&fx.get(&format!("/api/orders/{first}/"), Auth::Bearer(&other)).await, 404, "订单不存在");
        fail(&fx.get("/api/orders/987654/", Auth::Bearer(&token)).await, 404, "订单不存在");
        fail(&fx.get("/api/orders/abc/", Auth::Bearer(&token)).await, 404, "订单不存在");
        ok(&fx.get(&format!("/api/orders/{first}/"), Auth::Bearer(&fx.admin)).await, 200, "success");

        // pay: too little balance first, then the seed's example.
        let pay = json!({ "payment_method": "balance" });
        let path = format!("/api/orders/{first}/pay/");
        fx.set_balance("13900139000", 399).await;
        fail(&fx.post(&path, Auth::Bearer(&token), pay.clone()).await, 400, "余额不足");
        assert_eq!(fx.balance("13900139000").await, 399, "nothing taken");
        assert_eq!(fx.get(&format!("/api/orders/{first}/"), Auth::Bearer(&token)).await.1["data"]["status"], "pending");
        fx.set_balance("13900139000", 10_000).await;
        fail(&fx.post(&path, Auth::Bearer(&token), json!({ "payment_method": "bitcoin" })).await, 400, "参数错误");
        fail(&fx.post(&path, Auth::Bearer(&token), json!({})).await, 400, "参数错误");
        let answer = fx.post(&path, Auth::Bearer(&token), json!({ "payment_method": "wechat" })).await;
        let data = fail(&answer, 400, "支付方式暂不可用");
        assert!(data["detail"].as_str().unwrap().contains("not configured"), "{data}");
        assert_eq!(fx.balance("13900139000").await, 10_000);
        fail(&fx.post(&path, Auth::Bearer(&other), pay.clone()).await, 404, "订单不存在");
        let got = fx.post(&path, Auth::Bearer(&token), pay.clone()).await;
        let p = ok(&got, 200, "支付成功");
        assert_eq!(keys(p), ["id", "order_no", "pickup_code", "status", "status_display"]);
        assert_eq!(
            (&p["id"], &p["status"], &p["status_display"], &p["order_no"]),
            (&json!(first), &json!("paid"), &json!("已预约"), &json!(order_no))
        );
        let code = p["pickup_code"].as_str().unwrap().to_owned();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_eq!(fx.balance("13900139000").await, 10_000 - 400);
        let me = fx.get("/api/auth/me/", Auth::Bearer(&token)).await;
        assert_eq!(me.1["data"]["balance"], "96.00");
        fail(&fx.post(&path, Auth::Bearer(&token), pay.clone()).await, 400, "订单已支付或已取消");
        assert_eq!(fx.balance("13900139000").await, 9_600, "a second payment takes nothing");
        let got = fx.get(&format!("/api/orders/{first}/"), Auth::Bearer(&token)).await;
        let d = ok(&got, 200, "success");
        assert_eq!(
            (&d["status"], &d["status_display"], &d["pickup_code"]),
            (&json!("paid"), &json!("已预约"), &json!(code))
        );
        let end = chrono::NaiveDateTime::parse_from_str(d["end_time"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S").unwrap();

        // extend: the seed's example.
        let ext = format!("/api/orders/{first}/extend/");
        let got = fx.post(&ext, Auth::Bearer(&token), json!({ "additional_hours": 1 })).await;
        let e = ok(&got, 200, "续费成功");
        assert_eq!(keys(e), ["duration_hours", "end_time", "id", "total_amount"]);
        assert_eq!(
            (&e["id"], &e["duration_hours"], &e["total_amount"]),
            (&json!(first), &json!("3.00"), &json!("6.00"))
        );
        let new_end =
            chrono::NaiveDateTime::parse_from_str(e["end_time"].as_str().unwrap(), "%Y-%m-%dT%H:%M:%S").unwrap();
        assert_eq!(new_end - end, chrono::TimeDelta::hours(1));
        assert_eq!(fx.balance("13900139000").await, 9_400);
        fail(&fx.post(&ext, Auth::Bearer(&token), json!({ "additional_hours": 0.2 })).await, 400, "参数错误");
        fail(
            &fx.post(&ext, Auth::Bearer(&token), json!({ "additional_hours": 1, "payment_method": "alipay" })).await,
            400,
            "支付方式暂不可用",
        );
        fx.set_balance("13900139000", 0).await;
        fail(&fx.post(&ext, Auth::Bearer(&token), json!({ "additional_hours": 1 })).await, 400, "余额不足");
        let pending = ok(&half, 201, "订单创建成功")["id"].as_i64().unwrap();
        fail(
            &fx.post(&format!("/api/orders/{pending}/extend/"), Auth::Bearer(&other), json!({ "additional_hours": 1 }))
                .await,
            400,
            "订单状态不允许此操作",
        );

        // cancel: pending only.
        fail(
            &fx.post(&format!("/api/orders/{first}/cancel/"), Auth::Bearer(&token), json!({})).await,
            400,
            "只有待支付的订单可以取消",
        );
        let got = fx.post(&format!("/api/orders/{pending}/cancel/"), Auth::Bearer(&other), json!({})).await;
        let c = ok(&got, 200, "订单已取消");
        assert_eq!(keys(c), ["id", "status", "status_display"]);
        assert_eq!(
            (&c["id"], &c["status"], &c["status_display"]),
            (&json!(pending), &json!("cancelled"), &json!("已取消"))
        );
        fail(
            &fx.post(&format!("/api/orders/{pending}/cancel/"), Auth::Bearer(&other), json!({})).await,
            400,
            "只有待支付的订单可以取消",
        );
        assert_eq!(
            fx.get("/api/cabinets/A002/status/", Auth::None).await.1["data"]["status"],
            "available",
            "cancel frees the cabinet"
        );
        fail(
            &fx.post(&format!("/api/orders/{pending}/pay/"), Auth::Bearer(&other), pay).await,
            400,
            "订单已支付或已取消",
        );
    }
}

#[tokio::test]
async fn unpaid_orders_release_their_cabinet_after_15_minutes() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let token = fx.register("testuser", "13900139000").await;
        let other = fx.register("other", "13700137000").await;
        fx.set_balance("13900139000", 10_000).await;
        let stale = fx.order(&token, "A001", 1.0).await;
        fx.clock.advance(14 * 60);
        let body = json!({ "cabinet_id": "A001", "duration_hours": 1 });
        fail(&fx.post("/api/orders/create/", Auth::Bearer(&other), body.clone()).await, 400, "柜子不可用");
        fx.clock.advance(60);
        // Fifteen minutes unpaid: the cabinet goes to the next customer.
        let got = fx.post("/api/orders/create/", Auth::Bearer(&other), body).await;
        ok(&got, 201, "订单创建成功");
        let got = fx.get(&format!("/api/orders/{stale}/"), Auth::Bearer(&token)).await;
        assert_eq!(
            (&got.1["data"]["status"], &got.1["data"]["status_display"]),
            (&json!("cancelled"), &json!("已取消"))
        );
        let pay = json!({ "payment_method": "balance" });
        fail(
            &fx.post(&format!("/api/orders/{stale}/pay/"), Auth::Bearer(&token), pay).await,
            400,
            "订单已支付或已取消",
        );
        assert_eq!(fx.balance("13900139000").await, 10_000);
        // Looking at a stale order also frees its cabinet.
        let late = fx.order(&token, "A002", 1.0).await;
        fx.clock.advance(15 * 60);
        assert_eq!(
            fx.get(&format!("/api/orders/{late}/"), Auth::Bearer(&token)).await.1["data"]["status"],
            "cancelled"
        );
        assert_eq!(fx.get("/api/cabinets/A002/status/", Auth::None).await.1["data"]["status"], "available");
    }
}

#[tokio::test]
async fn devices_heartbeat_status_open_by_code_poll_and_logs() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let key = fx.device_key.clone();
        // heartbeat: the seed's example.
        let got = fx.post("/api/devices/heartbeat/", Auth::Key(&key), json!({ "battery_level": 85 })).await;
        let h = ok(&got, 200, "心跳接收成功");
        assert_eq!(h, &json!({ "device_id": "ESP32_001", "status": "online" }));
        fail(
            &fx.post("/api/devices/heartbeat/", Auth::None, json!({ "battery_level": 85 })).await,
            401,
            "认证凭据未提供",
        );
        fail(
            &fx.post("/api/devices/heartbeat/", Auth::Key("lk_wrong"), json!({ "battery_level": 85 })).await,
            401,
            "无效的API密钥",
        );
        for bad in [json!(150), json!(-1), json!("85"), json!(50.5)] {
            fail(
                &fx.post("/api/devices/heartbeat/", Auth::Key(&key), json!({ "battery_level": bad })).await,
                400,
                "参数错误",
            );
        }

        // status: the seed's example ({"A001": true, "A002": false}, true = closed).
        let got = fx
            .post(
                "/api/devices/status/",
                Auth::Key(&key),
                json!({ "cabinet_status": { "A001": true, "A002": false }, "battery_level": 80 }),
            )
            .await;
        assert_eq!(got.0, 200, "{}", got.1);
        assert_eq!(got.1, json!({ "code": 0, "message": "状态更新成功" }));
        assert_eq!(fx.get("/api/cabinets/A002/", Auth::None).await.1["data"]["is_locked"], false);
        assert_eq!(fx.get("/api/cabinets/A001/", Auth::None).await.1["data"]["is_locked"], true);
        fail(
            &fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "Z999": true } })).await,
            404,
            "柜子不存在",
        );
        fail(
            &fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "A001": "yes" } })).await,
            400,
            "参数错误",
        );
        fail(&fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": [] })).await, 400, "参数错误");
        fail(&fx.post("/api/devices/status/", Auth::None, json!({})).await, 401, "认证凭据未提供");
        fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "A002": true } })).await;

        // polling with nothing queued.
        let got = fx.get("/api/devices/ESP32_001/open/", Auth::Key(&key)).await;
        assert_eq!(ok(&got, 200, "无待执行指令"), &json!({ "command": "none" }));
        fail(&fx.get("/api/devices/ESP32_001/open/", Auth::None).await, 401, "认证凭据未提供");
        fail(&fx.get("/api/devices/ESP32_404/open/", Auth::Key(&key)).await, 404, "设备不存在");

        // open by code: the seed's example shape with a real order.
        let token = fx.register("testuser", "13900139000").await;
        fx.set_balance("13900139000", 10_000).await;
        let id = fx.order(&token, "B001", 4.0).await;
        let code = fx.pay(&token, id).await;
        let wrong = if code == "000000" { "000001" } else { "000000" };
        fail(&fx.open(&token, "B001", wrong).await, 400, "无效的取件码或订单已过期");
        fail(&fx.open(&token, "C001", &code).await, 400, "无效的取件码或订单已过期");
        fail(&fx.open(&token, "Z999", &code).await, 404, "柜子不存在");
        fail(
            &fx.post("/api/devices/open/by-code/", Auth::None, json!({ "cabinet_id": "B001", "pickup_code": code }))
                .await,
            401,
            "认证凭据未提供",
        );
        fail(
            &fx.post("/api/devices/open/by-code/", Auth::Bearer(&token), json!({ "cabinet_id": "B001" })).await,
            400,
            "参数错误",
        );
        let got = fx.open(&token, "B001", &code).await;
        let o = ok(&got, 200, "开柜成功");
        assert_eq!(o, &json!({ "cabinet_id": "B001", "action": "open", "order_id": id }));
        assert_eq!(fx.get(&format!("/api/orders/{id}/"), Auth::Bearer(&token)).await.1["data"]["status"], "in_use");

        // the controller takes the command once.
        let got = fx.get("/api/devices/ESP32_001/open/", Auth::Key(&key)).await;
        let cmd = ok(&got, 200, "有待执行指令");
        assert_eq!(keys(cmd), ["cabinet_id", "command", "timestamp"]);
        assert_eq!((&cmd["command"], &cmd["cabinet_id"]), (&json!("open_cabinet"), &json!("B001")));
        assert!(cmd["timestamp"].as_str().unwrap().ends_with("+00:00"));
        time(&cmd["timestamp"]);
        assert_eq!(fx.poll().await, None);

        // the door closes (in use), then the second opening ends the order.
        fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "B001": false } })).await;
        fx.post("/api/devices/status/", Auth::Key(&key), json!({ "cabinet_status": { "B001": true } })).await;
        let got = fx.open(&token, "B001", &code).await;
        ok(&got, 200, "开柜成功");
        assert_eq!(fx.get(&format!("/api/orders/{id}/"), Auth::Bearer(&token)).await.1["data"]["status"], "completed");
        assert_eq!(fx.get("/api/cabinets/B001/status/", Auth::None).await.1["data"]["status"], "available");
        assert_eq!(fx.poll().await.as_deref(), Some("B001"));
        fail(&fx.open(&token, "B001", &code).await, 400, "无效的取件码或订单已过期");

        // a cabinet without a controller is not sold, so nobody pays for a door that cannot
        // be opened (issue 17; seed001_money.rs tests it further).
        let got = fx.post("/api/cabinets/create/", Auth::Bearer(&fx.admin), json!({ "cabinet_id": "D001", "size": "large", "location": "南广场入口", "station": "汽车站", "price_per_hour": "5.00" })).await;
        ok(&got, 201, "创建成功");
        let balance = fx.balance("13900139000").await;
        let got = fx
            .post("/api/orders/create/", Auth::Bearer(&token), json!({ "cabinet_id": "D001", "duration_hours": 1 }))
            .await;
        fail(&got, 400, "柜子不可用");
        assert_eq!(fx.balance("13900139000").await, balance);

        // device logs (admin).
        let got = fx.get("/api/devices/ESP32_001/logs/", Auth::Bearer(&fx.admin)).await;
        let logs = ok(&got, 200, "success").as_array().unwrap().clone();
        assert!(logs.len() >= 5, "{logs:?}");
        for l in &logs {
            assert_eq!(keys(l), ["created_at", "data", "device_id", "id", "log_type", "message"]);
            assert_eq!(l["device_id"], "ESP32_001");
            assert!(l["created_at"].as_str().unwrap().ends_with("+08:00"));
        }
        assert!(logs.windows(2).all(|w| w[0]["id"].as_i64() > w[1]["id"].as_i64()), "newest first");
        let status = logs.iter().find(|l| l["log_type"] == "status").unwrap();
        assert_eq!(status["message"], "状态上报");
        assert!(status["data"]["cabinet_status"].is_object(), "{status}");
        assert!(logs.iter().any(|l| l["log_type"] == "heartbeat" && l["data"]["battery_level"] == 85));
        fail(&fx.get("/api/devices/ESP32_001/logs/", Auth::Bearer(&token)).await, 403, "无权限访问");
        fail(&fx.get("/api/devices/ESP32_404/logs/", Auth::Bearer(&fx.admin)).await, 404, "设备不存在");
        fail(&fx.get("/api/devices/ESP32_001/logs/", Auth::None).await, 401, "认证凭据未提供");
    }
}

#[tokio::test]
async fn admin_stats_revenue_orders_cabinets_devices_and_alerts() {
    for db in backends().await {
        let fx = Fx::new(db).await;
        let admin = fx.admin.clone();
        let token = fx.register("testuser", "13900139000").await;
        fx.set_balance("13900139000", 10_000).await;
        fx.order(&token, "A001", 2.0).await;
        let paid = fx.order(&token, "B001", 4.0).await;
        fx.pay(&token, paid).await;

        // non-admins are refused everywhere.
        for path in [
            "/api/admin/stats/",
            "/api/admin/revenue/",
            "/api/admin/orders/",
            "/api/admin/cabinets/",
            "/api/admin/devices/",
            "/api/admin/alerts/",
        ] {
            fail(&fx.get(path, Auth::Bearer(&token)).await, 403, "无权限访问");
            fail(&fx.get(path, Auth::None).await, 401, "认证凭据未提供");
        }

        // stats.
        let got = fx.get("/api/admin/stats/", Auth::Bearer(&admin)).await;
        let s = ok(&got, 200, "success");
        assert_eq!(keys(s), ["cabinets", "daily_orders", "devices", "orders", "overview", "peak_hours"]);
        assert_eq!(
            s["overview"],
            json!({ "total_users": 2, "total_orders": 2, "total_cabinets": 4, "total_devices": 1 })
        );
        assert_eq!(s["orders"], json!({ "total": 2, "completed": 0, "cancelled": 0, "total_amount": 16.0 }));
        assert_eq!(s["cabinets"], json!({ "total": 4, "available": 2, "in_use": 2, "maintenance": 0 }));
        assert_eq!(s["devices"], json!({ "total": 1, "online": 0, "offline": 1 }));
        assert_eq!(s["daily_orders"].as_array().unwrap().len(), 1);
        assert_eq!(keys(&s["daily_orders"][0]), ["count", "date"]);
        assert_eq!(s["daily_orders"][0]["count"], 2);
        assert_eq!(keys(&s["peak_hours"][0]), ["count", "hour"]);
        fail(&fx.get("/api/admin/stats/?days=0", Auth::Bearer(&admin)).await, 400, "参数错误");

        // revenue.
        let got = fx.get("/api/admin/revenue/", Auth::Bearer(&admin)).await;
        let r = ok(&got, 200, "success");
        assert_eq!(keys(r), ["average_order", "daily_revenue", "station_revenue", "total_orders", "total_revenue"]);
        assert_eq!(
            (&r["total_revenue"], &r["total_orders"], &r["average_order"]),
            (&json!(12.0), &json!(1), &json!(12.0))
        );
        assert_eq!(keys(&r["daily_revenue"][0]), ["date", "orders", "revenue"]);
        assert_eq!(r["station_revenue"], json!([{ "station": "火车站", "revenue": 12.0, "orders": 1 }]));
        fail(&fx.get("/api/admin/revenue/?days=x", Auth::Bearer(&admin)).await, 400, "参数错误");

        // all orders with filters and pagination.
        let got = fx.get("/api/admin/orders/?page_size=1", Auth::Bearer(&admin)).await;
        let o = ok(&got, 200, "success");
        assert_eq!(keys(o), ["page", "page_size", "results", "total"]);
        assert_eq!(
            (&o["total"], &o["page"], &o["page_size"], o["results"].as_array().unwrap().len()),
            (&json!(2), &json!(1), &json!(1), 1)
        );
        assert_eq!(o["results"][0]["user_phone"], "13900139000");
        let paid_only =
            fx.get("/api/admin/orders/?status=paid&station=%E7%81%AB%E8%BD%A6%E7%AB%99", Auth::Bearer(&admin)).await;
        assert_eq!(ok(&paid_only, 200, "success")["results"][0]["id"], paid);
        let today = seed001_today(&fx);
        let got = fx.get(&format!("/api/admin/orders/?from={today}&to={today}"), Auth::Bearer(&admin)).await;
        assert_eq!(ok(&got, 200, "success")["total"], 2);
        assert_eq!(
            ok(&fx.get("/api/admin/orders/?station=nowhere", Auth::Bearer(&admin)).await, 200, "success")["total"],
            0
        );
        for bad in ["status=lost", "from=19-01-2026", "page=0", "page_size=101"] {
            fail(&fx.get(&format!("/api/admin/orders/?{bad}"), Auth::Bearer(&admin)).await, 400, "参数错误");
        }

        // cabinets: list, and the seed's update example.
        let got = fx.get("/api/admin/cabinets/?size=large", Auth::Bearer(&admin)).await;
        assert_eq!(ok(&got, 200, "success").as_array().unwrap().len(), 1);
        let got = fx
            .call(
                "PUT",
                "/api/admin/cabinets/",
                Auth::Bearer(&admin),
                Some(&json!({ "cabinet_id": "C001", "price_per_hour": 6, "status": "available" })),
            )
            .await;
        assert_eq!(
            ok(&got, 200, "更新成功"),
            &json!({ "cabinet_id": "C001", "price_per_hour": "6.00", "status": "available" })
        );
        let fx_ref = &fx;
        let put = move |body: Value| async move {
            fx_ref.call("PUT", "/api/admin/cabinets/", Auth::Bearer(&fx_ref.admin), Some(&body)).await
        };
        fail(&put(json!({ "cabinet_id": "Z999", "status": "available" })).await, 404, "柜子不存在");
        fail(&put(json!({ "cabinet_id": "C001", "status": "in_use" })).await, 400, "参数错误");
        fail(&put(json!({ "cabinet_id": "C001", "price_per_hour": "abc" })).await, 400, "参数错误");
        fail(&put(json!({ "cabinet_id": "B001", "status": "maintenance" })).await, 400, "柜子不可用");
        let got = put(json!({ "cabinet_id": "C001", "status": "maintenance", "location": "出站口北" })).await;
        assert_eq!(ok(&got, 200, "更新成功")["status"], "maintenance");
        assert_eq!(fx.get("/api/cabinets/C001/", Auth::None).await.1["data"]["location"], "出站口北");

        // devices: list and the seed's update example.
        let got = fx.get("/api/admin/devices/", Auth::Bearer(&admin)).await;
        let d = &ok(&got, 200, "success")[0];
        assert_eq!(
            keys(d),
            ["battery_level", "device_id", "is_active", "last_heartbeat", "location", "name", "station", "status"]
        );
        let body = json!({ "device_id": "ESP32_001", "name": "火车站主柜控制器", "is_active": true });
        let got = fx.call("PUT", "/api/admin/devices/", Auth::Bearer(&admin), Some(&body)).await;
        let d = ok(&got, 200, "更新成功");
        assert_eq!(
            (&d["device_id"], &d["name"], &d["is_active"]),
            (&json!("ESP32_001"), &json!("火车站主柜控制器"), &json!(true))
        );
        let missing = json!({ "device_id": "ESP32_404", "is_active": false });
        fail(&fx.call("PUT", "/api/admin/devices/", Auth::Bearer(&admin), Some(&missing)).await, 404, "设备不存在");
        let bad = json!({ "device_id": "ESP32_001", "is_active": "yes" });
        fail(&fx.call("PUT", "/api/admin/devices/", Auth::Bearer(&admin), Some(&bad)).await, 400, "参数错误");

        // alerts: the device never beat (offline), low battery, maintenance, overdue.
        fx.post("/api/devices/heartbeat/", Auth::Key(&fx.device_key), json!({ "battery_level": 15 })).await;
        let kinds = |got: &(u16, Value)| -> Vec<String> {
            let data = ok(got, 200, "success");
            assert_eq!(keys(data), ["alerts", "total"]);
            assert_eq!(data["total"].as_u64().unwrap() as usize, data["alerts"].as_array().unwrap().len());
            data["alerts"].as_array().unwrap().iter().map(|a| a["type"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(
            kinds(&fx.get("/api/admin/alerts/", Auth::Bearer(&admin)).await),
            ["low_battery", "cabinet_maintenance"]
        );
        fx.clock.advance(11 * 60);
        let got = fx.get("/api/admin/alerts/", Auth::Bearer(&admin)).await;
        assert_eq!(kinds(&got), ["device_offline", "low_battery", "cabinet_maintenance"]);
        let offline = &got.1["data"]["alerts"][0];
        assert_eq!(keys(offline), ["created_at", "device_id", "level", "message", "station", "title", "type"]);
        assert_eq!(
            (&offline["level"], &offline["title"], &offline["device_id"], &offline["station"]),
            (&json!("warning"), &json!("设备离线"), &json!("ESP32_001"), &json!("火车站"))
        );
        assert_eq!(offline["message"], "设备 ESP32_001 (火车站) 已离线");
        assert!(offline["created_at"].as_str().unwrap().ends_with("+08:00"));
        assert_eq!(got.1["data"]["alerts"][2]["level"], "info");
        fx.clock.advance(4 * 3600);
        let got = fx.get("/api/admin/alerts/", Auth::Bearer(&admin)).await;
        assert_eq!(kinds(&got), ["device_offline", "low_battery", "order_overdue", "cabinet_maintenance"]);
        assert_eq!(got.1["data"]["alerts"][2]["order_id"], paid);
    }
}

/// Today's date in UTC+08:00 by the fixture's clock.
fn seed001_today(fx: &Fx) -> String {
    use locker_core::ports::Clock as _;
    fx.clock.now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive().to_string()
}
