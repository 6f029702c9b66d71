/**
 * @file rfm.hpp
 * @brief Per-customer transaction aggregation and RFM scores (METRICS.md §4 "RFM").
 *
 * One kernel, `aggregate_transactions`, reads a transaction log once (dense customer codes, time
 * stamps, optional amounts) and fills one cell per customer: first and last day, rows, total
 * amount split into the first period's amount and the rest, and the number of distinct periods.
 * `rfm` (this header) and `clv_summary` (clv_summary.hpp) are both finalisers of that kernel.
 *
 * RFM definitions (METRICS.md §4):
 * - as of day A (default: the day of the last transaction in the data): recency = A − day of the
 *   customer's last purchase (whole calendar days), frequency = purchases (rows), monetary = total
 *   amount.
 * - Scores 1..bins by rank-based quantiles, so that equal values always share a score: with the
 *   per-customer values sorted, v_(0) ≤ … ≤ v_(n−1), the cut points are the lower empirical
 *   quantiles c_k = v_(⌊k (n − 1) / bins⌋), k = 1..bins−1, and score(v) = 1 + #{k : v > c_k}.
 *   The score is a function of the value (ties share it) and monotone in it. Frequency and
 *   monetary use it as it is; recency is reversed (most recent = highest):
 *   r_score = bins + 1 − score(recency) = bins − #{k : recency > c_k}.
 *   When ties make cut points equal, fewer than `bins` distinct scores occur; the result reports the
 *   cut points and the number of distinct scores used so the caller can say so (never silently).
 * - Given thresholds (ascending cut points per dimension) replace the quantiles in the same rule.
 * - rfm = 100 r + 10 f + m. Segments: an ordered list of rules on inclusive score ranges; the
 *   first rule that matches names the customer's segment; unmatched customers get the default.
 *
 * Row classes (ARCHITECTURE.md §3): a missing customer, time or amount (NaN) is missing; a time that
 * is not a time or is outside ±(2^31 − 1) days, and an amount that is negative or infinite, are
 * invalid (raise, or drop and count); a row after the observation end (as of date) is outside the
 * window: not an error (truncating a longer log at a date, or splitting it into calibration and
 * holdout, is the ordinary use) but counted in `n_after_end`, so that
 * n + n_holdout + n_missing + n_invalid + n_after_end = rows.
 */
#ifndef CXKIT_CUSTOMER_RFM_HPP
#define CXKIT_CUSTOMER_RFM_HPP

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/time.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/customer/cohort.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace customer {

/// Periods of a transaction summary: calendar day, ISO week (Monday start; pandas "W" = W-SUN),
/// calendar month.
enum class summary_period : std::uint8_t { day = 0, week = 1, month = 2 };

/// Parses "D", "W", "M". @throws invalid_argument naming the bad value.
inline summary_period parse_summary_period(const std::string& text) {
    if (text == "D") return summary_period::day;
    if (text == "W") return summary_period::week;
    if (text == "M") return summary_period::month;
    CXKIT_THROW(invalid_argument, "period must be \"D\", \"W\" or \"M\", got \"" + text + "\"");
}

/// Period index of a day (core/time.hpp).
inline std::int64_t summary_period_of_day(summary_period p, std::int64_t day) noexcept {
    switch (p) {
        case summary_period::day: return day;
        case summary_period::week: return core::week_of_day(day);
        case summary_period::month: return core::month_of_day(day);
    }
    return day;
}

/// First day of a period index.
inline std::int64_t summary_period_start(summary_period p, std::int64_t period) noexcept {
    switch (p) {
        case summary_period::day: return period;
        case summary_period::week: return core::first_day_of_week(period);
        case summary_period::month: return core::first_day_of_month(period);
    }
    return period;
}

/**
 * Input columns. `customer`: dense codes, code = value − `customer_offset` in 0..n_customers−1,
 * −1 (or a row flagged in `customer_missing`) = missing. `time`: stamps counted in `units_per_day`
 * units from the epoch (86400: seconds, 86400e9: datetime64[ns]); INT64_MIN (NaT) or flag 1 =
 * missing, flag 2 = not a time. `amount`: optional; NaN = missing, negative or ±inf = invalid.
 * `rows`: optional number of transactions each entry stands for (default 1 each): a pre-aggregated
 * entry (one customer-day of transaction_accumulator, transactions.hpp) counts as that many rows in
 * every count (frequency, n, n_holdout, n_after_end, ...) and its amount is the sum over them.
 */
template <class C>
struct transaction_columns {
    std::size_t size = 0;
    const C* customer = nullptr;
    const std::uint8_t* customer_missing = nullptr;
    std::int64_t customer_offset = 0;
    const std::int64_t* time = nullptr;
    const std::uint8_t* time_flags = nullptr;
    std::int64_t units_per_day = core::seconds_per_day;
    const double* amount = nullptr;
    const std::uint32_t* rows = nullptr;
};

/**
 * The observation window of an aggregation. A row is after the end when its period is after
 * `end_period` or its raw stamp after `end_stamp` (either may be absent). A row in the window whose
 * stamp is after `split_stamp` belongs to the holdout part (its own cells), the others to the main
 * (calibration) part.
 */
struct transaction_window {
    summary_period period = summary_period::day;
    std::optional<std::int64_t> end_period;
    std::optional<std::int64_t> end_stamp;
    std::optional<std::int64_t> split_stamp;
};

/**
 * Per-customer aggregate of the main part (one cell per customer code). Compact (40 bytes) and
 * trivial, so that millions of cells are allocated without initialisation and first touched by
 * the thread that owns them. Days and periods fit 32 bits (times are limited to ±(2^31 − 1) days),
 * counts too (the kernel takes fewer than 2^31 rows per call; with per-entry row counts the caller
 * keeps each customer's total below 2^32, as transaction_accumulator does).
 */
struct customer_cell {
    std::int32_t first_day;     ///< day of the first purchase
    std::int32_t last_day;      ///< day of the last purchase
    std::int32_t first_period;  ///< period of first_day
    std::int32_t last_period;   ///< the largest period seen (of last_day)
    std::uint32_t rows;         ///< purchases
    std::uint32_t distinct;     ///< distinct periods with a purchase (bit 31: rows out of time order, recounted)
    double first_sum;           ///< amount in the first period
    double rest_sum;            ///< amount in the later periods
    double total() const noexcept { return first_sum + rest_sum; }
    std::uint32_t periods() const noexcept { return distinct & 0x7fffffffu; }
    bool unordered() const noexcept { return (distinct >> 31) != 0; }
};

/// Per-customer aggregate of the holdout part.
struct holdout_cell {
    std::int32_t last_period;
    std::uint32_t rows;
    std::uint32_t distinct;  ///< as in customer_cell
    double sum;
    std::uint32_t periods() const noexcept { return distinct & 0x7fffffffu; }
    bool unordered() const noexcept { return (distinct >> 31) != 0; }
};

/// A fixed-size array of trivial cells left uninitialised at allocation (the kernel's threads
/// initialise their own ranges, so the pages are first touched in parallel).
template <class T>
class cell_array {
public:
    cell_array() = default;
    explicit cell_array(std::size_t n) : data_(n ? new T[n] : nullptr), size_(n) {}
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    T* data() noexcept { return data_.get(); }
    const T* data() const noexcept { return data_.get(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }

private:
    std::unique_ptr<T[]> data_;
    std::size_t size_ = 0;
};

/// Result of the aggregation kernel.
struct transaction_aggregate {
    transaction_window window;
    cell_array<customer_cell> cells;      ///< n_customers; rows == 0: no purchase in the main part
    cell_array<holdout_cell> holdout;     ///< n_customers when the window has a split, else empty
    std::uint64_t n = 0;                  ///< rows in the main part
    std::uint64_t n_holdout = 0;          ///< rows in the holdout part
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    std::uint64_t n_after_end = 0;
    bool has_data = false;                ///< some row is in the window (either part)
    std::int64_t first_day = 0;           ///< over the rows in the window
    std::int64_t last_day = 0;
    std::int64_t main_last_day = 0;       ///< over the main part (valid when n > 0)
};

/// Days beyond ±(2^31 − 1) from the epoch are invalid times (as for cohorts).
constexpr std::int64_t transaction_max_abs_day = cohort_max_abs_day;

namespace detail {
enum : std::uint8_t { tx_main = 0, tx_holdout = 1, tx_missing = 2, tx_bad = 3, tx_after = 4 };

/// Row class, day and period of a row whose customer is present.
template <class C, class Div>
inline std::uint8_t transaction_class(const transaction_columns<C>& in, const transaction_window& w, Div div,
                                      std::size_t i, std::int64_t& day, std::int64_t& period) noexcept {
    const std::uint8_t f = in.time_flags ? in.time_flags[i] : 0;
    const std::int64_t t = in.time[i];
    if (f == 1 || t == std::numeric_limits<std::int64_t>::min()) return tx_missing;
    if (f != 0) return tx_bad;
    if (in.amount != nullptr && std::isnan(in.amount[i])) return tx_missing;
    day = div(t);
    if (day < -transaction_max_abs_day || day > transaction_max_abs_day) return tx_bad;
    if (in.amount != nullptr && !(in.amount[i] >= 0.0 && in.amount[i] <= std::numeric_limits<double>::max())) return tx_bad;
    if (w.end_stamp && t > *w.end_stamp) return tx_after;
    period = summary_period_of_day(w.period, day);
    if (w.end_period && period > *w.end_period) return tx_after;
    return (w.split_stamp && t > *w.split_stamp) ? tx_holdout : tx_main;
}

template <class C>
[[noreturn]] inline void throw_transaction_invalid(const transaction_columns<C>& in, std::size_t i, std::uint64_t bad) {
    std::string what;
    const std::uint8_t f = in.time_flags ? in.time_flags[i] : 0;
    if (f != 0) {
        what = "invalid time at position " + std::to_string(i) + " (not a date or time)";
    } else {
        const std::int64_t day = core::floor_div(in.time[i], in.units_per_day);
        if (day < -transaction_max_abs_day || day > transaction_max_abs_day)
            what = "invalid time at position " + std::to_string(i) + ": " + std::to_string(in.time[i]) +
                   " is outside the supported range of ±(2^31 - 1) days";
        else
            what = "invalid amount at position " + std::to_string(i) + ": " + core::format_value(in.amount[i]) +
                   " (expected a finite number >= 0)";
    }
    CXKIT_THROW(invalid_input, what + "; " + std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                   " in total (pass on_invalid=\"drop\" to skip and count them)");
}

/// Counts of one thread of the kernel.
struct transaction_counts {
    std::uint64_t n = 0, n_holdout = 0, missing = 0, bad = 0, after = 0;
    std::size_t first_bad = std::numeric_limits<std::size_t>::max();
    std::int64_t first_day = std::numeric_limits<std::int64_t>::max();
    std::int64_t last_day = std::numeric_limits<std::int64_t>::min();
    std::int64_t main_last_day = std::numeric_limits<std::int64_t>::min();
    bool unordered = false;
};

/// Adds one main-part row to its cell. Distinct periods are counted by comparing with the period
/// of the customer's previous row, exact when each customer's rows come in time order (the
/// common case: logs sorted by time, or by customer and time); otherwise the cell is flagged and
/// recounted afterwards. The first period's amount is kept apart from the rest so that the repeat
/// amount (rest_sum) never comes from a subtraction.
inline void add_main(customer_cell& c, std::int64_t day64, std::int64_t period64, double amount,
                     std::uint32_t rows = 1) noexcept {
    const auto day = static_cast<std::int32_t>(day64), period = static_cast<std::int32_t>(period64);
    if (c.rows == 0) {
        c.first_day = c.last_day = day;
        c.first_period = c.last_period = period;
        c.distinct = 1;
        c.first_sum = amount;
        c.rest_sum = 0.0;
        c.rows = rows;
        return;
    }
    c.rows += rows;
    if (day < c.first_day) c.first_day = day;
    if (day > c.last_day) c.last_day = day;
    if (period > c.last_period) {
        ++c.distinct;
        c.last_period = period;
    } else if (period < c.last_period) {
        c.distinct |= 0x80000000u;
    }
    if (period == c.first_period) {
        c.first_sum += amount;
    } else if (period > c.first_period) {
        c.rest_sum += amount;
    } else {  // an earlier first period: the old first period's amount becomes repeat amount
        c.rest_sum += c.first_sum;
        c.first_sum = amount;
        c.first_period = period;
    }
}

inline void add_holdout(holdout_cell& c, std::int64_t period64, double amount, std::uint32_t rows = 1) noexcept {
    const auto period = static_cast<std::int32_t>(period64);
    if (c.rows == 0) {
        c.last_period = period;
        c.distinct = 1;
    } else if (period > c.last_period) {
        ++c.distinct;
        c.last_period = period;
    } else if (period < c.last_period) {
        c.distinct |= 0x80000000u;
    }
    c.rows += rows;
    c.sum += amount;
}
}  // namespace detail

/**
 * The shared one-pass kernel: per-customer cells of a transaction log in a window.
 *
 * Each thread owns a contiguous range of customer codes and reads every row, updating only the
 * cells of its own customers, so a customer's rows are seen in input order by one thread and no
 * merge of cells is needed (reading the code column once per thread costs far less than the cell
 * updates). Rows of customers whose periods went backwards are recounted by sorting only those
 * rows' (customer, period) pairs.
 *
 * @param n_customers codes are 0..n_customers−1 (−1 missing).
 * @param threads 0 = all hardware threads.
 * @throws out_of_range for a code outside 0..n_customers−1 and −1; invalid_input (policy raise)
 *         naming the first invalid position, its value and the number of invalid rows.
 */
template <class C>
transaction_aggregate aggregate_transactions(const transaction_columns<C>& in, std::size_t n_customers,
                                             const transaction_window& window,
                                             core::on_invalid policy = core::on_invalid::raise, unsigned threads = 0) {
    if (in.units_per_day <= 0) CXKIT_THROW(invalid_argument, "units_per_day must be positive");
    if (in.size > 0 && in.time == nullptr) CXKIT_THROW(invalid_argument, "times are required");
    transaction_aggregate out;
    out.window = window;
    if (in.size >= (std::size_t{1} << 31))
        CXKIT_THROW(invalid_argument, "at most 2^31 - 1 transactions per call (split the log by customer: the "
                                      "per-customer results concatenate)");
    out.cells = cell_array<customer_cell>(n_customers);
    const bool split = window.split_stamp.has_value();
    if (split) out.holdout = cell_array<holdout_cell>(n_customers);
    const unsigned nt = std::min<unsigned>(core::plan_threads(in.size, 0, threads),
                                           static_cast<unsigned>(std::max<std::size_t>(1, n_customers)));
    std::vector<detail::transaction_counts> counts(nt);
    const auto n = static_cast<std::int64_t>(n_customers);
    detail::with_day_divisor(in.units_per_day, [&](auto div) {
        core::parallel_chunks(n_customers, nt, [&](unsigned th, std::size_t lo_, std::size_t hi_) {
            detail::transaction_counts& k = counts[th];
            const auto lo = static_cast<std::int64_t>(lo_), hi = static_cast<std::int64_t>(hi_);
            customer_cell* cells = out.cells.data();
            holdout_cell* hold = split ? out.holdout.data() : nullptr;
            for (std::size_t c = lo_; c < hi_; ++c) cells[c].rows = 0;  // first touch by the owner
            for (std::size_t c = lo_; split && c < hi_; ++c) hold[c] = holdout_cell{0, 0, 0, 0.0};
            for (std::size_t i = 0; i < in.size; ++i) {
                const std::int64_t code = static_cast<std::int64_t>(in.customer[i]) - in.customer_offset;
                const std::uint64_t w = in.rows ? in.rows[i] : 1;  // rows this entry stands for
                if (code < lo || code >= hi) {
                    if (th != 0) continue;  // thread 0 also owns missing and out-of-range codes
                    if (code >= 0 && code < n) continue;
                    if (code != -1)
                        CXKIT_THROW(out_of_range, "customer code at position " + std::to_string(i) + " is " +
                                                      std::to_string(code) + ", outside 0.." +
                                                      std::to_string(n_customers) + " (or -1 for missing)");
                    k.missing += w;
                    continue;
                }
                if (in.customer_missing && in.customer_missing[i]) {
                    k.missing += w;
                    continue;
                }
                std::int64_t day = 0, period = 0;
                const std::uint8_t cls = detail::transaction_class(in, window, div, i, day, period);
                switch (cls) {
                    case detail::tx_missing: k.missing += w; continue;
                    case detail::tx_bad:
                        if (k.bad == 0) k.first_bad = i;
                        k.bad += w;
                        continue;
                    case detail::tx_after: k.after += w; continue;
                    default: break;
                }
                const double amt = in.amount ? in.amount[i] : 0.0;
                if (day < k.first_day) k.first_day = day;
                if (day > k.last_day) k.last_day = day;
                if (cls == detail::tx_main) {
                    k.n += w;
                    if (day > k.main_last_day) k.main_last_day = day;
                    detail::add_main(cells[code], day, period, amt, static_cast<std::uint32_t>(w));
                } else {
                    k.n_holdout += w;
                    detail::add_holdout(hold[code], period, amt, static_cast<std::uint32_t>(w));
                }
            }
            for (std::int64_t c = lo; c < hi && !k.unordered; ++c)
                k.unordered = (cells[c].rows != 0 && cells[c].unordered()) || (split && hold[c].unordered());
        });
    });
    detail::transaction_counts total;
    bool unordered = false;
    for (const auto& k : counts) {
        total.n += k.n;
        total.n_holdout += k.n_holdout;
        total.missing += k.missing;
        total.bad += k.bad;
        total.after += k.after;
        total.first_bad = std::min(total.first_bad, k.first_bad);
        total.first_day = std::min(total.first_day, k.first_day);
        total.last_day = std::max(total.last_day, k.last_day);
        total.main_last_day = std::max(total.main_last_day, k.main_last_day);
        unordered = unordered || k.unordered;
    }
    if (total.bad > 0 && policy == core::on_invalid::raise) detail::throw_transaction_invalid(in, total.first_bad, total.bad);
    out.n = total.n;
    out.n_holdout = total.n_holdout;
    out.n_missing = total.missing;
    out.n_invalid = total.bad;
    out.n_after_end = total.after;
    out.has_data = total.n + total.n_holdout > 0;
    if (out.has_data) {
        out.first_day = total.first_day;
        out.last_day = total.last_day;
    }
    if (total.n > 0) out.main_last_day = total.main_last_day;

    if (unordered) {
        // Fallback for the customers whose rows went back in time: their periods are bucketed by
        // customer (a counting sort whose bucket sizes are the cells' row counts), then each small
        // bucket is sorted and its distinct periods counted. Linear in the rows, no global sort.
        // With row counts (`in.rows`) a bucket is sized by rows but receives one period per entry,
        // so only its filled part [start, pos) is sorted.
        const std::size_t slots = split ? 2 * n_customers : n_customers;
        std::vector<std::size_t> start(slots + 1, 0);
        for (std::size_t c = 0; c < n_customers; ++c) {
            const customer_cell& cell = out.cells[c];
            start[c + 1] = (cell.rows != 0 && cell.unordered()) ? cell.rows : 0;
            if (split) start[n_customers + c + 1] = out.holdout[c].unordered() ? out.holdout[c].rows : 0;
        }
        for (std::size_t k = 0; k < slots; ++k) start[k + 1] += start[k];
        std::vector<std::int32_t> periods(start[slots]);
        std::vector<std::size_t> pos(start.begin(), start.end() - 1);
        detail::with_day_divisor(in.units_per_day, [&](auto div) {
            for (std::size_t i = 0; i < in.size; ++i) {
                const std::int64_t code = static_cast<std::int64_t>(in.customer[i]) - in.customer_offset;
                if (code < 0 || (in.customer_missing && in.customer_missing[i])) continue;
                const auto c = static_cast<std::size_t>(code);
                if (start[c + 1] == start[c] && (!split || start[n_customers + c + 1] == start[n_customers + c])) continue;
                std::int64_t day = 0, period = 0;
                const std::uint8_t cls = detail::transaction_class(in, window, div, i, day, period);
                const std::size_t slot = cls == detail::tx_main ? c : cls == detail::tx_holdout ? n_customers + c : slots;
                if (slot < slots && start[slot + 1] > start[slot]) periods[pos[slot]++] = static_cast<std::int32_t>(period);
            }
        });
        for (std::size_t k = 0; k < slots; ++k) {
            if (start[k + 1] == start[k]) continue;
            const auto b0 = periods.begin() + static_cast<std::ptrdiff_t>(start[k]);
            const auto b1 = periods.begin() + static_cast<std::ptrdiff_t>(pos[k]);
            std::sort(b0, b1);
            const auto d = static_cast<std::uint32_t>(std::unique(b0, b1) - b0);
            if (k < n_customers) out.cells[k].distinct = d;  // clears the flag
            else out.holdout[k - n_customers].distinct = d;
        }
    }
    return out;
}

namespace detail {
/**
 * Output rows of the customers with a main-part purchase, in code order, filled on `threads`
 * threads: counts per chunk of codes, then `fill(row, code, cell)` from each chunk's offset
 * (parallel_chunks splits the same range the same way both times). Returns the number of rows;
 * `resize(m)` is called between the two passes.
 */
template <class Resize, class Fill>
std::size_t fill_customers(const cell_array<customer_cell>& cells, unsigned threads, Resize&& resize, Fill&& fill) {
    const std::size_t n = cells.size();
    const unsigned nt = core::plan_threads(n, 0, threads);
    std::vector<std::size_t> offset(nt + 1, 0);
    core::parallel_chunks(n, nt, [&](unsigned th, std::size_t b, std::size_t e) {
        std::size_t k = 0;
        for (std::size_t c = b; c < e; ++c) k += cells[c].rows != 0;
        offset[th + 1] = k;
    });
    for (unsigned th = 0; th < nt; ++th) offset[th + 1] += offset[th];
    resize(offset[nt]);
    core::parallel_chunks(n, nt, [&](unsigned th, std::size_t b, std::size_t e) {
        std::size_t row = offset[th];
        for (std::size_t c = b; c < e; ++c)
            if (cells[c].rows != 0) fill(row++, c, cells[c]);
    });
    return offset[nt];
}
}  // namespace detail

// -------------------------------------------------------------------------------------------------
// RFM scores and segments

/// Inclusive score ranges of one segment rule (a dimension without a constraint is 1..bins).
struct segment_rule {
    std::string name;
    std::uint8_t lo[3] = {1, 1, 1};    ///< r, f, m
    std::uint8_t hi[3] = {255, 255, 255};
    bool matches(std::uint8_t r, std::uint8_t f, std::uint8_t m) const noexcept {
        return r >= lo[0] && r <= hi[0] && f >= lo[1] && f <= hi[1] && m >= lo[2] && m <= hi[2];
    }
};

/// @throws invalid_argument naming the rule when a range is empty or outside 1..bins.
inline void check_segment_rules(const std::vector<segment_rule>& rules, unsigned bins) {
    static const char* dims[3] = {"r", "f", "m"};
    for (std::size_t i = 0; i < rules.size(); ++i)
        for (int d = 0; d < 3; ++d) {
            const unsigned lo = rules[i].lo[d], hi = rules[i].hi[d] == 255 ? bins : rules[i].hi[d];
            if (lo > hi || lo < 1 || hi > bins)
                CXKIT_THROW(invalid_argument, "segment rule " + std::to_string(i) + " (\"" + rules[i].name + "\"): " +
                                                  dims[d] + " range (" + std::to_string(lo) + ", " + std::to_string(hi) +
                                                  ") must satisfy 1 <= lo <= hi <= bins = " + std::to_string(bins));
        }
}

/**
 * The standard segment table for 5 bins (the widely used R×F grid; m unconstrained), in order,
 * first match wins: Champions (r 5, f 4–5), Loyal (r 3–4, f 4–5), Potential loyalist (r 4–5,
 * f 2–3), New (r 5, f 1), Promising (r 4, f 1), Need attention (r 3, f 3), About to sleep (r 3,
 * f 1–2), Can't lose (r 1–2, f 5), At risk (r 1–2, f 3–4), Lost (r 1, f 1), Hibernating (r 1–2,
 * f 1–2). Every (r, f) cell is covered, so no customer gets the default.
 */
inline std::vector<segment_rule> standard_segments() {
    auto rule = [](const char* name, int rl, int rh, int fl, int fh) {
        segment_rule s;
        s.name = name;
        s.lo[0] = static_cast<std::uint8_t>(rl);
        s.hi[0] = static_cast<std::uint8_t>(rh);
        s.lo[1] = static_cast<std::uint8_t>(fl);
        s.hi[1] = static_cast<std::uint8_t>(fh);
        s.hi[2] = 5;
        return s;
    };
    return {rule("Champions", 5, 5, 4, 5),      rule("Loyal", 3, 4, 4, 5),         rule("Potential loyalist", 4, 5, 2, 3),
            rule("New", 5, 5, 1, 1),            rule("Promising", 4, 4, 1, 1),     rule("Need attention", 3, 3, 3, 3),
            rule("About to sleep", 3, 3, 1, 2), rule("Can't lose", 1, 2, 5, 5),    rule("At risk", 1, 2, 3, 4),
            rule("Lost", 1, 1, 1, 1),           rule("Hibernating", 1, 2, 1, 2)};
}

/**
 * Rank-based cut points c_k = v_(⌊k (n − 1) / bins⌋), k = 1..bins−1, of the values (lower
 * empirical quantiles; see the file comment). Empty for no values.
 */
template <class T>
std::vector<double> rank_cut_points(const std::vector<T>& values, unsigned bins) {
    std::vector<double> cuts;
    if (values.empty()) return cuts;
    const std::size_t n = values.size();
    auto index = [&](unsigned k) { return static_cast<std::size_t>((static_cast<unsigned long long>(k) * (n - 1)) / bins); };
    if constexpr (std::is_integral<T>::value) {
        // Whole numbers over a small range (recency in days, frequency): the order statistics come
        // from a histogram in O(n + range) instead of selections.
        const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
        const T lo = *lo_it, hi = *hi_it;
        const auto range = static_cast<unsigned long long>(hi) - static_cast<unsigned long long>(lo);
        if (range < std::max<std::size_t>(n, std::size_t{1} << 16)) {
            std::vector<std::size_t> count(static_cast<std::size_t>(range) + 1, 0);
            for (T x : values) ++count[static_cast<std::size_t>(x - lo)];
            std::size_t below = 0, bin = 0;  // values below lo + bin
            for (unsigned k = 1; k < bins; ++k) {
                const std::size_t idx = index(k);
                while (below + count[bin] <= idx) below += count[bin++];
                cuts.push_back(static_cast<double>(lo) + static_cast<double>(bin));
            }
            return cuts;
        }
    }
    std::vector<T> v(values);
    auto from = v.begin();
    for (unsigned k = 1; k < bins; ++k) {
        auto at = v.begin() + static_cast<std::ptrdiff_t>(index(k));
        std::nth_element(from, at, v.end());  // positions before `from` already hold smaller values
        cuts.push_back(static_cast<double>(*at));
        from = at;
    }
    return cuts;
}

/// Options of `rfm`.
struct rfm_options {
    std::optional<std::int64_t> as_of_day;  ///< default: the day of the last transaction
    unsigned bins = 5;
    /// Given cut points (ascending, bins − 1 each) for r (in days of recency), f, m; empty = quantiles.
    std::vector<double> thresholds[3];
    std::vector<segment_rule> segments;
};

/// RFM table of the customers with a purchase in the window (rows in code order).
struct rfm_table {
    std::vector<std::int64_t> customer;   ///< codes
    std::vector<std::int64_t> recency;    ///< days
    std::vector<std::uint64_t> frequency;
    std::vector<double> monetary;
    std::vector<std::int64_t> first_day;  ///< day of the first purchase (for spend per period)
    std::vector<std::uint8_t> score[3];   ///< r, f, m
    std::vector<std::int32_t> segment;    ///< rule index, −1 = default
    std::vector<double> cuts[3];          ///< cut points used (recency in days)
    unsigned n_scores[3] = {0, 0, 0};     ///< distinct scores that occur
    std::int64_t as_of_day = 0;
    bool has_data = false;
    std::uint64_t n = 0, n_missing = 0, n_invalid = 0, n_after_end = 0;
    int rfm(std::size_t i) const noexcept { return 100 * score[0][i] + 10 * score[1][i] + score[2][i]; }
};

/// @throws invalid_argument for bins outside 1..9 or thresholds that are not bins − 1 ascending numbers.
inline void check_rfm_options(const rfm_options& o) {
    if (o.bins < 1 || o.bins > 9)
        CXKIT_THROW(invalid_argument, "bins must be an integer in 1..9 (rfm = 100 r + 10 f + m), got " + std::to_string(o.bins));
    static const char* dims[3] = {"r", "f", "m"};
    for (int d = 0; d < 3; ++d) {
        const auto& t = o.thresholds[d];
        if (t.empty()) continue;
        if (t.size() != o.bins - 1)
            CXKIT_THROW(invalid_argument, std::string("thresholds for ") + dims[d] + ": expected bins - 1 = " +
                                              std::to_string(o.bins - 1) + " cut points, got " + std::to_string(t.size()));
        for (std::size_t k = 0; k < t.size(); ++k)
            if (!std::isfinite(t[k]) || (k > 0 && !(t[k] > t[k - 1])))
                CXKIT_THROW(invalid_argument, std::string("thresholds for ") + dims[d] +
                                                  " must be finite and strictly increasing; cut point " +
                                                  std::to_string(k) + " is " + core::format_value(t[k]));
    }
    check_segment_rules(o.segments, o.bins);
}

/**
 * RFM per customer as of a day (METRICS.md §4; definitions in the file comment), in one pass over
 * the transactions (aggregate_transactions with daily periods; rows after the as-of day are
 * counted in n_after_end) plus a selection per cut point.
 */
template <class C>
rfm_table rfm(const transaction_columns<C>& in, std::size_t n_customers, const rfm_options& opt,
              core::on_invalid policy = core::on_invalid::raise, unsigned threads = 0) {
    check_rfm_options(opt);
    if (in.amount == nullptr && in.size > 0) CXKIT_THROW(invalid_argument, "rfm needs amounts");
    transaction_window w;
    w.period = summary_period::day;
    w.end_period = opt.as_of_day;
    const transaction_aggregate a = aggregate_transactions(in, n_customers, w, policy, threads);
    rfm_table t;
    t.n = a.n;
    t.n_missing = a.n_missing;
    t.n_invalid = a.n_invalid;
    t.n_after_end = a.n_after_end;
    t.has_data = a.n > 0;
    t.as_of_day = opt.as_of_day ? *opt.as_of_day : (t.has_data ? a.main_last_day : 0);
    const std::size_t m = detail::fill_customers(
        a.cells, threads,
        [&](std::size_t rows) {
            t.customer.resize(rows);
            t.recency.resize(rows);
            t.frequency.resize(rows);
            t.monetary.resize(rows);
            t.first_day.resize(rows);
        },
        [&](std::size_t i, std::size_t c, const customer_cell& cell) {
            t.customer[i] = static_cast<std::int64_t>(c);
            t.recency[i] = t.as_of_day - cell.last_day;
            t.frequency[i] = cell.rows;
            t.monetary[i] = cell.total();
            t.first_day[i] = cell.first_day;
        });
    auto score_dimension = [&](int d, const auto& v) {
        t.cuts[d] = opt.thresholds[d].empty() ? rank_cut_points(v, opt.bins) : opt.thresholds[d];
        auto& s = t.score[d];
        s.resize(m);
        const std::vector<double>& cuts = t.cuts[d];
        const unsigned nt = core::plan_threads(m, 0, threads);
        std::vector<std::array<bool, 10>> seen_by(nt, std::array<bool, 10>{});
        core::parallel_chunks(m, nt, [&](unsigned th, std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const auto x = static_cast<double>(v[i]);
                unsigned k = 0;  // #{k : v > c_k}: at most 8 compares, no branches
                for (double c : cuts) k += x > c;
                s[i] = static_cast<std::uint8_t>(d == 0 ? opt.bins - k : 1 + k);  // recency reversed
                seen_by[th][s[i]] = true;
            }
        });
        bool seen[10] = {};
        for (const auto& sb : seen_by)
            for (std::size_t k = 0; k < 10; ++k) seen[k] = seen[k] || sb[k];
        t.n_scores[d] = static_cast<unsigned>(std::count(seen, seen + 10, true));
    };
    score_dimension(0, t.recency);
    score_dimension(1, t.frequency);
    score_dimension(2, t.monetary);
    t.segment.assign(m, -1);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t r = 0; r < opt.segments.size(); ++r)
            if (opt.segments[r].matches(t.score[0][i], t.score[1][i], t.score[2][i])) {
                t.segment[i] = static_cast<std::int32_t>(r);
                break;
            }
    return t;
}

}  // namespace customer

using customer::aggregate_transactions;
using customer::rfm;
using customer::rfm_options;
using customer::rfm_table;
using customer::segment_rule;
using customer::summary_period;
using customer::transaction_aggregate;
using customer::transaction_columns;
using customer::transaction_window;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CUSTOMER_RFM_HPP
