//! Release dates: RFC 2822 timestamps such as `Sat, 21 Nov 2026 09:15:44 UTC`.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// A point in time with second precision, as Release files write it (`Date:`,
/// `Valid-Until:`). `Display` gives the RFC 2822 form in UTC and round-trips through
/// `FromStr`, which also accepts numeric zones (`+0100`) and `GMT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReleaseDate(i64);

/// Why a string is not an RFC 2822 date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 2822 date such as `Sat, 21 Nov 2026 09:15:44 UTC`")]
pub struct DateError(pub String);

impl ReleaseDate {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix(seconds: i64) -> Self {
        ReleaseDate(seconds)
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// The date of a [`SystemTime`] (whole seconds; times before 1970 become 1970).
    pub fn from_system_time(time: SystemTime) -> Self {
        let secs = time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        ReleaseDate(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

impl FromStr for ReleaseDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, DateError> {
        parse(s).ok_or_else(|| DateError(s.to_owned()))
    }
}

fn parse(s: &str) -> Option<ReleaseDate> {
    let mut words = s.split_whitespace().peekable();
    // Optional `Sat,` (the weekday is not checked: the date decides).
    if words.peek()?.ends_with(',') {
        words.next();
    }
    let day: i64 = number(words.next()?, 1, 2)?;
    let month_name = words.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = number(words.next()?, 4, 4)?;
    let mut clock = words.next()?.split(':');
    let hour: i64 = number(clock.next()?, 2, 2)?;
    let minute: i64 = number(clock.next()?, 2, 2)?;
    let second: i64 = number(clock.next()?, 2, 2)?;
    let offset = zone(words.next()?)?;
    let valid = clock.next().is_none()
        && words.next().is_none()
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(ReleaseDate(
        days * 86400 + hour * 3600 + minute * 60 + second - offset,
    ))
}

fn number(s: &str, min_len: usize, max_len: usize) -> Option<i64> {
    let ok = (min_len..=max_len).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if ok {
        s.parse().ok()
    } else {
        None
    }
}

/// The zone's offset east of UTC, in seconds.
fn zone(s: &str) -> Option<i64> {
    match s {
        "UTC" | "GMT" | "Z" | "UT" => return Some(0),
        _ => {}
    }
    let (sign, digits) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    let hhmm = number(digits, 4, 4)?;
    let (hours, minutes) = (hhmm / 100, hhmm % 100);
    (minutes < 60).then_some(sign * (hours * 3600 + minutes * 60))
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl fmt::Display for ReleaseDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86400);
        let secs = self.0.rem_euclid(86400);
        let (year, month, day) = civil_from_days(days);
        let weekday = WEEKDAYS
            .get(days.rem_euclid(7) as usize)
            .copied()
            .unwrap_or("???");
        let month = MONTHS.get((month - 1) as usize).copied().unwrap_or("???");
        write!(
            f,
            "{weekday}, {day:02} {month} {year} {:02}:{:02}:{:02} UTC",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

impl serde::Serialize for ReleaseDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ReleaseDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> ReleaseDate {
        s.parse().unwrap()
    }

    #[test]
    fn debian_release_date_parses_to_the_right_instant_and_round_trips() {
        // `date -u -d 'Sat, 21 Nov 2026 09:15:44 UTC' +%s`
        let d = date("Sat, 21 Nov 2026 09:15:44 UTC");
        assert_eq!(d.unix(), 1_795_252_544);
        assert_eq!(d.to_string(), "Sat, 21 Nov 2026 09:15:44 UTC");
        assert_eq!(date("Thu, 01 Jan 1970 00:00:00 UTC").unix(), 0);
        assert_eq!(
            date("Tue, 29 Feb 2028 23:59:59 UTC").to_string(),
            "Tue, 29 Feb 2028 23:59:59 UTC"
        );
    }

    #[test]
    fn single_digit_day_numeric_zone_and_missing_weekday_are_accepted() {
        let utc = date("Sat, 21 Nov 2026 09:15:44 UTC");
        assert_eq!(date("21 Nov 2026 10:15:44 +0100"), utc);
        assert_eq!(date("Sat, 21 Nov 2026 04:15:44 -0500"), utc);
        assert_eq!(
            date("Mon, 2 Mar 2026 00:00:00 GMT").to_string(),
            "Mon, 02 Mar 2026 00:00:00 UTC"
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for bad in [
            "",
            "Sat, 31 Nov 2026 09:15:44 UTC",
            "Sat, 29 Feb 2027 09:15:44 UTC",
            "Sat, 21 Now 2026 09:15:44 UTC",
            "Sat, 21 Nov 2026 24:00:00 UTC",
            "Sat, 21 Nov 2026 09:15 UTC",
            "Sat, 21 Nov 2026 09:15:44",
            "Sat, 21 Nov 2026 09:15:44 CEST",
            "Sat, 21 Nov 2026 09:15:44 UTC trailing",
            "2026-11-21T09:15:44Z",
        ] {
            assert!(bad.parse::<ReleaseDate>().is_err(), "{bad}");
        }
        assert_eq!(
            "x".parse::<ReleaseDate>().unwrap_err().to_string(),
            "`x` is not an RFC 2822 date such as `Sat, 21 Nov 2026 09:15:44 UTC`"
        );
    }

    #[test]
    fn order_follows_time() {
        assert!(date("Sat, 21 Nov 2026 09:15:44 UTC") < date("Sat, 21 Nov 2026 09:15:45 UTC"));
        assert!(date("Sun, 01 Jan 2023 00:00:00 UTC") < date("Sat, 21 Nov 2026 09:15:44 UTC"));
    }
}
