//! Folding names for staff search, pure: the same folding turns both a member of staff's
//! fields and what someone typed into one form, so that 「ヤマダ」, 「ﾔﾏﾀﾞ」 and 「やまだ」 meet,
//! as do `Ｙａｍａｄａ` and `yamada`, 「髙橋」 and 「高橋」.

/// Half-width katakana U+FF66..=U+FF9D in their full-width forms, in code point order.
const HALF_WIDTH_KATAKANA: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

/// Kanji that names are written with in an old or variant form, and the everyday form that
/// people type (戸籍 keeps 髙 and 﨑; a colleague searching types 高 and 崎).
const VARIANTS: [(char, char); 21] = [
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('齋', '斎'),
    ('齊', '斉'),
    ('澤', '沢'),
    ('濱', '浜'),
    ('濵', '浜'),
    ('廣', '広'),
    ('櫻', '桜'),
    ('國', '国'),
    ('德', '徳'),
    ('眞', '真'),
    ('曻', '昇'),
    ('槇', '槙'),
    ('冨', '富'),
    ('藪', '薮'),
    ('瀨', '瀬'),
    ('𠮷', '吉'),
];

/// `text` folded for matching: full-width ASCII to ASCII and ASCII letters to lower case;
/// half-width katakana to full width and all katakana to hiragana, with a separate voicing
/// mark (゛ ゜ ﾞ ﾟ or the combining U+3099/U+309A) joined to the kana before it; the variant
/// kanji of [`VARIANTS`] to their everyday form; spaces (of either width) and the middle dots
/// between parts of a name dropped.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = match c {
            // Full-width ASCII (！ to ～) sits 0xFEE0 above ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{FF66}'..='\u{FF9D}' => {
                let index = (u32::from(c) - 0xFF66) as usize;
                HALF_WIDTH_KATAKANA.chars().nth(index).unwrap_or(c)
            }
            '\u{FF9E}' | '\u{309B}' => '\u{3099}',
            '\u{FF9F}' | '\u{309C}' => '\u{309A}',
            c => c,
        };
        let c = hiragana(c);
        match c {
            ' ' | '\u{3000}' | '\t' | '・' | '･' => {}
            '\u{3099}' | '\u{309A}' => {
                let joined = out.chars().last().and_then(|last| voiced(last, c));
                match joined {
                    Some(voiced) => {
                        out.pop();
                        out.push(voiced);
                    }
                    // A mark with nothing to join stays, so the text still reads as typed.
                    None => out.push(c),
                }
            }
            c => {
                let c = VARIANTS
                    .iter()
                    .find(|(variant, _)| *variant == c)
                    .map_or(c, |(_, everyday)| *everyday);
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    out
}

/// Katakana ァ..ヶ as hiragana ぁ..ゖ (0x60 below); anything else as it is. ヷ..ヺ and the
/// long-vowel mark ー have no hiragana and stay.
fn hiragana(c: char) -> char {
    match c {
        '\u{30A1}'..='\u{30F6}' => char::from_u32(u32::from(c) - 0x60).unwrap_or(c),
        c => c,
    }
}

/// Hiragana `c` with the voicing `mark` (U+3099 dakuten, U+309A handakuten) joined, if
/// there is such a kana.
fn voiced(c: char, mark: char) -> Option<char> {
    const DAKUTEN: &str = "かきくけこさしすせそたちつてとはひふへほ";
    const HANDAKUTEN: &str = "はひふへほ";
    let code = u32::from(c);
    match mark {
        // In the block each voiced kana follows its plain one; ぱ follows ば.
        '\u{3099}' if DAKUTEN.contains(c) => char::from_u32(code + 1),
        '\u{3099}' if c == 'う' => Some('ゔ'),
        '\u{309A}' if HANDAKUTEN.contains(c) => char::from_u32(code + 2),
        _ => None,
    }
}

/// The search terms of one member of staff from their `fields` (name, reading, login,
/// personnel number): every suffix of each folded field with the character position it
/// starts at, so that a match anywhere in a field is a prefix match on some term and a match
/// at the start of a field has position 0. Without duplicates.
pub fn terms(fields: &[&str]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for field in fields {
        let folded = fold(field);
        for (position, (at, _)) in folded.char_indices().enumerate() {
            let position = i64::try_from(position).unwrap_or(i64::MAX);
            out.push((folded[at..].to_owned(), position));
        }
    }
    out.sort();
    out.dedup_by(|later, earlier| later.0 == earlier.0);
    out
}

/// The first string after every string that starts with `prefix`, in code point (and UTF-8
/// byte) order: `prefix` with its last character one higher. `None` for an empty prefix.
pub fn after_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    let last = chars.pop()?;
    let mut next = u32::from(last) + 1;
    // Surrogates are not characters; the next one after them is U+E000.
    if (0xD800..=0xDFFF).contains(&next) {
        next = 0xE000;
    }
    chars.push(char::from_u32(next)?);
    Some(chars.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_scripts_case_and_spaces_fold_together() {
        let table = [
            ("やまだ たろう", "やまだたろう"),
            ("ヤマダ　タロウ", "やまだたろう"),
            ("ﾔﾏﾀﾞ ﾀﾛｳ", "やまだたろう"),
            ("ﾊﾟｸ", "ぱく"),
            ("ヴァイオリン", "ゔぁいおりん"),
            ("か\u{3099}", "が"),
            ("は゜", "ぱ"),
            ("゛", "\u{3099}"),
            ("Ｙａｍａｄａ", "yamada"),
            ("S012345", "s012345"),
            ("０１２３", "0123"),
            ("髙橋 﨑子", "高橋崎子"),
            ("スミス・ジョン", "すみすじょん"),
            ("ケーキ", "けーき"),
            ("山田", "山田"),
        ];
        for (typed, folded) in table {
            assert_eq!(fold(typed), folded, "{typed:?}");
        }
    }

    #[test]
    fn terms_are_every_suffix_of_every_field_with_where_it_starts() {
        let terms = terms(&["山田 花子", "やまだ", "hy", "0042"]);
        let has = |term: &str, position: i64| terms.contains(&(term.to_owned(), position));
        assert!(has("山田花子", 0) && has("花子", 2) && has("子", 3));
        assert!(has("やまだ", 0) && has("まだ", 1) && has("だ", 2));
        assert!(has("hy", 0) && has("y", 1));
        assert!(has("0042", 0) && has("042", 1) && has("42", 2) && has("2", 3));
        assert_eq!(terms.len(), 4 + 3 + 2 + 4);
        // A suffix that two fields share is kept once, at its earliest position.
        assert_eq!(
            super::terms(&["ab", "b"]),
            [("ab".into(), 0), ("b".into(), 0)]
        );
    }

    #[test]
    fn the_bound_after_a_prefix_is_above_everything_that_starts_with_it() {
        assert_eq!(after_prefix("やまだ").as_deref(), Some("やまち"));
        assert_eq!(after_prefix("ab").as_deref(), Some("ac"));
        assert_eq!(after_prefix(""), None);
        let bound = after_prefix("やま").unwrap();
        for inside in ["やま", "やまだ", "やま\u{10FFFF}"] {
            assert!(inside >= "やま" && inside < bound.as_str(), "{inside}");
        }
        assert!("やみ" >= bound.as_str());
    }
}
