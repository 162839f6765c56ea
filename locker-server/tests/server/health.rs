//! The router answers over a real TCP socket (raw HTTP/1.1, no client library).

use crate::support;

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn health_and_unknown_routes_over_http() {
    let s = support::start(support::Backend::Sqlite).await;
    let res = get(s.addr, "/health").await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.contains(r#""status":"ok""#), "{res}");
    assert!(res.to_ascii_lowercase().contains("x-request-id:"), "{res}");

    let res = get(s.addr, "/api/v1/nope").await;
    assert!(res.starts_with("HTTP/1.1 404"), "{res}");
    assert!(res.contains(r#""success":false"#) && res.contains(r#""code":"NOT_FOUND""#), "{res}");
}
