//! WebSocket pass-through on an authenticated route (the business chat will need it): the
//! upgrade goes through with the gateway's identity, and not without a session.

use futures_util::{SinkExt as _, StreamExt as _};
use harness::system::{LOCAL_PASSWORD, System, SystemOptions};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::client::session_cookie;

/// A TLS connection to the gateway speaking HTTP/1.1 (WebSocket upgrades are HTTP/1.1).
async fn tls(sys: &System) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = sys.certificate().unwrap();
    for cert in rustls_pemfile_certs(&pem) {
        roots.add(cert).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(sys.https).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    connector.connect(name, tcp).await.unwrap()
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject as _;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem)
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn a_websocket_passes_through_with_the_users_identity_and_not_without_a_session() {
    let sys = System::start(SystemOptions::default()).unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    let url = format!("wss://localhost:{}/denkessai/_ws", sys.https.port());

    let mut request = url.as_str().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::client_async(request, tls(&sys).await)
        .await
        .expect("the upgrade goes through the gateway");
    assert_eq!(response.status(), 101);
    for text in ["おはようございます", "会議室は3階です"] {
        socket.send(Message::text(text)).await.unwrap();
        let reply = socket.next().await.unwrap().unwrap();
        assert_eq!(
            reply.into_text().unwrap().as_str(),
            format!("yamada: {text}")
        );
    }
    socket.close(None).await.unwrap();

    // Without a session there is no upgrade.
    let request = url.as_str().into_client_request().unwrap();
    let refused = tokio_tungstenite::client_async(request, tls(&sys).await).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert!(
                matches!(resp.status().as_u16(), 401 | 302),
                "{}",
                resp.status()
            );
        }
        other => panic!("an anonymous upgrade was not refused: {other:?}"),
    }
}
