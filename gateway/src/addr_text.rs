//! Addresses as text without `core::fmt`: the client and upstream addresses are written into
//! headers and audit records on every request, and the formatting machinery costs several
//! times what the few digits need.

use std::net::{IpAddr, SocketAddr};

/// The usual text of `ip` (dotted quad for IPv4, RFC 5952 for IPv6).
pub fn ip(ip: IpAddr) -> String {
    let mut text = String::with_capacity(15);
    push_ip(&mut text, ip);
    text
}

/// The usual text of `addr`: `a.b.c.d:port` or `[v6]:port`.
pub fn socket(addr: SocketAddr) -> String {
    let mut text = String::with_capacity(21);
    match addr.ip() {
        IpAddr::V4(_) => push_ip(&mut text, addr.ip()),
        IpAddr::V6(_) => {
            text.push('[');
            push_ip(&mut text, addr.ip());
            text.push(']');
        }
    }
    text.push(':');
    push_decimal(&mut text, u32::from(addr.port()));
    text
}

fn push_ip(text: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    text.push('.');
                }
                push_decimal(text, u32::from(octet));
            }
        }
        // Rare on a city network and subtle to compress correctly: leave it to the library.
        IpAddr::V6(v6) => text.push_str(&v6.to_string()),
    }
}

fn push_decimal(text: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        text.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_the_standard_library_writes_them() {
        let cases = [
            "0.0.0.0:0",
            "127.0.0.1:8443",
            "10.20.255.9:65535",
            "255.255.255.255:1",
            "[::1]:443",
            "[2001:db8::7:1]:8080",
            "[::ffff:192.0.2.1]:80",
        ];
        for case in cases {
            let addr: SocketAddr = case.parse().unwrap();
            assert_eq!(socket(addr), addr.to_string(), "{case}");
            assert_eq!(ip(addr.ip()), addr.ip().to_string(), "{case}");
        }
    }
}
