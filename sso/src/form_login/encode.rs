//! Writing a form as `application/x-www-form-urlencoded` in a legacy system's charset.

use std::borrow::Cow;

use encoding_rs::Encoding;

use super::FormLoginError;

/// Encode `fields` as `application/x-www-form-urlencoded` in `encoding`.
///
/// Names and values are written in `encoding` and percent-encoded as browsers do (space as
/// `+`, uppercase hex). A character the encoding lacks is an error, never a `?` or an HTML
/// character reference as browsers would send: a silently changed password would lock the
/// account after a few tries.
pub fn encode_form(
    fields: &[(String, String)],
    encoding: &'static Encoding,
) -> Result<String, FormLoginError> {
    let mut body = String::new();
    for (name, value) in fields {
        if !body.is_empty() {
            body.push('&');
        }
        body.extend(form_urlencoded::byte_serialize(&encode_text(
            name, name, encoding,
        )?));
        body.push('=');
        body.extend(form_urlencoded::byte_serialize(&encode_text(
            value, name, encoding,
        )?));
    }
    Ok(body)
}

/// `text` in `encoding`, or the error naming `field` (never the text: it may be a password).
fn encode_text<'a>(
    text: &'a str,
    field: &str,
    encoding: &'static Encoding,
) -> Result<Cow<'a, [u8]>, FormLoginError> {
    let (bytes, used, had_errors) = encoding.encode(text);
    if had_errors {
        return Err(FormLoginError::Unencodable {
            field: field.to_owned(),
            charset: used.name(),
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    /// Decode a body back into its fields: percent-decoding to bytes, then the charset.
    fn decode(body: &str, encoding: &'static Encoding) -> Vec<(String, String)> {
        let text = |part: &str| {
            let bytes: Vec<u8> =
                percent_encoding::percent_decode_str(&part.replace('+', " ")).collect();
            let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
            assert!(!had_errors, "{part} is not {}", encoding.name());
            text.into_owned()
        };
        body.split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (text(name), text(value))
            })
            .collect()
    }

    #[test]
    fn utf8_is_percent_encoded_like_a_browser() {
        let form = fields(&[("user", "山田 太郎"), ("pass", "a+b&c=d/é"), ("empty", "")]);
        let body = encode_form(&form, encoding_rs::UTF_8).unwrap();
        assert_eq!(
            body,
            "user=%E5%B1%B1%E7%94%B0+%E5%A4%AA%E9%83%8E&pass=a%2Bb%26c%3Dd%2F%C3%A9&empty="
        );
        assert_eq!(decode(&body, encoding_rs::UTF_8), form);
    }

    #[test]
    fn shift_jis_is_written_as_windows_31j() {
        let form = fields(&[
            ("user", "山田"),
            ("pass", "パスワード①～"),
            ("氏名", "髙橋"),
        ]);
        let body = encode_form(&form, encoding_rs::SHIFT_JIS).unwrap();
        // 山田 is 8E 52 93 63 in Shift_JIS; 0x52 and 0x63 are the ASCII `R` and `c`.
        assert!(body.starts_with("user=%8ER%93c&pass="), "{body}");
        assert_eq!(decode(&body, encoding_rs::SHIFT_JIS), form);
    }

    #[test]
    fn euc_jp_round_trips() {
        let form = fields(&[("uid", "やまだ"), ("pwd", "秘密123")]);
        let body = encode_form(&form, encoding_rs::EUC_JP).unwrap();
        assert!(body.starts_with("uid=%A4%E4%A4%DE%A4%C0&"), "{body}");
        assert_eq!(decode(&body, encoding_rs::EUC_JP), form);
    }

    #[test]
    fn a_character_the_charset_lacks_is_an_error_naming_only_the_field() {
        let form = fields(&[("user", "yamada"), ("pass", "secret🙂")]);
        for encoding in [encoding_rs::SHIFT_JIS, encoding_rs::EUC_JP] {
            match encode_form(&form, encoding) {
                Err(error @ FormLoginError::Unencodable { .. }) => {
                    let message = error.to_string();
                    assert!(message.contains("pass"), "{message}");
                    assert!(message.contains(encoding.name()), "{message}");
                    assert!(!message.contains("secret"), "{message}");
                }
                other => panic!("expected Unencodable, got {other:?}"),
            }
        }
        assert!(encode_form(&form, encoding_rs::UTF_8).is_ok());
    }
}
