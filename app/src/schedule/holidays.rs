//! Japanese public holidays (国民の祝日, 振替休日, 国民の休日), computed by rule from the
//! Act on National Holidays as amended up to 2018, with the one-off moves of 2019-2021.
//!
//! Pure: a year in, its holidays out. The equinox days use the astronomical approximation the
//! National Astronomical Observatory's announcements match for 1980-2099, so years outside
//! [`FIRST_YEAR`]..=[`LAST_YEAR`] have no holidays here rather than wrong ones.

use time::{Date, Month, Weekday};

/// The first year computed: the current substitute-holiday rule dates from 2007.
pub const FIRST_YEAR: i32 = 2007;
/// The last year the equinox approximation is good for.
pub const LAST_YEAR: i32 = 2099;

/// One holiday: its date and Japanese name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    /// The date.
    pub date: Date,
    /// The name ("元日", "振替休日", ...).
    pub name: &'static str,
}

/// Every holiday of `year` in date order; empty outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
pub fn holidays_of(year: i32) -> Vec<Holiday> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Vec::new();
    }
    let mut days = national_holidays(year);
    days.sort_by_key(|h| h.date);
    // 国民の休日: a plain day between two national holidays.
    let mut between = Vec::new();
    for pair in days.windows(2) {
        if let [a, b] = pair
            && let Some(middle) = a.date.next_day()
            && middle.next_day() == Some(b.date)
            && middle.weekday() != Weekday::Sunday
        {
            between.push(Holiday {
                date: middle,
                name: "国民の休日",
            });
        }
    }
    days.extend(between);
    days.sort_by_key(|h| h.date);
    // 振替休日: a national holiday on a Sunday moves the rest to the next day that is not one.
    let mut substitutes = Vec::new();
    for holiday in &days {
        if holiday.date.weekday() != Weekday::Sunday || holiday.name == "国民の休日" {
            continue;
        }
        let mut day = holiday.date.next_day();
        while let Some(candidate) = day {
            if days.iter().any(|h| h.date == candidate) {
                day = candidate.next_day();
            } else {
                break;
            }
        }
        if let Some(date) = day
            && date.year() == year
        {
            substitutes.push(Holiday {
                date,
                name: "振替休日",
            });
        }
    }
    days.extend(substitutes);
    days.sort_by_key(|h| h.date);
    days.dedup_by_key(|h| h.date);
    days
}

/// The holiday on `date`, if it is one.
pub fn holiday_on(date: Date) -> Option<Holiday> {
    holidays_of(date.year())
        .into_iter()
        .find(|h| h.date == date)
}

/// The national holidays (国民の祝日) of `year`, without substitutes or days between.
fn national_holidays(year: i32) -> Vec<Holiday> {
    let mut out = Vec::with_capacity(20);
    let mut fixed = |month: Month, day: u8, name: &'static str| {
        if let Ok(date) = Date::from_calendar_date(year, month, day) {
            out.push(Holiday { date, name });
        }
    };
    fixed(Month::January, 1, "元日");
    fixed(Month::February, 11, "建国記念の日");
    if year >= 2020 {
        fixed(Month::February, 23, "天皇誕生日");
    }
    fixed(Month::April, 29, "昭和の日");
    fixed(Month::May, 3, "憲法記念日");
    fixed(Month::May, 4, "みどりの日");
    fixed(Month::May, 5, "こどもの日");
    fixed(Month::November, 3, "文化の日");
    fixed(Month::November, 23, "勤労感謝の日");
    if year <= 2018 {
        fixed(Month::December, 23, "天皇誕生日");
    }
    if year == 2019 {
        fixed(Month::May, 1, "天皇の即位の日");
        fixed(Month::October, 22, "即位礼正殿の儀の行われる日");
    }
    // The Tokyo Games moved three holidays in 2020 and again in 2021.
    match year {
        2020 => {
            fixed(Month::July, 23, "海の日");
            fixed(Month::July, 24, "スポーツの日");
            fixed(Month::August, 10, "山の日");
        }
        2021 => {
            fixed(Month::July, 22, "海の日");
            fixed(Month::July, 23, "スポーツの日");
            fixed(Month::August, 8, "山の日");
        }
        _ => {
            if year >= 2016 {
                fixed(Month::August, 11, "山の日");
            }
        }
    }
    fixed(Month::March, vernal_equinox_day(year), "春分の日");
    fixed(Month::September, autumnal_equinox_day(year), "秋分の日");
    let mut monday = |month: Month, nth: u8, name: &'static str| {
        if let Some(date) = nth_weekday(year, month, Weekday::Monday, nth) {
            out.push(Holiday { date, name });
        }
    };
    monday(Month::January, 2, "成人の日");
    if year != 2020 && year != 2021 {
        monday(Month::July, 3, "海の日");
        let name = if year >= 2020 {
            "スポーツの日"
        } else {
            "体育の日"
        };
        monday(Month::October, 2, name);
    }
    monday(Month::September, 3, "敬老の日");
    out
}

/// The `nth` (1-based) `weekday` of `month`, if the month has that many.
pub fn nth_weekday(year: i32, month: Month, weekday: Weekday, nth: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    let day = 1 + offset + 7 * nth.checked_sub(1)?;
    Date::from_calendar_date(year, month, day).ok()
}

/// Day of March of the vernal equinox, by the approximation valid for 1980-2099.
fn vernal_equinox_day(year: i32) -> u8 {
    equinox(year, 20.8431)
}

/// Day of September of the autumnal equinox, by the approximation valid for 1980-2099.
fn autumnal_equinox_day(year: i32) -> u8 {
    equinox(year, 23.2488)
}

fn equinox(year: i32, base: f64) -> u8 {
    let since = f64::from(year - 1980);
    let day = (base + 0.242194 * since - (since / 4.0).floor()).floor();
    // Always 19..=24 for the supported years.
    day.clamp(1.0, 31.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn names(year: i32) -> Vec<(Date, &'static str)> {
        holidays_of(year).iter().map(|h| (h.date, h.name)).collect()
    }

    #[test]
    fn the_2019_imperial_transition_gives_ten_days_off() {
        let golden_week: Vec<_> = names(2019)
            .into_iter()
            .filter(|(d, _)| (date!(2019 - 04 - 27)..=date!(2019 - 05 - 06)).contains(d))
            .collect();
        assert_eq!(
            golden_week,
            [
                (date!(2019 - 04 - 29), "昭和の日"),
                (date!(2019 - 04 - 30), "国民の休日"),
                (date!(2019 - 05 - 01), "天皇の即位の日"),
                (date!(2019 - 05 - 02), "国民の休日"),
                (date!(2019 - 05 - 03), "憲法記念日"),
                (date!(2019 - 05 - 04), "みどりの日"),
                (date!(2019 - 05 - 05), "こどもの日"),
                (date!(2019 - 05 - 06), "振替休日"),
            ]
        );
        assert_eq!(
            holiday_on(date!(2019 - 10 - 22)).map(|h| h.name),
            Some("即位礼正殿の儀の行われる日")
        );
        assert_eq!(holiday_on(date!(2019 - 12 - 23)), None);
        assert_eq!(
            holiday_on(date!(2018 - 12 - 23)).map(|h| h.name),
            Some("天皇誕生日")
        );
        assert_eq!(
            holiday_on(date!(2020 - 02 - 23)).map(|h| h.name),
            Some("天皇誕生日")
        );
        assert_eq!(
            holiday_on(date!(2020 - 02 - 24)).map(|h| h.name),
            Some("振替休日")
        );
    }

    #[test]
    fn the_olympic_years_moved_three_holidays() {
        for (day, name) in [
            (date!(2020 - 07 - 23), "海の日"),
            (date!(2020 - 07 - 24), "スポーツの日"),
            (date!(2020 - 08 - 10), "山の日"),
            (date!(2021 - 07 - 22), "海の日"),
            (date!(2021 - 07 - 23), "スポーツの日"),
            (date!(2021 - 08 - 08), "山の日"),
            (date!(2021 - 08 - 09), "振替休日"),
        ] {
            assert_eq!(holiday_on(day).map(|h| h.name), Some(name), "{day}");
        }
        for plain in [
            date!(2020 - 07 - 20),
            date!(2020 - 10 - 12),
            date!(2021 - 08 - 11),
        ] {
            assert_eq!(holiday_on(plain), None, "{plain}");
        }
    }

    #[test]
    fn known_dates_of_recent_years_are_holidays() {
        let table = [
            (date!(2023 - 01 - 02), "振替休日"),
            (date!(2023 - 03 - 21), "春分の日"),
            (date!(2023 - 09 - 23), "秋分の日"),
            (date!(2024 - 02 - 12), "振替休日"),
            (date!(2024 - 03 - 20), "春分の日"),
            (date!(2024 - 09 - 22), "秋分の日"),
            (date!(2024 - 09 - 23), "振替休日"),
            (date!(2025 - 01 - 13), "成人の日"),
            (date!(2025 - 03 - 20), "春分の日"),
            (date!(2025 - 05 - 06), "振替休日"),
            (date!(2025 - 09 - 23), "秋分の日"),
            (date!(2025 - 11 - 24), "振替休日"),
            (date!(2026 - 05 - 06), "振替休日"),
            (date!(2026 - 09 - 22), "国民の休日"),
            (date!(2026 - 09 - 23), "秋分の日"),
            (date!(2015 - 09 - 22), "国民の休日"),
            (date!(2009 - 09 - 22), "国民の休日"),
            (date!(2008 - 05 - 06), "振替休日"),
        ];
        for (day, name) in table {
            assert_eq!(holiday_on(day).map(|h| h.name), Some(name), "{day}");
        }
    }

    #[test]
    fn each_year_has_the_expected_number_of_days_off() {
        // Counted from the Cabinet Office's published lists.
        for (year, count) in [
            (2019, 22),
            (2020, 18),
            (2023, 17),
            (2024, 21),
            (2025, 19),
            (2026, 18),
        ] {
            assert_eq!(holidays_of(year).len(), count, "{year}: {:?}", names(year));
        }
    }

    #[test]
    fn ordinary_days_and_unsupported_years_have_no_holiday() {
        assert_eq!(holiday_on(date!(2025 - 11 - 25)), None);
        assert_eq!(holiday_on(date!(2025 - 05 - 07)), None);
        assert!(holidays_of(1999).is_empty());
        assert!(holidays_of(2100).is_empty());
    }

    #[test]
    fn nth_weekdays_are_found_and_missing_ones_are_none() {
        assert_eq!(
            nth_weekday(2025, Month::January, Weekday::Monday, 2),
            Some(date!(2025 - 01 - 13))
        );
        assert_eq!(
            nth_weekday(2025, Month::December, Weekday::Tuesday, 1),
            Some(date!(2025 - 12 - 02))
        );
        assert_eq!(nth_weekday(2025, Month::February, Weekday::Monday, 5), None);
        assert_eq!(nth_weekday(2025, Month::February, Weekday::Monday, 0), None);
    }
}
