// Tests of <cxkit/customer/transactions.hpp>: the transaction state's results against the one-pass
// rfm / clv_summary on the same rows (random logs, every period, as-of dates, observation ends and
// calibration/holdout splits), the merge laws (associative, commutative, empty identity, split by
// row ranges with customers in several parts == one pass), single-row add, serialization round trip
// and corrupt bytes, the bad-input policy, and the golden file tests/golden/transactions_v1.bin
// against an encoder written here. Amounts are multiples of 1/4, so every sum is exact and results
// compare with ==.
#include <cxkit/customer/transactions.hpp>

#include <doctest/doctest.h>

#include <boost/crc.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using cxkit::core::days_from_civil;
using cxkit::core::on_invalid;
using cxkit::customer::clv_summary_options;
using cxkit::customer::clv_summary_table;
using cxkit::customer::rfm_options;
using cxkit::customer::rfm_table;
using cxkit::customer::summary_period;
using cxkit::customer::transaction_accumulator;
using cxkit::customer::transaction_columns;

constexpr std::int64_t spd = 86400;

struct log_rows {
    std::vector<std::int64_t> customer, time;
    std::vector<double> amount;
    transaction_columns<std::int64_t> columns(std::size_t from = 0, std::size_t to = std::numeric_limits<std::size_t>::max()) const {
        to = std::min(to, customer.size());
        transaction_columns<std::int64_t> c;
        c.size = to - from;
        c.customer = customer.data() + from;
        c.time = time.data() + from;
        c.units_per_day = spd;
        c.amount = amount.data() + from;
        return c;
    }
};

/// Customer keys spread over a wide int64 range (sparse ids, negative ones too); times at several
/// hours of the day; amounts multiples of 1/4 (exact sums).
log_rows random_log(std::size_t rows, std::size_t customers, std::uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::int64_t> ids;
    std::uniform_int_distribution<std::int64_t> id(-1000000000000LL, 1000000000000LL);
    for (std::size_t i = 0; i < customers; ++i) ids.push_back(id(rng));
    std::uniform_int_distribution<std::size_t> pick(0, customers - 1);
    std::uniform_int_distribution<std::int64_t> day(19000, 19400), second(0, spd - 1);
    std::uniform_int_distribution<int> quarters(0, 4000);
    log_rows l;
    for (std::size_t i = 0; i < rows; ++i) {
        l.customer.push_back(ids[pick(rng)]);
        l.time.push_back(day(rng) * spd + second(rng));
        l.amount.push_back(quarters(rng) / 4.0);
    }
    return l;
}

/// The one-pass kernels need dense codes: codes of the sorted distinct ids.
struct dense {
    std::vector<std::int64_t> ids, codes;
    explicit dense(const log_rows& l) {
        ids = l.customer;
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        for (std::int64_t c : l.customer)
            codes.push_back(std::lower_bound(ids.begin(), ids.end(), c) - ids.begin());
    }
    transaction_columns<std::int64_t> columns(const log_rows& l) const {
        transaction_columns<std::int64_t> c = l.columns();
        c.customer = codes.data();
        return c;
    }
};

transaction_accumulator state_of(const log_rows& l, std::size_t from = 0, std::size_t to = std::numeric_limits<std::size_t>::max()) {
    transaction_accumulator a;
    a.add(l.columns(from, to));
    return a;
}

void check_same(const rfm_table& a, const rfm_table& b, const dense& d) {
    REQUIRE(a.customer.size() == b.customer.size());
    for (std::size_t i = 0; i < a.customer.size(); ++i) CHECK(a.customer[i] == d.ids[static_cast<std::size_t>(b.customer[i])]);
    CHECK(a.recency == b.recency);
    CHECK(a.frequency == b.frequency);
    CHECK(a.monetary == b.monetary);
    CHECK(a.first_day == b.first_day);
    for (int k = 0; k < 3; ++k) {
        CHECK(a.score[k] == b.score[k]);
        CHECK(a.cuts[k] == b.cuts[k]);
        CHECK(a.n_scores[k] == b.n_scores[k]);
    }
    CHECK(a.segment == b.segment);
    CHECK(a.as_of_day == b.as_of_day);
    CHECK(a.has_data == b.has_data);
    CHECK(a.n == b.n);
    CHECK(a.n_missing == b.n_missing);
    CHECK(a.n_invalid == b.n_invalid);
    CHECK(a.n_after_end == b.n_after_end);
}

void check_same(const clv_summary_table& a, const clv_summary_table& b, const dense& d) {
    REQUIRE(a.customer.size() == b.customer.size());
    for (std::size_t i = 0; i < a.customer.size(); ++i) CHECK(a.customer[i] == d.ids[static_cast<std::size_t>(b.customer[i])]);
    CHECK(a.frequency == b.frequency);
    CHECK(a.recency == b.recency);
    CHECK(a.T == b.T);
    CHECK(a.monetary_value == b.monetary_value);
    CHECK(a.frequency_holdout == b.frequency_holdout);
    CHECK(a.monetary_value_holdout == b.monetary_value_holdout);
    CHECK(a.duration_holdout == b.duration_holdout);
    CHECK(a.split == b.split);
    CHECK(a.end_day == b.end_day);
    CHECK(a.n == b.n);
    CHECK(a.n_holdout == b.n_holdout);
    CHECK(a.n_missing == b.n_missing);
    CHECK(a.n_invalid == b.n_invalid);
    CHECK(a.n_after_end == b.n_after_end);
}

using gbytes = std::vector<std::uint8_t>;

template <class T>
void put(gbytes& out, T v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof v);
    for (std::size_t i = 0; i < sizeof v; ++i) out.push_back(static_cast<std::uint8_t>(bits >> (8 * i)));
}

}  // namespace

TEST_CASE("transactions: rfm of the state equals rfm of the rows") {
    for (std::uint32_t seed : {1u, 2u, 3u}) {
        const log_rows l = random_log(3000, 300, seed);
        const dense d(l);
        const transaction_accumulator a = state_of(l);
        CHECK(a.n() == l.customer.size());
        for (const std::optional<std::int64_t> as_of : {std::optional<std::int64_t>(), std::optional<std::int64_t>(19200),
                                                        std::optional<std::int64_t>(19500)}) {
            rfm_options o;
            o.as_of_day = as_of;
            o.segments = cxkit::customer::standard_segments();
            check_same(a.rfm(o), cxkit::customer::rfm(d.columns(l), d.ids.size(), o), d);
            o.bins = 3;
            o.segments.clear();
            o.thresholds[0] = {10, 100};
            check_same(a.rfm(o, 2), cxkit::customer::rfm(d.columns(l), d.ids.size(), o), d);
        }
    }
}

TEST_CASE("transactions: clv_summary of the state equals clv_summary of the rows, every period and split") {
    const log_rows l = random_log(4000, 250, 11);
    const dense d(l);
    const transaction_accumulator a = state_of(l);
    for (summary_period p : {summary_period::day, summary_period::week, summary_period::month}) {
        clv_summary_options o;
        o.period = p;
        o.multiplier = p == summary_period::day ? 7.0 : 1.0;
        // Stamps of the one-pass function in seconds, of the state in days: at the day's end, so
        // that rows of the end day are before it in both.
        const auto both = [&](clv_summary_options& rows_opt, clv_summary_options& state_opt) {
            check_same(a.clv_summary(state_opt), cxkit::customer::clv_summary(d.columns(l), d.ids.size(), rows_opt), d);
        };
        clv_summary_options s = o;
        both(o, s);
        o.end_stamp = 19300 * spd + spd - 1;
        s.end_stamp = 19300;
        both(o, s);
        o.end_stamp.reset();
        s.end_stamp.reset();
        o.calibration_end = 19250 * spd + spd - 1;
        s.calibration_end = 19250;
        both(o, s);
        o.holdout_end = 19350 * spd + spd - 1;
        s.holdout_end = 19350;
        both(o, s);
    }
}

TEST_CASE("transactions: merge laws and split by row ranges equal one pass") {
    const log_rows l = random_log(2000, 60, 5);  // 60 customers: each one's rows land in several parts
    const transaction_accumulator whole = state_of(l);
    const transaction_accumulator p1 = state_of(l, 0, 500), p2 = state_of(l, 500, 1300), p3 = state_of(l, 1300);
    CHECK((p1 + p2) + p3 == p1 + (p2 + p3));
    CHECK(p1 + p2 == p2 + p1);
    const transaction_accumulator empty;
    CHECK(p1 + empty == p1);
    CHECK(empty + p1 == p1);
    CHECK(p1 + p2 + p3 == whole);
    CHECK(p3 + p1 + p2 == whole);
    transaction_accumulator self = p1;
    self += self;
    CHECK(self.n() == 2 * p1.n());
    // one row at a time, in reverse order
    transaction_accumulator rows;
    for (std::size_t i = l.customer.size(); i-- > 0;) rows.add(l.customer[i], l.time[i], l.amount[i]);
    CHECK(rows == whole);
    CHECK(whole.n_customers() == 60);
    CHECK_THROWS_AS(whole + transaction_accumulator(false), cxkit::invalid_argument);
}

TEST_CASE("transactions: serialization round trip and corrupt bytes") {
    const transaction_accumulator a = state_of(random_log(500, 40, 9));
    const auto bytes = a.serialize();
    CHECK(transaction_accumulator::deserialize(bytes.data(), bytes.size()) == a);
    const transaction_accumulator empty(false);
    const auto eb = empty.serialize();
    CHECK(transaction_accumulator::deserialize(eb.data(), eb.size()) == empty);
    for (std::size_t cut : {std::size_t{0}, std::size_t{10}, std::size_t{24}, bytes.size() / 2, bytes.size() - 1})
        CHECK_THROWS_AS(transaction_accumulator::deserialize(bytes.data(), cut), cxkit::corrupt_state);
    auto flipped = bytes;
    flipped[40] ^= 0x01;
    CHECK_THROWS_AS(transaction_accumulator::deserialize(flipped.data(), flipped.size()), cxkit::corrupt_state);
    CHECK_THROWS_AS(cxkit::cohort_accumulator::deserialize(bytes.data(), bytes.size()), cxkit::corrupt_state);
}

TEST_CASE("transactions: bad input is counted or raised and the state stays whole") {
    const std::vector<std::int64_t> c = {1, 2, 3, 4, 5, 6};
    const std::vector<std::int64_t> t = {spd * 100, std::numeric_limits<std::int64_t>::min(), spd * 101, spd * 102,
                                         spd * 103, spd * 104};
    const std::vector<std::uint8_t> f = {0, 0, 2, 0, 0, 0};
    const std::vector<double> amt = {1.0, 1.0, 1.0, std::numeric_limits<double>::quiet_NaN(), -2.0, 3.0};
    const std::vector<std::uint8_t> miss = {0, 0, 0, 0, 0, 1};
    transaction_columns<std::int64_t> in;
    in.size = c.size();
    in.customer = c.data();
    in.customer_missing = miss.data();
    in.time = t.data();
    in.time_flags = f.data();
    in.amount = amt.data();
    transaction_accumulator a;
    try {
        a.add(in);
        FAIL("expected invalid_input");
    } catch (const cxkit::invalid_input& e) {
        const std::string what = e.what();
        CHECK(what.find("position 2") != std::string::npos);
        CHECK(what.find("2 invalid rows") != std::string::npos);
    }
    CHECK(a == transaction_accumulator());
    a.add(in, on_invalid::drop);
    CHECK(a.n() == 1);
    CHECK(a.n_missing() == 3);  // NaT time, NaN amount, missing customer
    CHECK(a.n_invalid() == 2);  // not a time, negative amount
    CHECK(a.n() + a.n_missing() + a.n_invalid() == c.size());
    const rfm_table r = a.rfm(rfm_options{});
    CHECK(r.n == 1);
    CHECK(r.n_missing == 3);
    CHECK(r.n_invalid == 2);
    CHECK_THROWS_AS(a.add(7, spd * 5), cxkit::invalid_argument);
    CHECK_THROWS_AS(transaction_accumulator(false).rfm(rfm_options{}), cxkit::invalid_argument);
    CHECK_THROWS_AS(a.add(7, spd * 3000000000LL, 1.0), cxkit::invalid_input);
    const transaction_accumulator none(false);
    CHECK(none.clv_summary(clv_summary_options{}).customer.empty());
    CHECK(transaction_accumulator().rfm(rfm_options{}).customer.empty());
}

TEST_CASE("transactions: golden transactions_v1.bin is the documented layout and decodes to the documented state") {
    const std::string path = std::string(CXKIT_TEST_DATA_DIR) + "/transactions_v1.bin";
    std::ifstream file_in(path, std::ios::binary);
    REQUIRE_MESSAGE(file_in.good(), "cannot open " << path);
    const gbytes file((std::istreambuf_iterator<char>(file_in)), std::istreambuf_iterator<char>());
    CHECK(file.size() == 161);

    // the documented input (tests/golden/README.md), as make_golden.cpp adds it
    auto noon = [](std::int64_t y, unsigned m, unsigned d, int h = 12) { return days_from_civil(y, m, d) * spd + h * 3600; };
    const std::vector<std::int64_t> c = {7, 7, 9, 7, 9, 5, 9, 7};
    const std::vector<std::int64_t> t = {noon(2024, 1, 5), noon(2024, 1, 5, 18), noon(2024, 2, 29), noon(2024, 3, 2),
                                         std::numeric_limits<std::int64_t>::min(), noon(2024, 3, 9), noon(2024, 2, 1),
                                         noon(2024, 1, 6)};
    const std::vector<double> amt = {10.5, 2.0, 4.25, 1.0, 3.0, std::numeric_limits<double>::quiet_NaN(), 1.0, -1.0};
    const std::vector<std::uint8_t> f = {0, 0, 0, 0, 0, 0, 2, 0};
    transaction_columns<std::int64_t> in;
    in.size = c.size();
    in.customer = c.data();
    in.time = t.data();
    in.time_flags = f.data();
    in.amount = amt.data();
    transaction_accumulator golden;
    golden.add(in, on_invalid::drop);

    // an encoder of the documented layout
    gbytes p;
    put<std::uint8_t>(p, 1);
    put<std::uint64_t>(p, 4);
    put<std::uint64_t>(p, 2);
    put<std::uint64_t>(p, 2);
    put<std::uint64_t>(p, 2);
    put<std::int64_t>(p, 7), put<std::uint64_t>(p, 2);
    put<std::int64_t>(p, days_from_civil(2024, 1, 5)), put<std::uint64_t>(p, 2), put<double>(p, 12.5);
    put<std::int64_t>(p, days_from_civil(2024, 3, 2)), put<std::uint64_t>(p, 1), put<double>(p, 1.0);
    put<std::int64_t>(p, 9), put<std::uint64_t>(p, 1);
    put<std::int64_t>(p, days_from_civil(2024, 2, 29)), put<std::uint64_t>(p, 1), put<double>(p, 4.25);
    gbytes blob = {'C', 'X', 'K', '1'};
    put<std::uint16_t>(blob, 8);
    put<std::uint16_t>(blob, 1);
    put<std::uint32_t>(blob, 0);
    put<std::uint64_t>(blob, p.size());
    boost::crc_32_type crc;
    crc.process_bytes(p.data(), p.size());
    put<std::uint32_t>(blob, crc.checksum());
    blob.insert(blob.end(), p.begin(), p.end());

    CHECK(file == blob);
    CHECK(golden.serialize() == file);
    const transaction_accumulator a = transaction_accumulator::deserialize(file.data(), file.size());
    CHECK(a == golden);
    CHECK(a.n() == 4);
    CHECK(a.n_missing() == 2);
    CHECK(a.n_invalid() == 2);
    REQUIRE(a.days_of(7).size() == 2);
    CHECK(a.days_of(7)[0].rows == 2);
    CHECK(a.days_of(7)[0].amount == 12.5);
    const rfm_table r = a.rfm(rfm_options{});
    REQUIRE(r.customer == std::vector<std::int64_t>{7, 9});
    CHECK(r.frequency == std::vector<std::uint64_t>{3, 1});
    CHECK(r.monetary == std::vector<double>{13.5, 4.25});
    CHECK(r.recency == std::vector<std::int64_t>{0, 2});
}

TEST_CASE("transactions: kernel row counts equal the expanded rows, also out of time order") {
    // entries (code, day, rows, amount) in no particular order, against one row per transaction
    // (the out-of-order path of aggregate_transactions recounts periods from the entries)
    std::mt19937 rng(21);
    std::uniform_int_distribution<std::int64_t> code(0, 29), day(19000, 19300);
    std::uniform_int_distribution<std::uint32_t> rows(1, 4);
    std::vector<std::int64_t> ec, ed, xc, xd;
    std::vector<std::uint32_t> er;
    std::vector<double> ea, xa;
    for (int i = 0; i < 400; ++i) {
        ec.push_back(code(rng));
        ed.push_back(day(rng));
        er.push_back(rows(rng));
        ea.push_back(static_cast<double>(er.back()) * 0.5);
        for (std::uint32_t k = 0; k < er.back(); ++k) {
            xc.push_back(ec.back());
            xd.push_back(ed.back());
            xa.push_back(0.5);
        }
    }
    auto cols = [](const std::vector<std::int64_t>& c, const std::vector<std::int64_t>& d, const std::vector<double>& a,
                   const std::uint32_t* r) {
        transaction_columns<std::int64_t> t;
        t.size = c.size();
        t.customer = c.data();
        t.time = d.data();
        t.units_per_day = 1;
        t.amount = a.data();
        t.rows = r;
        return t;
    };
    const auto entries = cols(ec, ed, ea, er.data()), expanded = cols(xc, xd, xa, nullptr);
    dense ids(log_rows{});
    ids.ids.resize(30);
    for (std::int64_t i = 0; i < 30; ++i) ids.ids[static_cast<std::size_t>(i)] = i;
    for (summary_period p : {summary_period::day, summary_period::week, summary_period::month}) {
        clv_summary_options o;
        o.period = p;
        o.calibration_end = 19200;
        check_same(cxkit::customer::clv_summary(entries, 30, o, on_invalid::raise, 3),
                   cxkit::customer::clv_summary(expanded, 30, o), ids);
    }
    rfm_options ro;
    ro.as_of_day = 19250;
    check_same(cxkit::customer::rfm(entries, 30, ro, on_invalid::raise, 2), cxkit::customer::rfm(expanded, 30, ro), ids);
}
