//! Writing the gateway's own answers through Pingora, and reading the form bodies its
//! endpoints take.

use bytes::Bytes;
use pingora::http::ResponseHeader;
use pingora::prelude::*;
use pingora::proxy::Session;

use super::{Ctx, Proxy, Step};
use crate::audit::Decision;
use crate::endpoints::Reply;

impl Proxy {
    /// The one place a decision becomes Pingora calls.
    pub(super) async fn apply(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
        step: Step,
    ) -> Result<bool> {
        match step {
            Step::Forward => Ok(false),
            Step::Reply(reply) => {
                ctx.decision = reply.decision;
                ctx.reason = reply.reason;
                if reply.user.is_some() {
                    ctx.user = reply.user.clone();
                }
                if reply.session.is_some() {
                    ctx.session_key = reply.session.clone();
                }
                let mut resp = ResponseHeader::build(reply.status, Some(reply.headers.len() + 4))?;
                for (name, value) in &reply.headers {
                    resp.append_header(*name, value.as_str())?;
                }
                for (name, value) in crate::response::SECURITY_HEADERS {
                    resp.insert_header(name, value)?;
                }
                resp.insert_header("x-frame-options", "DENY")?;
                resp.insert_header("content-length", reply.body.len().to_string())?;
                let head_only = session.req_header().method == http::Method::HEAD;
                let no_body = reply.body.is_empty() || head_only;
                session
                    .write_response_header(Box::new(resp), no_body)
                    .await?;
                if !no_body {
                    session.write_response_body(Some(reply.body), true).await?;
                }
                Ok(true)
            }
        }
    }
}

/// Read a request body of at most `limit` bytes, or the reply that refuses it.
pub(super) async fn read_body(
    session: &mut Session,
    limit: usize,
) -> std::result::Result<Bytes, Reply> {
    let mut body = Vec::new();
    loop {
        match session.read_request_body().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Err(Reply::text(
                        413,
                        "request body too large\n",
                        Decision::Deny,
                        "body_too_large",
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(Bytes::from(body)),
            Err(_) => {
                return Err(Reply::text(
                    400,
                    "unreadable request body\n",
                    Decision::Deny,
                    "body_unreadable",
                ));
            }
        }
    }
}
