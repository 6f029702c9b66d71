/**
 * @file cohort.hpp
 * @brief Cohort retention and churn (METRICS.md §4 "Cohort retention and churn").
 *
 * Definitions (METRICS.md §4):
 * - The cohort of a customer is the period of its first event; age k = period index − cohort
 *   index. Periods: calendar day, ISO week (Monday start), month, quarter (core/time.hpp).
 * - exact[c, k] = customers of cohort c with an event in age k; unbounded[c, k] = customers of c
 *   with an event at age ≥ k. size_c = exact[c, 0]; rates = counts / size.
 * - Cells whose period lies after the last observed period are not observed (NaN, never 0).
 *   The observation end is the last event day (or a given day); the cell of the last period is
 *   flagged `partial` when that period continues after the observation end.
 * - Pooled curve R(k) = Σ_c count[c, k] / Σ_{c observed at k} size_c.
 * - Rolling periods (`rolling_days` = N > 0): the cohort is still the calendar period of the first
 *   event, but the age of an event is ⌊(day − first day of the customer) / N⌋. Cell (c, k) is
 *   observed when its earliest possible start, start(c) + kN, is on or before the observation end,
 *   and partial when the latest possible end, end(c) + kN + N − 1, is after it.
 * - Revenue retention: revenue[c, k] = Σ revenue of the events of cohort c's customers at age k;
 *   revenue rate = revenue[c, k] / revenue[c, 0].
 * - Churn for period p (calendar periods): active_start = customers active in p − 1, lost = those of
 *   them not active in p, churn_rate = lost / active_start.
 * - Churn durations (threshold T days, observation end E): per customer first and last activity
 *   day; observed (churned) when E − last > T, duration = last − first days; otherwise censored,
 *   duration = E − first.
 * - Rows with a missing customer or time are not customers: skipped and counted (n_missing). A time
 *   that is not a time, outside ±(2^31 − 1) days, after a given observation end, or a revenue that is not
 *   finite, is invalid (raise, or drop and count).
 *
 * Two ways in: `retention_count` (one pass over dense customer codes with a per-customer bitmap of
 * ages, the kernel behind `cx.retention`) and `cohort_accumulator` (the mergeable state).
 */
#ifndef CXKIT_CUSTOMER_COHORT_HPP
#define CXKIT_CUSTOMER_COHORT_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/time.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace customer {

/// Calendar periods of cohorts.
enum class cohort_period : std::uint8_t { day = 0, week = 1, month = 2, quarter = 3 };

/// Parses "D", "W", "M", "Q". @throws invalid_argument naming the bad value.
inline cohort_period parse_cohort_period(const std::string& text) {
    if (text == "D") return cohort_period::day;
    if (text == "W") return cohort_period::week;
    if (text == "M") return cohort_period::month;
    if (text == "Q") return cohort_period::quarter;
    CXKIT_THROW(invalid_argument, "period must be \"D\", \"W\", \"M\" or \"Q\", got \"" + text + "\"");
}

/// Retention kinds (METRICS.md §4).
enum class retention_kind { exact, unbounded };

/// Parses "exact" / "unbounded". @throws invalid_argument naming the bad value.
inline retention_kind parse_retention_kind(const std::string& text) {
    if (text == "exact") return retention_kind::exact;
    if (text == "unbounded") return retention_kind::unbounded;
    CXKIT_THROW(invalid_argument, "kind must be \"exact\" or \"unbounded\", got \"" + text + "\"");
}

/// Days beyond ±(2^31 − 1) from the epoch are invalid times (the calendar helpers stay exact far beyond).
constexpr std::int64_t cohort_max_abs_day = (std::int64_t{1} << 31) - 1;

/// How events map to cohorts and ages.
struct cohort_spec {
    cohort_period period = cohort_period::month;
    std::int64_t rolling_days = 0;  ///< 0: calendar ages; N > 0: ages of N days from the first event

    bool rolling() const noexcept { return rolling_days > 0; }
    /// Calendar period index of a day.
    std::int64_t period_of_day(std::int64_t day) const noexcept {
        switch (period) {
            case cohort_period::day: return day;
            case cohort_period::week: return core::week_of_day(day);
            case cohort_period::month: return core::month_of_day(day);
            case cohort_period::quarter: return core::quarter_of_day(day);
        }
        return day;
    }
    /// First day of a period index.
    std::int64_t period_start(std::int64_t p) const noexcept {
        switch (period) {
            case cohort_period::day: return p;
            case cohort_period::week: return core::first_day_of_week(p);
            case cohort_period::month: return core::first_day_of_month(p);
            case cohort_period::quarter: return core::first_day_of_quarter(p);
        }
        return p;
    }
    /// Last day of a period index.
    std::int64_t period_end(std::int64_t p) const noexcept { return period_start(p + 1) - 1; }
    /// The unit the state keeps per event: the day when rolling, else the period.
    std::int64_t unit_of_day(std::int64_t day) const noexcept { return rolling() ? day : period_of_day(day); }
    /// Age of a unit for a customer whose first unit is `first`.
    std::int64_t age(std::int64_t unit, std::int64_t first) const noexcept {
        return rolling() ? (unit - first) / rolling_days : unit - first;
    }
    bool operator==(const cohort_spec& o) const noexcept { return period == o.period && rolling_days == o.rolling_days; }
    bool operator!=(const cohort_spec& o) const noexcept { return !(*this == o); }
};

/// @throws invalid_argument for a negative rolling period.
inline void check_cohort_spec(const cohort_spec& s) {
    if (s.rolling_days < 0 || s.rolling_days > 100000)
        CXKIT_THROW(invalid_argument, "rolling_days must be 0 (calendar periods) or 1..100000, got " +
                                          std::to_string(s.rolling_days));
    if (static_cast<unsigned>(s.period) > 3) CXKIT_THROW(invalid_argument, "unknown cohort period");
}

/**
 * Retention matrices of one computation: rows are the non-empty cohorts in period order, columns
 * the ages 0..n_ages−1, row-major.
 */
struct cohort_table {
    cohort_spec spec;
    bool has_data = false;
    std::int64_t end_day = 0;              ///< observation end (days since epoch)
    std::vector<std::int64_t> cohorts;     ///< period index per row
    std::size_t n_ages = 0;
    std::vector<std::uint64_t> exact;      ///< rows × n_ages
    std::vector<std::uint64_t> unbounded;  ///< rows × n_ages
    std::vector<double> revenue;           ///< rows × n_ages, empty without revenue
    std::vector<std::uint8_t> observed;    ///< rows × n_ages
    std::vector<std::uint8_t> partial;     ///< rows × n_ages
    std::uint64_t n_customers = 0;
    std::uint64_t n_events = 0;  ///< rows counted
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;

    std::uint64_t size(std::size_t row) const noexcept { return exact[row * n_ages]; }
    const std::vector<std::uint64_t>& counts(retention_kind k) const noexcept {
        return k == retention_kind::exact ? exact : unbounded;
    }
    /// counts / size, NaN where not observed.
    std::vector<double> rates(retention_kind k) const {
        const auto& c = counts(k);
        std::vector<double> out(c.size(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t r = 0; r < cohorts.size(); ++r)
            for (std::size_t a = 0; a < n_ages; ++a)
                if (observed[r * n_ages + a])
                    out[r * n_ages + a] = static_cast<double>(c[r * n_ages + a]) / static_cast<double>(size(r));
        return out;
    }
    /// Revenue at age k / revenue at age 0 per cohort (NaN where not observed or no age-0 revenue).
    std::vector<double> revenue_rates() const {
        std::vector<double> out(revenue.size(), std::numeric_limits<double>::quiet_NaN());
        if (revenue.empty()) return out;
        for (std::size_t r = 0; r < cohorts.size(); ++r)
            for (std::size_t a = 0; a < n_ages; ++a)
                if (observed[r * n_ages + a] && revenue[r * n_ages] != 0.0)
                    out[r * n_ages + a] = revenue[r * n_ages + a] / revenue[r * n_ages];
        return out;
    }
    /// Pooled curve R(k) = Σ_c count[c, k] / Σ_{c observed at k} size_c (METRICS.md §4).
    std::vector<double> curve(retention_kind k) const {
        const auto& c = counts(k);
        std::vector<double> out(n_ages, std::numeric_limits<double>::quiet_NaN());
        for (std::size_t a = 0; a < n_ages; ++a) {
            std::uint64_t num = 0, den = 0;
            for (std::size_t r = 0; r < cohorts.size(); ++r)
                if (observed[r * n_ages + a]) {
                    num += c[r * n_ages + a];
                    den += size(r);
                }
            if (den > 0) out[a] = static_cast<double>(num) / static_cast<double>(den);
        }
        return out;
    }
};

/// Churn per calendar period (rows from the second observed period to the last).
struct churn_table {
    std::vector<std::int64_t> periods;
    std::vector<std::uint64_t> active_start;  ///< customers active in the previous period
    std::vector<std::uint64_t> lost;          ///< of them, not active in this period
    std::vector<std::uint8_t> partial;        ///< the period continues after the observation end
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    std::vector<double> churn_rate() const {
        std::vector<double> out(periods.size(), std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < periods.size(); ++i)
            if (active_start[i] > 0) out[i] = static_cast<double>(lost[i]) / static_cast<double>(active_start[i]);
        return out;
    }
};

/**
 * Input columns. `customer`: codes or keys (type C); a code equal to `missing_code` (or a row
 * flagged in `customer_missing`) is a missing customer. `time`: stamps counted in
 * `units_per_day` units from the epoch (86400: seconds; 86400e9: datetime64[ns]); INT64_MIN (NaT)
 * or flag 1 = missing, flag 2 = not a time. `revenue`: optional, NaN = missing, ±inf = invalid.
 */
template <class C>
struct cohort_columns {
    std::size_t size = 0;
    const C* customer = nullptr;
    const std::uint8_t* customer_missing = nullptr;
    std::int64_t customer_offset = 0;  ///< codes: customer code = value − offset (dense kernel)
    const std::int64_t* time = nullptr;
    const std::uint8_t* time_flags = nullptr;
    std::int64_t units_per_day = core::seconds_per_day;
    const double* revenue = nullptr;
};

namespace detail {
enum : std::uint8_t { cohort_ok = 0, cohort_missing = 1, cohort_bad = 2 };

/// Row class and day of one row (customer presence is checked by the caller).
template <class C>
inline std::uint8_t cohort_time_class(const cohort_columns<C>& in, std::size_t i, std::int64_t max_day,
                                      std::int64_t& day) noexcept {
    const std::uint8_t f = in.time_flags ? in.time_flags[i] : 0;
    if (f == 1 || in.time[i] == std::numeric_limits<std::int64_t>::min()) return cohort_missing;
    if (f != 0) return cohort_bad;
    if (in.revenue != nullptr && std::isnan(in.revenue[i])) return cohort_missing;
    day = core::day_of(in.time[i], in.units_per_day);
    if (day < -cohort_max_abs_day || day > cohort_max_abs_day || day > max_day) return cohort_bad;
    if (in.revenue != nullptr && !std::isfinite(in.revenue[i])) return cohort_bad;
    return cohort_ok;
}

template <class C>
[[noreturn]] inline void throw_cohort_invalid(const cohort_columns<C>& in, std::size_t i, std::uint64_t bad,
                                              std::int64_t max_day) {
    std::string what;
    const std::uint8_t f = in.time_flags ? in.time_flags[i] : 0;
    if (f != 0) {
        what = "invalid time at position " + std::to_string(i) + " (not a date or time)";
    } else {
        const std::int64_t day = core::day_of(in.time[i], in.units_per_day);
        if (day < -cohort_max_abs_day || day > cohort_max_abs_day)
            what = "invalid time at position " + std::to_string(i) + ": " + std::to_string(in.time[i]) +
                   " is outside the supported range of ±(2^31 - 1) days";
        else if (day > max_day)
            what = "invalid time at position " + std::to_string(i) + ": day " + std::to_string(day) +
                   " is after the observation end (day " + std::to_string(max_day) + ")";
        else
            what = "invalid revenue at position " + std::to_string(i) + ": " + core::format_value(in.revenue[i]) +
                   " (expected a finite number)";
    }
    CXKIT_THROW(invalid_input, what + "; " + std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                   " in total (pass on_invalid=\"drop\" to skip and count them)");
}

/// Shape of the table from the first cohort and the observation end (METRICS.md §4).
inline std::size_t cohort_ages(const cohort_spec& s, std::int64_t first_cohort, std::int64_t end_day) noexcept {
    if (s.rolling()) return static_cast<std::size_t>((end_day - s.period_start(first_cohort)) / s.rolling_days) + 1;
    return static_cast<std::size_t>(s.period_of_day(end_day) - first_cohort) + 1;
}

/// Observed / partial flags of every cell.
inline void cohort_flags(cohort_table& t) {
    const cohort_spec& s = t.spec;
    const std::size_t n = t.cohorts.size() * t.n_ages;
    t.observed.assign(n, 0);
    t.partial.assign(n, 0);
    const std::int64_t last = s.period_of_day(t.end_day);
    for (std::size_t r = 0; r < t.cohorts.size(); ++r) {
        const std::int64_t c = t.cohorts[r];
        for (std::size_t a = 0; a < t.n_ages; ++a) {
            const auto k = static_cast<std::int64_t>(a);
            bool obs, part;
            if (s.rolling()) {
                obs = s.period_start(c) + k * s.rolling_days <= t.end_day;
                part = obs && s.period_end(c) + k * s.rolling_days + s.rolling_days - 1 > t.end_day;
            } else {
                obs = c + k <= last;
                part = c + k == last && s.period_end(last) > t.end_day;
            }
            t.observed[r * t.n_ages + a] = obs ? 1 : 0;
            t.partial[r * t.n_ages + a] = part ? 1 : 0;
        }
    }
}

/// Keeps the non-empty cohort rows of a dense table (rows = first_cohort + r).
inline void compress_cohorts(cohort_table& t, std::int64_t first_cohort, std::size_t dense_rows) {
    std::size_t out = 0;
    const std::size_t k = t.n_ages;
    for (std::size_t r = 0; r < dense_rows; ++r) {
        if (t.exact[r * k] == 0) continue;
        if (out != r) {
            std::copy_n(t.exact.begin() + static_cast<std::ptrdiff_t>(r * k), k, t.exact.begin() + static_cast<std::ptrdiff_t>(out * k));
            std::copy_n(t.unbounded.begin() + static_cast<std::ptrdiff_t>(r * k), k, t.unbounded.begin() + static_cast<std::ptrdiff_t>(out * k));
            if (!t.revenue.empty())
                std::copy_n(t.revenue.begin() + static_cast<std::ptrdiff_t>(r * k), k, t.revenue.begin() + static_cast<std::ptrdiff_t>(out * k));
        }
        t.cohorts.push_back(first_cohort + static_cast<std::int64_t>(r));
        ++out;
    }
    t.exact.resize(out * k);
    t.unbounded.resize(out * k);
    if (!t.revenue.empty()) t.revenue.resize(out * k);
    cohort_flags(t);
}

/// Unbounded counts from exact "last age" histograms: suffix sums along each row.
inline void suffix_sums(std::vector<std::uint64_t>& m, std::size_t rows, std::size_t k) {
    for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t a = k; a-- > 1;) m[r * k + a - 1] += m[r * k + a];
}
}  // namespace detail

namespace detail {
/// floor(t / D) with D known at compile time (a multiply instead of a division) or at run time.
template <std::int64_t D>
struct day_divisor {
    std::int64_t operator()(std::int64_t t) const noexcept { return core::floor_div(t, D); }
};
struct runtime_day_divisor {
    std::int64_t d;
    std::int64_t operator()(std::int64_t t) const noexcept { return core::floor_div(t, d); }
};
template <class F>
decltype(auto) with_day_divisor(std::int64_t units_per_day, F&& f) {
    if (units_per_day == core::nanoseconds_per_day) return f(day_divisor<core::nanoseconds_per_day>{});
    if (units_per_day == core::seconds_per_day) return f(day_divisor<core::seconds_per_day>{});
    if (units_per_day == 1) return f(day_divisor<1>{});
    return f(runtime_day_divisor{units_per_day});
}
constexpr std::int64_t day_missing = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t day_bad = std::numeric_limits<std::int64_t>::min() + 1;

/// Pass 1 of retention_count over rows [b, e): the day of every row (or a class sentinel), the
/// day range, and a histogram of customer blocks (code >> shift) for the partition pass.
template <class C, class Div>
struct retention_pass1 {
    std::uint64_t missing = 0, bad = 0;
    std::size_t first_bad = std::numeric_limits<std::size_t>::max();
    std::int64_t last_day = std::numeric_limits<std::int64_t>::min();
    std::int64_t first_day = std::numeric_limits<std::int64_t>::max();
    std::vector<std::size_t> blocks;

    void run(const cohort_columns<C>& in, Div div, std::size_t n_customers, std::int64_t max_day, std::int64_t* days,
             unsigned shift, std::size_t n_blocks, std::size_t b, std::size_t e) {
        blocks.assign(n_blocks, 0);
        const auto n = static_cast<std::int64_t>(n_customers);
        for (std::size_t i = b; i < e; ++i) {
            const std::int64_t code = static_cast<std::int64_t>(in.customer[i]) - in.customer_offset;
            if (code < -1 || code >= n)
                CXKIT_THROW(out_of_range, "customer code at position " + std::to_string(i) + " is " +
                                              std::to_string(code) + ", outside 0.." + std::to_string(n_customers) +
                                              " (or -1 for missing)");
            const std::int64_t t = in.time[i];
            const std::uint8_t f = in.time_flags ? in.time_flags[i] : 0;
            if (code == -1 || (in.customer_missing && in.customer_missing[i]) || f == 1 ||
                t == std::numeric_limits<std::int64_t>::min() || (in.revenue && std::isnan(in.revenue[i]))) {
                days[i] = day_missing;
                ++missing;
                continue;
            }
            const std::int64_t day = div(t);
            if (f != 0 || day < -cohort_max_abs_day || day > cohort_max_abs_day || day > max_day ||
                (in.revenue && !std::isfinite(in.revenue[i]))) {
                days[i] = day_bad;
                if (bad++ == 0) first_bad = i;
                continue;
            }
            days[i] = day;
            ++blocks[static_cast<std::size_t>(code) >> shift];
            if (day > last_day) last_day = day;
            if (day < first_day) first_day = day;
        }
    }
};
}  // namespace detail

/**
 * One-pass retention from dense customer codes 0..n_customers−1 (value − offset; −1 = missing),
 * the kernel behind `cx.retention`.
 *
 * Random access into per-customer arrays of millions of customers would miss the cache on every
 * row, so the rows are first partitioned by customer block (a counting sort on code >> shift, so
 * each block's per-customer arrays fit in the L2 cache):
 * 1. classify each row, compute its day (a multiply for seconds and nanoseconds), count rows per
 *    block;
 * 2. scatter (day − first day, code) of the counted rows to their blocks (and revenue);
 * 3. per block: each customer's first day, then one bit per (customer, age) (dedup without
 *    sorting; days map to periods through a table over the observed days, periods being monotone
 *    in days) and revenue per cell; count the bits per cohort, and the last age per customer
 *    gives the unbounded counts by suffix sums.
 * Each pass runs on `threads` threads (0 = all): chunks of rows for 1 and 2, blocks for 3.
 * `end_day`: the observation end (default: the last event day).
 * @throws invalid_input (policy raise), out_of_range (codes), invalid_argument.
 */
template <class C>
cohort_table retention_count(const cohort_columns<C>& in, std::size_t n_customers, const cohort_spec& spec,
                             std::optional<std::int64_t> end_day = std::nullopt,
                             core::on_invalid policy = core::on_invalid::raise, unsigned threads = 0) {
    check_cohort_spec(spec);
    if (in.units_per_day <= 0) CXKIT_THROW(invalid_argument, "units_per_day must be positive");
    if (n_customers >= (std::size_t{1} << 32)) CXKIT_THROW(invalid_argument, "more than 2^32 - 1 customers");
    cohort_table t;
    t.spec = spec;
    const std::int64_t max_day = end_day ? *end_day : cohort_max_abs_day;
    constexpr std::int64_t none = std::numeric_limits<std::int64_t>::max();
    const unsigned nt = core::plan_threads(in.size, 0, threads);
    // Block size: about 256 KiB of per-customer state (first day + one word of bits) per block.
    unsigned shift = 15;
    while (shift > 6 && (std::size_t{1} << (shift - 1)) >= n_customers) --shift;
    const std::size_t n_blocks = std::max<std::size_t>(1, (n_customers + (std::size_t{1} << shift) - 1) >> shift);
    std::vector<std::int64_t> days(in.size);
    std::int64_t last_day = std::numeric_limits<std::int64_t>::min(), first_day = none;
    std::uint64_t bad = 0;
    std::size_t first_bad = std::numeric_limits<std::size_t>::max();
    std::vector<std::vector<std::size_t>> offsets(nt);  // per thread, per block: write position
    std::vector<std::size_t> block_start(n_blocks + 1, 0);
    detail::with_day_divisor(in.units_per_day, [&](auto div) {
        using P = detail::retention_pass1<C, decltype(div)>;
        std::vector<P> parts(nt);
        core::parallel_chunks(in.size, nt, [&](unsigned th, std::size_t b, std::size_t e) {
            parts[th].run(in, div, n_customers, max_day, days.data(), shift, n_blocks, b, e);
        });
        std::size_t pos = 0;
        for (std::size_t blk = 0; blk < n_blocks; ++blk) {
            block_start[blk] = pos;
            for (unsigned th = 0; th < nt; ++th) {
                offsets[th].resize(n_blocks);
                offsets[th][blk] = pos;
                pos += parts[th].blocks[blk];
            }
        }
        block_start[n_blocks] = pos;
        for (const auto& p : parts) {
            t.n_missing += p.missing;
            bad += p.bad;
            first_bad = std::min(first_bad, p.first_bad);
            last_day = std::max(last_day, p.last_day);
            first_day = std::min(first_day, p.first_day);
        }
    });
    if (bad > 0 && policy == core::on_invalid::raise) detail::throw_cohort_invalid(in, first_bad, bad, max_day);
    t.n_invalid = bad;
    t.n_events = in.size - t.n_missing - t.n_invalid;
    if (t.n_events == 0) {
        if (end_day) t.end_day = *end_day;
        return t;
    }
    t.has_data = true;
    t.end_day = end_day ? *end_day : last_day;

    // Pass 2: scatter (relative day << 32 | code) per block, rows in input order within a thread.
    const std::size_t n_valid = block_start[n_blocks];
    std::vector<std::uint64_t> packed(n_valid);
    std::vector<double> prev(in.revenue ? n_valid : 0);
    core::parallel_chunks(in.size, nt, [&](unsigned th, std::size_t b, std::size_t e) {
        std::vector<std::size_t>& off = offsets[th];
        for (std::size_t i = b; i < e; ++i) {
            const std::int64_t day = days[i];
            if (day <= detail::day_bad) continue;
            const auto code = static_cast<std::uint64_t>(static_cast<std::int64_t>(in.customer[i]) - in.customer_offset);
            const std::size_t at = off[code >> shift]++;
            packed[at] = (static_cast<std::uint64_t>(day - first_day) << 32) | code;
            if (in.revenue) prev[at] = in.revenue[i];
        }
    });
    std::vector<std::int64_t>().swap(days);

    // Days -> units through a table over [first_day, last_day] (periods are monotone in days).
    const std::int64_t span = last_day - first_day + 1;
    const bool tabled = span <= (std::int64_t{1} << 24);
    std::vector<std::int64_t> unit_table(tabled ? static_cast<std::size_t>(span) : 0);
    for (std::int64_t d = 0; tabled && d < span; ++d) unit_table[static_cast<std::size_t>(d)] = spec.unit_of_day(first_day + d);
    auto unit_at = [&](std::uint32_t d) {
        return tabled ? unit_table[d] : spec.unit_of_day(first_day + static_cast<std::int64_t>(d));
    };
    const std::int64_t first_cohort = spec.period_of_day(first_day);
    const std::int64_t last_cohort = spec.period_of_day(last_day);
    const std::size_t k = detail::cohort_ages(spec, first_cohort, t.end_day);
    const std::size_t rows = static_cast<std::size_t>(last_cohort - first_cohort) + 1;
    t.n_ages = k;
    const std::size_t words = (k + 63) / 64;

    // Pass 3: blocks of customers, in cache.
    struct block_out {
        std::vector<std::uint64_t> exact, top;
        std::vector<double> revenue;
        std::uint64_t customers = 0;
    };
    const unsigned nt3 = std::min<unsigned>(nt, static_cast<unsigned>(n_blocks));
    std::vector<block_out> outs(nt3);
    core::parallel_chunks(n_blocks, nt3, [&](unsigned th, std::size_t b0, std::size_t b1) {
        block_out& o = outs[th];
        o.exact.assign(rows * k, 0);
        o.top.assign(rows * k, 0);
        if (in.revenue) o.revenue.assign(rows * k, 0.0);
        const std::size_t bs = std::size_t{1} << shift;
        std::vector<std::uint32_t> first(bs);
        std::vector<std::uint64_t> bits(bs * words);
        std::vector<std::size_t> row(bs);
        for (std::size_t blk = b0; blk < b1; ++blk) {
            const std::size_t lo = block_start[blk], hi = block_start[blk + 1];
            if (lo == hi) continue;
            const std::uint64_t base = static_cast<std::uint64_t>(blk) << shift;
            std::fill(first.begin(), first.end(), std::numeric_limits<std::uint32_t>::max());
            std::fill(bits.begin(), bits.end(), 0);
            for (std::size_t j = lo; j < hi; ++j) {
                const auto c = static_cast<std::size_t>((packed[j] & 0xffffffffu) - base);
                const auto d = static_cast<std::uint32_t>(packed[j] >> 32);
                if (d < first[c]) first[c] = d;
            }
            for (std::size_t c = 0; c < bs; ++c)
                if (first[c] != std::numeric_limits<std::uint32_t>::max())
                    row[c] = static_cast<std::size_t>(spec.period_of_day(first_day + first[c]) - first_cohort);
            for (std::size_t j = lo; j < hi; ++j) {
                const auto c = static_cast<std::size_t>((packed[j] & 0xffffffffu) - base);
                const auto d = static_cast<std::uint32_t>(packed[j] >> 32);
                const std::size_t a = static_cast<std::size_t>(
                    spec.rolling() ? static_cast<std::int64_t>(d - first[c]) / spec.rolling_days
                                   : unit_at(d) - unit_at(first[c]));
                bits[c * words + a / 64] |= std::uint64_t{1} << (a % 64);
                if (in.revenue) o.revenue[row[c] * k + a] += prev[j];
            }
            for (std::size_t c = 0; c < bs; ++c) {
                if (first[c] == std::numeric_limits<std::uint32_t>::max()) continue;
                ++o.customers;
                const std::size_t r = row[c];
                std::size_t top = 0;
                for (std::size_t w = 0; w < words; ++w) {
                    std::uint64_t b = bits[c * words + w];
                    while (b) {
                        const auto a = w * 64 + static_cast<std::size_t>(__builtin_ctzll(b));
                        ++o.exact[r * k + a];
                        top = a;
                        b &= b - 1;
                    }
                }
                ++o.top[r * k + top];
            }
        }
    });
    t.exact.assign(rows * k, 0);
    t.unbounded.assign(rows * k, 0);
    if (in.revenue) t.revenue.assign(rows * k, 0.0);
    for (const block_out& o : outs) {
        t.n_customers += o.customers;
        for (std::size_t j = 0; j < rows * k; ++j) {
            t.exact[j] += o.exact[j];
            t.unbounded[j] += o.top[j];
            if (in.revenue) t.revenue[j] += o.revenue[j];
        }
    }
    detail::suffix_sums(t.unbounded, rows, k);
    detail::compress_cohorts(t, first_cohort, rows);
    return t;
}

/**
 * Churn durations per dense customer code (see the file comment): first and last activity day,
 * duration in days and observed (1 = churned, 0 = censored). Customers without a valid event have
 * first = last = INT64_MIN and are left out by the caller.
 */
struct churn_durations_table {
    std::vector<std::int64_t> first_day, last_day, duration;
    std::vector<std::uint8_t> observed;
    std::int64_t end_day = 0;
    std::uint64_t n_missing = 0, n_invalid = 0;
};

/// @throws invalid_argument for a negative threshold; invalid_input (policy raise).
template <class C>
churn_durations_table churn_durations(const cohort_columns<C>& in, std::size_t n_customers, std::int64_t threshold_days,
                                      std::optional<std::int64_t> end_day = std::nullopt,
                                      core::on_invalid policy = core::on_invalid::raise) {
    if (threshold_days < 0) CXKIT_THROW(invalid_argument, "threshold_days must be >= 0, got " + std::to_string(threshold_days));
    constexpr std::int64_t lo = std::numeric_limits<std::int64_t>::min();
    churn_durations_table t;
    t.first_day.assign(n_customers, std::numeric_limits<std::int64_t>::max());
    t.last_day.assign(n_customers, lo);
    const std::int64_t max_day = end_day ? *end_day : cohort_max_abs_day;
    std::uint64_t bad = 0;
    std::size_t first_bad = 0;
    std::int64_t newest = lo;
    for (std::size_t i = 0; i < in.size; ++i) {
        const std::int64_t code = static_cast<std::int64_t>(in.customer[i]) - in.customer_offset;
        if (code < -1 || code >= static_cast<std::int64_t>(n_customers))
            CXKIT_THROW(out_of_range, "customer code at position " + std::to_string(i) + " is " + std::to_string(code));
        if (code == -1 || (in.customer_missing && in.customer_missing[i])) {
            ++t.n_missing;
            continue;
        }
        std::int64_t day = 0;
        const std::uint8_t c = detail::cohort_time_class(in, i, max_day, day);
        if (c == detail::cohort_missing) {
            ++t.n_missing;
            continue;
        }
        if (c == detail::cohort_bad) {
            if (bad++ == 0) first_bad = i;
            continue;
        }
        const auto s = static_cast<std::size_t>(code);
        t.first_day[s] = std::min(t.first_day[s], day);
        t.last_day[s] = std::max(t.last_day[s], day);
        newest = std::max(newest, day);
    }
    if (bad > 0 && policy == core::on_invalid::raise) detail::throw_cohort_invalid(in, first_bad, bad, max_day);
    t.n_invalid = bad;
    t.end_day = end_day ? *end_day : (newest == lo ? 0 : newest);
    t.duration.assign(n_customers, 0);
    t.observed.assign(n_customers, 0);
    for (std::size_t s = 0; s < n_customers; ++s) {
        if (t.last_day[s] == lo) {
            t.first_day[s] = lo;
            continue;
        }
        const bool churned = t.end_day - t.last_day[s] > threshold_days;
        t.observed[s] = churned ? 1 : 0;
        t.duration[s] = (churned ? t.last_day[s] : t.end_day) - t.first_day[s];
    }
    return t;
}

/**
 * Mergeable cohort state (METRICS.md §4).
 *
 * It keeps, per customer key (int64: integer ids as they are; other ids hashed by the caller with
 * a hash that every process shares, e.g. pandas.util.hash_array of the text), the sorted set of
 * active units (periods, or days with rolling ages) and the revenue per unit, plus the row
 * counts and the last event day. A customer's cohort is its smallest unit, so it is a function of
 * the union of its events: merging two states is the ordered union of their (customer, unit)
 * entries with revenue added on equal entries, which is exact whether the data were partitioned by
 * customer or a customer's events were split across partitions. Merging is associative and
 * commutative (up to floating-point addition order for revenue), and the default state is its
 * identity. Both states must have the same period, rolling_days and revenue setting.
 */
class cohort_accumulator {
public:
    static constexpr core::state_family family = core::state_family::cohort;
    static constexpr std::uint16_t format_version = 1;

    struct entry {
        std::int64_t customer = 0;
        std::int64_t unit = 0;
        double revenue = 0.0;
        bool operator==(const entry& o) const noexcept {
            return customer == o.customer && unit == o.unit && revenue == o.revenue;
        }
        bool key_less(const entry& o) const noexcept {
            return customer != o.customer ? customer < o.customer : unit < o.unit;
        }
    };

    explicit cohort_accumulator(cohort_spec spec = {}, bool revenue = false) : spec_(spec), has_revenue_(revenue) {
        check_cohort_spec(spec_);
    }

    const cohort_spec& spec() const noexcept { return spec_; }
    bool has_revenue() const noexcept { return has_revenue_; }
    std::uint64_t n_missing() const noexcept { return missing_; }
    std::uint64_t n_invalid() const noexcept { return invalid_; }
    std::uint64_t n_events() const noexcept { return events_; }
    std::size_t n_entries() const noexcept { return entries_.size(); }
    std::optional<std::int64_t> last_day() const noexcept {
        return has_day_ ? std::optional<std::int64_t>(last_day_) : std::nullopt;
    }
    std::size_t n_customers() const noexcept {
        std::size_t n = 0;
        for (std::size_t i = 0; i < entries_.size(); ++i) n += i == 0 || entries_[i].customer != entries_[i - 1].customer;
        return n;
    }

    /**
     * Adds events (customer keys as int64; `customer_offset` is ignored). Revenue must be given
     * exactly when the state keeps revenue. With policy raise, an invalid row refuses the batch
     * and leaves the state unchanged.
     */
    void add(const cohort_columns<std::int64_t>& in, core::on_invalid policy = core::on_invalid::raise) {
        if ((in.revenue != nullptr) != has_revenue_)
            CXKIT_THROW(invalid_argument, has_revenue_ ? "this cohort state keeps revenue: pass revenue"
                                                       : "this cohort state was made without revenue");
        if (in.units_per_day <= 0) CXKIT_THROW(invalid_argument, "units_per_day must be positive");
        std::vector<entry> add;
        add.reserve(in.size);
        std::uint64_t bad = 0, missing = 0;
        std::size_t first_bad = 0;
        std::int64_t newest = std::numeric_limits<std::int64_t>::min();
        for (std::size_t i = 0; i < in.size; ++i) {
            if (in.customer_missing && in.customer_missing[i]) {
                ++missing;
                continue;
            }
            std::int64_t day = 0;
            const std::uint8_t c = detail::cohort_time_class(in, i, cohort_max_abs_day, day);
            if (c == detail::cohort_missing) {
                ++missing;
                continue;
            }
            if (c == detail::cohort_bad) {
                if (bad++ == 0) first_bad = i;
                continue;
            }
            add.push_back({in.customer[i], spec_.unit_of_day(day), in.revenue ? in.revenue[i] : 0.0});
            newest = std::max(newest, day);
        }
        if (bad > 0 && policy == core::on_invalid::raise)
            detail::throw_cohort_invalid(in, first_bad, bad, cohort_max_abs_day);
        missing_ += missing;
        invalid_ += bad;
        events_ += add.size();
        if (!add.empty()) {
            last_day_ = has_day_ ? std::max(last_day_, newest) : newest;
            has_day_ = true;
        }
        std::stable_sort(add.begin(), add.end(), [](const entry& a, const entry& b) { return a.key_less(b); });
        combine(add);
        merge_entries(add);
    }

    /// Merge (see the class comment). @throws invalid_argument if the settings differ.
    cohort_accumulator& operator+=(const cohort_accumulator& other) {
        if (spec_ != other.spec_ || has_revenue_ != other.has_revenue_)
            CXKIT_THROW(invalid_argument, "cannot merge cohort states with different period, rolling_days or revenue");
        missing_ += other.missing_;
        invalid_ += other.invalid_;
        events_ += other.events_;
        if (other.has_day_) {
            last_day_ = has_day_ ? std::max(last_day_, other.last_day_) : other.last_day_;
            has_day_ = true;
        }
        merge_entries(other.entries_);
        return *this;
    }
    cohort_accumulator& merge(const cohort_accumulator& other) { return *this += other; }
    friend cohort_accumulator operator+(cohort_accumulator a, const cohort_accumulator& b) { return a += b; }
    friend bool operator==(const cohort_accumulator& a, const cohort_accumulator& b) noexcept {
        return a.spec_ == b.spec_ && a.has_revenue_ == b.has_revenue_ && a.missing_ == b.missing_ &&
               a.invalid_ == b.invalid_ && a.events_ == b.events_ && a.has_day_ == b.has_day_ &&
               (!a.has_day_ || a.last_day_ == b.last_day_) && a.entries_ == b.entries_;
    }
    friend bool operator!=(const cohort_accumulator& a, const cohort_accumulator& b) noexcept { return !(a == b); }

    /**
     * Retention matrices at the observation end `end_day` (default: the last event day).
     * @throws invalid_argument if `end_day` is before the last event day.
     */
    cohort_table result(std::optional<std::int64_t> end_day = std::nullopt) const {
        cohort_table t;
        t.spec = spec_;
        t.n_missing = missing_;
        t.n_invalid = invalid_;
        t.n_events = events_;
        check_end(end_day);
        if (entries_.empty()) {
            t.end_day = end_day ? *end_day : 0;
            return t;
        }
        t.has_data = true;
        t.end_day = end_day ? *end_day : last_day_;
        auto cohort_of = [&](std::int64_t first_unit) {
            return spec_.rolling() ? spec_.period_of_day(first_unit) : first_unit;
        };
        std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = std::numeric_limits<std::int64_t>::min();
        for (std::size_t i = 0; i < entries_.size(); ++i)
            if (i == 0 || entries_[i].customer != entries_[i - 1].customer) {
                const std::int64_t c = cohort_of(entries_[i].unit);
                lo = std::min(lo, c);
                hi = std::max(hi, c);
                ++t.n_customers;
            }
        const std::size_t k = detail::cohort_ages(spec_, lo, t.end_day);
        const std::size_t rows = static_cast<std::size_t>(hi - lo) + 1;
        t.n_ages = k;
        t.exact.assign(rows * k, 0);
        t.unbounded.assign(rows * k, 0);
        if (has_revenue_) t.revenue.assign(rows * k, 0.0);
        std::size_t i = 0;
        while (i < entries_.size()) {
            std::size_t j = i;
            const std::int64_t f = entries_[i].unit;
            const auto r = static_cast<std::size_t>(cohort_of(f) - lo);
            std::int64_t prev = -1;
            for (; j < entries_.size() && entries_[j].customer == entries_[i].customer; ++j) {
                const std::int64_t a = spec_.age(entries_[j].unit, f);
                if (a != prev) ++t.exact[r * k + static_cast<std::size_t>(a)];  // several days in one rolling age
                prev = a;
                if (has_revenue_) t.revenue[r * k + static_cast<std::size_t>(a)] += entries_[j].revenue;
            }
            ++t.unbounded[r * k + static_cast<std::size_t>(prev)];
            i = j;
        }
        detail::suffix_sums(t.unbounded, rows, k);
        detail::compress_cohorts(t, lo, rows);
        return t;
    }

    /**
     * Churn per calendar period from the second period with activity to the period of the
     * observation end (METRICS.md §4). @throws invalid_argument for rolling ages.
     */
    churn_table churn(std::optional<std::int64_t> end_day = std::nullopt) const {
        if (spec_.rolling()) CXKIT_THROW(invalid_argument, "churn rates need calendar periods (rolling_days=0)");
        check_end(end_day);
        churn_table t;
        t.n_missing = missing_;
        t.n_invalid = invalid_;
        if (entries_.empty()) return t;
        const std::int64_t end = end_day ? *end_day : last_day_;
        const std::int64_t last = spec_.period_of_day(end);
        std::int64_t lo = std::numeric_limits<std::int64_t>::max();
        for (const entry& e : entries_) lo = std::min(lo, e.unit);
        if (last <= lo) return t;
        const auto n = static_cast<std::size_t>(last - lo);  // periods lo+1 .. last
        t.active_start.assign(n, 0);
        t.lost.assign(n, 0);
        for (std::size_t i = 0; i < entries_.size(); ++i) {
            const entry& e = entries_[i];
            if (e.unit >= last) continue;  // active in the last period: nothing after it is observed
            ++t.active_start[static_cast<std::size_t>(e.unit - lo)];
            const bool next_active = i + 1 < entries_.size() && entries_[i + 1].customer == e.customer &&
                                     entries_[i + 1].unit == e.unit + 1;
            if (!next_active) ++t.lost[static_cast<std::size_t>(e.unit - lo)];
        }
        for (std::size_t p = 0; p < n; ++p) {
            t.periods.push_back(lo + 1 + static_cast<std::int64_t>(p));
            t.partial.push_back(spec_.period_end(lo + 1 + static_cast<std::int64_t>(p)) > end ? 1 : 0);
        }
        return t;
    }

    /**
     * Payload v1: u8 period; i64 rolling_days; u8 has_revenue; u64 missing, invalid, events;
     * u8 has_day; i64 last_day; u64 entries, per entry (sorted by customer, unit; unique) i64
     * customer, i64 unit, then f64 revenue when has_revenue.
     */
    std::vector<std::uint8_t> serialize() const {
        core::archive_writer w(family, format_version);
        w.write_u8(static_cast<std::uint8_t>(spec_.period));
        w.write_i64(spec_.rolling_days);
        w.write_u8(has_revenue_ ? 1 : 0);
        w.write_u64(missing_);
        w.write_u64(invalid_);
        w.write_u64(events_);
        w.write_u8(has_day_ ? 1 : 0);
        w.write_i64(has_day_ ? last_day_ : 0);
        w.write_u64(entries_.size());
        for (const entry& e : entries_) {
            w.write_i64(e.customer);
            w.write_i64(e.unit);
            if (has_revenue_) w.write_f64(e.revenue);
        }
        return w.finish();
    }

    /// Inverse of serialize(). @throws corrupt_state for truncated, corrupt or inconsistent bytes.
    static cohort_accumulator deserialize(const std::uint8_t* data, std::size_t size) {
        using core::archive_reader;
        archive_reader r(data, size, family, format_version);
        cohort_spec s;
        const std::uint8_t p = r.read_u8("period");
        if (p > 3) archive_reader::fail("period code " + std::to_string(p));
        s.period = static_cast<cohort_period>(p);
        s.rolling_days = r.read_i64("rolling_days");
        const std::uint8_t rev = r.read_u8("has_revenue");
        if (rev > 1) archive_reader::fail("has_revenue is " + std::to_string(rev));
        cohort_accumulator a = [&] {
            try {
                return cohort_accumulator(s, rev == 1);
            } catch (const invalid_argument& e) {
                archive_reader::fail(std::string("parameters: ") + e.what());
            }
        }();
        a.missing_ = r.read_u64("missing");
        a.invalid_ = r.read_u64("invalid");
        a.events_ = r.read_u64("events");
        const std::uint8_t has = r.read_u8("has_day");
        if (has > 1) archive_reader::fail("has_day is " + std::to_string(has));
        a.has_day_ = has == 1;
        a.last_day_ = r.read_i64("last_day");
        if (!a.has_day_ && a.last_day_ != 0) archive_reader::fail("last_day set without has_day");
        if (a.has_day_ && (a.last_day_ < -cohort_max_abs_day || a.last_day_ > cohort_max_abs_day))
            archive_reader::fail("last_day " + std::to_string(a.last_day_) + " is out of range");
        const std::uint64_t n = r.read_u64("entries");
        r.expect_remaining_at_least(n * (a.has_revenue_ ? 24 : 16), "entries");
        a.entries_.reserve(static_cast<std::size_t>(n));
        const std::int64_t max_unit = a.has_day_ ? s.unit_of_day(a.last_day_) : 0;
        for (std::uint64_t i = 0; i < n; ++i) {
            entry e;
            e.customer = r.read_i64("customer");
            e.unit = r.read_i64("unit");
            if (a.has_revenue_) {
                e.revenue = r.read_f64("revenue");
                if (!std::isfinite(e.revenue)) archive_reader::fail("revenue " + core::format_value(e.revenue));
            }
            if (!a.entries_.empty() && !a.entries_.back().key_less(e)) archive_reader::fail("entries are not sorted and unique");
            if (e.unit > max_unit || e.unit < s.unit_of_day(-cohort_max_abs_day))
                archive_reader::fail("entry unit " + std::to_string(e.unit) + " outside the observed range");
            a.entries_.push_back(e);
        }
        if (n > a.events_) archive_reader::fail("more entries than events");
        if ((n > 0) != a.has_day_) archive_reader::fail(a.has_day_ ? "a last day without entries" : "entries without a last day");
        r.finish();
        return a;
    }

private:
    void check_end(std::optional<std::int64_t> end_day) const {
        if (end_day && has_day_ && *end_day < last_day_)
            CXKIT_THROW(invalid_argument, "observation_end (day " + std::to_string(*end_day) +
                                              ") is before the last event (day " + std::to_string(last_day_) + ")");
    }
    /// Combines equal (customer, unit) neighbours of a sorted run, adding revenue.
    static void combine(std::vector<entry>& v) {
        std::size_t out = 0;
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (out > 0 && v[out - 1].customer == v[i].customer && v[out - 1].unit == v[i].unit) v[out - 1].revenue += v[i].revenue;
            else v[out++] = v[i];
        }
        v.resize(out);
    }
    void merge_entries(const std::vector<entry>& other) {
        if (other.empty()) return;
        std::vector<entry> out;
        out.reserve(entries_.size() + other.size());
        std::merge(entries_.begin(), entries_.end(), other.begin(), other.end(), std::back_inserter(out),
                   [](const entry& a, const entry& b) { return a.key_less(b); });
        combine(out);
        entries_ = std::move(out);
    }

    cohort_spec spec_;
    bool has_revenue_ = false;
    std::uint64_t missing_ = 0, invalid_ = 0, events_ = 0;
    bool has_day_ = false;
    std::int64_t last_day_ = 0;
    std::vector<entry> entries_;
};

}  // namespace customer

using customer::churn_durations;
using customer::churn_table;
using customer::cohort_accumulator;
using customer::cohort_columns;
using customer::cohort_period;
using customer::cohort_spec;
using customer::cohort_table;
using customer::retention_count;
using customer::retention_kind;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CUSTOMER_COHORT_HPP
