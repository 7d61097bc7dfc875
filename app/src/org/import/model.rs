//! The HR CSV: decoding (UTF-8, with or without BOM, else Shift_JIS), the columns, and each
//! line parsed into an [`HrRecord`] or a [`LineError`] naming the line; the [`Plan`] of
//! differences against the stored organisation is in `plan`, re-exported here. Pure: no IO.

use std::collections::HashMap;

use encoding_rs::{SHIFT_JIS, UTF_8};

use crate::org::model::{DepartmentId, Employment};

mod plan;

pub use plan::{Change, FieldChange, Plan, Stored, plan};

/// The header the file must start with (the order of columns; names as HR writes them).
pub const HEADER: [&str; 9] = [
    "職員番号",
    "ログインID",
    "氏名",
    "ふりがな",
    "所属コード",
    "職名",
    "メール",
    "兼務",
    "在職区分",
];

/// Most lines one file may hold (a city of 21,036 staff fits with room to spare).
pub const MAX_LINES: usize = 100_000;

/// Which encoding the file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (a BOM, if any, dropped).
    Utf8,
    /// Shift_JIS (Windows-31J, as Excel writes it).
    ShiftJis,
}

/// The file as text: UTF-8 if it is valid UTF-8 (with or without BOM), else Shift_JIS; `None`
/// if it is neither.
pub fn decode(bytes: &[u8]) -> Option<(String, Encoding)> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .ok()
            .map(|s| (s.to_owned(), Encoding::Utf8));
    }
    if let (text, false) = UTF_8.decode_without_bom_handling(bytes)
        && std::str::from_utf8(bytes).is_ok()
    {
        return Some((text.into_owned(), Encoding::Utf8));
    }
    let (text, _, had_errors) = SHIFT_JIS.decode(bytes);
    (!had_errors).then(|| (text.into_owned(), Encoding::ShiftJis))
}

/// One person as the HR file states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HrRecord {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// 職員番号: the key.
    pub employee_no: String,
    /// Login id.
    pub login: String,
    /// Name.
    pub name: String,
    /// Reading.
    pub kana: String,
    /// Department code.
    pub department_code: String,
    /// Title.
    pub position: String,
    /// Mail.
    pub mail: String,
    /// Concurrent posts: department code and title.
    pub posts: Vec<(String, String)>,
    /// In post or retired.
    pub employment: Employment,
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Line in the file.
    pub line: usize,
    /// What is wrong.
    pub problem: LineProblem,
}

/// The kinds of line problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// The first line is not the expected header.
    BadHeader,
    /// Not nine columns.
    ColumnCount(usize),
    /// A required column is empty (its header name).
    Missing(&'static str),
    /// The login has characters a login cannot have.
    BadLogin(String),
    /// No department has this code.
    UnknownDepartment(String),
    /// 兼務 is not `code:title;code:title`.
    BadPosts(String),
    /// 在職区分 is neither 在職 nor 退職.
    BadStatus(String),
    /// The employee number appears on an earlier line too.
    DuplicateEmployee(String, usize),
    /// The login appears on an earlier line too.
    DuplicateLogin(String, usize),
    /// The login belongs to another stored member of staff.
    LoginTaken(String),
    /// The CSV itself is broken (quotes).
    Unreadable(String),
    /// The file has more lines than [`MAX_LINES`].
    TooLong,
}

/// Parses the decoded file into records, or every line's problems. `departments` maps codes
/// to ids; `stored_logins` maps stored logins to employee numbers (to refuse taking someone
/// else's login).
pub fn parse(
    text: &str,
    departments: &HashMap<String, DepartmentId>,
    stored_logins: &HashMap<String, String>,
) -> Result<Vec<HrRecord>, Vec<LineError>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut employees: HashMap<String, usize> = HashMap::new();
    let mut logins: HashMap<String, usize> = HashMap::new();
    for (index, row) in reader.records().enumerate() {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(index + 1, |p| p.line() as usize);
        if index >= MAX_LINES {
            errors.push(LineError {
                line,
                problem: LineProblem::TooLong,
            });
            break;
        }
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                errors.push(LineError {
                    line,
                    problem: LineProblem::Unreadable(e.to_string()),
                });
                continue;
            }
        };
        let cells: Vec<&str> = row.iter().map(str::trim).collect();
        if index == 0 {
            if cells != HEADER {
                errors.push(LineError {
                    line,
                    problem: LineProblem::BadHeader,
                });
                return Err(errors);
            }
            continue;
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let mut problems = Vec::new();
        if cells.len() != HEADER.len() {
            errors.push(LineError {
                line,
                problem: LineProblem::ColumnCount(cells.len()),
            });
            continue;
        }
        for (i, required) in [0, 1, 2, 4, 5].into_iter().map(|i| (i, HEADER[i])) {
            if cells[i].is_empty() {
                problems.push(LineProblem::Missing(required));
            }
        }
        let login = cells[1];
        if !login.is_empty()
            && !login
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            problems.push(LineProblem::BadLogin(login.to_owned()));
        }
        let department = cells[4];
        if !department.is_empty() && !departments.contains_key(department) {
            problems.push(LineProblem::UnknownDepartment(department.to_owned()));
        }
        let mut posts = Vec::new();
        for part in cells[7].split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once(':') {
                Some((code, title)) if !code.trim().is_empty() && !title.trim().is_empty() => {
                    let code = code.trim();
                    if !departments.contains_key(code) {
                        problems.push(LineProblem::UnknownDepartment(code.to_owned()));
                    }
                    posts.push((code.to_owned(), title.trim().to_owned()));
                }
                _ => problems.push(LineProblem::BadPosts(part.to_owned())),
            }
        }
        posts.sort();
        posts.dedup_by(|a, b| a.0 == b.0);
        let employment = match cells[8] {
            "" | "在職" | "active" => Employment::Active,
            "退職" | "retired" => Employment::Retired,
            other => {
                problems.push(LineProblem::BadStatus(other.to_owned()));
                Employment::Active
            }
        };
        let employee_no = cells[0];
        if !employee_no.is_empty()
            && let Some(first) = employees.insert(employee_no.to_owned(), line)
        {
            problems.push(LineProblem::DuplicateEmployee(
                employee_no.to_owned(),
                first,
            ));
        }
        if !login.is_empty() {
            if let Some(first) = logins.insert(login.to_owned(), line) {
                problems.push(LineProblem::DuplicateLogin(login.to_owned(), first));
            }
            if stored_logins
                .get(login)
                .is_some_and(|owner| owner != employee_no)
            {
                problems.push(LineProblem::LoginTaken(login.to_owned()));
            }
        }
        if problems.is_empty() {
            records.push(HrRecord {
                line,
                employee_no: employee_no.to_owned(),
                login: login.to_owned(),
                name: cells[2].to_owned(),
                kana: cells[3].to_owned(),
                department_code: department.to_owned(),
                position: cells[5].to_owned(),
                mail: cells[6].to_owned(),
                posts,
                employment,
            });
        } else {
            errors.extend(
                problems
                    .into_iter()
                    .map(|problem| LineError { line, problem }),
            );
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

/// The Japanese message for a line problem.
pub fn message_ja(error: &LineError) -> String {
    let what = match &error.problem {
        LineProblem::BadHeader => format!("見出し行が「{}」ではありません", HEADER.join(",")),
        LineProblem::ColumnCount(n) => format!("列の数が{n}個です（{}個必要です）", HEADER.len()),
        LineProblem::Missing(column) => format!("「{column}」が空です"),
        LineProblem::BadLogin(login) => format!("ログインID「{login}」に使えない文字があります"),
        LineProblem::UnknownDepartment(code) => format!("所属コード「{code}」の組織がありません"),
        LineProblem::BadPosts(text) => {
            format!("兼務「{text}」は「所属コード:職名」の形で書いてください")
        }
        LineProblem::BadStatus(text) => {
            format!("在職区分「{text}」は「在職」か「退職」にしてください")
        }
        LineProblem::DuplicateEmployee(no, first) => {
            format!("職員番号「{no}」が{first}行目にもあります")
        }
        LineProblem::DuplicateLogin(login, first) => {
            format!("ログインID「{login}」が{first}行目にもあります")
        }
        LineProblem::LoginTaken(login) => format!("ログインID「{login}」は別の職員が使っています"),
        LineProblem::Unreadable(detail) => format!("CSVとして読めません（{detail}）"),
        LineProblem::TooLong => format!("{MAX_LINES}行を超えています"),
    };
    format!("{}行目: {what}", error.line)
}

/// The English message for a line problem.
pub fn message_en(error: &LineError) -> String {
    let what = match &error.problem {
        LineProblem::BadHeader => "the header line is not the expected one".to_owned(),
        LineProblem::ColumnCount(n) => format!("{n} columns instead of {}", HEADER.len()),
        LineProblem::Missing(column) => format!("{column} is empty"),
        LineProblem::BadLogin(login) => format!("login {login} has characters a login cannot have"),
        LineProblem::UnknownDepartment(code) => format!("no department has code {code}"),
        LineProblem::BadPosts(text) => format!("concurrent post {text} is not code:title"),
        LineProblem::BadStatus(text) => format!("status {text} is neither 在職 nor 退職"),
        LineProblem::DuplicateEmployee(no, first) => {
            format!("employee number {no} is also on line {first}")
        }
        LineProblem::DuplicateLogin(login, first) => {
            format!("login {login} is also on line {first}")
        }
        LineProblem::LoginTaken(login) => format!("login {login} belongs to someone else"),
        LineProblem::Unreadable(detail) => format!("not readable as CSV ({detail})"),
        LineProblem::TooLong => format!("more than {MAX_LINES} lines"),
    };
    format!("line {}: {what}", error.line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::model::StaffId;

    fn departments() -> HashMap<String, DepartmentId> {
        [("D0001", 1), ("D0002", 2), ("D0003", 3)]
            .into_iter()
            .map(|(c, i)| (c.to_owned(), DepartmentId(i)))
            .collect()
    }

    fn file(lines: &[&str]) -> String {
        let mut text = HEADER.join(",");
        for line in lines {
            text.push('\n');
            text.push_str(line);
        }
        text
    }

    fn stored(no: &str, login: &str, dept: &str) -> Stored {
        Stored {
            id: StaffId(1),
            employee_no: no.into(),
            login: login.into(),
            name: "山田 太郎".into(),
            kana: "やまだ たろう".into(),
            department_code: dept.into(),
            position: "主査".into(),
            mail: "yamada@example".into(),
            posts: vec![],
            employment: Employment::Active,
        }
    }

    #[test]
    fn utf8_with_or_without_bom_and_shift_jis_are_all_read() {
        let text = file(&["100001,yamada,山田 太郎,やまだ たろう,D0001,主査,,,在職"]);
        let (sjis, _, _) = SHIFT_JIS.encode(&text);
        assert_eq!(
            decode(sjis.as_ref()),
            Some((text.clone(), Encoding::ShiftJis))
        );
        assert_eq!(
            decode(text.as_bytes()),
            Some((text.clone(), Encoding::Utf8))
        );
        let bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&bom), Some((text, Encoding::Utf8)));
        assert_eq!(decode(&[0x82, 0xFF, 0xFF]), None);
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number() {
        let text = file(&[
            "100001,yamada,山田 太郎,やまだ たろう,D0001,主査,,,在職",
            "100002,sato,佐藤 花子,さとう はなこ,D9999,課長,,,在職",
            "100003,ta naka,田中,たなか,D0002,主事,,D0003,在職",
            "100001,suzuki,鈴木,すずき,D0002,主事,,,休職",
            "100005,,高橋,たかはし,D0002,主事,,,",
            "too,few",
            "100006,taken,伊藤,いとう,D0002,主事,,,",
        ]);
        let logins = HashMap::from([("taken".to_owned(), "999999".to_owned())]);
        let errors = parse(&text, &departments(), &logins).unwrap_err();
        let messages: Vec<String> = errors.iter().map(message_ja).collect();
        assert_eq!(
            messages,
            [
                "3行目: 所属コード「D9999」の組織がありません",
                "4行目: ログインID「ta naka」に使えない文字があります",
                "4行目: 兼務「D0003」は「所属コード:職名」の形で書いてください",
                "5行目: 在職区分「休職」は「在職」か「退職」にしてください",
                "5行目: 職員番号「100001」が2行目にもあります",
                "6行目: 「ログインID」が空です",
                "7行目: 列の数が2個です（9個必要です）",
                "8行目: ログインID「taken」は別の職員が使っています",
            ]
        );
        assert!(message_en(&errors[0]).starts_with("line 3: no department"));
    }

    #[test]
    fn a_wrong_header_stops_at_line_one() {
        let errors = parse("番号,名前\n1,a", &departments(), &HashMap::new()).unwrap_err();
        assert_eq!(
            errors,
            [LineError {
                line: 1,
                problem: LineProblem::BadHeader
            }]
        );
    }

    #[test]
    fn the_plan_lists_additions_transfers_and_retirements_field_by_field() {
        let text = file(&[
            "100001,yamada,山田 太郎,やまだ たろう,D0002,主査,yamada@example,D0003:課長補佐,在職",
            "100002,sato,山田 太郎,やまだ たろう,D0001,主査,yamada@example,,退職",
            "100003,new,新人 一郎,しんじん いちろう,D0001,主事,,,在職",
            "100004,same,山田 太郎,やまだ たろう,D0001,主査,yamada@example,,",
        ]);
        let records = parse(&text, &departments(), &HashMap::new()).unwrap();
        let stored = [
            stored("100001", "yamada", "D0001"),
            stored("100002", "sato", "D0001"),
            stored("100004", "same", "D0001"),
            stored("100009", "untouched", "D0001"),
        ];
        let plan = plan(records, &stored);
        assert_eq!(plan.added.len(), 1);
        assert_eq!(plan.unchanged, 1);
        assert_eq!(plan.transfers(), 1);
        assert_eq!(plan.retirements(), 1);
        let transfer = &plan.changed[0];
        assert_eq!(
            transfer.fields,
            [
                FieldChange {
                    field: "所属コード",
                    before: "D0001".into(),
                    after: "D0002".into()
                },
                FieldChange {
                    field: "兼務",
                    before: String::new(),
                    after: "D0003:課長補佐".into()
                },
            ]
        );
    }
}
