//! A bare Pingora reverse proxy with TLS and nothing else: the floor that `bench/run.sh`
//! measures beside the gateway and nginx, so the cost of the gateway's own work (sessions,
//! identity, audit) can be told apart from the framework's. Not shipped.
//!
//! Usage: bare_proxy LISTEN CERT KEY UPSTREAM (CERT `-` for plain HTTP)

use async_trait::async_trait;
use pingora::listeners::tls::TlsSettings;
use pingora::prelude::*;
use pingora::proxy::{ProxyHttp, Session};
use pingora::server::configuration::ServerConf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Bare {
    upstream: std::net::SocketAddr,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(
        args.len() == 5,
        "usage: bare_proxy LISTEN CERT KEY UPSTREAM"
    );
    let conf = ServerConf {
        threads: 1,
        // BARE_WORK_STEALING=1 compares tokio's multi-thread scheduler with Pingora's
        // per-thread current-thread runtimes.
        work_stealing: std::env::var_os("BARE_WORK_STEALING").is_some(),
        ..ServerConf::default()
    };
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut service = pingora::proxy::http_proxy_service(
        &server.configuration,
        Bare {
            upstream: args[4].parse()?,
        },
    );
    if args[2] == "-" {
        // Plain HTTP, to tell TLS costs apart from the proxy's.
        service.add_tcp(&args[1]);
    } else {
        let tls =
            TlsSettings::intermediate(&args[2], &args[3]).map_err(|e| anyhow::anyhow!("{e}"))?;
        service.add_tls_with_settings(&args[1], None, tls);
    }
    server.add_service(service);
    server.run_forever()
}
