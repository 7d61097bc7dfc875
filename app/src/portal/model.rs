//! What the portal shows, prepared for the template: the user's header line, the business
//! system tiles, today's date and the portlets. Pure: built from claims and stored data.

use sso::{AppLink, Claims};
use time::{Date, UtcOffset};

use crate::facility::model::Reservation;
use crate::facility::texts::FacilityTexts;
use crate::i18n::{Lang, Texts};
use crate::memo::model::{Memo, Request};
use crate::memo::texts::MemoTexts;
use crate::org::model::{Employment, StaffId, join_path};

/// Japan Standard Time; Japan has no daylight saving, so a fixed offset is exact.
pub const JST: UtcOffset = time::macros::offset!(+9);

/// Number of colour tones tiles cycle through (`tone-0` .. `tone-5` in `static/css/portal.css`).
const TILE_TONES: usize = 6;

/// What the organisation tables know about the signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffProfile {
    /// Full name in kanji.
    pub name: String,
    /// Job title.
    pub position: String,
    /// Department names from the 局 down.
    pub department_path: Vec<String>,
    /// Still employed or retired.
    pub employment: Employment,
}

/// The user line in the page header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserHeader {
    /// Display name.
    pub name: String,
    /// Job title, when known.
    pub position: Option<String>,
    /// Where the user sits, root first ("総務局 › 総務部 › 総務課").
    pub department: String,
}

impl UserHeader {
    /// The header for `claims`, preferring the organisation tables over the assertion when
    /// they know the user as current staff: they hold the full 局/部/課 path, whereas the
    /// directory usually names only the 課.
    pub fn new(claims: &Claims, profile: Option<StaffProfile>, texts: &Texts) -> UserHeader {
        let from_claims = || {
            claims
                .dept
                .as_deref()
                .map(str::trim)
                .filter(|dept| !dept.is_empty())
                .unwrap_or(texts.department_unknown)
                .to_owned()
        };
        match profile {
            Some(profile) if profile.employment == Employment::Active => UserHeader {
                name: profile.name,
                position: Some(profile.position).filter(|p| !p.trim().is_empty()),
                department: if profile.department_path.is_empty() {
                    from_claims()
                } else {
                    join_path(&profile.department_path)
                },
            },
            _ => UserHeader {
                name: claims.name.clone(),
                position: None,
                department: from_claims(),
            },
        }
    }
}

/// The account corner of every groupware page's header: who is signed in, the switch to the
/// other language and the logout form with the session's CSRF token
/// (`templates/_account.html`).
#[derive(Debug, Clone)]
pub struct Account {
    /// The user line.
    pub user: UserHeader,
    /// Texts of the language the switch offers.
    pub other: &'static Texts,
    /// The session's CSRF token, for the logout form.
    pub csrf: String,
}

/// A tile that opens a business system through the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// The system's name in the page's language.
    pub name: String,
    /// Where it links to.
    pub href: String,
    /// First letter of the name, shown large as the tile's mark.
    pub initial: String,
    /// Colour tone, `0..TILE_TONES`, stable per system.
    pub tone: usize,
}

impl Tile {
    /// The tile for `link`, or `None` when its `href` is not a plain same-site path or an
    /// `http(s)` URL: a `javascript:` link must never become a tile, even from the gateway.
    pub fn from_link(link: &AppLink, lang: Lang) -> Option<Tile> {
        if !is_safe_href(&link.href) {
            return None;
        }
        let name = match lang {
            Lang::En if !link.name_en.trim().is_empty() => link.name_en.clone(),
            _ => link.name.clone(),
        };
        let initial = name.chars().next().map(String::from).unwrap_or_default();
        let tone = link.id.bytes().fold(0usize, |acc, b| {
            acc.wrapping_mul(31).wrapping_add(usize::from(b))
        }) % TILE_TONES;
        Some(Tile {
            name,
            href: link.href.clone(),
            initial,
            tone,
        })
    }

    /// Tiles for every usable link, in the gateway's order.
    pub fn all(links: &[AppLink], lang: Lang) -> Vec<Tile> {
        links
            .iter()
            .filter_map(|link| Tile::from_link(link, lang))
            .collect()
    }
}

fn is_safe_href(href: &str) -> bool {
    let same_site = href.starts_with('/') && !href.starts_with("//") && !href.starts_with("/\\");
    let absolute = ["https://", "http://"].iter().any(|scheme| {
        href.len() > scheme.len()
            && href
                .get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    });
    (same_site || absolute) && !href.chars().any(char::is_control)
}

/// A portal card for one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portlet {
    /// Stable name, used as a CSS class (`portlet-schedule`).
    pub id: &'static str,
    /// Title in the page's language.
    pub title: &'static str,
    /// Short status badge.
    pub badge: &'static str,
    /// Body text.
    pub body: &'static str,
}

/// The portlets of the modules still to come, each saying so, in the order staff asked for
/// them: what waits for them after the day's schedule (which has its own portlet).
pub fn placeholder_portlets(texts: &'static Texts) -> Vec<Portlet> {
    [
        ("notices", texts.portlet_notices),
        ("approvals", texts.portlet_approvals),
        ("chat", texts.portlet_chat),
    ]
    .into_iter()
    .map(|(id, title)| Portlet {
        id,
        title,
        badge: texts.coming_soon,
        body: texts.coming_soon_detail,
    })
    .collect()
}

/// A portlet listing what waits for the user in one module: a count, a few lines that link
/// to the items, and a link to the module's own list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPortlet {
    /// Stable name, used as a CSS class (`portlet-memos`).
    pub id: &'static str,
    /// Title in the page's language.
    pub title: &'static str,
    /// Where the title links to.
    pub href: &'static str,
    /// The count badge, when there is anything to count.
    pub badge: Option<String>,
    /// The first few items.
    pub lines: Vec<PortletLine>,
    /// Shown when there are no lines.
    pub empty: &'static str,
    /// The link to all of them.
    pub more: &'static str,
}

/// One item in a [`ListPortlet`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortletLine {
    /// Where it links to.
    pub href: String,
    /// What it says.
    pub text: String,
    /// A second, quieter part.
    pub note: String,
    /// Shown in bold (urgent, or not yet seen).
    pub strong: bool,
}

/// Lines a list portlet shows at most.
pub const PORTLET_LINES: usize = 5;

/// The facility portlets: for a facility administrator the 仮予約 waiting for them, and for
/// anyone the decisions on their own bookings they have not seen (always shown to someone
/// who administers nothing, so the module has a place on their portal).
pub fn facility_portlets(
    waiting: Option<&[Reservation]>,
    decisions: &[Reservation],
    viewer: StaffId,
    ft: &'static FacilityTexts,
) -> Vec<ListPortlet> {
    let mut out = Vec::new();
    if let Some(waiting) = waiting {
        out.push(ListPortlet {
            id: "facility-approvals",
            title: ft.portlet_approvals,
            href: "/facilities/approvals",
            badge: (!waiting.is_empty()).then(|| waiting.len().to_string()),
            lines: waiting
                .iter()
                .take(PORTLET_LINES)
                .map(|r| PortletLine {
                    href: format!("/facilities/reservations/{}", r.id),
                    text: format!("{} {}", r.slot.short_label(ft), r.facility_name),
                    note: format!("{}（{}）", r.title_for(viewer, true, ft), r.booker_name),
                    strong: false,
                })
                .collect(),
            empty: ft.portlet_approvals_empty,
            more: ft.portlet_more,
        });
    }
    if waiting.is_none() || !decisions.is_empty() {
        out.push(ListPortlet {
            id: "facility-decisions",
            title: ft.portlet_decisions,
            href: "/facilities/mine",
            badge: (!decisions.is_empty()).then(|| decisions.len().to_string()),
            lines: decisions
                .iter()
                .take(PORTLET_LINES)
                .map(|r| PortletLine {
                    href: format!("/facilities/reservations/{}", r.id),
                    text: format!("{} {}", r.slot.short_label(ft), r.facility_name),
                    note: r.status.label(ft).to_owned(),
                    strong: true,
                })
                .collect(),
            empty: ft.portlet_decisions_empty,
            more: ft.portlet_more,
        });
    }
    out
}

/// The memo portlet: how many memos the user has not read, and the latest of them.
pub fn memo_portlet(unread: &[Memo], count: i64, mt: &'static MemoTexts) -> ListPortlet {
    ListPortlet {
        id: "memos",
        title: mt.portlet_title,
        href: "/memos",
        badge: (count > 0).then(|| count.to_string()),
        lines: unread
            .iter()
            .take(PORTLET_LINES)
            .map(|m| {
                let at = m.received_at.to_offset(JST);
                let caller = if m.caller_org.is_empty() {
                    m.caller_name.clone()
                } else {
                    format!("{}（{}）", m.caller_name, m.caller_org)
                };
                PortletLine {
                    href: format!("/memos/{}", m.id),
                    text: format!("{:02}:{:02} {caller}", at.hour(), at.minute()),
                    note: m.request.label(mt).to_owned(),
                    strong: m.request == Request::Urgent,
                }
            })
            .collect(),
        empty: mt.portlet_empty,
        more: mt.portlet_more,
    }
}

/// `date` as the header shows it: `2025年11月25日（火）` or `Tue, November 25, 2025`.
pub fn date_label(date: Date, lang: Lang) -> String {
    let weekday = lang.texts().weekdays[usize::from(date.weekday().number_days_from_sunday())];
    match lang {
        Lang::Ja => format!(
            "{}年{}月{}日（{weekday}）",
            date.year(),
            u8::from(date.month()),
            date.day()
        ),
        Lang::En => format!(
            "{weekday}, {} {}, {}",
            date.month(),
            date.day(),
            date.year()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, JA};

    fn claims(dept: Option<&str>) -> Claims {
        Claims {
            iss: String::new(),
            aud: "yakuba-app".into(),
            sub: "yamada".into(),
            iat: 0,
            nbf: 0,
            exp: 0,
            name: "山田 太郎 (directory)".into(),
            mail: None,
            dept: dept.map(Into::into),
            groups: vec![],
            amr: sso::AuthMethod::Local,
            sid: "s".into(),
            csrf: "c".into(),
            apps: vec![],
        }
    }

    fn profile(employment: Employment) -> StaffProfile {
        StaffProfile {
            name: "山田 太郎".into(),
            position: "主査".into(),
            department_path: ["総務局", "総務部", "総務課"].map(String::from).to_vec(),
            employment,
        }
    }

    fn link(id: &str, href: &str) -> AppLink {
        AppLink {
            id: id.into(),
            name: "電子決裁".into(),
            name_en: "e-Approval".into(),
            href: href.into(),
        }
    }

    #[test]
    fn current_staff_show_their_full_department_path() {
        let header = UserHeader::new(
            &claims(Some("総務課")),
            Some(profile(Employment::Active)),
            &JA,
        );
        assert_eq!(header.name, "山田 太郎");
        assert_eq!(header.position.as_deref(), Some("主査"));
        assert_eq!(header.department, "総務局 › 総務部 › 総務課");
    }

    #[test]
    fn unknown_or_retired_staff_fall_back_to_the_assertion() {
        for profile in [None, Some(profile(Employment::Retired))] {
            let header = UserHeader::new(&claims(Some("総務課")), profile, &JA);
            assert_eq!(header.name, "山田 太郎 (directory)");
            assert_eq!(header.department, "総務課");
            assert_eq!(header.position, None);
        }
    }

    #[test]
    fn a_missing_department_says_so_in_the_page_language() {
        assert_eq!(
            UserHeader::new(&claims(None), None, &JA).department,
            "所属未登録"
        );
        assert_eq!(
            UserHeader::new(&claims(Some("  ")), None, &EN).department,
            "No department on record"
        );
    }

    #[test]
    fn tiles_only_link_to_paths_and_web_urls() {
        let table = [
            ("/denkessai/", true),
            ("https://zaimu.city.example/", true),
            ("HTTP://legacy.example/", true),
            ("javascript:alert(1)", false),
            ("//evil.example/", false),
            ("/\\evil.example/", false),
            ("data:text/html,x", false),
            ("https://", false),
            ("/a\nb", false),
            ("", false),
            ("httpé://x", false),
        ];
        for (href, usable) in table {
            assert_eq!(
                Tile::from_link(&link("a", href), Lang::Ja).is_some(),
                usable,
                "{href:?}"
            );
        }
    }

    #[test]
    fn tiles_are_named_in_the_page_language() {
        let ja = Tile::from_link(&link("denkessai", "/denkessai/"), Lang::Ja).unwrap();
        let en = Tile::from_link(&link("denkessai", "/denkessai/"), Lang::En).unwrap();
        assert_eq!((ja.name.as_str(), ja.initial.as_str()), ("電子決裁", "電"));
        assert_eq!((en.name.as_str(), en.initial.as_str()), ("e-Approval", "e"));
        assert_eq!(ja.tone, en.tone);
        assert!(ja.tone < TILE_TONES);

        let mut untranslated = link("x", "/x/");
        untranslated.name_en = String::new();
        assert_eq!(
            Tile::from_link(&untranslated, Lang::En).unwrap().name,
            "電子決裁"
        );
    }

    #[test]
    fn every_coming_module_has_a_placeholder() {
        let titles: Vec<_> = placeholder_portlets(&JA).iter().map(|p| p.title).collect();
        assert_eq!(titles, ["未読のお知らせ", "承認待ち", "チャット未読"]);
        assert!(
            placeholder_portlets(&EN)
                .iter()
                .all(|p| p.badge == "Coming soon")
        );
    }

    #[test]
    fn dates_read_naturally_in_each_language() {
        let date = Date::from_calendar_date(2025, time::Month::November, 25).unwrap();
        assert_eq!(date_label(date, Lang::Ja), "2025年11月25日（火）");
        assert_eq!(date_label(date, Lang::En), "Tue, November 25, 2025");
    }
}
