//! A stand-in for a legacy business system (電子決裁, 財務会計): it shows the identity the
//! gateway injected, so demos and tests can see what an upstream receives. Not product code.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Json, Response};
use clap::Parser;

/// Command line.
#[derive(Parser, Clone)]
struct Args {
    /// Address to listen on (loopback only in tests and demos).
    #[arg(long)]
    listen: SocketAddr,
    /// The system's Japanese name, shown on its page.
    #[arg(long)]
    name: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn decoded(name: &str, value: &str) -> String {
    let percent = percent_encoding::percent_decode_str(value)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_default();
    if name.contains("name") && !value.contains('%') {
        use base64::Engine as _;
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value)
            && let Ok(text) = String::from_utf8(bytes)
        {
            return text;
        }
    }
    percent
}

/// `…/_ws`: a WebSocket that answers every text message with `<X-Remote-User>: <message>`,
/// as a chat server behind the gateway would know its user.
async fn websocket(ws: axum::extract::ws::WebSocketUpgrade, headers: HeaderMap) -> Response {
    use axum::extract::ws::Message;
    let user = headers
        .get("x-remote-user")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("?")
        .to_owned();
    ws.on_upgrade(move |mut socket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            if let Message::Text(text) = message {
                let reply = format!("{user}: {}", text.as_str());
                if socket.send(Message::Text(reply.into())).await.is_err() {
                    break;
                }
            }
        }
    })
}

async fn handle(State(args): State<Args>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let headers: &HeaderMap = request.headers();
    // A system that believes it owns the whole site: it redirects to its own root-relative
    // and absolute URLs and sets cookies for `/`.
    if path.ends_with("/_login_done") {
        let host = headers
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
            .to_owned();
        let absolute = path.ends_with("/abs/_login_done");
        let location = if absolute {
            format!("http://{host}/menu/top")
        } else {
            "/menu/top".to_owned()
        };
        return Response::builder()
            .status(302)
            .header("location", location)
            .header("set-cookie", "LEGACYSESSION=abc; Path=/; HttpOnly")
            .header("set-cookie", "PREF=ja; path=/menu")
            .header("set-cookie", "NOPATH=1")
            .body(axum::body::Body::empty())
            .map_or_else(|_| ().into_response(), IntoResponse::into_response);
    }
    // `…/_slow?ms=N`: answer after N milliseconds, as a heavy report in an old system does.
    if path.ends_with("/_slow") {
        let ms: u64 = request
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("ms="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        tokio::time::sleep(std::time::Duration::from_millis(ms.min(60_000))).await;
        return Html(format!("slow page after {ms} ms")).into_response();
    }
    if path.ends_with("/_echo") {
        let mut map = serde_json::Map::new();
        // The bytes exactly as received, for values that are not UTF-8 (Shift_JIS).
        let mut raw = serde_json::Map::new();
        for name in headers.keys() {
            let bytes: Vec<serde_json::Value> = headers
                .get_all(name)
                .iter()
                .map(|v| serde_json::Value::String(BASE64.encode(v.as_bytes())))
                .collect();
            raw.insert(name.as_str().to_owned(), serde_json::Value::Array(bytes));
            let values: Vec<serde_json::Value> = headers
                .get_all(name)
                .iter()
                .map(|v| {
                    serde_json::Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned())
                })
                .collect();
            map.insert(name.as_str().to_owned(), serde_json::Value::Array(values));
        }
        return Json(serde_json::json!({
            "system": args.name, "path": path, "headers": map, "raw": raw
        }))
        .into_response();
    }
    let mut rows = String::new();
    for (name, value) in headers {
        let n = name.as_str();
        if n.starts_with("x-remote") || n.starts_with("x-zaimu") || n.starts_with("x-forwarded") {
            let raw = String::from_utf8_lossy(value.as_bytes()).into_owned();
            rows.push_str(&format!(
                "<tr><th>{}</th><td><code>{}</code></td><td>{}</td></tr>",
                escape(n),
                escape(&raw),
                escape(&decoded(n, &raw))
            ));
        }
    }
    Html(format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{name}</title>\
         <style>body{{font-family:sans-serif;margin:2rem;background:#fffbea}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}</style></head><body>\
         <h1>{name}（サンプル業務システム）</h1><p>ゲートウェイから受け取った利用者情報:</p>\
         <table><tr><th>ヘッダー</th><th>受信値</th><th>復号</th></tr>{rows}</table>\
         <p>要求パス: <code>{path}</code></p><p><a href=\"/\">ポータルへ戻る</a></p></body></html>",
        name = escape(&args.name),
        path = escape(&path),
    ))
    .into_response()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let app = Router::new()
        .route("/denkessai/_ws", axum::routing::get(websocket))
        .route("/_ws", axum::routing::get(websocket))
        .fallback(handle)
        .with_state(args.clone());
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
