//! The plain-HTTP listener: it proxies nothing and answers every request with a permanent
//! redirect to the same path over HTTPS.

use async_trait::async_trait;
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::proxy::{ProxyHttp, Session};

use crate::request::host_of;
use crate::routing::RequestPath;

/// The plain-HTTP listener: every request is sent to HTTPS.
pub struct RedirectToHttps {
    /// The HTTPS port browsers should use.
    pub https_port: u16,
}

#[async_trait]
impl ProxyHttp for RedirectToHttps {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn request_filter(&self, session: &mut Session, _ctx: &mut ()) -> Result<bool> {
        let req = session.req_header();
        let host = host_of(req).unwrap_or_else(|| "localhost".to_owned());
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let path = match RequestPath::parse(req.uri.path()) {
            Ok(_) => req
                .uri
                .path_and_query()
                .map_or("/", |pq| pq.as_str())
                .to_owned(),
            Err(_) => "/".to_owned(),
        };
        let location = if self.https_port == 443 {
            format!("https://{host}{path}")
        } else {
            format!("https://{host}:{}{path}", self.https_port)
        };
        let mut resp = ResponseHeader::build(308, Some(2))?;
        resp.insert_header("location", location)?;
        resp.insert_header("content-length", "0")?;
        session.write_response_header(Box::new(resp), true).await?;
        Ok(true)
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Err(Error::explain(
            ErrorType::InternalError,
            "the HTTP listener never proxies",
        ))
    }
}
