// Tests of <cxkit/core/time.hpp>: calendar days and months on integer time stamps, against
// published dates (Unix epoch, Julian day numbers, the numpy/pandas datetime64[ns] limits) and a
// day-by-day Gregorian calendar written out here (leap rule: divisible by 4, except centuries,
// except every 400 years).
#include <cxkit/core/time.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <limits>

namespace {

using cxkit::core::civil_date;
using cxkit::core::civil_from_days;
using cxkit::core::day_of;
using cxkit::core::days_from_civil;
using cxkit::core::first_day_of_month;
using cxkit::core::floor_div;
using cxkit::core::month_of_day;

constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();

// The oracle calendar: proleptic Gregorian, written from the rule, not from the header.
bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
unsigned month_length(std::int64_t y, unsigned m) {
    static const unsigned len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29u : len[m - 1];
}
void next_day(civil_date& d) {
    if (d.day < month_length(d.year, d.month)) {
        ++d.day;
    } else if (d.month < 12) {
        ++d.month;
        d.day = 1;
    } else {
        ++d.year;
        d.month = 1;
        d.day = 1;
    }
}
bool same(const civil_date& a, const civil_date& b) { return a.year == b.year && a.month == b.month && a.day == b.day; }

// The header's functions are constexpr: checked at compile time too.
static_assert(days_from_civil(1970, 1, 1) == 0, "epoch");
static_assert(days_from_civil(2000, 3, 1) == 11017, "2000-03-01");
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).month == 12 && civil_from_days(-1).day == 31,
              "1969-12-31");
static_assert(month_of_day(-1) == -1, "1969-12");
static_assert(first_day_of_month(-1) == -31, "1969-12-01");
static_assert(floor_div(-1, 86400) == -1, "floor");
static_assert(day_of(-1, 86400) == -1, "day of the last second of 1969");

}  // namespace

TEST_CASE("time: days_from_civil against published dates") {
    // Days since 1970-01-01 (as Python's date subtraction and numpy datetime64[D] give them).
    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(1970, 1, 2) == 1);
    CHECK(days_from_civil(1969, 12, 31) == -1);
    CHECK(days_from_civil(2000, 1, 1) == 10957);
    CHECK(days_from_civil(2000, 2, 29) == 11016);
    CHECK(days_from_civil(2000, 3, 1) == 11017);
    CHECK(days_from_civil(1900, 1, 1) == -25567);
    CHECK(days_from_civil(1900, 2, 28) == -25509);
    CHECK(days_from_civil(1900, 3, 1) == -25508);  // 1900 is not a leap year: 02-28 -> 03-01
    CHECK(days_from_civil(2100, 2, 28) == 47540);
    CHECK(days_from_civil(2100, 3, 1) == 47541);   // nor is 2100
    CHECK(days_from_civil(2400, 2, 29) == 157113);  // 2400 is (divisible by 400)
    CHECK(days_from_civil(2400, 3, 1) == 157114);
    CHECK(days_from_civil(1600, 2, 29) == -135081);
    CHECK(days_from_civil(2038, 1, 19) == 24855);  // the day 2^31 seconds falls on
    CHECK(floor_div(std::int64_t{1} << 31, 86400) == 24855);
    CHECK(days_from_civil(1, 1, 1) == -719162);    // Python date.min: toordinal() 1 vs 719163 for the epoch
    CHECK(days_from_civil(9999, 12, 31) == 2932896);
    // Julian day numbers: JDN 2440588 is 1970-01-01, JDN 0 is -4713-11-24 (proleptic Gregorian).
    CHECK(days_from_civil(-4713, 11, 24) == -2440588);
    // Year 0 and before (astronomical numbering, as numpy): 0000 is a leap year.
    CHECK(days_from_civil(0, 3, 1) == -719468);
    CHECK(days_from_civil(0, 2, 29) == -719469);
    CHECK(days_from_civil(-1, 3, 1) == -719834);
    // numpy/pandas datetime64[ns] limits: 1677-09-21 .. 2262-04-11.
    CHECK(days_from_civil(1677, 9, 21) == -106752);
    CHECK(days_from_civil(2262, 4, 11) == 106751);
}

TEST_CASE("time: civil_from_days against published dates") {
    auto is = [](std::int64_t z, std::int64_t y, unsigned m, unsigned d) {
        const civil_date c = civil_from_days(z);
        CAPTURE(z);
        CHECK(c.year == y);
        CHECK(c.month == m);
        CHECK(c.day == d);
    };
    is(0, 1970, 1, 1);
    is(-1, 1969, 12, 31);
    is(11016, 2000, 2, 29);
    is(11017, 2000, 3, 1);
    is(-25509, 1900, 2, 28);
    is(-25508, 1900, 3, 1);
    is(157113, 2400, 2, 29);
    is(-719162, 1, 1, 1);
    is(-719469, 0, 2, 29);
    is(-2440588, -4713, 11, 24);
    is(20779, 2026, 11, 22);
}

TEST_CASE("time: day by day from year -2000 to 4000 the calendar matches the Gregorian rule") {
    // Walks 2.2 million consecutive days with the oracle calendar: both directions of the
    // conversion agree with it on every day, so there is no gap, repeat or wrong leap day.
    civil_date d{-2000, 1, 1};
    std::int64_t z = days_from_civil(-2000, 1, 1);
    std::int64_t mismatches = 0, leap_days = 0;
    for (; d.year < 4000; next_day(d), ++z) {
        if (days_from_civil(d.year, d.month, d.day) != z || !same(civil_from_days(z), d)) {
            if (mismatches++ < 5) {
                CAPTURE(z);
                CAPTURE(d.year);
                CAPTURE(d.month);
                CAPTURE(d.day);
                CHECK(false);
            }
        }
        leap_days += d.month == 2 && d.day == 29;
    }
    CHECK(mismatches == 0);
    // 6000 years = 15 cycles of 400 years, 97 leap days each.
    CHECK(leap_days == 15 * 97);
    CHECK(z - days_from_civil(-2000, 1, 1) == 15 * 146097);
}

TEST_CASE("time: round trip far from the epoch") {
    // A 400-year era is 146097 days: shifting a date by k eras shifts its day number by k * 146097.
    for (std::int64_t z : {std::int64_t{-1000000000}, std::int64_t{-123456789}, std::int64_t{-3},
                           std::int64_t{987654321}, std::int64_t{1000000000}}) {
        const civil_date c = civil_from_days(z);
        CAPTURE(z);
        CHECK(days_from_civil(c.year, c.month, c.day) == z);
        CHECK(c.month >= 1);
        CHECK(c.month <= 12);
        CHECK(c.day >= 1);
        CHECK(c.day <= month_length(c.year, c.month));
        const civil_date shifted = civil_from_days(z + 146097 * 5);
        CHECK(shifted.year == c.year + 2000);
        CHECK(shifted.month == c.month);
        CHECK(shifted.day == c.day);
    }
}

TEST_CASE("time: month_of_day and first_day_of_month, before and after the epoch") {
    CHECK(month_of_day(0) == 0);      // 1970-01
    CHECK(month_of_day(30) == 0);     // 1970-01-31
    CHECK(month_of_day(31) == 1);     // 1970-02-01
    CHECK(month_of_day(-1) == -1);    // 1969-12-31
    CHECK(month_of_day(-31) == -1);   // 1969-12-01
    CHECK(month_of_day(-32) == -2);   // 1969-11-30
    CHECK(month_of_day(-365) == -12); // 1969-01-01
    CHECK(month_of_day(-366) == -13); // 1968-12-31
    CHECK(month_of_day(11016) == 30 * 12 + 1);  // 2000-02
    CHECK(month_of_day(11017) == 30 * 12 + 2);  // 2000-03
    CHECK(month_of_day(days_from_civil(1, 1, 1)) == -1969 * 12);

    CHECK(first_day_of_month(0) == 0);
    CHECK(first_day_of_month(1) == 31);
    CHECK(first_day_of_month(2) == 59);   // 1970-03-01
    CHECK(first_day_of_month(12) == 365);
    CHECK(first_day_of_month(-1) == -31);
    CHECK(first_day_of_month(-12) == -365);
    CHECK(first_day_of_month(-13) == -396);  // 1968-12-01
    CHECK(first_day_of_month(30 * 12 + 1) == days_from_civil(2000, 2, 1));

    // Every month from 1500 to 2500: the first day is in the month, the day before is not, and
    // the month holds as many days as the calendar says.
    for (std::int64_t m = -470 * 12; m < 530 * 12; ++m) {
        const std::int64_t f = first_day_of_month(m), next = first_day_of_month(m + 1);
        const civil_date c = civil_from_days(f);
        if (month_of_day(f) != m || month_of_day(f - 1) != m - 1 || month_of_day(next - 1) != m || c.day != 1 ||
            next - f != month_length(c.year, c.month)) {
            CAPTURE(m);
            CHECK(false);
            break;
        }
    }
}

TEST_CASE("time: floor_div rounds toward minus infinity") {
    CHECK(floor_div(0, 86400) == 0);
    CHECK(floor_div(86399, 86400) == 0);
    CHECK(floor_div(86400, 86400) == 1);
    CHECK(floor_div(-1, 86400) == -1);
    CHECK(floor_div(-86399, 86400) == -1);
    CHECK(floor_div(-86400, 86400) == -1);
    CHECK(floor_div(-86401, 86400) == -2);
    CHECK(floor_div(7, 2) == 3);
    CHECK(floor_div(-7, 2) == -4);
    CHECK(floor_div(-8, 2) == -4);
    CHECK(floor_div(-5, 1) == -5);
    CHECK(floor_div(i64_max, 86400) == 106751991167300);
    CHECK(floor_div(i64_min, 86400) == -106751991167301);
    CHECK(floor_div(i64_min, 2) == i64_min / 2);  // exact
    CHECK(floor_div(i64_min + 1, i64_max) == -1);
    CHECK(floor_div(i64_min, i64_max) == -2);
}

TEST_CASE("time: day_of with seconds and nanoseconds") {
    const std::int64_t spd = cxkit::core::seconds_per_day, npd = cxkit::core::nanoseconds_per_day;
    CHECK(spd == 86400);
    CHECK(npd == 86400000000000);
    // Seconds.
    CHECK(day_of(0, spd) == 0);
    CHECK(day_of(86399, spd) == 0);
    CHECK(day_of(86400, spd) == 1);
    CHECK(day_of(-1, spd) == -1);  // 1969-12-31T23:59:59
    CHECK(day_of(-86400, spd) == -1);
    CHECK(day_of(-86401, spd) == -2);
    CHECK(day_of(951782400, spd) == 11016);  // 2000-02-29T00:00:00Z
    CHECK(day_of(951868799, spd) == 11016);  // 2000-02-29T23:59:59Z
    CHECK(day_of(951868800, spd) == 11017);  // 2000-03-01T00:00:00Z
    // Nanoseconds (numpy datetime64[ns]).
    CHECK(day_of(1, npd) == 0);
    CHECK(day_of(-1, npd) == -1);
    CHECK(day_of(951868800LL * 1000000000LL, npd) == 11017);
    CHECK(day_of(951868800LL * 1000000000LL - 1, npd) == 11016);
    CHECK(day_of(-25509LL * npd + 12345, npd) == -25509);  // 1900-02-28, a little after midnight
    // The ends of datetime64[ns]: 2262-04-11T23:47:16.854775807 and 1677-09-21T00:12:43.145224193
    // (INT64_MIN itself is numpy's NaT, not a time).
    CHECK(day_of(i64_max, npd) == 106751);
    CHECK(day_of(i64_min + 1, npd) == -106752);
    CHECK(day_of(i64_min, npd) == -106752);
}

// ISO weeks and quarters, against dates read from a calendar: 1969-12-29 and 2024-12-30 are
// Mondays (the latter starts ISO week 2025-W01), 2021-01-03 is a Sunday; quarters start in
// January, April, July and October.
TEST_CASE("time: week_of_day and quarter_of_day") {
    using cxkit::core::first_day_of_quarter;
    using cxkit::core::first_day_of_week;
    using cxkit::core::quarter_of_day;
    using cxkit::core::week_of_day;
    CHECK(week_of_day(days_from_civil(1969, 12, 29)) == 0);
    CHECK(week_of_day(days_from_civil(1970, 1, 4)) == 0);
    CHECK(week_of_day(days_from_civil(1970, 1, 5)) == 1);
    CHECK(week_of_day(days_from_civil(1969, 12, 28)) == -1);
    const std::int64_t w = week_of_day(days_from_civil(2024, 12, 30));
    CHECK(first_day_of_week(w) == days_from_civil(2024, 12, 30));
    CHECK(week_of_day(days_from_civil(2025, 1, 5)) == w);
    CHECK(week_of_day(days_from_civil(2025, 1, 6)) == w + 1);
    CHECK(first_day_of_week(week_of_day(days_from_civil(2021, 1, 3))) == days_from_civil(2020, 12, 28));
    for (std::int64_t d = -1000; d < 1000; ++d) {
        const std::int64_t k = week_of_day(d);
        CHECK((d - first_day_of_week(k) >= 0 && d - first_day_of_week(k) < 7));
    }
    CHECK(quarter_of_day(0) == 0);
    CHECK(quarter_of_day(days_from_civil(1970, 3, 31)) == 0);
    CHECK(quarter_of_day(days_from_civil(1970, 4, 1)) == 1);
    CHECK(quarter_of_day(days_from_civil(1969, 12, 31)) == -1);
    CHECK(quarter_of_day(days_from_civil(2011, 8, 15)) == 41 * 4 + 2);
    CHECK(first_day_of_quarter(-1) == days_from_civil(1969, 10, 1));
    CHECK(first_day_of_quarter(41 * 4 + 3) == days_from_civil(2011, 10, 1));
}

TEST_CASE("time: iso_date writes YYYY-MM-DD") {
    using cxkit::core::iso_date;
    CHECK(iso_date(0) == "1970-01-01");
    CHECK(iso_date(-1) == "1969-12-31");
    CHECK(iso_date(cxkit::core::days_from_civil(2024, 2, 29)) == "2024-02-29");
    CHECK(iso_date(cxkit::core::days_from_civil(9, 3, 7)) == "0009-03-07");
    CHECK(iso_date(cxkit::core::days_from_civil(12345, 12, 31)) == "12345-12-31");
}
