//! Timestamps written to the profile item (post-confirmation's `created_at`,
//! post-authentication's `last_sign_in_at`): RFC 3339 in UTC, to the
//! millisecond, such as `2026-11-22T01:02:03.456Z`.
//!
//! One fixed-width UTC format sorts as text in time order, which is what a
//! DynamoDB string attribute needs. Formatting a UTC instant takes one
//! calendar conversion ([`civil_from_days`]), so no date crate is pulled in
//! for it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `time` as `YYYY-MM-DDTHH:MM:SS.mmmZ`. A clock set before 1970 (never the
/// case on Lambda) is clamped to the epoch rather than failing the sign-up.
pub fn rfc3339_utc(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = since_epoch.as_secs();
    let days = (seconds / 86_400) as i64;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60,
        since_epoch.subsec_millis(),
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01, as (year, month,
/// day). Howard Hinnant's `civil_from_days`: it counts in 400-year eras of
/// 146,097 days, each starting on 1 March so that the leap day falls last.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let month_from_march = (5 * day_of_year + 2) / 153; // [0, 11]
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32; // [1, 31]
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32; // [1, 12]
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis)
    }

    #[test]
    fn formats_known_instants() {
        // Expected values checked with Python's datetime.fromtimestamp(t, utc).
        for (seconds, millis, expected) in [
            (0, 0, "1970-01-01T00:00:00.000Z"),
            (951_782_400, 0, "2000-02-29T00:00:00.000Z"),
            (951_868_799, 999, "2000-02-29T23:59:59.999Z"),
            (1_709_164_800, 7, "2024-02-29T00:00:00.007Z"),
            (1_795_309_323, 456, "2026-11-22T01:02:03.456Z"),
            (4_102_444_800, 0, "2100-01-01T00:00:00.000Z"),
        ] {
            assert_eq!(rfc3339_utc(at(seconds, millis)), expected, "{seconds}");
        }
    }

    #[test]
    fn a_clock_before_the_epoch_is_clamped() {
        let before = UNIX_EPOCH - Duration::from_secs(1);
        assert_eq!(rfc3339_utc(before), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn civil_from_days_walks_every_day_of_four_centuries() {
        // Walk day by day from 1970 across 1970..2370 (leap years, the
        // skipped 2100/2200/2300 leap days, the kept 2000 one) and check each
        // date follows the previous one.
        let days_in_month = |year: i64, month: u32| match month {
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut expected = (1970, 1, 1);
        for days in 0..146_097 {
            assert_eq!(civil_from_days(days), expected, "day {days}");
            let (year, month, day) = expected;
            expected = if day < days_in_month(year, month) {
                (year, month, day + 1)
            } else if month < 12 {
                (year, month + 1, 1)
            } else {
                (year + 1, 1, 1)
            };
        }
        assert_eq!(expected, (2370, 1, 1));
    }

    #[test]
    fn civil_from_days_handles_days_before_the_epoch() {
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }
}
