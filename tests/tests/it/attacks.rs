//! The attack suite: path-normalisation, header-spoofing and request-smuggling requests, sent
//! byte for byte over TLS (HTTP client libraries would normalise them), each of which must be
//! refused or routed exactly where the policy judged it. yamada may open 電子決裁, never
//! 財務会計, and whatever reaches 電子決裁 carries his identity and nothing a client forged.
//!
//! Requests are templates: `{H}` is `Host` and yamada's `Cookie`, `{G}` / `{P}` a GET / POST
//! of /denkessai/_echo with them, `{C}` the cookie, `{S}` a request for 財務会計 smuggled
//! behind, `{n}` / `{x}` its length in decimal / hex, `{n5}` that plus 5.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

use crate::client::session_cookie;

/// Requests sent at once; each is bounded by [`CASE_DEADLINE`].
const BATCH: usize = 24;
const CASE_DEADLINE: Duration = Duration::from_secs(4);
/// Once bytes have arrived, this long without more ends the read (kept-alive connections).
const IDLE: Duration = Duration::from_millis(800);
/// Anything from 財務会計: its echo or its page.
const ZAIMU_MARKERS: [&str; 2] = ["\"system\":\"財務会計\"", "財務会計（サンプル"];
/// Header names whose values must never carry what a client sent.
const IDENTITY: &str = "x-remote-user x-remote-name x-remote-dept x-zaimu-user x-forwarded-for";

/// Ways to climb from a prefix (`/denkessai/` or `/`) to /zaimu/_echo, or to read it two
/// ways; separated by `|`.
const TRICKS: &[u8] =
    b"../zaimu/_echo|%2e%2e/zaimu/_echo|%2E%2e/zaimu/_echo|.%2e/zaimu/_echo|%2e./zaimu/_echo|\
    %252e%252e/zaimu/_echo|..%252fzaimu/_echo|%%32%65%%32%65/zaimu/_echo|..;/zaimu/_echo|\
    ;/../zaimu/_echo|..;jsessionid=1/zaimu/_echo|..%2fzaimu/_echo|..%2Fzaimu%2F_echo|\
    %2e%2e%2fzaimu%2f_echo|..%5czaimu%5c_echo|..\\zaimu\\_echo|..//zaimu/_echo|\
    .//./../zaimu/_echo|x/../../zaimu/_echo|%c0%ae%c0%ae/zaimu/_echo|\
    \xc0\xae\xc0\xae/zaimu/_echo|..%c0%afzaimu/_echo|..%e0%80%afzaimu/_echo|\
    %u002e%u002e/zaimu/_echo|..%00/zaimu/_echo|%00/../zaimu/_echo|..%0d%0a/zaimu/_echo|\
    ..\t/zaimu/_echo|.. /zaimu/_echo|%20../zaimu/_echo|\xef\xbc\x8e\xef\xbc\x8e/zaimu/_echo|\
    %EF%BC%8E%EF%BC%8E/zaimu/_echo|.../zaimu/_echo|../zaimu./_echo|../zaimu/_echo.|\
    ../zaimu/_echo/.|../%7aaimu/_echo|../ZAIMU/_echo|_echo#/../../zaimu/_echo|\
    _echo?/../../zaimu/_echo|_echo/..%2f..%2fzaimu/_echo";

/// Headers a client might forge an identity with.
const IDENTITY_NAMES: &str = "X-Remote-User X-Remote-Name X-Yakuba-User X-Yakuba-Assertion \
    X-Yakuba-Groups X-Forwarded-For Forwarded X-Zaimu-User";

/// Other request targets, each with the `Host` sent beside it; separated by `|`.
const TARGETS: &[u8] =
    b"https://localhost/zaimu/_echo localhost|https://localhost/zaimu/_echo evil.example|\
    https://evil.example/zaimu/_echo localhost|\
    https://localhost/denkessai/../zaimu/_echo localhost|\
    http://localhost/denkessai/_echo localhost|\
    https://localhost:443/zaimu/_echo localhost:443|\
    https://yamada@localhost/zaimu/_echo localhost|https:/zaimu/_echo localhost|\
    https:\\\\localhost\\zaimu/_echo localhost|foo://localhost/zaimu/_echo localhost|\
    localhost:443/zaimu/_echo localhost|x:/zaimu/_echo localhost|\
    //localhost/zaimu/_echo localhost|* localhost|/zaimu/_echo evil.example|\
    /zaimu localhost|/%7aaimu/_echo localhost|/zaimu/_echo#/../../denkessai/_echo localhost";

/// Header lines spoofing identity; `{N}` is the name, `{l}` it in lower case; separated by `|`.
const SPOOFS: &[u8] = b"{N}: spoofed-admin\r\n|{N} : spoofed-admin\r\n|\
    {N}\t: spoofed-admin\r\n|{N}: yamada\r\n spoofed-admin\r\n|\
    X-Note: a\r\n\t{N}: spoofed-admin\r\n|{N}: spoofed-admin\r\n{N}: spoofed-admin2\r\n|\
    {l}: spoofed-admin\r\n{N}: spoofed-admin2\r\n|{N}:spoofed-admin\r\n|\
    {N}: spoofed-admin\n|{N}: spoofed\radmin\r\n|{N}: \r\n|\
    {N}: spoofed-\xe5\xb1\xb1\xff\r\n|{N}\xc3\xa9: spoofed-admin\r\n|\
    {N}\x00: spoofed-admin\r\n";

/// More header lines: no name, no colon, and the gateway's cookies again; separated by `|`.
const HEADER_LINES: &[u8] = b": spoofed-admin\r\n|X-Remote-User spoofed-admin\r\n|\
    Cookie: __Host-yakuba_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n|\
    Cookie: {C}\r\n|Cookie: theme=dark; __Host-yakuba_login=x; __Host-yakuba_oidc=y\r\n|\
    Cookie: __host-yakuba_session=spoof; __Host-Yakuba_Session=spoof\r\n|\
    Cookie: a=1; {C}; __Host-yakuba_session=spoof\r\n|Cookie: x=\xff\r\n";

const SMUGGLING: &[&[u8]] = &[
    b"{P}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\nContent-Length: {n5}\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n{S}",
    b"{P}Content-Length: 0\r\nContent-Length: 0\r\n\r\n{S}",
    b"{P}Content-Length: 0\r\nContent-Length: {n}\r\n\r\n{S}",
    b"{P}Content-Length: {n}\r\nContent-Length: 0\r\n\r\n{S}",
    b"{P}Content-Length: 0, {n}\r\n\r\n{S}",
    b"{P}Content-Length: {n}, {n}\r\n\r\n{S}",
    b"{P}Content-Length: +{n}\r\n\r\n{S}",
    b"{P}Content-Length: 0{n}\r\n\r\n{S}",
    b"{P}Content-Length: {n} \r\n\r\n{S}",
    b"{P}Content-Length: -1\r\n\r\n{S}",
    b"{P}Content-Length: 0x10\r\n\r\n{S}",
    b"{P}Content-Length: 99999999999999999999999\r\n\r\n{S}",
    b"{P}Content_Length: {n}\r\n\r\n{S}",
    b"{P}Content-Length: {n}\r\n\r\n{S}",
    b"{P}Content-Length: 5\r\n\r\nhello{S}",
    b"{P}Expect: 100-continue\r\nContent-Length: {n}\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-encoding: xchunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer_Encoding: chunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: a\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n-1\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nhello\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n5\nhello\n0\n\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n{S}",
    b"{P}Transfer-Encoding: chunked\r\n\r\n{x}\r\n{S}\r\n0\r\n\r\n",
    b"{G}\r\n{S}",
    b"{G}Connection: keep-alive\r\n\r\n{S}",
    b"HEAD /denkessai/_echo HTTP/1.1\r\n{H}\r\n{S}",
    b"GET /denkessai/_echo HTTP/1.0\r\n{H}Connection: keep-alive\r\n\r\n{S}",
    b"GET /denkessai/_echo HTTP/1.0\r\n{H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{S}",
    b"POST /denkessai/_echo HTTP/1.0\r\n{H}Connection: keep-alive\r\nContent-Length: 5\r\n\r\nhello{S}",
    b"{G}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n{S}",
    b"{G}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n{S}",
    b"GET  /denkessai/_echo HTTP/1.1\r\n{H}\r\n{S}",
    b"GET /denkessai/_echo  HTTP/1.1\r\n{H}\r\n{S}",
    b"GET /denkessai/_echo HTTP/1.1 x\r\n{H}\r\n{S}",
    b"GET /denkessai/_echo HTTP/2.0\r\n{H}\r\n{S}",
    b"GET /denkessai/_echo\r\n{H}\r\n{S}",
    b"get /denkessai/_echo HTTP/1.1\r\n{H}\r\n{S}",
    b"G\0ET /denkessai/_echo HTTP/1.1\r\n{H}\r\n{S}",
    b"GET /zaimu/_echo HTTP/1.1/../../denkessai/_echo HTTP/1.1\r\n{H}\r\n{S}",
    b"GET https://evil.example/denkessai/_echo HTTP/1.1\r\n{H}\r\n{S}",
    b"GET https://localhost/denkessai/_echo HTTP/1.1\r\nHost: evil.example\r\nCookie: {C}\r\n\r\n{S}",
    b"{G}Host: evil.example\r\n\r\n{S}",
    b"{G}Host: localhost\r\n\r\n{S}",
    b"\r\n\r\n{G}\r\n{S}",
    b"GET /denkessai/_echo HTTP/1.1\r\nCookie: {C}\r\n\r\n{S}",
    b"GET /denkessai/_echo HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nCookie: {C}\r\n\r\n{S}",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Control,
    Path,
    Header,
    Smuggling,
}

struct Case {
    category: Category,
    raw: Vec<u8>,
    /// The first request is a HEAD: its response has no body.
    head: bool,
    /// For a control case: the statuses it must get, and the path each 200 must echo.
    expect: Option<(&'static [u16], Option<&'static str>)>,
}

fn case(category: Category, raw: Vec<u8>) -> Case {
    let (head, expect) = (raw.starts_with(b"HEAD "), None);
    Case {
        category,
        raw,
        head,
        expect,
    }
}

/// `template` with each `{name}` replaced by its value.
fn fill(template: &[u8], vars: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = template.to_vec();
    for (name, value) in vars {
        let key = format!("{{{name}}}").into_bytes();
        while let Some(at) = find(&out, &key) {
            out.splice(at..at + key.len(), value.iter().copied());
        }
    }
    out
}

fn all_cases(cookie: &str) -> Vec<Case> {
    let h = format!("Host: localhost\r\nCookie: {cookie}\r\n").into_bytes();
    let g = [&b"GET /denkessai/_echo HTTP/1.1\r\n"[..], &h].concat();
    let p = [&b"POST /denkessai/_echo HTTP/1.1\r\n"[..], &h].concat();
    let a = b"GET /denkessai/_echo HTTP/1.1\r\nHost: localhost\r\n";
    let base = [("G", &g[..]), ("P", &p[..]), ("H", &h[..]), ("A", a)];
    let end = [
        ("E", &b"Connection: close\r\n\r\n"[..]),
        ("C", cookie.as_bytes()),
    ];
    let std = |t: &[u8]| fill(t, &[&base[..], &end].concat());
    let echo = Some("/denkessai/_echo");
    let mut controls: Vec<(Vec<u8>, &'static [u16], _)> = vec![
        (std(b"{P}Content-Length: 0\r\n{E}"), &[200], echo),
        (
            std(b"HEAD /denkessai/_echo HTTP/1.1\r\n{H}{E}"),
            &[200],
            None,
        ),
        // Pingora serves one request of a connection that sent more behind it (no pipelining).
        (std(b"{G}\r\n{G}{E}"), &[200], echo),
        (std(b"{A}{E}"), &[401], None),
        (std(b"{A}Accept: text/html\r\n{E}"), &[302], None),
    ];
    for (target, statuses, path) in [
        ("/denkessai/_echo", &[200][..], echo),
        ("/denkessai//_echo", &[200], echo),
        ("/zaimu/../denkessai/_echo", &[200], echo),
        ("/denkessai/./x/../_echo", &[200], echo),
        ("/zaimu/_echo", &[403], None),
        ("/zaimu/", &[403], None),
    ] {
        let raw = std(format!("GET {target} HTTP/1.1\r\n{{H}}{{E}}").as_bytes());
        controls.push((raw, statuses, path));
    }
    let mut cases: Vec<Case> = controls
        .into_iter()
        .map(|(raw, statuses, path)| Case {
            expect: Some((statuses, path)),
            ..case(Category::Control, raw)
        })
        .collect();

    let mut targets: Vec<(Vec<u8>, &[u8])> = Vec::new();
    for prefix in [&b"/denkessai/"[..], b"/"] {
        let tricks = TRICKS.split(|&b| b == b'|');
        targets.extend(tricks.map(|t| ([prefix, t].concat(), &b"localhost"[..])));
    }
    for pair in TARGETS.split(|&b| b == b'|') {
        let at = pair.iter().rposition(|&b| b == b' ').unwrap();
        targets.push((pair[..at].to_vec(), &pair[at + 1..]));
    }
    let climb = |n: usize| format!("/denkessai/{}{}", "a/".repeat(n), "../".repeat(n + 1));
    let long = [climb(1000), climb(3000), climb(40_000), "/".repeat(5000)];
    targets.extend(long.map(|t| ((t + "zaimu/_echo").into_bytes(), &b"localhost"[..])));
    let mut path = Vec::new();
    for (target, host) in &targets {
        let post = b"POST {t} HTTP/1.1\r\nContent-Length: 0\r\n";
        for method in [&b"GET {t} HTTP/1.1\r\n"[..], b"HEAD {t} HTTP/1.1\r\n", post] {
            let raw = [method, b"Host: {h}\r\nCookie: {C}\r\n{E}"].concat();
            path.push(std(&fill(&raw, &[("t", target), ("h", host)])));
        }
    }

    let mut header = Vec::new();
    for name in IDENTITY_NAMES.split_whitespace() {
        let lower = name.to_ascii_lowercase();
        let mut mixed = lower.clone().into_bytes();
        mixed
            .iter_mut()
            .step_by(2)
            .for_each(|b| b.make_ascii_uppercase());
        let upper = name.to_ascii_uppercase().into_bytes();
        let under = name.replace('-', "_").into_bytes();
        let spoof = |n: &[u8]| [n, b": spoofed-admin\r\n"].concat();
        let mut lines = vec![
            spoof(lower.as_bytes()),
            spoof(&upper),
            spoof(&mixed),
            spoof(&under),
        ];
        let vars = [("N", name.as_bytes()), ("l", lower.as_bytes())];
        lines.extend(SPOOFS.split(|&b| b == b'|').map(|t| fill(t, &vars)));
        header.extend(
            lines
                .iter()
                .map(|line| std(&[b"{G}", &line[..], b"{E}"].concat())),
        );
    }
    let more = HEADER_LINES.split(|&b| b == b'|');
    header.extend(more.map(|line| std(&[b"{G}", line, b"{E}"].concat())));

    let mut smuggling = Vec::new();
    for second in ["/zaimu/_echo", "/denkessai/../zaimu/_echo"] {
        let s = std(format!("GET {second} HTTP/1.1\r\n{{H}}{{E}}").as_bytes());
        let n = s.len().to_string().into_bytes();
        let n5 = (s.len() + 5).to_string().into_bytes();
        let x = format!("{:x}", s.len()).into_bytes();
        let vars = [("S", &s[..]), ("n5", &n5[..]), ("n", &n[..]), ("x", &x[..])];
        smuggling.extend(SMUGGLING.iter().map(|t| std(&fill(t, &vars))));
        smuggling.push(s.to_ascii_lowercase());
        smuggling.push(s.iter().copied().filter(|&b| b != b'\r').collect());
    }
    for (category, raws) in [
        (Category::Path, path),
        (Category::Header, header),
        (Category::Smuggling, smuggling),
    ] {
        cases.extend(raws.into_iter().map(|raw| case(category, raw)));
    }
    cases
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every HTTP/1 response in `data`, in order.
fn parse_responses(mut data: &[u8], first_is_head: bool) -> Result<Vec<Response>, String> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let end = find(data, b"\r\n\r\n").ok_or("truncated response head")?;
        let head = String::from_utf8_lossy(&data[..end]).into_owned();
        data = &data[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line
            .strip_prefix("HTTP/1.")
            .and_then(|rest| rest.split(' ').nth(1))
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| format!("not a status line: {status_line:?}"))?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if matches!(status, 100..=199 | 204 | 304) || (out.is_empty() && first_is_head) {
            // Nothing follows the head.
        } else if resp
            .header("transfer-encoding")
            .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let line_end = find(data, b"\r\n").ok_or("truncated chunk size")?;
                let size_text = String::from_utf8_lossy(&data[..line_end]);
                let size = usize::from_str_radix(size_text.split(';').next().unwrap_or(""), 16)
                    .map_err(|_| format!("bad chunk size {size_text:?}"))?;
                data = &data[line_end + 2..];
                if size == 0 {
                    // An empty line, or trailer fields and then one, ends the body.
                    let trailers = find(data, b"\r\n\r\n").map_or(data.len(), |i| i + 4);
                    data = &data[if data.starts_with(b"\r\n") {
                        2
                    } else {
                        trailers
                    }..];
                    break;
                }
                let take = size.min(data.len());
                resp.body.extend_from_slice(&data[..take]);
                data = &data[(take + 2).min(data.len())..];
            }
        } else if let Some(len) = resp.header("content-length") {
            let len: usize = len.parse().map_err(|_| "bad content-length")?;
            let take = len.min(data.len());
            resp.body = data[..take].to_vec();
            data = &data[take..];
        } else {
            resp.body = data.to_vec();
            data = &[];
        }
        out.push(resp);
    }
    Ok(out)
}

fn connector(sys: &System) -> TlsConnector {
    let pem = std::fs::read(sys.data_dir().join("tls/cert.pem")).unwrap();
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// Send `raw` exactly and read until the server closes, stays quiet for [`IDLE`], or the
/// case's deadline passes.
async fn exchange(tls: TlsConnector, addr: SocketAddr, raw: Vec<u8>) -> Vec<u8> {
    let deadline = Instant::now() + CASE_DEADLINE;
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut stream = tokio::time::timeout(CASE_DEADLINE, tls.connect(name, tcp))
        .await
        .expect("TLS handshake in time")
        .expect("TLS handshake");
    // The server may close before reading everything (a refused request): keep reading.
    let _ = stream.write_all(&raw).await;
    let _ = stream.flush().await;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let wait = if out.is_empty() { left } else { left.min(IDLE) };
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    out
}

/// A 200 must come from 電子決裁, for a path under /denkessai/, with yamada's identity only:
/// its echo (JSON) or, for a path not ending in `/_echo`, its page (HTML).
fn check_routed(resp: &Response, secret: &str) -> Result<Option<String>, String> {
    let text = String::from_utf8_lossy(&resp.body);
    if text.contains(secret) {
        return Err("the session id reached the upstream".into());
    }
    if text.starts_with("<!DOCTYPE html>") {
        let ok = text.contains("<title>電子決裁</title>")
            && text.contains("要求パス: <code>/denkessai/")
            && text.contains("<th>x-remote-user</th><td><code>yamada</code>")
            && !text.contains("spoof");
        return if ok {
            Ok(None)
        } else {
            Err("a 200 page that is not 電子決裁's for yamada".into())
        };
    }
    let echo: serde_json::Value =
        serde_json::from_slice(&resp.body).map_err(|_| "a 200 that is not an echo".to_owned())?;
    if echo["system"] != "電子決裁" {
        return Err(format!("a 200 from {}", echo["system"]));
    }
    let path = echo["path"].as_str().unwrap_or_default();
    if !path.starts_with("/denkessai/") {
        return Err(format!("電子決裁 served the path {path:?}"));
    }
    let headers = echo["headers"].as_object().ok_or("echo without headers")?;
    if headers.get("x-remote-user") != Some(&serde_json::json!(["yamada"])) {
        return Err(format!("x-remote-user is {:?}", headers["x-remote-user"]));
    }
    for (name, values) in headers {
        let folded = name.to_ascii_lowercase().replace('_', "-");
        let text = values.to_string();
        if folded.starts_with("x-yakuba") {
            return Err(format!("{name} reached the upstream: {text}"));
        }
        if IDENTITY.split(' ').any(|n| n == folded) && text.contains("spoof") {
            return Err(format!("{name} carried a forged value: {text}"));
        }
        if folded == "cookie" && text.contains("__Host-yakuba") {
            return Err(format!("a gateway cookie reached the upstream: {text}"));
        }
    }
    Ok(Some(path.to_owned()))
}

/// Whether the case reached 電子決裁 (else it was refused), or how it broke the property.
fn judge(case: &Case, bytes: &[u8], secret: &str) -> Result<bool, String> {
    let text = String::from_utf8_lossy(bytes);
    if let Some(m) = ZAIMU_MARKERS.iter().find(|m| text.contains(*m)) {
        return Err(format!("財務会計 answered ({m})"));
    }
    let responses = parse_responses(bytes, case.head)?;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    if let Some((expected, _)) = case.expect
        && statuses != expected
    {
        return Err(format!("control expected {expected:?}, got {statuses:?}"));
    }
    let mut routed = false;
    for (i, resp) in responses.iter().enumerate() {
        match resp.status {
            100..=199 | 400..=499 => {}
            200 if case.head && i == 0 => routed = true,
            200 => {
                let path = check_routed(resp, secret)?;
                if let Some((_, Some(want))) = case.expect
                    && path.as_deref() != Some(want)
                {
                    return Err(format!("control expected path {want}, got {path:?}"));
                }
                routed = true;
            }
            300..=399 => {
                let location = resp.header("location").unwrap_or_default();
                if !location.starts_with("/.yakuba/login") {
                    return Err(format!("{} redirect to {location:?}", resp.status));
                }
            }
            status => return Err(format!("status {status}")),
        }
    }
    Ok(routed)
}

fn shorten(bytes: &[u8]) -> String {
    let text = bytes.escape_ascii().to_string();
    match text.char_indices().nth(400) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], bytes.len()),
        None => text,
    }
}

#[test]
fn several_responses_in_one_stream_are_all_parsed() {
    let stream = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 403 Forbidden\r\n\
        Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nHTTP/1.0 502 Bad Gateway\r\n\r\nx";
    let got = parse_responses(stream, false).unwrap();
    let got: Vec<(u16, &[u8])> = got.iter().map(|r| (r.status, &r.body[..])).collect();
    assert_eq!(got, [(200, &b"hi"[..]), (403, b"abc"), (502, b"x")]);
}

#[tokio::test]
async fn attacks_are_refused_or_routed_where_the_policy_judged() {
    let sys = System::start(SystemOptions::default()).unwrap();
    // yamada may open 電子決裁 but not 財務会計 (he is in neither zaimu-users nor all-staff).
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let secret = cookie.split_once('=').unwrap().1.to_owned();
    let mut cases = all_cases(&cookie);
    let mut seen = HashSet::new();
    cases.retain(|c| seen.insert(c.raw.clone()));
    let controls = cases.iter().filter(|c| c.expect.is_some()).count();
    let (total, attacks) = (cases.len(), cases.len() - controls);
    println!("{total} distinct requests, {attacks} of them attacks");
    assert!(attacks >= 200, "only {attacks} attack cases");

    let (tls, addr, started) = (connector(&sys), sys.https, Instant::now());
    let mut answers = Vec::with_capacity(cases.len());
    for batch in cases.chunks(BATCH) {
        let mut set = tokio::task::JoinSet::new();
        for (i, c) in batch.iter().enumerate() {
            let (tls, raw) = (tls.clone(), c.raw.clone());
            set.spawn(async move { (i, exchange(tls, addr, raw).await) });
        }
        let mut got = set.join_all().await;
        got.sort_by_key(|(i, _)| *i);
        answers.extend(got.into_iter().map(|(_, bytes)| bytes));
    }
    println!("sent in {:?}", started.elapsed());

    let verbose = std::env::var_os("ATTACKS_VERBOSE").is_some();
    let mut violations = Vec::new();
    let mut tally = [(0, 0); 4];
    for (c, bytes) in cases.iter().zip(&answers) {
        if verbose {
            let line = bytes.split(|&b| b == b'\r').next().unwrap_or_default();
            let (raw, line) = (shorten(&c.raw), line.escape_ascii());
            println!("{:?} {raw} => {line}", c.category);
        }
        let row = &mut tally[c.category as usize];
        match judge(c, bytes, &secret) {
            Ok(false) => row.0 += 1,
            Ok(true) => row.1 += 1,
            Err(why) => violations.push(format!(
                "{:?}: {why}\n  request: {}\n  response: {}",
                c.category,
                shorten(&c.raw),
                shorten(bytes)
            )),
        }
    }
    for (category, (refused, routed)) in
        ["Control", "Path", "Header", "Smuggling"].iter().zip(tally)
    {
        let total = refused + routed;
        println!("{category}: {total} cases, {refused} refused, {routed} routed");
    }
    assert!(
        violations.is_empty(),
        "{} violations:\n{}",
        violations.len(),
        violations.join("\n")
    );
    let health = crate::client::get(&sys, "/healthz", None).await;
    assert_eq!(health.status(), 200, "the gateway still serves");
}
