//! The ceiling of the HTTP stack for `benches/http.sh`: a bare axum server that answers
//! `GET /api/v1/lockers` with a fixed JSON body (the real server's answer, captured by the
//! script), with no authentication, database or locker code behind it.
//!
//! `http_ceiling LISTEN_ADDR BODY.json` prints `listening on http://ADDR` once bound.

use std::io::Write as _;

use anyhow::Context as _;
use axum::Router;
use axum::http::header;
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(listen), Some(body_file)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: http_ceiling LISTEN_ADDR BODY.json");
    };
    let body = axum::body::Bytes::from(std::fs::read(&body_file).with_context(|| format!("Cannot read {body_file}"))?);
    let app = Router::new().route(
        "/api/v1/lockers",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener =
        tokio::net::TcpListener::bind(&listen).await.with_context(|| format!("Cannot listen on {listen}"))?;
    println!("listening on http://{}", listener.local_addr()?);
    std::io::stdout().flush()?;
    axum::serve(listener, app).await?;
    Ok(())
}
