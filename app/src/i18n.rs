//! Screen languages: Japanese first, English available. Every fixed text on a page comes from
//! one of two static tables, [`JA`] and [`EN`], chosen by [`Lang`].

use serde::Deserialize;

/// The cookie that remembers a user's language choice.
pub const LANG_COOKIE: &str = "yakuba_lang";

/// A language the screens are available in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Japanese, the default.
    #[default]
    Ja,
    /// English.
    En,
}

impl Lang {
    /// The language's code, as used in `?lang=`, the cookie and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The language with code `code` (`ja` or `en`, exactly), if there is one.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language the switch on each page offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }

    /// The fixed texts in this language.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }

    /// The language remembered in a `Cookie` header value, if it names a known one.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name.trim() == LANG_COOKIE)
                .then(|| Lang::from_code(value.trim()))
                .flatten()
        })
    }

    /// The language of a request: `?lang=` if valid, else the cookie, else `default`.
    pub fn choose(query: Option<Lang>, cookie: Option<Lang>, default: Lang) -> Lang {
        query.or(cookie).unwrap_or(default)
    }
}

/// Every fixed text on the screens, in one language.
#[derive(Debug)]
pub struct Texts {
    /// The language's code (`<html lang>`, `?lang=`).
    pub code: &'static str,
    /// The product name in the header.
    pub product: &'static str,
    /// What the product is, under its name.
    pub tagline: &'static str,
    /// Title of the portal page.
    pub portal_title: &'static str,
    /// Name of the language, as the switch shows it to offer this language.
    pub language_name: &'static str,
    /// Accessible label of the language switch.
    pub language_switch: &'static str,
    /// The logout button.
    pub logout: &'static str,
    /// Shown when the user's department is not known.
    pub department_unknown: &'static str,
    /// Heading above the business-system tiles.
    pub apps_heading: &'static str,
    /// Shown when the user may open no business system.
    pub no_apps: &'static str,
    /// Heading above the portlets.
    pub portlets_heading: &'static str,
    /// Portlet: today's schedule.
    pub portlet_schedule: &'static str,
    /// Portlet: unread notices.
    pub portlet_notices: &'static str,
    /// Portlet: approvals waiting for the user.
    pub portlet_approvals: &'static str,
    /// Portlet: unread chat messages.
    pub portlet_chat: &'static str,
    /// Portlet: facility reservations.
    pub portlet_facilities: &'static str,
    /// Badge on a module that is not built yet.
    pub coming_soon: &'static str,
    /// Sentence in a portlet whose module is not built yet.
    pub coming_soon_detail: &'static str,
    /// Footer line.
    pub footer: &'static str,
    /// Weekday names, Sunday first.
    pub weekdays: [&'static str; 7],
    /// The modules in the header on every page: path and name.
    pub nav: [(&'static str, &'static str); 5],
    /// Accessible label of the module navigation.
    pub nav_label: &'static str,
}

/// Japanese texts.
pub static JA: Texts = Texts {
    code: "ja",
    product: "Yakuba",
    tagline: "庁内ポータル",
    portal_title: "ポータル",
    language_name: "日本語",
    language_switch: "表示言語",
    logout: "ログアウト",
    department_unknown: "所属未登録",
    apps_heading: "業務システム",
    no_apps: "利用できる業務システムはありません。",
    portlets_heading: "お知らせと予定",
    portlet_schedule: "今日の予定",
    portlet_notices: "未読のお知らせ",
    portlet_approvals: "承認待ち",
    portlet_chat: "チャット未読",
    portlet_facilities: "設備予約",
    coming_soon: "準備中",
    coming_soon_detail: "この機能は準備中です。",
    footer: "Yakuba 庁内グループウェア",
    weekdays: ["日", "月", "火", "水", "木", "金", "土"],
    nav: [
        ("/", "ポータル"),
        ("/schedule", "スケジュール"),
        ("/facilities", "設備予約"),
        ("/whereabouts", "在席確認"),
        ("/memos", "伝言メモ"),
    ],
    nav_label: "機能",
};

/// English texts.
pub static EN: Texts = Texts {
    code: "en",
    product: "Yakuba",
    tagline: "City hall portal",
    portal_title: "Portal",
    language_name: "English",
    language_switch: "Language",
    logout: "Log out",
    department_unknown: "No department on record",
    apps_heading: "Business systems",
    no_apps: "No business systems are available to you.",
    portlets_heading: "News and schedule",
    portlet_schedule: "Today's schedule",
    portlet_notices: "Unread notices",
    portlet_approvals: "Pending approvals",
    portlet_chat: "Unread chat",
    portlet_facilities: "Facility booking",
    coming_soon: "Coming soon",
    coming_soon_detail: "This module is on its way.",
    footer: "Yakuba city hall groupware",
    weekdays: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
    nav: [
        ("/", "Portal"),
        ("/schedule", "Schedule"),
        ("/facilities", "Facilities"),
        ("/whereabouts", "Whereabouts"),
        ("/memos", "Phone memos"),
    ],
    nav_label: "Modules",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_none() {
        for lang in [Lang::Ja, Lang::En] {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        for code in ["", "JA", "fr", "en-US", "ja "] {
            assert_eq!(Lang::from_code(code), None, "{code:?}");
        }
    }

    #[test]
    fn the_language_cookie_is_found_among_others() {
        let table = [
            ("yakuba_lang=en", Some(Lang::En)),
            ("a=1; yakuba_lang=ja; b=2", Some(Lang::Ja)),
            ("a=1;yakuba_lang=en", Some(Lang::En)),
            ("yakuba_lang=fr", None),
            ("other_yakuba_lang=en", None),
            ("yakuba_lang", None),
            ("", None),
        ];
        for (header, expected) in table {
            assert_eq!(Lang::from_cookie_header(header), expected, "{header:?}");
        }
    }

    #[test]
    fn the_query_beats_the_cookie_which_beats_the_default() {
        assert_eq!(
            Lang::choose(Some(Lang::En), Some(Lang::Ja), Lang::Ja),
            Lang::En
        );
        assert_eq!(Lang::choose(None, Some(Lang::En), Lang::Ja), Lang::En);
        assert_eq!(Lang::choose(None, None, Lang::En), Lang::En);
    }

    #[test]
    fn each_table_is_in_its_own_language() {
        for lang in [Lang::Ja, Lang::En] {
            assert_eq!(lang.texts().code, lang.code());
        }
        assert_eq!(Lang::Ja.texts().logout, "ログアウト");
        assert_eq!(Lang::En.texts().logout, "Log out");
        assert_eq!(Lang::Ja.texts().coming_soon, "準備中");
        assert_eq!(Lang::En.texts().weekdays[0], "Sun");
    }
}
