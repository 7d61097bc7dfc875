//! Reading a legacy system's response body: undoing its content codings within a size limit,
//! and finding the charset its HTML is written in.

use std::borrow::Cow;
use std::io::Read;

use encoding_rs::Encoding;
use flate2::read::{DeflateDecoder, MultiGzDecoder, ZlibDecoder};

use super::FormLoginError;

/// How many bytes at the start of a page are searched for a `<meta>` charset, as browsers do.
const META_PRESCAN: usize = 1024;

/// Buffer size of the brotli decoder.
const BROTLI_BUFFER: usize = 8 * 1024;

/// Decode a body per its Content-Encoding header value.
///
/// Knows `gzip` (and `x-gzip`), `deflate` (zlib-wrapped as the RFC says, and raw deflate as
/// some servers send it), `br` and `identity`. A value listing several codings names them in
/// the order they were applied, so they are undone in reverse. An unknown coding, corrupt data
/// or an output larger than `limit` bytes (at any step: decompression bombs) is an error.
pub fn decompress(
    content_encoding: Option<&str>,
    body: &[u8],
    limit: usize,
) -> Result<Vec<u8>, FormLoginError> {
    let codings: Vec<Coding> = content_encoding
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|coding| !coding.is_empty())
        .map(Coding::parse)
        .collect::<Result<_, _>>()?;
    if body.len() > limit {
        return Err(too_large(limit));
    }
    let mut data = Cow::Borrowed(body);
    for coding in codings.iter().rev() {
        let decoded = match coding {
            Coding::Identity => continue,
            Coding::Gzip => read_limited(MultiGzDecoder::new(&*data), limit),
            Coding::Deflate => inflate(&data, limit),
            Coding::Brotli => read_limited(brotli::Decompressor::new(&*data, BROTLI_BUFFER), limit),
        };
        data = Cow::Owned(decoded.map_err(|error| error.into_form_login(coding.name(), limit))?);
    }
    Ok(data.into_owned())
}

/// A content coding this module can undo.
#[derive(Debug, Clone, Copy)]
enum Coding {
    Identity,
    Gzip,
    Deflate,
    Brotli,
}

impl Coding {
    fn parse(name: &str) -> Result<Coding, FormLoginError> {
        match name.to_ascii_lowercase().as_str() {
            "identity" => Ok(Coding::Identity),
            "gzip" | "x-gzip" => Ok(Coding::Gzip),
            "deflate" => Ok(Coding::Deflate),
            "br" => Ok(Coding::Brotli),
            _ => Err(FormLoginError::Body(format!(
                "unknown content coding {name:?}"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
            Coding::Brotli => "br",
        }
    }
}

/// Why one decoding step failed.
#[derive(Debug)]
enum StepError {
    TooLarge,
    Corrupt,
}

impl StepError {
    fn into_form_login(self, coding: &str, limit: usize) -> FormLoginError {
        match self {
            StepError::TooLarge => too_large(limit),
            StepError::Corrupt => FormLoginError::Body(format!("the {coding} data is corrupt")),
        }
    }
}

pub(super) fn too_large(limit: usize) -> FormLoginError {
    FormLoginError::Body(format!("the body is larger than {limit} bytes"))
}

/// Read a decoder to its end, stopping one byte past `limit` so a bomb never fills memory.
fn read_limited(reader: impl Read, limit: usize) -> Result<Vec<u8>, StepError> {
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut out = Vec::new();
    reader
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|_| StepError::Corrupt)?;
    if out.len() > limit {
        return Err(StepError::TooLarge);
    }
    Ok(out)
}

/// Undo `deflate`: zlib-wrapped per RFC 9110, or raw deflate as old IIS and others send it.
fn inflate(data: &[u8], limit: usize) -> Result<Vec<u8>, StepError> {
    if has_zlib_header(data) {
        match read_limited(ZlibDecoder::new(data), limit) {
            Err(StepError::Corrupt) => {}
            decoded => return decoded,
        }
    }
    read_limited(DeflateDecoder::new(data), limit)
}

/// Whether `data` starts like a zlib stream (RFC 1950: deflate method, header checksum).
fn has_zlib_header(data: &[u8]) -> bool {
    match data {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && u16::from_be_bytes([*cmf, *flg]) % 31 == 0
        }
        _ => false,
    }
}

/// The charset of an HTML page, as a browser finds it.
///
/// A byte order mark wins; then the Content-Type header's `charset` parameter; then a
/// `<meta charset>` or `<meta http-equiv="Content-Type" content="...; charset=...">` in the
/// first 1024 bytes; else UTF-8. Labels are read with [`Encoding::for_label`], so `Shift_JIS`,
/// `sjis`, `windows-31j` and `MS932` all mean Shift_JIS; unknown labels are passed over.
pub fn page_encoding(content_type: Option<&str>, body: &[u8]) -> &'static Encoding {
    if let Some((encoding, _)) = Encoding::for_bom(body) {
        return encoding;
    }
    content_type
        .and_then(charset_parameter)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
        .or_else(|| meta_charset(&body[..body.len().min(META_PRESCAN)]))
        .unwrap_or(encoding_rs::UTF_8)
}

/// The `charset` parameter of a media type (`text/html; charset="Shift_JIS"`).
fn charset_parameter(media_type: &str) -> Option<&str> {
    media_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches(['"', '\'']).trim())
            .filter(|value| !value.is_empty())
    })
}

/// The charset a `<meta>` element in `prefix` declares.
fn meta_charset(prefix: &[u8]) -> Option<&'static Encoding> {
    // Charset declarations are ASCII, and in the ASCII-compatible encodings a page can be
    // read in, no multibyte sequence contains the bytes of `<`, `>`, `=` or quotes, so a
    // lossy UTF-8 reading keeps them intact whatever the real charset.
    let text = String::from_utf8_lossy(prefix);
    let document = scraper::Html::parse_document(&text);
    let declared = document
        .tree
        .root()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
        .filter(|element| element.value().name() == "meta")
        .find_map(|meta| {
            let meta = meta.value();
            let label = match meta.attr("charset") {
                Some(label) => label.trim(),
                None => meta
                    .attr("http-equiv")
                    .filter(|value| value.trim().eq_ignore_ascii_case("content-type"))
                    .and(meta.attr("content"))
                    .and_then(charset_parameter)?,
            };
            Encoding::for_label(label.as_bytes())
        })?;
    // A page that could declare itself in ASCII is not UTF-16, whatever it says (WHATWG).
    if declared == encoding_rs::UTF_16BE || declared == encoding_rs::UTF_16LE {
        return Some(encoding_rs::UTF_8);
    }
    if declared == encoding_rs::X_USER_DEFINED {
        return Some(encoding_rs::WINDOWS_1252);
    }
    Some(declared)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};

    use super::*;

    const TEXT: &[u8] = "<html>ログイン画面 login page</html>".as_bytes();
    const MAX: usize = 1024 * 1024;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn raw_deflate(data: &[u8]) -> Vec<u8> {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn brotli(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
            encoder.write_all(data).unwrap();
        }
        out
    }

    fn body_error(result: Result<Vec<u8>, FormLoginError>) -> String {
        match result {
            Err(FormLoginError::Body(message)) => message,
            other => panic!("expected a body error, got {other:?}"),
        }
    }

    #[test]
    fn each_coding_round_trips() {
        let cases: [(&str, Vec<u8>); 7] = [
            ("gzip", gzip(TEXT)),
            ("x-gzip", gzip(TEXT)),
            ("GZIP", gzip(TEXT)),
            ("deflate", zlib(TEXT)),
            ("deflate", raw_deflate(TEXT)),
            ("br", brotli(TEXT)),
            ("identity", TEXT.to_vec()),
        ];
        for (coding, body) in cases {
            assert_eq!(
                decompress(Some(coding), &body, MAX).unwrap(),
                TEXT,
                "{coding}"
            );
        }
    }

    #[test]
    fn no_header_or_an_empty_one_means_identity() {
        assert_eq!(decompress(None, TEXT, MAX).unwrap(), TEXT);
        assert_eq!(decompress(Some(" "), TEXT, MAX).unwrap(), TEXT);
    }

    #[test]
    fn stacked_codings_are_undone_in_reverse() {
        let body = brotli(&gzip(TEXT));
        assert_eq!(decompress(Some("gzip, br"), &body, MAX).unwrap(), TEXT);
        let body = gzip(&raw_deflate(TEXT));
        assert_eq!(
            decompress(Some("deflate,identity, gzip"), &body, MAX).unwrap(),
            TEXT
        );
    }

    #[test]
    fn an_unknown_coding_is_refused() {
        let message = body_error(decompress(Some("gzip, zstd"), &gzip(TEXT), MAX));
        assert!(message.contains("zstd"), "{message}");
        body_error(decompress(Some("compress"), TEXT, MAX));
    }

    #[test]
    fn corrupt_data_is_refused() {
        let message = body_error(decompress(Some("gzip"), TEXT, MAX));
        assert!(message.contains("gzip"), "{message}");
        let mut truncated = gzip(TEXT);
        truncated.truncate(truncated.len() - 6);
        body_error(decompress(Some("gzip"), &truncated, MAX));
        body_error(decompress(Some("br"), b"\xff\xff\xff\xff", MAX));
    }

    #[test]
    fn a_bomb_stops_at_the_limit() {
        let zeros = vec![0_u8; 10 * 1024 * 1024];
        for (coding, body) in [
            ("gzip", gzip(&zeros)),
            ("deflate", zlib(&zeros)),
            ("deflate", raw_deflate(&zeros)),
            ("br", brotli(&zeros)),
        ] {
            assert!(body.len() < 64 * 1024, "{coding} compresses the bomb");
            let message = body_error(decompress(Some(coding), &body, MAX));
            assert!(message.contains("larger than"), "{coding}: {message}");
        }
        // The limit holds for every step, and for a body sent as it is.
        let nested = gzip(&gzip(&zeros));
        body_error(decompress(Some("gzip, gzip"), &nested, MAX));
        body_error(decompress(Some("identity"), &zeros, MAX));
        assert_eq!(
            decompress(Some("gzip"), &gzip(&zeros[..MAX]), MAX)
                .unwrap()
                .len(),
            MAX
        );
    }

    #[test]
    fn the_header_charset_comes_first() {
        let body = br#"<meta charset="euc-jp">"#;
        for content_type in [
            "text/html; charset=Shift_JIS",
            "text/html;charset=\"shift_jis\"",
            "text/html; q=1; Charset = 'windows-31j'",
        ] {
            assert_eq!(
                page_encoding(Some(content_type), body),
                encoding_rs::SHIFT_JIS,
                "{content_type}"
            );
        }
        // An unknown label is passed over, as browsers do.
        assert_eq!(
            page_encoding(Some("text/html; charset=bogus"), body),
            encoding_rs::EUC_JP
        );
    }

    #[test]
    fn a_meta_charset_is_read() {
        let page = "<!DOCTYPE html><html><head><meta charset=\"Shift_JIS\"><title>ログイン</title>";
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(page);
        assert_eq!(
            page_encoding(Some("text/html"), &bytes),
            encoding_rs::SHIFT_JIS
        );
        assert_eq!(
            page_encoding(None, b"<meta charset=x-sjis>"),
            encoding_rs::SHIFT_JIS
        );
    }

    #[test]
    fn a_meta_http_equiv_is_read() {
        let page = r#"<HTML><HEAD><!-- 旧システム -->
            <META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=EUC-JP">
            <TITLE>ログイン</TITLE></HEAD>"#;
        let (bytes, _, _) = encoding_rs::EUC_JP.encode(page);
        assert_eq!(page_encoding(None, &bytes), encoding_rs::EUC_JP);
    }

    #[test]
    fn without_a_declaration_the_page_is_utf8() {
        assert_eq!(page_encoding(None, TEXT), encoding_rs::UTF_8);
        assert_eq!(page_encoding(Some("text/html"), b""), encoding_rs::UTF_8);
        // A declaration past the first 1024 bytes is not looked for.
        let late = format!("<html><!--{}--><meta charset=euc-jp>", " ".repeat(1100));
        assert_eq!(page_encoding(None, late.as_bytes()), encoding_rs::UTF_8);
        // A meta claiming UTF-16 cannot be right in a page readable as ASCII.
        assert_eq!(
            page_encoding(None, b"<meta charset=utf-16le>"),
            encoding_rs::UTF_8
        );
    }

    #[test]
    fn a_byte_order_mark_wins() {
        assert_eq!(
            page_encoding(Some("text/html; charset=shift_jis"), b"\xEF\xBB\xBF<html>"),
            encoding_rs::UTF_8
        );
    }
}
