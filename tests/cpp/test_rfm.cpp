// Tests of <cxkit/customer/rfm.hpp> and <cxkit/customer/clv_summary.hpp>: the shared aggregation
// kernel against a brute-force oracle written from METRICS.md §4 (std::map of per-customer sets of
// periods), time order not mattering (shuffled rows, several threads), the rank-based score rule
// written out, segments, the clv summary conventions on a hand-worked log, and the bad-input
// policy (missing, invalid with position and value, after the end, empty input).
#include <cxkit/customer/clv_summary.hpp>
#include <cxkit/customer/rfm.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "oracles.hpp"

namespace {

using cxkit::core::days_from_civil;
using cxkit::customer::summary_period;
using cxkit::customer::transaction_columns;

constexpr std::int64_t spd = 86400;

struct tx_log {
    std::vector<std::int64_t> customer, time;
    std::vector<double> amount;
    void add(std::int64_t c, std::int64_t day, double a) {
        customer.push_back(c);
        time.push_back(day * spd + 7200);
        amount.push_back(a);
    }
    transaction_columns<std::int64_t> columns(bool with_amount = true) const {
        transaction_columns<std::int64_t> c;
        c.size = customer.size();
        c.customer = customer.data();
        c.time = time.data();
        c.units_per_day = spd;
        c.amount = with_amount ? amount.data() : nullptr;
        return c;
    }
};

tx_log random_log(std::size_t rows, std::int64_t customers, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<std::int64_t> cust(0, customers - 1), day(9000, 9800);
    std::uniform_int_distribution<int> cents(0, 50000);
    tx_log l;
    for (std::size_t i = 0; i < rows; ++i) l.add(cust(rng), day(rng), cents(rng) / 100.0);
    return l;
}

/// Oracle: per customer the set of periods, rows, first/last day and amount per period.
struct oracle_customer {
    std::map<std::int64_t, double> per_period;
    std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
    std::uint64_t rows = 0;
};

std::map<std::int64_t, oracle_customer> brute_force(const tx_log& l, summary_period p) {
    std::map<std::int64_t, oracle_customer> out;
    for (std::size_t i = 0; i < l.customer.size(); ++i) {
        const std::int64_t day = cxkit::core::floor_div(l.time[i], spd);
        auto& o = out[l.customer[i]];
        o.per_period[cxkit::customer::summary_period_of_day(p, day)] += l.amount[i];
        o.first = std::min(o.first, day);
        o.last = std::max(o.last, day);
        ++o.rows;
    }
    return out;
}

}  // namespace

TEST_CASE("aggregate_transactions matches the per-customer set oracle in any row order and thread count") {
    tx_log l = random_log(5000, 300, 7);
    for (summary_period p : {summary_period::day, summary_period::week, summary_period::month}) {
        const auto want = brute_force(l, p);
        tx_log sorted = l;  // time-ordered copy: the one-pass path, no recount
        std::vector<std::size_t> idx(l.customer.size());
        for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
        std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return l.time[a] < l.time[b]; });
        for (std::size_t i = 0; i < idx.size(); ++i) {
            sorted.customer[i] = l.customer[idx[i]];
            sorted.time[i] = l.time[idx[i]];
            sorted.amount[i] = l.amount[idx[i]];
        }
        for (const tx_log* in : {&l, &sorted})
            for (unsigned threads : {1u, 2u, 3u}) {
                cxkit::customer::transaction_window w;
                w.period = p;
                const auto a = cxkit::customer::aggregate_transactions(in->columns(), 300, w, cxkit::core::on_invalid::raise, threads);
                CHECK(a.n == l.customer.size());
                for (const auto& [c, o] : want) {
                    const auto& cell = a.cells[static_cast<std::size_t>(c)];
                    CHECK(cell.rows == o.rows);
                    CHECK(cell.first_day == o.first);
                    CHECK(cell.last_day == o.last);
                    CHECK(cell.periods() == o.per_period.size());
                    CHECK(!cell.unordered());
                    CHECK(cell.first_period == o.per_period.begin()->first);
                    double rest = 0.0;
                    for (auto it = std::next(o.per_period.begin()); it != o.per_period.end(); ++it) rest += it->second;
                    CHECK(cell.first_sum == doctest::Approx(o.per_period.begin()->second).epsilon(1e-12));
                    CHECK(cell.rest_sum == doctest::Approx(rest).epsilon(1e-12));
                }
            }
    }
}

TEST_CASE("clv_summary on a hand-worked log: frequency, recency, T, monetary value and the holdout") {
    // Customer 0: Mon 2024-01-01 (10), Wed 2024-01-03 (5), Mon 2024-01-15 (30), Tue 2024-01-23 (7).
    // Customer 1: Mon 2024-01-08 (20). Weeks start on Monday.
    const std::int64_t d0 = days_from_civil(2024, 1, 1);
    tx_log l;
    l.add(0, d0, 10);
    l.add(0, d0 + 2, 5);
    l.add(0, d0 + 14, 30);
    l.add(0, d0 + 22, 7);
    l.add(1, d0 + 7, 20);
    cxkit::customer::clv_summary_options o;
    o.period = summary_period::week;
    auto t = cxkit::customer::clv_summary(l.columns(), 2, o);
    REQUIRE(t.customer.size() == 2);
    CHECK(t.frequency[0] == 2.0);          // weeks 1, 3 and 4
    CHECK(t.recency[0] == 3.0);            // Monday of week 4 - Monday of week 1
    CHECK(t.T[0] == 3.0);                  // observation end: the week of the last row
    CHECK(t.monetary_value[0] == (30.0 + 7.0) / 2.0);
    CHECK(t.frequency[1] == 0.0);
    CHECK(t.T[1] == 2.0);
    CHECK(t.monetary_value[1] == 0.0);

    o.period = summary_period::day;
    o.multiplier = 7.0;
    t = cxkit::customer::clv_summary(l.columns(), 2, o);
    CHECK(t.recency[0] == 22.0 / 7.0);
    CHECK(t.frequency[0] == 3.0);
    CHECK(t.monetary_value[0] == (5.0 + 30.0 + 7.0) / 3.0);

    // Calibration ends Wednesday 2024-01-10 at noon; holdout to 2024-01-31.
    o.period = summary_period::week;
    o.multiplier = 1.0;
    o.calibration_end = (d0 + 9) * spd + 43200;
    o.holdout_end = (d0 + 30) * spd;
    t = cxkit::customer::clv_summary(l.columns(), 2, o);
    CHECK(t.split);
    CHECK(t.n == 3);
    CHECK(t.n_holdout == 2);
    CHECK(t.frequency[0] == 0.0);
    CHECK(t.T[0] == 1.0);
    CHECK(t.frequency_holdout[0] == 2.0);
    CHECK(t.monetary_value_holdout[0] == (30.0 + 7.0) / 2.0);
    CHECK(t.frequency_holdout[1] == 0.0);
    CHECK(t.duration_holdout == 3.0);  // week of 2024-01-31 - week of 2024-01-10

    // Months: 30.436875-day units (numpy's average month).
    o = {};
    o.period = summary_period::month;
    t = cxkit::customer::clv_summary(l.columns(), 2, o);
    CHECK(t.frequency[0] == 0.0);
    CHECK(cxkit::customer::period_units(summary_period::month, 31) == 31.0 * 86400.0 / 2629746.0);
}

TEST_CASE("clv_summary rows after the observation end are counted, not summarised") {
    const std::int64_t d0 = days_from_civil(2024, 1, 1);
    tx_log l;
    l.add(0, d0, 1);
    l.add(0, d0 + 40, 1);
    l.add(1, d0 + 45, 1);
    cxkit::customer::clv_summary_options o;
    o.period = summary_period::month;
    o.end_stamp = (d0 + 20) * spd;  // in January: February rows are after the end
    const auto t = cxkit::customer::clv_summary(l.columns(), 2, o);
    CHECK(t.customer.size() == 1);
    CHECK(t.n == 1);
    CHECK(t.n_after_end == 2);
    CHECK(t.end_day == d0);
}

TEST_CASE("bad input: missing rows counted, invalid amounts and times raise naming position and value or are dropped") {
    const std::int64_t d0 = days_from_civil(2024, 1, 1);
    tx_log l;
    l.add(0, d0, 1);
    l.add(-1, d0, 1);                                        // missing customer
    l.add(1, d0, std::numeric_limits<double>::quiet_NaN());  // missing amount
    l.add(1, d0, -2.5);                                      // invalid amount
    l.add(1, d0 + 1, 4);
    l.time.push_back(std::numeric_limits<std::int64_t>::min());  // NaT: missing time
    l.customer.push_back(0);
    l.amount.push_back(1);
    cxkit::customer::clv_summary_options o;
    try {
        (void)cxkit::customer::clv_summary(l.columns(), 2, o);
        FAIL("expected invalid_input");
    } catch (const cxkit::invalid_input& e) {
        CHECK(contains(e.what(), "position 3"));
        CHECK(contains(e.what(), "-2.5"));
        CHECK(contains(e.what(), "1 invalid row"));
    }
    const auto t = cxkit::customer::clv_summary(l.columns(), 2, o, cxkit::core::on_invalid::drop);
    CHECK(t.n == 2);
    CHECK(t.n_missing == 3);
    CHECK(t.n_invalid == 1);
    CHECK(t.n + t.n_missing + t.n_invalid + t.n_after_end == l.customer.size());
    l.customer[0] = 5;  // outside 0..1
    CHECK_THROWS_AS((void)cxkit::customer::clv_summary(l.columns(), 2, o), cxkit::out_of_range);
    o.multiplier = 0.0;
    CHECK_THROWS_AS((void)cxkit::customer::clv_summary(l.columns(), 2, o), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::customer::parse_summary_period("Q"), cxkit::invalid_argument);

    tx_log empty;
    const auto e = cxkit::customer::clv_summary(empty.columns(), 0, {});
    CHECK(e.customer.empty());
    CHECK(e.n + e.n_missing + e.n_invalid == 0);
}

TEST_CASE("rfm scores: rank-based cut points written out, ties share a score, recency reversed") {
    tx_log l = random_log(4000, 500, 11);
    // Ties: many customers with one purchase (frequency 1) and equal amounts.
    for (std::int64_t c = 500; c < 700; ++c) l.add(c, 9800, 25.0);
    cxkit::customer::rfm_options opt;
    opt.bins = 5;
    const auto t = cxkit::customer::rfm(l.columns(), 700, opt);
    const std::size_t m = t.customer.size();
    CHECK(t.as_of_day == 9800);
    for (int d = 0; d < 3; ++d) {
        std::vector<double> v(m);
        for (std::size_t i = 0; i < m; ++i)
            v[i] = d == 0 ? static_cast<double>(t.recency[i]) : d == 1 ? static_cast<double>(t.frequency[i]) : t.monetary[i];
        std::vector<double> s = v;
        std::sort(s.begin(), s.end());
        std::vector<double> cuts;
        for (std::size_t k = 1; k < 5; ++k) cuts.push_back(s[(k * (m - 1)) / 5]);
        CHECK(t.cuts[d] == cuts);
        std::set<int> used;
        for (std::size_t i = 0; i < m; ++i) {
            int above = 0;
            for (double c : cuts) above += v[i] > c;
            const int want = d == 0 ? 5 - above : 1 + above;
            CHECK(t.score[d][i] == want);
            used.insert(want);
        }
        CHECK(t.n_scores[d] == used.size());
    }
    CHECK(t.rfm(0) == 100 * t.score[0][0] + 10 * t.score[1][0] + t.score[2][0]);
}

TEST_CASE("rfm thresholds, segments first match wins, default, rules checked") {
    const std::int64_t d0 = days_from_civil(2024, 3, 31);
    tx_log l;
    l.add(0, d0, 100);       // recency 0, f 1
    l.add(1, d0 - 40, 10);   // recency 40
    l.add(1, d0 - 45, 10);   // f 2
    l.add(2, d0 - 400, 5);   // recency 400
    cxkit::customer::rfm_options opt;
    opt.bins = 3;
    opt.thresholds[0] = {30, 90};  // recency <= 30 -> 3, 31..90 -> 2, > 90 -> 1
    opt.thresholds[1] = {1, 2};
    opt.thresholds[2] = {10, 50};
    cxkit::customer::segment_rule best, recent;
    best.name = "best";
    best.lo[0] = 3;
    best.lo[2] = 3;
    recent.name = "recent";
    recent.lo[0] = 2;
    opt.segments = {best, recent};
    const auto t = cxkit::customer::rfm(l.columns(), 3, opt);
    CHECK(t.score[0] == std::vector<std::uint8_t>{3, 2, 1});
    CHECK(t.score[1] == std::vector<std::uint8_t>{1, 2, 1});
    CHECK(t.score[2] == std::vector<std::uint8_t>{3, 2, 1});
    CHECK(t.segment == std::vector<std::int32_t>{0, 1, -1});

    opt.as_of_day = d0 - 10;  // customer 0 is after the as-of day
    const auto u = cxkit::customer::rfm(l.columns(), 3, opt);
    CHECK(u.n_after_end == 1);
    CHECK(u.customer == std::vector<std::int64_t>{1, 2});
    CHECK(u.recency == std::vector<std::int64_t>{30, 390});

    cxkit::customer::segment_rule bad;
    bad.name = "bad";
    bad.lo[1] = 3;
    bad.hi[1] = 2;
    opt.segments = {bad};
    try {
        (void)cxkit::customer::rfm(l.columns(), 3, opt);
        FAIL("expected invalid_argument");
    } catch (const cxkit::invalid_argument& e) {
        CHECK(contains(e.what(), "\"bad\""));
    }
    opt.segments.clear();
    opt.thresholds[1] = {2, 1};
    CHECK_THROWS_AS((void)cxkit::customer::rfm(l.columns(), 3, opt), cxkit::invalid_argument);
    opt.thresholds[1].clear();
    opt.bins = 10;
    CHECK_THROWS_AS((void)cxkit::customer::rfm(l.columns(), 3, opt), cxkit::invalid_argument);
}

TEST_CASE("standard segments cover every r f cell of 5 bins") {
    const auto rules = cxkit::customer::standard_segments();
    cxkit::customer::check_segment_rules(rules, 5);
    for (std::uint8_t r = 1; r <= 5; ++r)
        for (std::uint8_t f = 1; f <= 5; ++f) {
            bool any = false;
            for (const auto& s : rules) any = any || s.matches(r, f, 3);
            CHECK(any);
        }
}

TEST_CASE("aggregate_transactions on two threads equals one thread, with a holdout part, rows out of order") {
    const tx_log l = random_log(400000, 30000, 5);  // above the one-thread threshold of plan_threads
    std::map<std::int64_t, std::set<std::int64_t>> cal_periods, hold_periods;  // oracle: rows at or before the split
    for (std::size_t i = 0; i < l.customer.size(); ++i)
        (l.time[i] <= 9600 * spd ? cal_periods : hold_periods)[l.customer[i]].insert(
            cxkit::core::week_of_day(cxkit::core::floor_div(l.time[i], spd)));
    cxkit::customer::transaction_window w;
    w.period = summary_period::week;
    w.split_stamp = 9600 * spd;
    const auto one = cxkit::customer::aggregate_transactions(l.columns(), 30000, w, cxkit::core::on_invalid::raise, 1);
    const auto two = cxkit::customer::aggregate_transactions(l.columns(), 30000, w, cxkit::core::on_invalid::raise, 2);
    CHECK(one.n == two.n);
    CHECK(one.n_holdout == two.n_holdout);
    CHECK(one.n + one.n_holdout == l.customer.size());
    std::size_t checked = 0;
    for (std::size_t c = 0; c < 30000; ++c) {
        const auto& a = one.cells[c];
        const auto& b = two.cells[c];
        REQUIRE(a.rows == b.rows);
        CHECK(one.holdout[c].periods() == two.holdout[c].periods());
        CHECK(one.holdout[c].rows == two.holdout[c].rows);
        CHECK(one.holdout[c].periods() == hold_periods[static_cast<std::int64_t>(c)].size());
        if (a.rows == 0) continue;
        CHECK(a.periods() == b.periods());
        CHECK(a.first_day == b.first_day);
        CHECK(a.last_day == b.last_day);
        CHECK(a.first_sum == b.first_sum);
        CHECK(a.rest_sum == b.rest_sum);
        CHECK(a.periods() == cal_periods[static_cast<std::int64_t>(c)].size());
        ++checked;
    }
    CHECK(checked > 20000);
}
