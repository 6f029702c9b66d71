/**
 * @file clv_summary.hpp
 * @brief Transaction log → per-customer (frequency, recency, T, monetary value), the input of the
 * BG/NBD and Gamma-Gamma models (METRICS.md §4 "Customer lifetime value", summary part).
 *
 * Conventions (those of the `lifetimes` package, which the tests use as an oracle):
 * - Times are floored to periods: calendar day "D", week "W" (Monday to Sunday, pandas' W-SUN
 *   period) or calendar month "M"; a period is represented by its first day.
 * - The observation end is floored to its period too: the window holds the periods up to and
 *   including the observation end's period (default: the period of the last transaction); rows in
 *   later periods are outside the window and counted in `n_after_end`.
 * - frequency x = number of distinct periods with a purchase − 1; recency t_x = start(last period)
 *   − start(first period); T = start(observation end's period) − start(first period); both in
 *   units of one period — 1 day, 7 days, or the average Gregorian month of 30.436875 days
 *   (numpy's timedelta64(1, "M")) — divided by `multiplier` (e.g. period "D" with multiplier 7
 *   gives continuous weeks).
 * - monetary_value = mean over the repeat periods of the amount per period = (amount outside the
 *   first period) / x; 0 when x = 0.
 * - Calibration/holdout split at the time stamp `calibration_end` (rows at or before it are the
 *   calibration part, summarised as above with the observation end = calibration_end) up to the time
 *   stamp `holdout_end` (default: the last transaction): frequency_holdout = distinct periods with a
 *   holdout purchase, monetary_value_holdout = mean amount per holdout transaction (0 without
 *   one), duration_holdout = period(holdout_end) − period(calibration_end) in periods / multiplier.
 *   Only customers with a calibration purchase are in the table; holdout rows of the others are
 *   counted in `n_holdout` all the same.
 * The computation is one pass over the transactions (aggregate_transactions in rfm.hpp).
 */
#ifndef CXKIT_CUSTOMER_CLV_SUMMARY_HPP
#define CXKIT_CUSTOMER_CLV_SUMMARY_HPP

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/time.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/customer/rfm.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace customer {

/// Options of `clv_summary` (time stamps in the input's units).
struct clv_summary_options {
    summary_period period = summary_period::week;
    double multiplier = 1.0;                     ///< period units per output unit (> 0)
    std::optional<std::int64_t> end_stamp;       ///< observation end (its period is the last one)
    std::optional<std::int64_t> calibration_end; ///< split: calibration part = rows at or before it
    std::optional<std::int64_t> holdout_end;     ///< end of the holdout part (default: the last row)
};

/// Summary of the customers with a purchase in the window (calibration part with a split), in code order.
struct clv_summary_table {
    std::vector<std::int64_t> customer;  ///< codes
    std::vector<double> frequency, recency, T, monetary_value;
    std::vector<double> frequency_holdout, monetary_value_holdout;  ///< with a split only
    double duration_holdout = 0.0;
    bool split = false;
    std::int64_t end_day = 0;            ///< first day of the observation end's period
    std::uint64_t n = 0, n_holdout = 0, n_missing = 0, n_invalid = 0, n_after_end = 0;
};

/// Days → period units: numpy's timedelta64(1, unit) is 1 day, 7 days or 2629746 s (30.436875 days);
/// the division is done on whole seconds as numpy does (both operands exact), so results match it to the bit.
inline double period_units(summary_period p, std::int64_t days) noexcept {
    switch (p) {
        case summary_period::day: return static_cast<double>(days);
        case summary_period::week: return static_cast<double>(days) / 7.0;
        case summary_period::month: return static_cast<double>(days * 86400) / 2629746.0;
    }
    return static_cast<double>(days);
}

/**
 * The summary (see the file comment).
 * @throws invalid_argument for a multiplier that is not a positive finite number, a holdout end
 *         before the calibration end, or holdout_end without calibration_end; invalid_input
 *         (policy raise); out_of_range for customer codes.
 */
template <class C>
clv_summary_table clv_summary(const transaction_columns<C>& in, std::size_t n_customers, const clv_summary_options& opt,
                              core::on_invalid policy = core::on_invalid::raise, unsigned threads = 0) {
    if (!(opt.multiplier > 0.0) || !std::isfinite(opt.multiplier))
        CXKIT_THROW(invalid_argument, "multiplier must be a positive number, got " + core::format_value(opt.multiplier));
    if (opt.holdout_end && !opt.calibration_end) CXKIT_THROW(invalid_argument, "holdout_end needs calibration_end");
    if (opt.calibration_end && opt.end_stamp)
        CXKIT_THROW(invalid_argument, "give the end of a calibration/holdout split as holdout_end, not observation_end");
    if (opt.calibration_end && opt.holdout_end && *opt.holdout_end < *opt.calibration_end)
        CXKIT_THROW(invalid_argument, "holdout_end is before calibration_end");
    if (in.units_per_day <= 0) CXKIT_THROW(invalid_argument, "units_per_day must be positive");
    transaction_window w;
    w.period = opt.period;
    if (opt.end_stamp) w.end_period = summary_period_of_day(opt.period, core::floor_div(*opt.end_stamp, in.units_per_day));
    if (opt.calibration_end) {
        w.split_stamp = opt.calibration_end;
        w.end_stamp = opt.holdout_end;
    }
    const transaction_aggregate a = aggregate_transactions(in, n_customers, w, policy, threads);
    clv_summary_table t;
    t.split = opt.calibration_end.has_value();
    t.n = a.n;
    t.n_holdout = a.n_holdout;
    t.n_missing = a.n_missing;
    t.n_invalid = a.n_invalid;
    t.n_after_end = a.n_after_end;
    std::int64_t end_period = 0;
    if (t.split)
        end_period = summary_period_of_day(opt.period, core::floor_div(*opt.calibration_end, in.units_per_day));
    else if (w.end_period)
        end_period = *w.end_period;
    else if (a.n > 0)
        end_period = summary_period_of_day(opt.period, a.main_last_day);
    t.end_day = summary_period_start(opt.period, end_period);
    if (t.split) {
        const std::int64_t hold_day = opt.holdout_end ? core::floor_div(*opt.holdout_end, in.units_per_day)
                                                      : (a.has_data ? a.last_day : t.end_day);
        t.duration_holdout =
            static_cast<double>(summary_period_of_day(opt.period, hold_day) - end_period) / opt.multiplier;
    }
    const double mult = opt.multiplier;
    const summary_period per = opt.period;
    detail::fill_customers(
        a.cells, threads,
        [&](std::size_t m) {
            t.customer.resize(m);
            t.frequency.resize(m);
            t.recency.resize(m);
            t.T.resize(m);
            t.monetary_value.resize(m);
            if (t.split) {
                t.frequency_holdout.resize(m);
                t.monetary_value_holdout.resize(m);
            }
        },
        [&](std::size_t i, std::size_t c, const customer_cell& cell) {
            const std::int64_t first = summary_period_start(per, cell.first_period);
            const std::int64_t last = summary_period_start(per, cell.last_period);
            const std::uint32_t x = cell.periods() - 1;
            t.customer[i] = static_cast<std::int64_t>(c);
            t.frequency[i] = static_cast<double>(x);
            t.recency[i] = period_units(per, last - first) / mult;
            t.T[i] = period_units(per, t.end_day - first) / mult;
            t.monetary_value[i] = x > 0 ? cell.rest_sum / static_cast<double>(x) : 0.0;
            if (t.split) {
                const holdout_cell& h = a.holdout[c];
                t.frequency_holdout[i] = static_cast<double>(h.periods());
                t.monetary_value_holdout[i] = h.rows > 0 ? h.sum / static_cast<double>(h.rows) : 0.0;
            }
        });
    return t;
}

}  // namespace customer

using customer::clv_summary;
using customer::clv_summary_options;
using customer::clv_summary_table;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CUSTOMER_CLV_SUMMARY_HPP
