//! Copies of every record, with the signed checkpoints, to syslog collectors over UDP and TCP
//! (RFC 5424 messages, octet-counted frames) and to the journal.

use std::time::Duration;

use harness::system::{LOCAL_PASSWORD, System};

use crate::client::{get, session_cookie};

use super::with_audit;

/// Whether a copy is a checkpoint rather than a chained record.
fn is_checkpoint(text: &str) -> bool {
    sso::audit::checkpoint::Checkpoint::find_in(text).is_some()
}

/// Read RFC 6587 octet-counted frames from a TCP stream until `n` records (and any
/// checkpoints among them) have come or 10 s pass.
fn read_frames(listener: &std::net::TcpListener, n: usize) -> Vec<String> {
    use std::io::Read as _;
    let (mut stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut buf = Vec::new();
    let mut frames: Vec<String> = Vec::new();
    while frames.iter().filter(|f| !is_checkpoint(f)).count() < n
        && std::time::Instant::now() < deadline
    {
        let mut chunk = [0u8; 65536];
        if let Ok(k) = stream.read(&mut chunk) {
            buf.extend_from_slice(&chunk[..k]);
        }
        while let Some(sp) = buf.iter().position(|b| *b == b' ') {
            let len: usize = std::str::from_utf8(&buf[..sp]).unwrap().parse().unwrap();
            if buf.len() < sp + 1 + len {
                break;
            }
            frames.push(String::from_utf8(buf[sp + 1..sp + 1 + len].to_vec()).unwrap());
            buf.drain(..sp + 1 + len);
        }
    }
    frames
}

/// The JSON record inside an RFC 5424 message, after checking its header.
fn syslog_record(msg: &str) -> serde_json::Value {
    let (header, json) = msg.split_once("\u{feff}").unwrap();
    let fields: Vec<&str> = header.split(' ').collect();
    // authpriv (10): info, notice or warning.
    assert!(["<86>1", "<85>1", "<84>1"].contains(&fields[0]), "{header}");
    assert!(fields[1].ends_with('Z'), "{header}");
    assert_eq!(fields[3], "yakuba-gateway");
    assert_eq!(fields[6], "[meta", "{header}");
    assert!(fields[7].starts_with("sequenceId=\""), "{header}");
    let record: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(fields[5], record["event"]["action"]);
    record
}

#[tokio::test]
async fn syslog_over_udp_and_tcp_and_the_journal_get_every_record() {
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let journal_dir = tempfile::tempdir().unwrap();
    let journal_path = journal_dir.path().join("journal.sock");
    let journal = std::os::unix::net::UnixDatagram::bind(&journal_path).unwrap();
    journal
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let sys = System::start(with_audit(&format!(
        "journald = true\njournald_socket = \"{}\"\n\
         [[audit.syslog]]\naddress = \"{}\"\ntransport = \"udp\"\n\
         [[audit.syslog]]\naddress = \"{}\"\ntransport = \"tcp\"\nhostname = \"gw-test\"\n",
        journal_path.display(),
        udp.local_addr().unwrap(),
        tcp.local_addr().unwrap()
    )))
    .unwrap();
    let cookie = session_cookie(&sys, "yamada", LOCAL_PASSWORD).await;
    assert_eq!(
        get(&sys, "/denkessai/copied", Some(&cookie)).await.status(),
        200
    );
    assert!(sys.audit_has(|r| r["path"] == "/denkessai/copied"));
    let written = sys.audit();
    let n = written.len();

    // Signed checkpoints travel with the records (not chained, so without a sequenceId).
    let (checkpoints, frames): (Vec<String>, Vec<String>) = read_frames(&tcp, n)
        .into_iter()
        .partition(|f| is_checkpoint(f));
    assert_eq!(frames.len(), n, "every record reaches the TCP collector");
    assert!(frames[0].contains(" gw-test yakuba-gateway "));
    assert!(
        !checkpoints.is_empty(),
        "the start's checkpoint reaches the collector"
    );
    assert!(
        checkpoints[0].contains(" audit - \u{feff}{"),
        "{}",
        checkpoints[0]
    );
    let mut udp_records = Vec::new();
    let mut buf = [0u8; 65536];
    while udp_records.len() < n {
        let k = udp.recv(&mut buf).unwrap();
        let text = std::str::from_utf8(&buf[..k]).unwrap();
        if !is_checkpoint(text) {
            udp_records.push(syslog_record(text));
        }
    }
    let mut journal_entries = Vec::new();
    let mut journal_checkpoints = 0;
    while journal_entries.len() < n {
        let k = journal.recv(&mut buf).unwrap();
        let entry = String::from_utf8(buf[..k].to_vec()).unwrap();
        if is_checkpoint(&entry) {
            journal_checkpoints += 1;
        } else {
            journal_entries.push(entry);
        }
    }
    assert!(journal_checkpoints > 0);
    for (i, record) in written.iter().enumerate() {
        let seq = &record["yakuba"]["chain"]["seq"];
        let from_tcp = syslog_record(&frames[i]);
        assert_eq!(&from_tcp["yakuba"]["chain"]["seq"], seq);
        assert_eq!(from_tcp["@timestamp"], record["@timestamp"]);
        assert_eq!(&udp_records[i]["yakuba"]["chain"]["seq"], seq);
        assert!(journal_entries[i].contains(&format!("YAKUBA_AUDIT_SEQ={seq}\n")));
        assert!(journal_entries[i].contains("SYSLOG_IDENTIFIER=yakuba-gateway-audit\n"));
    }
    assert!(frames.iter().any(|f| f.contains("/denkessai/copied")));
}
