// Tests of <cxkit/customer/cohort.hpp>: retention matrices against a hand-built table and a
// brute-force oracle written from METRICS.md §4 (std::set of (customer, period) pairs), merge laws
// of cohort_accumulator including customers split across parts, churn, churn durations, and
// serialization (round trip, corrupt bytes).
#include <cxkit/customer/cohort.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <vector>

namespace {

using cxkit::cohort_accumulator;
using cxkit::cohort_columns;
using cxkit::cohort_period;
using cxkit::cohort_spec;
using cxkit::cohort_table;
using cxkit::core::days_from_civil;

constexpr std::int64_t spd = 86400;

struct events {
    std::vector<std::int64_t> customer, time;
    std::vector<double> revenue;
    void add(std::int64_t c, std::int64_t day, double r = 1.0) {
        customer.push_back(c);
        time.push_back(day * spd + 3600);
        revenue.push_back(r);
    }
    cohort_columns<std::int64_t> columns(bool with_revenue = false) const {
        cohort_columns<std::int64_t> c;
        c.size = customer.size();
        c.customer = customer.data();
        c.time = time.data();
        c.revenue = with_revenue ? revenue.data() : nullptr;
        return c;
    }
};

// Oracle: month index written from the civil date (year * 12 + month).
std::int64_t month_index(std::int64_t day) {
    const auto d = cxkit::core::civil_from_days(day);
    return (d.year - 1970) * 12 + static_cast<std::int64_t>(d.month) - 1;
}

// Brute-force exact / unbounded counts: map cohort -> age -> count.
std::map<std::int64_t, std::map<std::int64_t, std::uint64_t>> oracle(const events& e, bool unbounded) {
    std::map<std::int64_t, std::set<std::int64_t>> periods;
    for (std::size_t i = 0; i < e.customer.size(); ++i) periods[e.customer[i]].insert(month_index(e.time[i] / spd));
    std::map<std::int64_t, std::map<std::int64_t, std::uint64_t>> out;
    for (const auto& kv : periods) {
        const std::int64_t c = *kv.second.begin();
        const std::int64_t top = *kv.second.rbegin() - c;
        if (unbounded)
            for (std::int64_t a = 0; a <= top; ++a) ++out[c][a];
        else
            for (auto p : kv.second) ++out[c][p - c];
    }
    return out;
}

void check_against_oracle(const cohort_table& t, const events& e) {
    for (bool unb : {false, true}) {
        const auto o = oracle(e, unb);
        REQUIRE(t.cohorts.size() == o.size());
        const auto& m = unb ? t.unbounded : t.exact;
        for (std::size_t r = 0; r < t.cohorts.size(); ++r) {
            const auto& row = o.at(t.cohorts[r]);
            for (std::size_t a = 0; a < t.n_ages; ++a) {
                const auto it = row.find(static_cast<std::int64_t>(a));
                CHECK(m[r * t.n_ages + a] == (it == row.end() ? 0u : it->second));
            }
        }
    }
}

events random_events(std::uint64_t seed, std::size_t n, std::int64_t customers) {
    std::mt19937_64 g(seed);
    std::uniform_int_distribution<std::int64_t> cust(0, customers - 1), day(days_from_civil(2020, 1, 1), days_from_civil(2021, 6, 30));
    events e;
    for (std::size_t i = 0; i < n; ++i) e.add(cust(g), day(g), static_cast<double>(i % 7));
    return e;
}

}  // namespace

TEST_CASE("cohort: hand-built monthly table with NaN cells and the partial flag") {
    // Customer 1: Jan, Feb, Apr. Customer 2: Jan. Customer 3: Feb, Mar. Last event 2024-04-10.
    events e;
    e.add(1, days_from_civil(2024, 1, 5));
    e.add(1, days_from_civil(2024, 1, 20));
    e.add(1, days_from_civil(2024, 2, 1));
    e.add(1, days_from_civil(2024, 4, 10));
    e.add(2, days_from_civil(2024, 1, 31));
    e.add(3, days_from_civil(2024, 2, 29));
    e.add(3, days_from_civil(2024, 3, 1));
    const cohort_table t = cxkit::retention_count(e.columns(), 4, cohort_spec{});
    REQUIRE(t.cohorts.size() == 2);
    REQUIRE(t.n_ages == 4);
    CHECK(t.cohorts[0] == (2024 - 1970) * 12);
    const std::vector<std::uint64_t> exact = {2, 1, 0, 1, 1, 1, 0, 0};
    const std::vector<std::uint64_t> unb = {2, 1, 1, 1, 1, 1, 0, 0};
    CHECK(t.exact == exact);
    CHECK(t.unbounded == unb);
    const std::vector<std::uint8_t> observed = {1, 1, 1, 1, 1, 1, 1, 0};
    const std::vector<std::uint8_t> partial = {0, 0, 0, 1, 0, 0, 1, 0};
    CHECK(t.observed == observed);
    CHECK(t.partial == partial);
    const auto rates = t.rates(cxkit::retention_kind::exact);
    CHECK(rates[1] == doctest::Approx(0.5));
    CHECK(std::isnan(rates[7]));
    // curve: age 1 = (1 + 1) / (2 + 1); age 3 = 1 / 2 (only the January cohort reached it).
    const auto curve = t.curve(cxkit::retention_kind::exact);
    CHECK(curve[1] == doctest::Approx(2.0 / 3.0));
    CHECK(curve[3] == doctest::Approx(0.5));
    CHECK(t.n_customers == 3);
    // The accumulator gives the same table.
    cohort_accumulator acc;
    acc.add(e.columns());
    const cohort_table s = acc.result();
    CHECK(s.exact == t.exact);
    CHECK(s.unbounded == t.unbounded);
    CHECK(s.observed == t.observed);
    CHECK(s.partial == t.partial);
}

TEST_CASE("cohort: random events against the brute-force oracle, kernel and state") {
    const events e = random_events(7, 3000, 400);
    const cohort_table t = cxkit::retention_count(e.columns(), 400, cohort_spec{});
    check_against_oracle(t, e);
    cohort_accumulator acc;
    acc.add(e.columns());
    check_against_oracle(acc.result(), e);
}

TEST_CASE("cohort: merge with customers split across parts equals one pass") {
    const events e = random_events(11, 2000, 150);
    cohort_accumulator whole(cohort_spec{cohort_period::week, 0}, true), a(cohort_spec{cohort_period::week, 0}, true),
        b(cohort_spec{cohort_period::week, 0}, true), empty(cohort_spec{cohort_period::week, 0}, true);
    whole.add(e.columns(true));
    events p1, p2;
    for (std::size_t i = 0; i < e.customer.size(); ++i) {
        events& p = i % 3 == 0 ? p1 : p2;
        p.customer.push_back(e.customer[i]);
        p.time.push_back(e.time[i]);
        p.revenue.push_back(e.revenue[i]);
    }
    a.add(p1.columns(true));
    b.add(p2.columns(true));
    CHECK(a + b == whole);  // integer revenue: sums exact in any order
    CHECK(b + a == whole);
    CHECK(a + empty == a);
    CHECK(empty + a == a);
    const auto bytes = whole.serialize();
    CHECK(cohort_accumulator::deserialize(bytes.data(), bytes.size()) == whole);
    const auto t1 = whole.result(), t2 = (a + b).result();
    CHECK(t1.exact == t2.exact);
    CHECK(t1.revenue == t2.revenue);
}

TEST_CASE("cohort: rolling ages of 7 days from the first event") {
    events e;
    e.add(1, 100);
    e.add(1, 106);  // age 0
    e.add(1, 107);  // age 1
    e.add(2, 103);
    e.add(2, 117);  // age 2
    cohort_spec s{cohort_period::month, 7};
    const cohort_table t = cxkit::retention_count(e.columns(), 3, s);
    REQUIRE(t.cohorts.size() == 1);  // days 100 and 103 are both in April 1970
    CHECK(t.exact[0] == 2);
    CHECK(t.exact[1] == 1);
    CHECK(t.exact[2] == 1);
    cohort_accumulator acc(s);
    acc.add(e.columns());
    const cohort_table u = acc.result();
    CHECK(u.exact == t.exact);
    CHECK(u.unbounded == t.unbounded);
}

TEST_CASE("cohort: missing and invalid rows, raise and drop") {
    events e;
    e.add(1, 10);
    e.add(2, 11);
    e.time[1] = std::numeric_limits<std::int64_t>::min();  // NaT: missing
    std::vector<std::uint8_t> flags = {0, 0};
    auto c = e.columns();
    cohort_accumulator acc;
    acc.add(c);
    CHECK(acc.n_missing() == 1);
    flags[0] = 2;
    c.time_flags = flags.data();
    CHECK_THROWS_AS(acc.add(c), cxkit::invalid_input);
    CHECK(acc.n_events() == 1);  // unchanged
    acc.add(c, cxkit::core::on_invalid::drop);
    CHECK(acc.n_invalid() == 1);
    CHECK(acc.n_missing() == 2);
}

TEST_CASE("cohort: churn per month and churn durations") {
    events e;
    e.add(1, days_from_civil(2024, 1, 5));
    e.add(1, days_from_civil(2024, 2, 5));
    e.add(2, days_from_civil(2024, 1, 6));
    e.add(3, days_from_civil(2024, 2, 7));
    e.add(3, days_from_civil(2024, 3, 7));
    cohort_accumulator acc;
    acc.add(e.columns());
    const auto ch = acc.churn();
    REQUIRE(ch.periods.size() == 2);  // Feb, Mar
    CHECK(ch.active_start[0] == 2);   // Jan: 1, 2
    CHECK(ch.lost[0] == 1);           // 2
    CHECK(ch.active_start[1] == 2);   // Feb: 1, 3
    CHECK(ch.lost[1] == 1);           // 1
    CHECK(ch.partial[1] == 1);

    const auto d = cxkit::churn_durations(e.columns(), 4, 30);
    const std::int64_t end = days_from_civil(2024, 3, 7);
    CHECK(d.end_day == end);
    CHECK(d.observed[1] == 1);
    CHECK(d.duration[1] == days_from_civil(2024, 2, 5) - days_from_civil(2024, 1, 5));
    CHECK(d.observed[3] == 0);
    CHECK(d.duration[3] == end - days_from_civil(2024, 2, 7));
    CHECK(d.first_day[0] == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("cohort: corrupt bytes are refused") {
    const events e = random_events(3, 50, 10);
    cohort_accumulator acc;
    acc.add(e.columns());
    auto bytes = acc.serialize();
    CHECK_THROWS_AS(cohort_accumulator::deserialize(bytes.data(), bytes.size() - 1), cxkit::corrupt_state);
    bytes[bytes.size() - 3] ^= 0x40;
    CHECK_THROWS_AS(cohort_accumulator::deserialize(bytes.data(), bytes.size()), cxkit::corrupt_state);
    cohort_accumulator other(cohort_spec{cohort_period::day, 0});
    CHECK_THROWS_AS(acc += other, cxkit::invalid_argument);
}

TEST_CASE("cohort: the threaded kernel equals the one-thread kernel and the oracle") {
    const events e = random_events(5, 300000, 20000);
    const cohort_table one = cxkit::retention_count(e.columns(true), 20000, cohort_spec{}, std::nullopt,
                                                    cxkit::core::on_invalid::raise, 1);
    const cohort_table two = cxkit::retention_count(e.columns(true), 20000, cohort_spec{}, std::nullopt,
                                                    cxkit::core::on_invalid::raise, 2);
    CHECK(one.exact == two.exact);
    CHECK(one.unbounded == two.unbounded);
    CHECK(one.revenue == two.revenue);  // integer revenue: exact in any order
    check_against_oracle(two, e);
}

// ---- Golden file tests/golden/cohort_v1.bin (tests/golden/README.md) ------------------------------
// The documented input, exactly as tests/golden/make_golden.cpp adds it, and an encoder written
// here from the documented payload layout (CRC-32 by Boost.CRC, not by the archive's own table).
#include <boost/crc.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {
using gbytes = std::vector<std::uint8_t>;

gbytes cohort_golden_file() {
    const std::string path = std::string(CXKIT_TEST_DATA_DIR) + "/cohort_v1.bin";
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return gbytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class T>
void put(gbytes& out, T v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    for (std::size_t i = 0; i < sizeof v; ++i) out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

std::int64_t noon(std::int64_t y, unsigned m, unsigned d) { return days_from_civil(y, m, d) * spd + 12 * 3600; }

cohort_accumulator cohort_golden_state() {
    const std::vector<std::int64_t> c = {7, 7, 9, 7, 9, 5, 9};
    const std::vector<std::int64_t> t = {noon(2024, 1, 5), noon(2024, 1, 20), noon(2024, 2, 29), noon(2024, 3, 2),
                                         std::numeric_limits<std::int64_t>::min(), noon(2024, 3, 9), noon(2024, 2, 1)};
    const std::vector<double> r = {10.5, 2.0, 4.25, 1.0, 3.0, std::numeric_limits<double>::quiet_NaN(), 1.0};
    const std::vector<std::uint8_t> f = {0, 0, 0, 0, 0, 0, 2};
    cohort_accumulator a(cohort_spec{cohort_period::month, 0}, true);
    cohort_columns<std::int64_t> cc;
    cc.size = c.size();
    cc.customer = c.data();
    cc.time = t.data();
    cc.time_flags = f.data();
    cc.revenue = r.data();
    a.add(cc, cxkit::core::on_invalid::drop);
    return a;
}

gbytes cohort_documented_blob() {
    gbytes p;
    put<std::uint8_t>(p, 2);   // month
    put<std::int64_t>(p, 0);   // rolling_days
    put<std::uint8_t>(p, 1);   // has_revenue
    put<std::uint64_t>(p, 2);  // missing: NaT time, NaN revenue
    put<std::uint64_t>(p, 1);  // invalid: not a time
    put<std::uint64_t>(p, 4);  // events
    put<std::uint8_t>(p, 1);
    put<std::int64_t>(p, days_from_civil(2024, 3, 2));
    put<std::uint64_t>(p, 3);
    const std::int64_t jan = (2024 - 1970) * 12;
    put<std::int64_t>(p, 7), put<std::int64_t>(p, jan), put<double>(p, 12.5);
    put<std::int64_t>(p, 7), put<std::int64_t>(p, jan + 2), put<double>(p, 1.0);
    put<std::int64_t>(p, 9), put<std::int64_t>(p, jan + 1), put<double>(p, 4.25);
    gbytes out = {'C', 'X', 'K', '1'};
    put<std::uint16_t>(out, 7);
    put<std::uint16_t>(out, 1);
    put<std::uint32_t>(out, 0);
    put<std::uint64_t>(out, p.size());
    boost::crc_32_type crc;
    crc.process_bytes(p.data(), p.size());
    put<std::uint32_t>(out, crc.checksum());
    out.insert(out.end(), p.begin(), p.end());
    return out;
}
}  // namespace

TEST_CASE("cohort: golden cohort_v1.bin is the documented layout and decodes to the documented state") {
    const gbytes file = cohort_golden_file();
    CHECK(file.size() == 147);
    CHECK(file == cohort_documented_blob());
    const cohort_accumulator a = cohort_accumulator::deserialize(file.data(), file.size());
    CHECK(a == cohort_golden_state());
    CHECK(cohort_golden_state().serialize() == file);
    const cohort_table t = a.result();
    REQUIRE(t.cohorts.size() == 2);  // customer 7 in January, customer 9 in February
    REQUIRE(t.n_ages == 3);
    const std::vector<std::uint64_t> exact = {1, 0, 1, 1, 0, 0};
    CHECK(t.exact == exact);
    CHECK(t.revenue[0] == 12.5);
    CHECK(t.revenue[2] == 1.0);
    CHECK(t.revenue[3] == 4.25);
}
