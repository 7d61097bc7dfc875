//! The shapes of phone memos and the parsing of the memo form. Pure.

use std::fmt;

use serde::Deserialize;
use time::OffsetDateTime;

use super::texts::MemoTexts;
use crate::org::model::StaffId;

/// Longest caller name, in characters.
pub const MAX_NAME: usize = 50;
/// Longest organisation, in characters.
pub const MAX_ORG: usize = 100;
/// Longest callback number, in characters.
pub const MAX_NUMBER: usize = 24;
/// Longest message, in characters.
pub const MAX_MESSAGE: usize = 1000;

/// The database id of a memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct MemoId(pub i64);

impl fmt::Display for MemoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What the caller asked for, as the paper slips tick it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// 折り返し電話をください.
    CallBack,
    /// また電話します.
    WillCall,
    /// 至急連絡をください.
    Urgent,
    /// 伝言のみ.
    MessageOnly,
}

impl Request {
    /// Every choice, in the order the form offers them.
    pub const ALL: [Request; 4] = [
        Request::CallBack,
        Request::WillCall,
        Request::Urgent,
        Request::MessageOnly,
    ];

    /// The stored and posted name (`phone_memos.request`).
    pub fn as_str(self) -> &'static str {
        match self {
            Request::CallBack => "call_back",
            Request::WillCall => "will_call",
            Request::Urgent => "urgent",
            Request::MessageOnly => "message_only",
        }
    }

    /// The choice stored or posted as `name`, if it is one.
    pub fn parse(name: &str) -> Option<Request> {
        Request::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The choice in words.
    pub fn label(self, texts: &MemoTexts) -> &'static str {
        match self {
            Request::CallBack => texts.call_back,
            Request::WillCall => texts.will_call,
            Request::Urgent => texts.urgent,
            Request::MessageOnly => texts.message_only,
        }
    }
}

/// A memo to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMemo {
    /// Who it is for.
    pub recipient: StaffId,
    /// Who called ("田中").
    pub caller_name: String,
    /// From where ("北区役所 保険年金課").
    pub caller_org: String,
    /// The number to call back, normalised to ASCII digits and `-`.
    pub callback: String,
    /// What they asked for.
    pub request: Request,
    /// The message.
    pub message: String,
}

/// A memo as stored, with the names pages show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Memo {
    /// Database id.
    pub id: MemoId,
    /// Who it is for.
    pub recipient: StaffId,
    /// Their name.
    pub recipient_name: String,
    /// Who took the call.
    pub author: StaffId,
    /// Their name.
    pub author_name: String,
    /// Who called.
    pub caller_name: String,
    /// From where.
    pub caller_org: String,
    /// The number to call back.
    pub callback: String,
    /// What they asked for.
    pub request: Request,
    /// The message.
    pub message: String,
    /// When the call came.
    pub received_at: OffsetDateTime,
    /// When the recipient first opened it.
    pub read_at: Option<OffsetDateTime>,
    /// When the recipient marked it done.
    pub done_at: Option<OffsetDateTime>,
}

impl Memo {
    /// Whether `viewer` may see it: its recipient or its author.
    pub fn visible_to(&self, viewer: StaffId) -> bool {
        viewer == self.recipient || viewer == self.author
    }
}

/// The memo form as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MemoForm {
    /// The session's CSRF token.
    pub csrf: String,
    /// Recipient's staff id.
    pub to: String,
    /// Caller's name.
    pub caller_name: String,
    /// Caller's organisation.
    pub caller_org: String,
    /// Number to call back.
    pub callback: String,
    /// What they asked for.
    pub request: String,
    /// Message.
    pub message: String,
    /// Text to find the recipient by (name, reading, login or personnel number).
    pub q: String,
    /// Set by the search button: find recipients for `q` and show the form again, keeping
    /// everything typed, instead of leaving the memo.
    pub find: String,
}

impl MemoForm {
    /// Whether the search button sent the form.
    pub fn is_search(&self) -> bool {
        !self.find.is_empty()
    }

    /// The memo, or every problem with the form. `recipient_ok` says whether an id names
    /// current staff.
    pub fn parse(
        &self,
        texts: &MemoTexts,
        recipient_ok: impl Fn(StaffId) -> bool,
    ) -> Result<NewMemo, Vec<String>> {
        let mut problems = Vec::new();
        let recipient = self
            .to
            .trim()
            .parse()
            .ok()
            .map(StaffId)
            .filter(|id| recipient_ok(*id));
        if recipient.is_none() {
            problems.push(texts.error_recipient.to_owned());
        }
        let caller_name = self.caller_name.trim();
        if caller_name.is_empty() || !plain(caller_name, MAX_NAME) {
            problems.push(texts.error_caller.to_owned());
        }
        let caller_org = self.caller_org.trim();
        if !plain(caller_org, MAX_ORG) {
            problems.push(texts.error_org.to_owned());
        }
        let callback = phone_number(&self.callback);
        if callback.is_none() {
            problems.push(texts.error_callback.to_owned());
        }
        let request = Request::parse(&self.request);
        if request.is_none() {
            problems.push(texts.error_request.to_owned());
        }
        let message = self.message.trim();
        let message_ok = message.chars().count() <= MAX_MESSAGE
            && !message
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t');
        if !message_ok {
            problems.push(texts.error_message.to_owned());
        }
        match (recipient, callback, request) {
            (Some(recipient), Some(callback), Some(request)) if problems.is_empty() => {
                Ok(NewMemo {
                    recipient,
                    caller_name: caller_name.to_owned(),
                    caller_org: caller_org.to_owned(),
                    callback,
                    request,
                    message: message.replace("\r\n", "\n"),
                })
            }
            _ => Err(problems),
        }
    }
}

fn plain(text: &str, max: usize) -> bool {
    text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// A telephone number as typed (full-width digits and dashes welcome, as Japanese input
/// methods produce them) normalised to ASCII, or `None` when it has anything but digits,
/// `-`, `(`, `)`, `+`, spaces and an extension mark, or no digit at all. Empty stays empty.
pub fn phone_number(text: &str) -> Option<String> {
    let mut out = String::new();
    for c in text.trim().chars() {
        let c = match c {
            '０'..='９' => char::from_u32(u32::from(c) - u32::from('０') + u32::from('0'))?,
            '－' | 'ー' | '‐' | '−' | '–' => '-',
            '（' => '(',
            '）' => ')',
            '＋' => '+',
            '　' => ' ',
            '内' | '＃' | '#' => '#',
            c => c,
        };
        if !(c.is_ascii_digit() || "-()+ #".contains(c)) {
            return None;
        }
        out.push(c);
    }
    let digits = out.chars().filter(char::is_ascii_digit).count();
    match (out.is_empty(), digits) {
        (true, _) => Some(out),
        (false, 0) => None,
        _ if out.chars().count() > MAX_NUMBER => None,
        _ => Some(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memo::texts::JA;

    fn form() -> MemoForm {
        MemoForm {
            to: "7".into(),
            caller_name: " 田中 ".into(),
            caller_org: "北区役所 保険年金課".into(),
            callback: "０７８－３２２－５１１１".into(),
            request: "call_back".into(),
            message: "国保の件で\r\n折り返しお願いします。".into(),
            ..MemoForm::default()
        }
    }

    #[test]
    fn a_complete_memo_parses_with_its_number_normalised() {
        let memo = form().parse(&JA, |id| id == StaffId(7)).unwrap();
        assert_eq!(memo.recipient, StaffId(7));
        assert_eq!(memo.caller_name, "田中");
        assert_eq!(memo.callback, "078-322-5111");
        assert_eq!(memo.request, Request::CallBack);
        assert_eq!(memo.message, "国保の件で\n折り返しお願いします。");
    }

    #[test]
    fn every_problem_of_a_memo_is_reported_at_once() {
        let mut bad = form();
        bad.to = "x".into();
        bad.caller_name = "   ".into();
        bad.callback = "see you".into();
        bad.request = "fax".into();
        bad.message = "あ".repeat(MAX_MESSAGE + 1);
        assert_eq!(
            bad.parse(&JA, |_| true).unwrap_err(),
            [
                JA.error_recipient,
                JA.error_caller,
                JA.error_callback,
                JA.error_request,
                JA.error_message
            ]
        );
        assert_eq!(
            form().parse(&JA, |_| false).unwrap_err(),
            [JA.error_recipient],
            "retired or unknown staff get no memos"
        );
    }

    #[test]
    fn phone_numbers_accept_what_people_type() {
        let table = [
            ("078-322-5111", Some("078-322-5111")),
            ("（０７８）３２２－５１１１", Some("(078)322-5111")),
            ("+81 78 322 5111", Some("+81 78 322 5111")),
            ("内線1234", None),
            ("#1234", Some("#1234")),
            ("", Some("")),
            ("  ", Some("")),
            ("---", None),
            ("090-1234-5678 (携帯)", None),
            ("1234567890123456789012345", None),
        ];
        for (typed, expected) in table {
            assert_eq!(phone_number(typed).as_deref(), expected, "{typed:?}");
        }
    }

    #[test]
    fn only_the_recipient_and_the_author_see_a_memo() {
        let memo = Memo {
            id: MemoId(1),
            recipient: StaffId(1),
            recipient_name: "a".into(),
            author: StaffId(2),
            author_name: "b".into(),
            caller_name: "c".into(),
            caller_org: String::new(),
            callback: String::new(),
            request: Request::MessageOnly,
            message: String::new(),
            received_at: OffsetDateTime::UNIX_EPOCH,
            read_at: None,
            done_at: None,
        };
        assert!(memo.visible_to(StaffId(1)) && memo.visible_to(StaffId(2)));
        assert!(!memo.visible_to(StaffId(3)));
        for request in Request::ALL {
            assert_eq!(Request::parse(request.as_str()), Some(request));
        }
    }
}
