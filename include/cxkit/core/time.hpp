/**
 * @file time.hpp
 * @brief Calendar arithmetic on integer time stamps: days since 1970-01-01 (UTC) and months.
 *
 * cxkit's C++ API takes times as integers counted from the Unix epoch in a stated unit
 * (seconds, or nanoseconds as numpy's datetime64[ns]); no time-zone database is involved, so a
 * caller who wants local calendar days shifts the stamps by the UTC offset first. Days and months
 * are proleptic Gregorian. The civil-date conversion is the classic era/day-of-era decomposition
 * (400-year eras of 146097 days, years starting in March so the leap day is last).
 */
#ifndef CXKIT_CORE_TIME_HPP
#define CXKIT_CORE_TIME_HPP

#include <cstdint>
#include <cstdio>
#include <string>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

constexpr std::int64_t seconds_per_day = 86400;
constexpr std::int64_t nanoseconds_per_day = 86400LL * 1000000000LL;

/// ⌊a / b⌋ for b > 0 (C++ division truncates toward zero; times before 1970 are negative).
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/// A calendar date.
struct civil_date {
    std::int64_t year = 1970;
    unsigned month = 1;  ///< 1..12
    unsigned day = 1;    ///< 1..31
};

/// Days since 1970-01-01 of a proleptic Gregorian date.
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const std::int64_t yoe = y - era * 400;                                                  // [0, 399]
    const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + static_cast<std::int64_t>(d) - 1;  // [0, 365]
    const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                          // [0, 146096]
    return era * 146097 + doe - 719468;
}

/// The date of a day number (inverse of days_from_civil).
constexpr civil_date civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    return civil_date{yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

/// Calendar months since 1970-01 of a day number (1970-01 = 0, 1969-12 = −1).
constexpr std::int64_t month_of_day(std::int64_t day) noexcept {
    const civil_date c = civil_from_days(day);
    return (c.year - 1970) * 12 + static_cast<std::int64_t>(c.month) - 1;
}

/// First day (days since epoch) of a month index from month_of_day.
constexpr std::int64_t first_day_of_month(std::int64_t month) noexcept {
    const std::int64_t y = 1970 + floor_div(month, 12);
    return days_from_civil(y, static_cast<unsigned>(month - floor_div(month, 12) * 12 + 1), 1);
}

/// Day number of a time stamp counted in `units_per_day` units from the epoch (86400 for seconds).
constexpr std::int64_t day_of(std::int64_t stamp, std::int64_t units_per_day) noexcept {
    return floor_div(stamp, units_per_day);
}

/// ISO weeks (Monday start) since the week of 1970-01-01: week 0 starts Monday 1969-12-29 (day −3).
constexpr std::int64_t week_of_day(std::int64_t day) noexcept { return floor_div(day + 3, 7); }

/// First day (a Monday) of a week index from week_of_day.
constexpr std::int64_t first_day_of_week(std::int64_t week) noexcept { return week * 7 - 3; }

/// Calendar quarters since 1970-Q1 of a day number (1970-Q1 = 0, 1969-Q4 = −1).
constexpr std::int64_t quarter_of_day(std::int64_t day) noexcept { return floor_div(month_of_day(day), 3); }

/// First day of a quarter index from quarter_of_day.
constexpr std::int64_t first_day_of_quarter(std::int64_t quarter) noexcept { return first_day_of_month(quarter * 3); }

/// ISO 8601 text "YYYY-MM-DD" of a day number (for messages and reprs; at least four year digits,
/// a minus sign before years below 0).
inline std::string iso_date(std::int64_t day) {
    const civil_date d = civil_from_days(day);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(d.year), d.month, d.day);
    return buf;
}

}  // namespace core
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_TIME_HPP
