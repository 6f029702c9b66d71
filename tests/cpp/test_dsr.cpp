// Tests of <cxkit/survey/dsr.hpp>: Detailed Seller Ratings (METRICS.md §1 "DSR").
// - dsr_count on small hand-built columns, every row class counted as the definition says;
// - the monthly cap by hand;
// - dsr_results (peer mean, vs-peer figures, Welch test) against the formulas written out;
// - dsr_accumulator fed in one batch, row by row in shuffled order, day by day, split and merged,
//   against dsr_count and an independent row-by-row implementation of the definition (by_definition());
// - serialization: round trips, every truncation and flipped byte, payloads that parse but are
//   impossible, and the golden file tests/golden/dsr_v1.bin against an encoder written here from
//   the documented layout (tests/golden/README.md).
#include <cxkit/survey/dsr.hpp>

#include <cxkit/survey/nps.hpp>

#include <boost/crc.hpp>
#include <boost/math/special_functions/beta.hpp>
#include <doctest/doctest.h>

#include "oracles.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using cxkit::dsr_accumulator;
using cxkit::dsr_cell;
using cxkit::core::on_invalid;
using cxkit::survey::dsr_columns;
using bytes = std::vector<std::uint8_t>;

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t nat = std::numeric_limits<std::int64_t>::min();  // numpy's NaT
constexpr std::int64_t spd = 86400;
constexpr std::int64_t npd = 86400LL * 1000000000LL;

std::int64_t day(std::int64_t y, unsigned m, unsigned d) { return cxkit::core::days_from_civil(y, m, d); }
// Seconds since the epoch of y-m-d h:mi:s UTC.
std::int64_t at(std::int64_t y, unsigned m, unsigned d, int h = 12, int mi = 0, int s = 0) {
    return day(y, m, d) * spd + h * 3600 + mi * 60 + s;
}

// ---- Rows in the test's own representation -----------------------------------------------------

struct table {
    std::vector<std::int64_t> seller;  // code, -1 = missing
    std::vector<std::int64_t> dim;     // code into the labels, -1 = missing
    std::vector<double> rating;        // NaN = missing
    std::vector<std::int64_t> time;    // seconds (or `units` per day), INT64_MIN = NaT
    std::vector<std::uint8_t> tflag;   // 1 = missing, 2 = invalid
    std::vector<std::int64_t> buyer;
    std::vector<std::uint8_t> bmiss;   // 1 = no buyer

    std::size_t size() const { return seller.size(); }
    void add(std::int64_t s, std::int64_t d, double r, std::int64_t t, std::optional<std::int64_t> b = std::nullopt,
             std::uint8_t flag = 0) {
        seller.push_back(s);
        dim.push_back(d);
        rating.push_back(r);
        time.push_back(t);
        tflag.push_back(flag);
        buyer.push_back(b ? *b : 0);
        bmiss.push_back(b ? 0 : 1);
    }
    table subset(const std::vector<std::size_t>& rows) const {
        table t;
        for (std::size_t i : rows) {
            t.seller.push_back(seller[i]);
            t.dim.push_back(dim[i]);
            t.rating.push_back(rating[i]);
            t.time.push_back(time[i]);
            t.tflag.push_back(tflag[i]);
            t.buyer.push_back(buyer[i]);
            t.bmiss.push_back(bmiss[i]);
        }
        return t;
    }
};

// Columns over a table (rows [begin, begin + n)); labels must outlive the result.
dsr_columns<double> columns(const table& t, const std::vector<std::string>& labels, std::size_t n_sellers,
                            bool buyers = true, std::size_t begin = 0, std::size_t n = ~std::size_t{0}) {
    dsr_columns<double> c;
    c.size = std::min(n, t.size() - begin);
    c.seller = t.seller.data() + begin;
    c.n_sellers = n_sellers;
    c.dimension = t.dim.data() + begin;
    c.dimension_labels = cxkit::core::span<const std::string>(labels.data(), labels.size());
    c.rating = t.rating.data() + begin;
    c.time = t.time.data() + begin;
    c.time_flags = t.tflag.data() + begin;
    if (buyers) {
        c.buyer = t.buyer.data() + begin;
        c.buyer_missing = t.bmiss.data() + begin;
    }
    return c;
}

// ---- The oracle by_definition(): the definition (dsr.hpp file comment, METRICS.md), one row at a time ---------

struct counted_table {
    std::vector<dsr_cell> cells;  // seller-major
    std::uint64_t missing_key = 0, invalid_key = 0;
};

counted_table by_definition(const table& t, const std::vector<std::string>& labels, const std::vector<std::string>& dims,
                     std::size_t n_sellers, std::int64_t as_of, std::int64_t window, std::int64_t cap,
                     bool buyers = true, std::int64_t units_per_day = spd) {
    const std::size_t K = dims.size();
    counted_table out;
    out.cells.resize(n_sellers * K);
    const std::int64_t first = as_of - window + 1;
    struct entry {
        std::int64_t second;
        int rating;
        bool in_window;
        std::size_t cell;
    };
    std::map<std::tuple<std::size_t, std::int64_t, std::int64_t>, std::vector<entry>> groups;  // cell, buyer, month
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (t.seller[i] == -1 || t.dim[i] == -1) {
            ++out.missing_key;
            continue;
        }
        std::size_t k = K;
        if (t.dim[i] >= 0 && static_cast<std::size_t>(t.dim[i]) < labels.size())
            for (std::size_t j = 0; j < K; ++j)
                if (labels[static_cast<std::size_t>(t.dim[i])] == dims[j]) k = j;
        if (k == K) {
            ++out.invalid_key;
            continue;
        }
        dsr_cell& c = out.cells[static_cast<std::size_t>(t.seller[i]) * K + k];
        const double r = t.rating[i];
        const bool time_missing = t.tflag[i] == 1 || (t.tflag[i] == 0 && t.time[i] == nat);
        if (std::isnan(r) || time_missing) {
            ++c.missing;
            continue;
        }
        // Days and seconds by floor division (C++ division truncates toward zero).
        const std::int64_t ts = t.time[i];
        auto floor_by = [](std::int64_t x, std::int64_t u) { return x / u - (x % u < 0 ? 1 : 0); };
        const std::int64_t d = floor_by(ts, units_per_day);
        const std::int64_t sec = floor_by(ts, units_per_day / spd);
        const bool valid_rating = r == std::floor(r) && r >= 1.0 && r <= 5.0;
        if (!valid_rating || t.tflag[i] == 2 || d > as_of) {
            ++c.invalid;
            continue;
        }
        const bool in_window = d >= first;
        if (buyers && cap > 0 && t.bmiss[i] == 0) {
            const std::size_t cell = static_cast<std::size_t>(t.seller[i]) * K + k;
            groups[{cell, t.buyer[i], cxkit::core::month_of_day(d)}].push_back({sec, static_cast<int>(r), in_window, cell});
            continue;
        }
        if (in_window) ++c.counts[static_cast<std::size_t>(r) - 1];
        else ++c.expired;
    }
    for (auto& g : groups) {
        auto& v = g.second;
        std::sort(v.begin(), v.end(), [](const entry& a, const entry& b) {
            return a.second != b.second ? a.second < b.second : a.rating < b.rating;
        });
        for (std::size_t j = 0; j < v.size(); ++j) {
            dsr_cell& c = out.cells[v[j].cell];
            if (!v[j].in_window) ++c.expired;
            else if (j < static_cast<std::size_t>(cap)) ++c.counts[static_cast<std::size_t>(v[j].rating) - 1];
            else ++c.capped;
        }
    }
    return out;
}

std::string show(const dsr_cell& c) {
    std::string s = "{";
    for (auto x : c.counts) s += std::to_string(x) + " ";
    return s + "| capped " + std::to_string(c.capped) + " expired " + std::to_string(c.expired) + " missing " +
           std::to_string(c.missing) + " invalid " + std::to_string(c.invalid) + "}";
}

void check_cells(const std::vector<dsr_cell>& got, const std::vector<dsr_cell>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        if (got[i] != want[i]) {
            CAPTURE(i);
            CAPTURE(show(got[i]));
            CAPTURE(show(want[i]));
            CHECK(got[i] == want[i]);
        }
    }
}

dsr_cell cell(std::array<std::uint64_t, 5> counts, std::uint64_t capped = 0, std::uint64_t expired = 0,
              std::uint64_t missing = 0, std::uint64_t invalid = 0) {
    dsr_cell c;
    c.counts = counts;
    c.capped = capped;
    c.expired = expired;
    c.missing = missing;
    c.invalid = invalid;
    return c;
}

std::uint64_t total_rows(const std::vector<dsr_cell>& cells) {
    std::uint64_t s = 0;
    for (const auto& c : cells) s += c.rows();
    return s;
}

// ---- A random feed with every kind of row ------------------------------------------------------

const std::vector<std::string> two_dims = {"described", "shipping"};
const std::vector<std::string> feed_labels = {"described", "shipping", "price"};  // "price" is unknown
const std::vector<std::string> feed_sellers = {"s0", "s1", "s2"};                // sorted = code order

// Rows over days [first_day, last_day]: few buyers so the cap bites, repeated time stamps (ties),
// and 1-3 % each of missing sellers, missing and unknown dimensions, missing and invalid ratings,
// NaT, flagged-missing and flagged-invalid times, rows without a buyer.
table random_feed(std::uint64_t seed, std::size_t n, std::int64_t first_day, std::int64_t last_day) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int> pct(0, 99), star(1, 5), seller(0, 2), dim(0, 1), buyer(1, 4);
    std::uniform_int_distribution<std::int64_t> second(first_day * spd, last_day * spd + spd - 1);
    table t;
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t s = pct(rng) < 2 ? -1 : seller(rng);
        const int dk = pct(rng);
        const std::int64_t d = dk < 2 ? -1 : dk < 5 ? 2 : dim(rng);
        const int rk = pct(rng);
        const double r = rk < 3 ? nan_v : rk == 3 ? 0.0 : rk == 4 ? 6.0 : rk == 5 ? 2.5 : star(rng);
        const int tk = pct(rng);
        std::int64_t tm = (tk < 10 && i > 0) ? t.time[static_cast<std::size_t>(pct(rng)) % i] : second(rng);
        if (tm == nat) tm = second(rng);
        std::uint8_t flag = 0;
        if (tk == 10) tm = nat;
        if (tk == 11) flag = 1;
        if (tk == 12) flag = 2;
        const std::optional<std::int64_t> b = pct(rng) < 15 ? std::nullopt : std::optional<std::int64_t>(buyer(rng));
        t.add(s, d, r, tm, b, flag);
    }
    return t;
}

dsr_accumulator feed_batch(const table& t, std::int64_t window, std::int64_t cap) {
    dsr_accumulator a(two_dims, window, cap);
    a.add(columns(t, feed_labels, 3), cxkit::core::span<const std::string>(feed_sellers.data(), 3), on_invalid::drop);
    return a;
}

cxkit::survey::dsr_table count(const table& t, std::int64_t as_of, std::int64_t window, std::int64_t cap,
                               bool buyers = true) {
    return cxkit::dsr_count(columns(t, feed_labels, 3, buyers), two_dims, as_of, window, cap, on_invalid::drop);
}

// ---- An independent little-endian encoder of the documented layout -----------------------------

struct le_writer {
    bytes out;
    template <class U>
    void put(U v) {
        for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
    }
    void u8(std::uint8_t v) { out.push_back(v); }
    void u16(std::uint16_t v) { put(v); }
    void u32(std::uint32_t v) { put(v); }
    void u64(std::uint64_t v) { put(v); }
    void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v)); }
    void str(const std::string& s) {
        u64(s.size());
        out.insert(out.end(), s.begin(), s.end());
    }
};

std::uint32_t crc32_of(const bytes& payload) {
    boost::crc_32_type crc;
    crc.process_bytes(payload.data(), payload.size());
    return crc.checksum();
}

// Preamble: "CXK1", family u16 (3 = dsr), version u16, flags u32, payload size u64, CRC-32 u32.
bytes make_blob(const bytes& payload, std::uint16_t family = 3, std::uint16_t version = 1) {
    le_writer w;
    const char magic[4] = {'C', 'X', 'K', '1'};
    w.out.insert(w.out.end(), magic, magic + 4);
    w.u16(family);
    w.u16(version);
    w.u32(0);
    w.u64(payload.size());
    w.u32(crc32_of(payload));
    w.out.insert(w.out.end(), payload.begin(), payload.end());
    return w.out;
}

// The DSR payload v1 as documented above dsr_accumulator::serialize() and in tests/golden/README.md.
struct doc_day {
    std::int64_t day;
    std::array<std::uint64_t, 5> counts;
    std::uint64_t capped;
};
struct doc_entry {
    std::int64_t second;
    std::uint8_t rating;
};
struct doc_record {
    std::int64_t month, buyer;
    std::vector<doc_entry> entries;
};
struct doc_cell {
    std::uint64_t expired = 0, missing = 0, invalid = 0;
    std::vector<doc_day> ring;
    std::vector<doc_record> records;
};
struct doc_seller {
    std::string key;
    std::vector<doc_cell> cells;  // one per dimension
};
struct doc_state {
    std::vector<std::string> dims;
    std::int64_t window = 180;
    std::uint32_t cap = 3;
    std::uint8_t has_as_of = 0;
    std::int64_t as_of = 0;
    std::uint64_t missing_key = 0, invalid_key = 0;
    std::vector<doc_seller> sellers;

    bytes payload() const {
        le_writer w;
        w.u64(dims.size());
        for (const auto& d : dims) w.str(d);
        w.i64(window);
        w.u32(cap);
        w.u8(has_as_of);
        w.i64(as_of);
        w.u64(missing_key);
        w.u64(invalid_key);
        w.u64(sellers.size());
        for (const auto& s : sellers) {
            w.str(s.key);
            for (const auto& c : s.cells) {
                w.u64(c.expired);
                w.u64(c.missing);
                w.u64(c.invalid);
                w.u64(c.ring.size());
                for (const auto& d : c.ring) {
                    w.i64(d.day);
                    for (auto x : d.counts) w.u64(x);
                    w.u64(d.capped);
                }
                w.u64(c.records.size());
                for (const auto& r : c.records) {
                    w.i64(r.month);
                    w.i64(r.buyer);
                    w.u64(r.entries.size());
                    for (const auto& e : r.entries) {
                        w.i64(e.second);
                        w.u8(e.rating);
                    }
                }
            }
        }
        return w.out;
    }
    bytes blob() const { return make_blob(payload()); }
};

#define CHECK_CORRUPT(data, part)                                   \
    do {                                                            \
        const std::string msg_ = corrupt_message<dsr_accumulator>(data);             \
        CAPTURE(msg_);                                              \
        CHECK(msg_.rfind("corrupt state: ", 0) == 0);               \
        CHECK(contains(msg_, part));                                \
    } while (false)

bytes read_golden(const char* name) {
    const std::string path = std::string(CXKIT_TEST_DATA_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// ---- The hand-built columns of the class tests --------------------------------------------------
// as_of 2024-06-30, window 30: counted days 2024-06-01 .. 2024-06-30. Labels: described, shipping,
// price (not a dimension of the state). Two sellers. No buyers.
const std::int64_t hb_as_of = day(2024, 6, 30);
const std::vector<std::string> hb_labels = {"described", "shipping", "price"};

table hand_built() {
    table t;
    // seller 0, described
    t.add(0, 0, 5, at(2024, 6, 1, 0, 0, 0));     //  0 first second of the window: counted
    t.add(0, 0, 4, at(2024, 5, 31, 23, 59, 59)); //  1 last second before it: expired
    t.add(0, 0, 3, at(2024, 6, 30, 23, 59, 59)); //  2 last second of as_of: counted
    t.add(0, 0, 2, at(2024, 7, 1, 0, 0, 0));     //  3 as_of + 1: invalid
    t.add(0, 0, 4, nat);                         //  4 NaT: missing
    t.add(0, 0, 4, at(2024, 6, 10), {}, 1);      //  5 flagged missing time: missing
    t.add(0, 0, 4, at(2024, 6, 10), {}, 2);      //  6 flagged invalid time: invalid
    t.add(0, 0, nan_v, at(2024, 6, 10));         //  7 missing rating
    t.add(0, 0, 6, at(2024, 6, 10));             //  8 out of scale: invalid
    t.add(0, 0, 0, at(2024, 6, 10));             //  9 out of scale: invalid
    t.add(0, 0, 4.5, at(2024, 6, 10));           // 10 not an integer: invalid
    t.add(0, 0, nan_v, at(2024, 7, 2));          // 11 missing rating and a time after as_of: missing
    t.add(0, 0, 7, at(2024, 1, 2));              // 12 invalid rating, expired time: invalid
    t.add(0, 0, nan_v, nat, {}, 2);              // 13 missing rating, NaT flagged invalid: missing
    t.add(0, 0, 1, nat, {}, 2);                  // 14 NaT flagged invalid: invalid
    t.add(0, 0, 1, at(2023, 6, 30));             // 15 a year ago: expired
    // seller 0, shipping
    t.add(0, 1, 1, at(2024, 6, 15));  // 16 counted
    t.add(0, 1, 2, at(2024, 6, 15));  // 17 counted
    t.add(0, 1, 5, at(2024, 6, 16));  // 18 counted
    // seller 1
    t.add(1, 1, 5, at(2024, 6, 20));          // 19 counted
    t.add(1, 1, 5, at(2024, 6, 21));          // 20 counted
    t.add(1, 0, 3, at(2024, 5, 2));           // 21 expired
    // keys
    t.add(-1, 0, 5, at(2024, 6, 20));         // 22 missing seller: missing_key
    t.add(1, -1, 5, at(2024, 6, 20));         // 23 missing dimension: missing_key
    t.add(1, 2, 5, at(2024, 6, 20));          // 24 "price": invalid_key
    t.add(0, 7, 5, at(2024, 6, 20));          // 25 code outside the labels: invalid_key
    t.add(-1, 2, 5, at(2024, 6, 20));         // 26 missing seller, unknown dimension: missing_key
    t.add(1, 2, nan_v, nat);                  // 27 unknown dimension, missing rating: invalid_key
    t.add(1, -5, 5, at(2024, 6, 20));         // 28 negative code other than -1: invalid_key
    return t;
}

// The expected table of hand_built() at hb_as_of, window 30, by hand from the comments above.
std::vector<dsr_cell> hand_built_cells() {
    return {
        // s0 described: counted 5 (row 0) and 3 (row 2); expired rows 1, 15; missing 4, 5, 7, 11, 13;
        // invalid 3, 6, 8, 9, 10, 12, 14.
        cell({0, 0, 1, 0, 1}, 0, 2, 5, 7),
        cell({1, 1, 0, 0, 1}),           // s0 shipping
        cell({0, 0, 0, 0, 0}, 0, 1),     // s1 described: row 21 expired
        cell({0, 0, 0, 0, 2}),           // s1 shipping
    };
}

}  // namespace

namespace doctest {
template <>
struct StringMaker<dsr_cell> {
    static String convert(const dsr_cell& c) { return show(c).c_str(); }
};
}  // namespace doctest

// ================================================================================================
// dsr_count: row classes
// ================================================================================================

TEST_CASE("dsr: dsr_count classifies every row as the definition says") {
    const table t = hand_built();
    const auto got = cxkit::dsr_count(columns(t, hb_labels, 2, false), two_dims, hb_as_of, 30, 3, on_invalid::drop);
    CHECK(got.n_sellers == 2);
    CHECK(got.n_dims == 2);
    CHECK(got.as_of == hb_as_of);
    check_cells(got.cells, hand_built_cells());
    CHECK(got.missing_key == 3);  // rows 22, 23, 26
    CHECK(got.invalid_key == 4);  // rows 24, 25, 27, 28
    // Every row lands in exactly one class.
    CHECK(total_rows(got.cells) + got.missing_key + got.invalid_key == t.size());
    // The oracle agrees.
    const auto o = by_definition(t, hb_labels, two_dims, 2, hb_as_of, 30, 3, false);
    check_cells(got.cells, o.cells);
    CHECK(o.missing_key == got.missing_key);
    CHECK(o.invalid_key == got.invalid_key);
}

TEST_CASE("dsr: dsr_count window edges - first day counts, the day before expires, as_of + 1 is invalid") {
    for (std::int64_t window : {1, 2, 30, 180, 3660}) {
        const std::int64_t first = hb_as_of - window + 1;
        table t;
        t.add(0, 0, 5, first * spd);            // first second of the window
        t.add(0, 0, 4, first * spd - 1);        // last second before it
        t.add(0, 0, 3, hb_as_of * spd + spd - 1);
        t.add(0, 0, 2, (hb_as_of + 1) * spd);
        const auto got = cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, hb_as_of, window, 3, on_invalid::drop);
        CAPTURE(window);
        if (window == 1) CHECK(got.cells[0] == cell({0, 0, 1, 0, 1}, 0, 1, 0, 1));  // first == as_of
        else CHECK(got.cells[0] == cell({0, 0, 1, 0, 1}, 0, 1, 0, 1));
        // The same in nanoseconds, to the nanosecond.
        table ns = t;
        for (auto& x : ns.time) x *= 1000000000;
        ns.time[1] = first * npd - 1;
        ns.time[2] = hb_as_of * npd + npd - 1;
        auto c = columns(ns, hb_labels, 1);
        c.units_per_day = npd;
        CHECK(cxkit::dsr_count(c, two_dims, hb_as_of, window, 3, on_invalid::drop).cells[0] == got.cells[0]);
    }
    // Before the epoch: days are floored, not truncated.
    table t;
    t.add(0, 0, 5, -1);        // 1969-12-31 23:59:59: day -1
    t.add(0, 0, 4, -spd - 1);  // day -2
    t.add(0, 0, 3, 0);         // 1970-01-01: day 0, after as_of -1
    const auto got = cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, -1, 1, 0, on_invalid::drop);
    CHECK(got.cells[0] == cell({0, 0, 0, 0, 1}, 0, 1, 0, 1));
}

TEST_CASE("dsr: dsr_count - same table for seconds and nanoseconds, int8 and double ratings and codes, seller offsets") {
    const table t = hand_built();
    const auto want = cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 30, 3, on_invalid::drop);

    // Nanoseconds: NaT stays INT64_MIN, the other stamps times 1e9 (plus a sub-second offset that
    // must not change the day).
    std::vector<std::int64_t> ns(t.time);
    for (auto& x : ns)
        if (x != nat) x = x * 1000000000 + (x % 2 == 0 ? 999999999 : 0);
    // int8 ratings: NaN is not representable, so missing ratings come as a mask; 4.5 becomes 9.
    std::vector<std::int8_t> r8;
    std::vector<std::uint8_t> rmask;
    for (double r : t.rating) {
        r8.push_back(std::isnan(r) ? std::int8_t{3} : r == 4.5 ? std::int8_t{9} : static_cast<std::int8_t>(r));
        rmask.push_back(std::isnan(r) ? 1 : 0);
    }
    // int8 dimension codes and int32 seller codes with offset 10 (missing = 9).
    std::vector<std::int8_t> d8(t.dim.begin(), t.dim.end());
    std::vector<std::int32_t> s32;
    for (auto s : t.seller) s32.push_back(static_cast<std::int32_t>(s + 10));
    std::vector<std::int8_t> s8;
    for (auto s : t.seller) s8.push_back(static_cast<std::int8_t>(s - 3));

    auto check_variant = [&](auto c, const char* what) {
        CAPTURE(what);
        const auto got = cxkit::dsr_count(c, two_dims, hb_as_of, 30, 3, on_invalid::drop);
        check_cells(got.cells, want.cells);
        CHECK(got.missing_key == want.missing_key);
        CHECK(got.invalid_key == want.invalid_key);
    };
    {
        auto c = columns(t, hb_labels, 2);
        c.time = ns.data();
        c.units_per_day = npd;
        check_variant(c, "nanoseconds");
    }
    {
        dsr_columns<std::int8_t, std::int32_t, std::int8_t> c;
        c.size = t.size();
        c.seller = s32.data();
        c.seller_offset = 10;
        c.n_sellers = 2;
        c.dimension = d8.data();
        c.dimension_labels = cxkit::core::span<const std::string>(hb_labels.data(), hb_labels.size());
        c.rating = r8.data();
        c.rating_missing = rmask.data();
        c.time = ns.data();
        c.units_per_day = npd;
        c.time_flags = t.tflag.data();
        check_variant(c, "int8 ratings and dimensions, int32 sellers with offset 10, nanoseconds");
    }
    {
        dsr_columns<double, std::int8_t, std::int64_t> c;
        c.size = t.size();
        c.seller = s8.data();
        c.seller_offset = -3;
        c.n_sellers = 2;
        c.dimension = t.dim.data();
        c.dimension_labels = cxkit::core::span<const std::string>(hb_labels.data(), hb_labels.size());
        c.rating = t.rating.data();
        c.time = t.time.data();
        c.time_flags = t.tflag.data();
        check_variant(c, "int8 sellers with offset -3");
    }
    {
        // A rating mask over double ratings: masked rows are missing whatever the value.
        std::vector<double> r(t.rating);
        std::vector<std::uint8_t> mask(t.size(), 0);
        for (std::size_t i = 0; i < r.size(); ++i)
            if (std::isnan(r[i])) {
                r[i] = 99;
                mask[i] = 1;
            }
        auto c = columns(t, hb_labels, 2);
        c.rating = r.data();
        c.rating_missing = mask.data();
        check_variant(c, "double ratings with a missing mask");
    }
    {
        // No time flags: flagged rows become plain times, so only compare with the oracle.
        table u = t;
        std::fill(u.tflag.begin(), u.tflag.end(), 0);
        auto c = columns(u, hb_labels, 2);
        c.time_flags = nullptr;
        const auto got = cxkit::dsr_count(c, two_dims, hb_as_of, 30, 3, on_invalid::drop);
        check_cells(got.cells, by_definition(u, hb_labels, two_dims, 2, hb_as_of, 30, 3).cells);
    }
}

TEST_CASE("dsr: dsr_count with raise names the first bad row, its value and the count for each kind") {
    const std::string tail1 = "; 1 invalid row in total (pass on_invalid=\"drop\" to skip and count them)";
    auto message = [&](const table& t, std::int64_t as_of = hb_as_of) {
        try {
            (void)cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, as_of, 30, 3, on_invalid::raise);
        } catch (const cxkit::invalid_input& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    table base;
    base.add(0, 0, 5, at(2024, 6, 10));
    base.add(-1, 0, 9, at(2024, 6, 10));  // missing seller: not an error, even with a bad rating
    base.add(1, -1, 9, at(2024, 6, 10));  // missing dimension: neither
    base.add(0, 0, nan_v, at(2024, 6, 10), {}, 2);  // missing beats invalid
    CHECK(message(base) == "no error");

    table r = base;
    r.add(1, 1, 6, at(2024, 6, 11));
    CHECK(message(r) == "invalid rating at position 4: 6 (expected an integer in 1..5)" + tail1);
    table f = base;
    f.add(1, 1, 4.5, at(2024, 6, 11));
    CHECK(message(f) == "invalid rating at position 4: 4.5 (expected an integer in 1..5)" + tail1);
    table d = base;
    d.add(1, 2, 5, at(2024, 6, 11));
    CHECK(message(d) == "unknown dimension at position 4: \"price\" (expected one of described, shipping)" + tail1);
    table code = base;
    code.add(1, 12, 5, at(2024, 6, 11));
    CHECK(message(code) == "unknown dimension at position 4: code 12 (expected one of described, shipping)" + tail1);
    table flagged = base;
    flagged.add(1, 0, 5, at(2024, 6, 11), {}, 2);
    CHECK(message(flagged) == "invalid time at position 4 (not a date or time)" + tail1);
    table late = base;
    late.add(1, 0, 5, at(2024, 7, 1, 0, 0, 0));
    CHECK(message(late) == "time at position 4 is after as_of 2024-06-30 (day " + std::to_string(hb_as_of + 1) + " > " +
                               std::to_string(hb_as_of) + ")" + tail1);
    // Several: the first is named, all are counted (the unknown dimension too).
    table many = base;
    many.add(0, 0, 5, at(2024, 7, 3));   // 4 after as_of
    many.add(0, 0, 0, at(2024, 6, 3));   // 5
    many.add(0, 2, 5, at(2024, 6, 3));   // 6
    many.add(0, 1, 5, at(2024, 6, 3), {}, 2);  // 7
    CHECK(message(many) == "time at position 4 is after as_of 2024-06-30 (day " + std::to_string(day(2024, 7, 3)) +
                               " > " + std::to_string(hb_as_of) +
                               "); 4 invalid rows in total (pass on_invalid=\"drop\" to skip and count them)");
    table many2 = many.subset({0, 1, 2, 3, 6, 5, 4, 7});
    CHECK(contains(message(many2), "unknown dimension at position 4: \"price\""));
    CHECK(contains(message(many2), "; 4 invalid rows in total"));
    // Invalid rating beats a time after as_of in the message too (both make the row invalid).
    table both = base;
    both.add(1, 0, 0, at(2024, 8, 1));
    CHECK(message(both) == "invalid rating at position 4: 0 (expected an integer in 1..5)" + tail1);
    // The hand-built table: 7 invalid rows in s0 described + 4 unknown dimensions.
    const std::string all = message(hand_built());
    CHECK(contains(all, "at position 3"));
    CHECK(contains(all, "; 11 invalid rows in total"));
    // invalid_input is an invalid_argument and a cxkit::error.
    CHECK_THROWS_AS((void)cxkit::dsr_count(columns(r, hb_labels, 2), two_dims, hb_as_of), std::invalid_argument);
    CHECK_THROWS_AS((void)cxkit::dsr_count(columns(r, hb_labels, 2), two_dims, hb_as_of), cxkit::error);
}

TEST_CASE("dsr: dsr_count refuses seller codes out of range and bad parameters") {
    table t;
    t.add(0, 0, 5, at(2024, 6, 10));
    t.add(2, 0, 5, at(2024, 6, 10));
    CHECK_THROWS_WITH_AS((void)cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of),
                         "group code at position 1 is 2, outside 0..1 (or -1 for a missing key)", cxkit::out_of_range);
    // Out-of-range codes are refused before invalid rows are reported, under either policy.
    t.add(0, 0, 9, at(2024, 6, 10));
    CHECK_THROWS_AS((void)cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 30, 3, on_invalid::drop),
                    cxkit::out_of_range);
    table neg;
    neg.add(-2, 0, 5, at(2024, 6, 10));
    CHECK_THROWS_WITH_AS((void)cxkit::dsr_count(columns(neg, hb_labels, 2), two_dims, hb_as_of),
                         "group code at position 0 is -2, outside 0..1 (or -1 for a missing key)", cxkit::out_of_range);
    CHECK_THROWS_AS((void)cxkit::dsr_count(columns(neg, hb_labels, 2), two_dims, hb_as_of), std::out_of_range);
    // With an offset the reported code is the shifted one.
    std::vector<std::int64_t> s = {5, 6, 8};
    table three;
    for (int i = 0; i < 3; ++i) three.add(0, 0, 5, at(2024, 6, 10));
    auto c = columns(three, hb_labels, 2);
    c.seller = s.data();
    c.seller_offset = 5;
    CHECK_THROWS_WITH_AS((void)cxkit::dsr_count(c, two_dims, hb_as_of),
                         "group code at position 2 is 3, outside 0..1 (or -1 for a missing key)", cxkit::out_of_range);

    table ok;
    ok.add(0, 0, 5, at(2024, 6, 10));
    const auto cols = columns(ok, hb_labels, 1);
    CHECK_THROWS_AS((void)cxkit::dsr_count(cols, two_dims, hb_as_of, 0), cxkit::invalid_argument);
    CHECK_THROWS_AS((void)cxkit::dsr_count(cols, two_dims, hb_as_of, 3661), cxkit::invalid_argument);
    CHECK_THROWS_AS((void)cxkit::dsr_count(cols, two_dims, hb_as_of, 30, -1), cxkit::invalid_argument);
    CHECK_THROWS_AS((void)cxkit::dsr_count(cols, two_dims, hb_as_of, 30, 1001), cxkit::invalid_argument);
    CHECK_THROWS_AS((void)cxkit::dsr_count(cols, {}, hb_as_of), cxkit::invalid_argument);
    auto bad_units = cols;
    bad_units.units_per_day = 1000;
    CHECK_THROWS_WITH_AS((void)cxkit::dsr_count(bad_units, two_dims, hb_as_of),
                         "units_per_day must be a positive multiple of 86400, got 1000", cxkit::invalid_argument);
    CHECK_NOTHROW((void)cxkit::dsr_count(cols, two_dims, hb_as_of, 3660, 1000));
}

TEST_CASE("dsr: dsr_count on empty input and sellers without rows") {
    table t;
    const auto got = cxkit::dsr_count(columns(t, hb_labels, 3), two_dims, hb_as_of);
    CHECK(got.cells.size() == 6);
    for (const auto& c : got.cells) CHECK(c == dsr_cell{});
    CHECK(got.missing_key == 0);
    CHECK(got.invalid_key == 0);
    const auto res = cxkit::dsr_results(cxkit::core::span<const dsr_cell>(got.cells.data(), got.cells.size()), 2, {});
    for (const auto& r : res) {
        CHECK(std::isnan(r.dsr));
        CHECK(r.n == 0);
        CHECK(std::isnan(r.peer_mean));
        CHECK(r.peer_sellers == 0);
        CHECK(std::isnan(r.statistic));
    }
    // No sellers at all: every row's seller is missing.
    table m;
    m.add(-1, 0, 5, at(2024, 6, 10));
    const auto none = cxkit::dsr_count(columns(m, hb_labels, 0), two_dims, hb_as_of);
    CHECK(none.cells.empty());
    CHECK(none.missing_key == 1);
}

TEST_CASE("dsr: dsr_count threads give the same table as one thread") {
    const table t = random_feed(99, 300000, day(2024, 1, 1), day(2024, 6, 30));
    const auto one = cxkit::dsr_count(columns(t, feed_labels, 3), two_dims, day(2024, 6, 30), 90, 2, on_invalid::drop, 1);
    const auto two = cxkit::dsr_count(columns(t, feed_labels, 3), two_dims, day(2024, 6, 30), 90, 2, on_invalid::drop, 2);
    check_cells(two.cells, one.cells);
    CHECK(two.missing_key == one.missing_key);
    CHECK(two.invalid_key == one.invalid_key);
    CHECK(total_rows(one.cells) + one.missing_key + one.invalid_key == t.size());
    const auto o = by_definition(t, feed_labels, two_dims, 3, day(2024, 6, 30), 90, 2);
    check_cells(one.cells, o.cells);
}

TEST_CASE("dsr: dsr_count counts past 65535 rows per bin exactly on one and two threads") {
    // The kernel counts in 16-bit cells that carry into 64-bit counts when they wrap. Quotas per
    // kind of row, interleaved so each thread's half holds about half of each: on one thread the
    // bins wrap 3, 2, 1 and exactly 1 time (65536: a count of 0 plus a carry); on two, the largest
    // wraps in both halves.
    struct kind {
        std::int64_t seller;
        double rating;
        std::int64_t time;
        std::uint64_t quota;
    };
    const kind kinds[] = {{0, 5, at(2024, 6, 10), 3 * 65536 + 7},
                          {1, 3, at(2024, 5, 1), 2 * 65536 + 1},
                          {1, 4, at(2023, 1, 2), 70000},  // expired
                          {0, std::nan(""), at(2024, 6, 10), 65536}};  // missing rating
    table t;
    std::uint64_t left[4];
    for (int k = 0; k < 4; ++k) left[k] = kinds[k].quota;
    for (bool more = true; more;) {
        more = false;
        for (int k = 0; k < 4; ++k)
            if (left[k] > 0) {
                t.add(kinds[k].seller, 0, kinds[k].rating, kinds[k].time);
                more = --left[k] > 0 || more;
            }
    }
    for (unsigned threads : {1u, 2u}) {
        CAPTURE(threads);
        const auto got = cxkit::dsr_count(columns(t, hb_labels, 2, false), two_dims, hb_as_of, 180, 0,
                                          on_invalid::raise, threads);
        CHECK(got.cells[0] == cell({0, 0, 0, 0, kinds[0].quota}, 0, 0, kinds[3].quota));
        CHECK(got.cells[2].counts[2] == kinds[1].quota);
        CHECK(got.cells[2].expired == kinds[2].quota);
        CHECK(total_rows(got.cells) == t.size());
    }
}

// ================================================================================================
// Monthly cap
// ================================================================================================

TEST_CASE("dsr: monthly cap - the first cap ratings by time of a buyer x seller x dimension x month count") {
    table t;
    // Buyer 7, seller 0, described, June 2024: five ratings, out of order in the input.
    t.add(0, 0, 1, at(2024, 6, 20), 7);  // 4th by time: capped
    t.add(0, 0, 5, at(2024, 6, 3), 7);   // 1st
    t.add(0, 0, 4, at(2024, 6, 9), 7);   // 3rd
    t.add(0, 0, 2, at(2024, 6, 25), 7);  // 5th: capped
    t.add(0, 0, 3, at(2024, 6, 5), 7);   // 2nd
    // Same buyer, other dimension, other seller, other buyer, other month: their own caps.
    t.add(0, 1, 1, at(2024, 6, 21), 7);
    t.add(1, 0, 1, at(2024, 6, 21), 7);
    t.add(0, 0, 1, at(2024, 6, 21), 8);
    t.add(0, 0, 1, at(2024, 5, 31, 23, 59, 59), 7);  // May, in the window
    const auto got = cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 60, 3);
    CHECK(got.cells[0] == cell({2, 0, 1, 1, 1}, 2));  // 5, 3, 4 of June + the May 1 and buyer 8's 1
    CHECK(got.cells[1] == cell({1, 0, 0, 0, 0}));
    CHECK(got.cells[2] == cell({1, 0, 0, 0, 0}));
    // Cap 1 and 2.
    CHECK(cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 60, 1).cells[0] ==
          cell({2, 0, 0, 0, 1}, 4));
    CHECK(cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 60, 2).cells[0] ==
          cell({2, 0, 1, 0, 1}, 3));
    // Cap 0 is off; no buyer column is no cap.
    CHECK(cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 60, 0).cells[0] ==
          cell({3, 1, 1, 1, 1}));
    CHECK(cxkit::dsr_count(columns(t, hb_labels, 2, false), two_dims, hb_as_of, 60, 1).cells[0] ==
          cell({3, 1, 1, 1, 1}));
    for (std::int64_t cap : {0, 1, 2, 3, 4, 5})
        check_cells(cxkit::dsr_count(columns(t, hb_labels, 2), two_dims, hb_as_of, 60, cap).cells,
                    by_definition(t, hb_labels, two_dims, 2, hb_as_of, 60, cap).cells);
}

TEST_CASE("dsr: monthly cap - equal times are ordered by rating, months are calendar months") {
    table t;
    // Three ratings in the same second: with cap 2 the lowest two count, the 5 is capped.
    t.add(0, 0, 5, at(2024, 6, 10, 8), 1);
    t.add(0, 0, 2, at(2024, 6, 10, 8), 1);
    t.add(0, 0, 4, at(2024, 6, 10, 8), 1);
    auto got = cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, hb_as_of, 30, 2);
    CHECK(got.cells[0] == cell({0, 1, 0, 1, 0}, 1));
    // Identical rows: one of them is capped.
    table same;
    for (int i = 0; i < 3; ++i) same.add(0, 0, 4, at(2024, 6, 10, 8), 1);
    CHECK(cxkit::dsr_count(columns(same, hb_labels, 1), two_dims, hb_as_of, 30, 2).cells[0] == cell({0, 0, 0, 2, 0}, 1));
    // Month boundary: 2024-05-31 23:59:59 and 2024-06-01 00:00:00 are different months (cap 1).
    table edge;
    edge.add(0, 0, 3, at(2024, 5, 31, 23, 59, 59), 1);
    edge.add(0, 0, 4, at(2024, 6, 1, 0, 0, 0), 1);
    edge.add(0, 0, 5, at(2024, 6, 30, 23, 59, 59), 1);
    CHECK(cxkit::dsr_count(columns(edge, hb_labels, 1), two_dims, hb_as_of, 60, 1).cells[0] ==
          cell({0, 0, 1, 1, 0}, 1));
    // Leap-year February: 02-29 is February.
    table feb;
    feb.add(0, 0, 3, at(2024, 2, 1), 1);
    feb.add(0, 0, 4, at(2024, 2, 29, 23, 59, 59), 1);
    feb.add(0, 0, 5, at(2024, 3, 1, 0, 0, 0), 1);
    CHECK(cxkit::dsr_count(columns(feb, hb_labels, 1), two_dims, day(2024, 3, 1), 60, 1).cells[0] ==
          cell({0, 0, 1, 0, 1}, 1));
    // Nanoseconds: the order is by whole seconds, then rating (sub-second order is not used).
    table ns;
    ns.add(0, 0, 5, at(2024, 6, 10, 8) * 1000000000 + 1, 1);          // earlier by 0.5 s
    ns.add(0, 0, 4, at(2024, 6, 10, 8) * 1000000000 + 500000001, 1);
    auto c = columns(ns, hb_labels, 1);
    c.units_per_day = npd;
    CHECK(cxkit::dsr_count(c, two_dims, hb_as_of, 30, 1).cells[0] == cell({0, 0, 0, 1, 0}, 1));
    // Before the epoch, months and seconds are floored.
    table old;
    old.add(0, 0, 5, -1, 1);          // 1969-12-31 23:59:59
    old.add(0, 0, 4, -spd * 31, 1);   // 1969-12-01 00:00:00
    old.add(0, 0, 3, -spd * 31 - 1, 1);  // 1969-11-30 23:59:59: another month
    CHECK(cxkit::dsr_count(columns(old, hb_labels, 1), two_dims, -1, 60, 1).cells[0] == cell({0, 0, 1, 1, 0}, 1));
}

TEST_CASE("dsr: monthly cap - a rating before the window in the same month takes a slot but stays expired") {
    // as_of 2024-06-30, window 20: counted days 06-11 .. 06-30; June began before the window.
    table t;
    t.add(0, 0, 1, at(2024, 6, 5), 7);   // expired, takes June's first slot
    t.add(0, 0, 5, at(2024, 6, 12), 7);  // counted (second slot)
    t.add(0, 0, 4, at(2024, 6, 13), 7);  // capped
    t.add(0, 0, 2, at(2024, 5, 28), 7);  // May, before the window: expired, not in June's cap
    t.add(0, 0, 3, at(2024, 6, 14), 8);  // another buyer
    auto got = cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, hb_as_of, 20, 2);
    CHECK(got.cells[0] == cell({0, 0, 1, 0, 1}, 1, 2));
    // Cap 1: the expired June rating alone fills the cap.
    got = cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, hb_as_of, 20, 1);
    CHECK(got.cells[0] == cell({0, 0, 1, 0, 0}, 2, 2));
    // Without the early June rating, cap 1 counts the 06-12 one.
    got = cxkit::dsr_count(columns(t.subset({1, 2, 3, 4}), hb_labels, 1), two_dims, hb_as_of, 20, 1);
    CHECK(got.cells[0] == cell({0, 0, 1, 0, 1}, 1, 1));
    for (std::int64_t cap : {0, 1, 2, 3})
        for (std::int64_t window : {1, 14, 18, 19, 20, 30, 40})
            check_cells(cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, hb_as_of, window, cap).cells,
                        by_definition(t, hb_labels, two_dims, 1, hb_as_of, window, cap).cells);
}

TEST_CASE("dsr: monthly cap - rows without a buyer, missing, invalid and later rows take no slot") {
    table t;
    t.add(0, 0, 5, at(2024, 6, 1));                    // no buyer: never capped
    t.add(0, 0, 5, at(2024, 6, 2));                    // no buyer
    t.add(0, 0, nan_v, at(2024, 6, 3), 7);             // missing rating: no slot
    t.add(0, 0, 9, at(2024, 6, 3), 7);                 // invalid rating: no slot
    t.add(0, 0, 5, at(2024, 6, 3), 7, 2);              // invalid time: no slot
    t.add(0, 0, 5, at(2024, 6, 3), 7, 1);              // missing time: no slot
    t.add(0, 0, 5, nat, 7);                            // NaT: no slot
    t.add(0, 2, 5, at(2024, 6, 3), 7);                 // unknown dimension: no slot
    t.add(0, -1, 5, at(2024, 6, 3), 7);                // missing dimension: no slot
    t.add(-1, 0, 5, at(2024, 6, 3), 7);                // missing seller: no slot
    t.add(0, 0, 1, at(2024, 6, 20), 7);                // buyer 7's first real rating: counted
    t.add(0, 0, 2, at(2024, 6, 21), 7);                // second: capped
    t.add(0, 0, 3, at(2024, 6, 20), {}, 0);            // no buyer
    const auto got = cxkit::dsr_count(columns(t, hb_labels, 1), two_dims, hb_as_of, 30, 1, on_invalid::drop);
    CHECK(got.cells[0] == cell({1, 0, 1, 0, 2}, 1, 0, 3, 2));
    CHECK(got.missing_key == 2);
    CHECK(got.invalid_key == 1);
    // A buyer flagged missing is no buyer, whatever the id column holds.
    table b;
    b.add(0, 0, 5, at(2024, 6, 1), 7);
    b.add(0, 0, 4, at(2024, 6, 2), 7);
    b.bmiss[1] = 1;
    CHECK(cxkit::dsr_count(columns(b, hb_labels, 1), two_dims, hb_as_of, 30, 1).cells[0] == cell({0, 0, 0, 1, 1}));
    // The order is by time, not by input position.
    table late;
    late.add(0, 0, 1, at(2024, 6, 30, 23), 7);
    late.add(0, 0, 5, at(2024, 6, 30, 22), 7);
    CHECK(cxkit::dsr_count(columns(late, hb_labels, 1), two_dims, day(2024, 6, 30), 30, 1).cells[0] ==
          cell({0, 0, 0, 0, 1}, 1));
    table late2;
    late2.add(0, 0, 1, at(2024, 6, 30, 23), 7);
    late2.add(0, 0, 5, at(2024, 6, 29, 22), 7);
    // A row after as_of is invalid (dropped), not capped.
    CHECK(cxkit::dsr_count(columns(late2, hb_labels, 1), two_dims, day(2024, 6, 29), 30, 1, on_invalid::drop).cells[0] ==
          cell({0, 0, 0, 0, 1}, 0, 0, 0, 1));
}

TEST_CASE("dsr: dsr_count equals the oracle on random feeds for several windows, caps and as-of days") {
    const table t = random_feed(7, 3000, day(2024, 1, 10), day(2024, 5, 20));
    for (std::int64_t window : {1, 7, 30, 45, 180})
        for (std::int64_t cap : {0, 1, 2, 3})
            for (std::int64_t as_of : {day(2024, 3, 31), day(2024, 5, 20), day(2024, 6, 2)}) {
                CAPTURE(window);
                CAPTURE(cap);
                CAPTURE(as_of);
                const auto got = count(t, as_of, window, cap);
                const auto o = by_definition(t, feed_labels, two_dims, 3, as_of, window, cap);
                check_cells(got.cells, o.cells);
                CHECK(got.missing_key == o.missing_key);
                CHECK(got.invalid_key == o.invalid_key);
                CHECK(total_rows(got.cells) + got.missing_key + got.invalid_key == t.size());
            }
}

// ================================================================================================
// dsr_results
// ================================================================================================

namespace {

// Ratings of a cell, spelled out.
std::vector<double> ratings_of(const dsr_cell& c) {
    std::vector<double> out;
    for (std::size_t b = 0; b < 5; ++b)
        for (std::uint64_t j = 0; j < c.counts[b]; ++j) out.push_back(static_cast<double>(b + 1));
    return out;
}
double mean_of(const std::vector<double>& x) { return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size()); }
double var_of(const std::vector<double>& x) {
    const double m = mean_of(x);
    double ss = 0.0;
    for (double v : x) ss += (v - m) * (v - m);
    return ss / static_cast<double>(x.size() - 1);
}
// Welch t, df, and the two-sided Student-t p = I_{df/(df+t^2)}(df/2, 1/2) (regularized incomplete beta).
struct welch_hand {
    double t, df, p;
};
welch_hand welch_of(const std::vector<double>& a, const std::vector<double>& b) {
    const double qa = var_of(a) / static_cast<double>(a.size()), qb = var_of(b) / static_cast<double>(b.size());
    const double t = (mean_of(a) - mean_of(b)) / std::sqrt(qa + qb);
    const double df = (qa + qb) * (qa + qb) /
                      (qa * qa / static_cast<double>(a.size() - 1) + qb * qb / static_cast<double>(b.size() - 1));
    return {t, df, boost::math::ibeta(df / 2.0, 0.5, df / (df + t * t))};
}
std::vector<double> concat(std::initializer_list<std::vector<double>> parts) {
    std::vector<double> out;
    for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

std::vector<cxkit::dsr_result> results(const std::vector<dsr_cell>& cells, std::size_t n_dims,
                                       const std::vector<std::int64_t>& groups = {},
                                       cxkit::survey::dsr_peer_mean mode = cxkit::survey::dsr_peer_mean::ratings,
                                       unsigned threads = 1) {
    cxkit::dsr_options o;
    o.peer_mean = mode;
    return cxkit::dsr_results(cxkit::core::span<const dsr_cell>(cells.data(), cells.size()), n_dims,
                              cxkit::core::span<const std::int64_t>(groups.data(), groups.size()), o, threads);
}

}  // namespace

TEST_CASE("dsr: dsr_results - own figures, peer mean, vs-peer figures and Welch test by hand") {
    // One dimension, three sellers:
    //   A: 5 5 5 4 2      mean 21/5 = 4.2
    //   B: 4 4 3          mean 11/3
    //   C: 1 2 5 5        mean 13/4 = 3.25
    const std::vector<dsr_cell> cells = {cell({0, 1, 0, 1, 3}, 2, 3, 4, 5), cell({0, 0, 1, 2, 0}), cell({1, 1, 0, 0, 2})};
    const auto a = ratings_of(cells[0]), b = ratings_of(cells[1]), c = ratings_of(cells[2]);
    const auto r = results(cells, 1);
    REQUIRE(r.size() == 3);
    // Own figures and pass-through counts.
    CHECK_REL(r[0].dsr, 4.2, 1e-15);
    CHECK(r[0].n == 5);
    CHECK(r[0].n_capped == 2);
    CHECK(r[0].n_expired == 3);
    CHECK(r[0].n_missing == 4);
    CHECK(r[0].n_invalid == 5);
    CHECK(r[0].share_5 == 0.6);
    CHECK(r[0].share_low == 0.2);
    CHECK_REL(r[1].dsr, 11.0 / 3.0, 1e-15);
    CHECK(r[1].share_5 == 0.0);
    CHECK(r[1].share_low == 0.0);
    CHECK(r[2].share_5 == 0.5);
    CHECK(r[2].share_low == 0.5);
    // Peer mean, rating-weighted: all 12 ratings pooled, 45 / 12 = 3.75.
    const double m = 45.0 / 12.0;
    for (const auto& x : r) {
        CHECK_REL(x.peer_mean, m, 1e-15);
        CHECK(x.peer_n == 12);
        CHECK(x.peer_sellers == 3);
    }
    // vs_peer_pct = 100 (s - m) / m; normalized: (s - m)/(max - m) above, -(m - s)/(m - min) below.
    CHECK_REL(r[0].vs_peer_pct, 100.0 * (4.2 - m) / m, 1e-14);
    CHECK_REL(r[1].vs_peer_pct, 100.0 * (11.0 / 3.0 - m) / m, 1e-13);
    CHECK_REL(r[2].vs_peer_pct, 100.0 * (3.25 - m) / m, 1e-14);
    CHECK(r[0].vs_peer_normalized == 1.0);  // A is the max
    CHECK_REL(r[1].vs_peer_normalized, -(m - 11.0 / 3.0) / (m - 3.25), 1e-13);
    CHECK(r[2].vs_peer_normalized == -1.0);  // C is the min
    // Welch: each seller against the ratings of the other peers.
    const welch_hand wa = welch_of(a, concat({b, c})), wb = welch_of(b, concat({a, c})), wc = welch_of(c, concat({a, b}));
    CHECK_REL(r[0].statistic, wa.t, 1e-13);
    CHECK_REL(r[0].p_value, wa.p, 1e-11);
    CHECK_REL(r[1].statistic, wb.t, 1e-13);
    CHECK_REL(r[1].p_value, wb.p, 1e-11);
    CHECK_REL(r[2].statistic, wc.t, 1e-13);
    CHECK_REL(r[2].p_value, wc.p, 1e-11);
    // A by hand in full: others = {4,4,3,1,2,5,5}, mean 24/7, var = (sum of squares - n mean^2)/(n - 1).
    const double ma = 4.2, va = (25 + 25 + 25 + 16 + 4 - 5 * 4.2 * 4.2) / 4.0;
    const double mo = 24.0 / 7.0, vo = (16 + 16 + 9 + 1 + 4 + 25 + 25 - 7 * mo * mo) / 6.0;
    const double ta = (ma - mo) / std::sqrt(va / 5 + vo / 7);
    CHECK_REL(r[0].statistic, ta, 1e-13);
    const double dfa = std::pow(va / 5 + vo / 7, 2) / (std::pow(va / 5, 2) / 4 + std::pow(vo / 7, 2) / 6);
    CHECK_REL(r[0].p_value, boost::math::ibeta(dfa / 2, 0.5, dfa / (dfa + ta * ta)), 1e-11);

    // Unweighted peer mean: the mean of the sellers' DSRs.
    const auto u = results(cells, 1, {}, cxkit::survey::dsr_peer_mean::sellers);
    const double mu = (4.2 + 11.0 / 3.0 + 3.25) / 3.0;
    for (const auto& x : u) CHECK_REL(x.peer_mean, mu, 1e-15);
    CHECK_REL(u[0].vs_peer_pct, 100.0 * (4.2 - mu) / mu, 1e-13);
    CHECK(u[0].vs_peer_normalized == 1.0);
    CHECK(11.0 / 3.0 < mu);  // B is below the unweighted mean (though above C)
    CHECK_REL(u[1].vs_peer_normalized, -(mu - 11.0 / 3.0) / (mu - 3.25), 1e-13);
    CHECK(u[2].vs_peer_normalized == -1.0);
    // The test does not depend on the peer mean mode.
    CHECK(u[0].statistic == r[0].statistic);
    CHECK(u[0].p_value == r[0].p_value);
}

TEST_CASE("dsr: dsr_results - the worked example of two sellers") {
    // a = {5, 4}, b = {3, 4}: peer mean 4, vs_peer_pct 12.5 / -12.5, normalized +1 / -1;
    // Welch of {5, 4} vs {3, 4}: t = 1 / sqrt(0.5/2 + 0.5/2) = sqrt 2, df = 2, p = 1 - t/sqrt(t^2 + 2).
    const std::vector<dsr_cell> cells = {cell({0, 0, 0, 1, 1}), cell({0, 0, 1, 1, 0})};
    const auto r = results(cells, 1);
    CHECK(r[0].dsr == 4.5);
    CHECK(r[0].peer_mean == 4.0);
    CHECK_REL(r[0].vs_peer_pct, 12.5, 1e-15);
    CHECK_REL(r[1].vs_peer_pct, -12.5, 1e-15);
    CHECK(r[0].vs_peer_normalized == 1.0);
    CHECK(r[1].vs_peer_normalized == -1.0);
    CHECK_REL(r[0].statistic, std::sqrt(2.0), 1e-15);
    CHECK_REL(r[1].statistic, -std::sqrt(2.0), 1e-15);
    CHECK_REL(r[0].p_value, 1.0 - std::sqrt(2.0) / std::sqrt(4.0), 1e-12);
    CHECK_REL(r[1].p_value, r[0].p_value, 1e-15);
}

TEST_CASE("dsr: dsr_results - zero denominators, undefined tests and sellers without ratings") {
    // One seller alone: s = m = max = min. Normalized is 0 (denominator 0), pct 0, no test.
    auto r = results({cell({0, 0, 1, 1, 1})}, 1);
    CHECK(r[0].dsr == 4.0);
    CHECK(r[0].peer_mean == 4.0);
    CHECK(r[0].vs_peer_pct == 0.0);
    CHECK(r[0].vs_peer_normalized == 0.0);
    CHECK(std::isnan(r[0].statistic));
    CHECK(std::isnan(r[0].p_value));
    // All sellers at the same mean: normalized 0 everywhere (max - m = 0).
    r = results({cell({0, 0, 1, 0, 1}), cell({0, 0, 0, 2, 0}), cell({0, 1, 0, 1, 2})}, 1, {},
                cxkit::survey::dsr_peer_mean::ratings);
    for (const auto& x : r) {
        CHECK(x.dsr == 4.0);
        CHECK(x.vs_peer_normalized == 0.0);
        CHECK(x.vs_peer_pct == 0.0);
    }
    // Welch undefined: one rating (n < 2), or zero variance on both sides.
    r = results({cell({0, 0, 0, 0, 1}), cell({0, 0, 2, 0, 0}), cell({0, 0, 0, 0, 0})}, 1);
    CHECK(std::isnan(r[0].statistic));  // n = 1
    CHECK(std::isnan(r[1].statistic));  // others = {5}: n = 1
    CHECK(r[0].vs_peer_normalized == 1.0);
    CHECK(r[1].vs_peer_normalized == -1.0);
    r = results({cell({0, 0, 0, 0, 3}), cell({0, 0, 2, 0, 0})}, 1);
    CHECK(std::isnan(r[0].statistic));  // both variances 0
    CHECK(std::isnan(r[0].p_value));
    // A seller without counted ratings: own figures NaN, peer mean still reported, peers not
    // counting it.
    r = results({cell({0, 0, 0, 0, 0}, 4, 1), cell({0, 0, 2, 0, 2})}, 1);
    CHECK(std::isnan(r[0].dsr));
    CHECK(std::isnan(r[0].share_5));
    CHECK(std::isnan(r[0].share_low));
    CHECK(r[0].n_capped == 4);
    CHECK(r[0].peer_mean == 4.0);
    CHECK(r[0].peer_sellers == 1);
    CHECK(r[0].peer_n == 4);
    CHECK(std::isnan(r[0].vs_peer_pct));
    CHECK(std::isnan(r[0].vs_peer_normalized));
    CHECK(std::isnan(r[0].statistic));
    CHECK(r[1].vs_peer_normalized == 0.0);  // alone among sellers with ratings
    // The formula's other zero denominator (s < m with m = min) cannot arise from cells, since the
    // seller is among the peers; the function itself returns 0 there.
    CHECK(cxkit::survey::detail::dsr_normalized(3.0, 4.0, 5.0, 4.0) == 0.0);
    CHECK(cxkit::survey::detail::dsr_normalized(4.0, 4.0, 4.0, 3.0) == 0.0);
    CHECK(cxkit::survey::detail::dsr_normalized(4.5, 4.0, 5.0, 3.0) == 0.5);
    CHECK(cxkit::survey::detail::dsr_normalized(3.5, 4.0, 5.0, 3.0) == -0.5);
    CHECK(std::isnan(cxkit::survey::detail::dsr_normalized(nan_v, 4.0, 5.0, 3.0)));
}

TEST_CASE("dsr: dsr_results - peer groups, -1 for no peers, several dimensions") {
    // Two dimensions, four sellers; groups {0, 1, 0, -1}.
    const std::vector<dsr_cell> cells = {
        cell({0, 0, 0, 1, 1}), cell({1, 0, 0, 0, 1}),  // s0: described {4,5}, shipping {1,5}
        cell({0, 0, 2, 0, 0}), cell({0, 0, 0, 0, 0}),  // s1: described {3,3}, shipping none
        cell({0, 1, 0, 0, 1}), cell({0, 0, 1, 1, 0}),  // s2: described {2,5}, shipping {3,4}
        cell({0, 0, 0, 0, 9}), cell({0, 0, 0, 0, 9}),  // s3: no peers
    };
    const auto r = results(cells, 2, {0, 1, 0, -1});
    REQUIRE(r.size() == 8);
    // Group 0, described: s0 {4,5} and s2 {2,5}: pooled 16/4 = 4, max 4.5, min 3.5.
    CHECK(r[0].peer_mean == 4.0);
    CHECK(r[4].peer_mean == 4.0);
    CHECK(r[0].peer_n == 4);
    CHECK(r[0].peer_sellers == 2);
    CHECK(r[0].vs_peer_normalized == 1.0);
    CHECK(r[4].vs_peer_normalized == -1.0);
    const auto w = welch_of({4, 5}, {2, 5});
    CHECK_REL(r[0].statistic, w.t, 1e-14);
    CHECK_REL(r[0].p_value, w.p, 1e-11);
    // Group 0, shipping: s0 {1,5} = 3, s2 {3,4} = 3.5; pooled 13/4.
    CHECK(r[1].peer_mean == 3.25);
    CHECK(r[1].vs_peer_normalized == -1.0);
    CHECK_REL(r[5].vs_peer_normalized, (3.5 - 3.25) / (3.5 - 3.25), 1e-15);
    // Group 1 (s1 alone): described 3 vs itself; shipping without ratings anywhere.
    CHECK(r[2].peer_mean == 3.0);
    CHECK(r[2].vs_peer_normalized == 0.0);
    CHECK(r[2].peer_sellers == 1);
    CHECK(std::isnan(r[3].peer_mean));
    CHECK(r[3].peer_sellers == 0);
    CHECK(r[3].peer_n == 0);
    CHECK(std::isnan(r[3].dsr));
    // No peers: own figures only.
    for (std::size_t i : {6, 7}) {
        CHECK(r[i].dsr == 5.0);
        CHECK(r[i].n == 9);
        CHECK(r[i].share_5 == 1.0);
        CHECK(std::isnan(r[i].peer_mean));
        CHECK(std::isnan(r[i].vs_peer_pct));
        CHECK(std::isnan(r[i].vs_peer_normalized));
        CHECK(r[i].peer_n == 0);
        CHECK(r[i].peer_sellers == 0);
        CHECK(std::isnan(r[i].statistic));
        CHECK(std::isnan(r[i].p_value));
    }
    // s3's ratings are in no group's peer mean.
    const auto all = results(cells, 2);
    CHECK(all[0].peer_n == 2 + 2 + 2 + 9);
    // Everything without peers.
    const auto none = results(cells, 2, {-1, -1, -1, -1});
    for (const auto& x : none) CHECK(std::isnan(x.peer_mean));
    // Sizes must agree.
    CHECK_THROWS_AS(results(cells, 3), cxkit::invalid_argument);
    CHECK_THROWS_AS(results(cells, 0), cxkit::invalid_argument);
    CHECK_THROWS_AS(results(cells, 2, {0, 1}), cxkit::invalid_argument);
    CHECK(cxkit::survey::parse_dsr_peer_mean("sellers") == cxkit::survey::dsr_peer_mean::sellers);
    CHECK(cxkit::survey::parse_dsr_peer_mean("ratings") == cxkit::survey::dsr_peer_mean::ratings);
    CHECK_THROWS_WITH_AS(cxkit::survey::parse_dsr_peer_mean("median"),
                         "peer_mean must be \"ratings\" or \"sellers\", got \"median\"", cxkit::invalid_argument);
}

TEST_CASE("dsr: dsr_results with threads equals one thread") {
    std::mt19937_64 rng(3);
    std::uniform_int_distribution<int> c(0, 6);
    std::vector<dsr_cell> cells(6000);
    for (auto& x : cells)
        for (auto& k : x.counts) k = static_cast<std::uint64_t>(c(rng));
    std::vector<std::int64_t> groups(3000);
    for (std::size_t i = 0; i < groups.size(); ++i) groups[i] = static_cast<std::int64_t>(i % 7) - 1;
    const auto one = results(cells, 2, groups, cxkit::survey::dsr_peer_mean::ratings, 1);
    const auto two = results(cells, 2, groups, cxkit::survey::dsr_peer_mean::ratings, 2);
    auto same = [](double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
    std::size_t diff = 0;
    for (std::size_t i = 0; i < one.size(); ++i)
        diff += !(same(one[i].dsr, two[i].dsr) && same(one[i].peer_mean, two[i].peer_mean) &&
                  same(one[i].statistic, two[i].statistic) && same(one[i].p_value, two[i].p_value) &&
                  same(one[i].vs_peer_normalized, two[i].vs_peer_normalized));
    CHECK(diff == 0);
}

// ================================================================================================
// dsr_accumulator
// ================================================================================================

TEST_CASE("dsr: accumulator - one batch equals dsr_count and the oracle at its as-of day") {
    const table t = random_feed(11, 2500, day(2024, 1, 10), day(2024, 4, 20));
    for (std::int64_t window : {1, 20, 45, 180})
        for (std::int64_t cap : {0, 1, 3}) {
            CAPTURE(window);
            CAPTURE(cap);
            const dsr_accumulator a = feed_batch(t, window, cap);
            REQUIRE(a.as_of().has_value());
            CHECK(*a.as_of() == day(2024, 4, 20));
            CHECK(a.sellers() == feed_sellers);
            CHECK(a.rows() == t.size());
            const auto k = count(t, *a.as_of(), window, cap);
            check_cells(a.cells(), k.cells);
            CHECK(a.n_missing_key() == k.missing_key);
            CHECK(a.n_invalid_key() == k.invalid_key);
            check_cells(a.cells(), by_definition(t, feed_labels, two_dims, 3, *a.as_of(), window, cap).cells);
            // Later as-of days: advance drops days exactly as dsr_count sees them.
            dsr_accumulator b = a;
            for (std::int64_t later : {1, 2, 11, 19, 20, 21, 44, 45, 60, 200}) {
                b.advance(*a.as_of() + later);
                CAPTURE(later);
                check_cells(b.cells(), count(t, *a.as_of() + later, window, cap).cells);
                CHECK(b.rows() == t.size());
            }
        }
}

TEST_CASE("dsr: accumulator - batch, shuffled rows, day by day and split-and-merged states are equal") {
    const table t = random_feed(23, 1500, day(2024, 2, 20), day(2024, 5, 10));
    for (std::int64_t window : {10, 30, 75})
        for (std::int64_t cap : {0, 1, 2}) {
            CAPTURE(window);
            CAPTURE(cap);
            const dsr_accumulator batch = feed_batch(t, window, cap);
            const auto labels = cxkit::core::span<const std::string>(feed_sellers.data(), 3);

            // (b) Row by row, shuffled.
            std::vector<std::size_t> order(t.size());
            std::iota(order.begin(), order.end(), std::size_t{0});
            std::mt19937_64 rng(static_cast<std::uint64_t>(window * 10 + cap));
            std::shuffle(order.begin(), order.end(), rng);
            dsr_accumulator rows(two_dims, window, cap);
            for (std::size_t i : order) rows.add(columns(t, feed_labels, 3, true, i, 1), labels, on_invalid::drop);
            CHECK(rows == batch);
            check_cells(rows.cells(), batch.cells());

            // (c) Day by day in time order, advancing after each day (rows without a time first).
            std::map<std::int64_t, std::vector<std::size_t>> by_day;
            for (std::size_t i = 0; i < t.size(); ++i)
                by_day[t.time[i] == nat ? std::numeric_limits<std::int64_t>::min() : cxkit::core::floor_div(t.time[i], spd)]
                    .push_back(i);
            dsr_accumulator daily(two_dims, window, cap);
            for (const auto& d : by_day) {
                const table part = t.subset(d.second);
                daily.add(columns(part, feed_labels, 3), labels, on_invalid::drop);
                if (d.first != std::numeric_limits<std::int64_t>::min()) daily.advance(d.first);
            }
            CHECK(daily == batch);
            check_cells(daily.cells(), batch.cells());

            // (d) Split at random into two states, merged in both orders; and split by time, so
            // the older state is behind and gets advanced by the merge.
            std::vector<std::size_t> left, right;
            for (std::size_t i = 0; i < t.size(); ++i) (rng() % 2 ? left : right).push_back(i);
            const dsr_accumulator l = feed_batch(t.subset(left), window, cap), r = feed_batch(t.subset(right), window, cap);
            CHECK(l + r == batch);
            CHECK(r + l == batch);
            check_cells((l + r).cells(), batch.cells());
            std::vector<std::size_t> early, late;
            for (std::size_t i = 0; i < t.size(); ++i)
                (t.time[i] != nat && t.time[i] < at(2024, 4, 1) ? early : late).push_back(i);
            const dsr_accumulator e = feed_batch(t.subset(early), window, cap), g = feed_batch(t.subset(late), window, cap);
            CHECK(e + g == batch);
            CHECK(g + e == batch);
            // Three parts: associativity.
            std::vector<std::size_t> p0, p1, p2;
            for (std::size_t i = 0; i < t.size(); ++i) (i % 3 == 0 ? p0 : i % 3 == 1 ? p1 : p2).push_back(i);
            const dsr_accumulator x = feed_batch(t.subset(p0), window, cap), y = feed_batch(t.subset(p1), window, cap),
                                  z = feed_batch(t.subset(p2), window, cap);
            CHECK((x + y) + z == batch);
            CHECK(x + (y + z) == batch);
            CHECK((z + x) + y == batch);
            // All agree with dsr_count at the same as-of day, and account for every row.
            check_cells(batch.cells(), count(t, *batch.as_of(), window, cap).cells);
            CHECK(rows.rows() == t.size());
            CHECK(daily.rows() == t.size());
        }
}

TEST_CASE("dsr: accumulator - a late earlier rating displaces a counted one, also across a merge") {
    const auto labels = cxkit::core::span<const std::string>(feed_sellers.data(), 1);
    auto one = [&](dsr_accumulator& a, double r, std::int64_t tm, std::int64_t buyer) {
        table t;
        t.add(0, 0, r, tm, buyer);
        a.add(columns(t, feed_labels, 1), labels);
    };
    dsr_accumulator a(two_dims, 30, 2);
    one(a, 5, at(2024, 6, 20), 7);
    one(a, 4, at(2024, 6, 21), 7);
    CHECK(a.cells()[0] == cell({0, 0, 0, 1, 1}));
    one(a, 1, at(2024, 6, 2), 7);  // earlier: takes a slot, the 06-21 rating becomes capped
    CHECK(a.cells()[0] == cell({1, 0, 0, 0, 1}, 1));
    one(a, 2, at(2024, 6, 1), 7);  // earlier still: the 06-20 rating becomes capped too
    CHECK(a.cells()[0] == cell({1, 1, 0, 0, 0}, 2));
    one(a, 3, at(2024, 6, 25), 7);  // later: capped at once
    CHECK(a.cells()[0] == cell({1, 1, 0, 0, 0}, 3));
    // An expired rating in the window's first month displaces a counted one but stays expired.
    dsr_accumulator b(two_dims, 20, 1);
    one(b, 5, at(2024, 6, 30), 7);  // as_of 06-30, window from 06-11
    one(b, 4, at(2024, 6, 12), 7);  // earlier: counted, the 06-30 one capped
    CHECK(b.cells()[0] == cell({0, 0, 0, 1, 0}, 1));
    one(b, 1, at(2024, 6, 5), 7);  // before the window, same month
    CHECK(b.cells()[0] == cell({0, 0, 0, 0, 0}, 2, 1));
    one(b, 2, at(2024, 5, 31), 7);  // May: over, expired, no effect
    CHECK(b.cells()[0] == cell({0, 0, 0, 0, 0}, 2, 2));
    // The same across a merge: each state counted its own, the merge demotes.
    dsr_accumulator c(two_dims, 30, 1), d(two_dims, 30, 1);
    one(c, 5, at(2024, 6, 20), 7);
    one(d, 1, at(2024, 6, 10), 7);
    CHECK((c + d).cells()[0] == cell({1, 0, 0, 0, 0}, 1));
    CHECK((d + c).cells()[0] == cell({1, 0, 0, 0, 0}, 1));
    CHECK(c + d == d + c);
}

TEST_CASE("dsr: accumulator - advance expires days, moves only forward, and refuses going back") {
    const table t = random_feed(5, 800, day(2024, 3, 1), day(2024, 3, 31));
    dsr_accumulator a = feed_batch(t, 10, 2);
    const std::int64_t as_of = *a.as_of();
    CHECK(as_of == day(2024, 3, 31));
    const auto before = a.cells();
    const std::string back = "as_of can only move forward: the state is at day " + std::to_string(as_of) +
                             ", asked for day " + std::to_string(as_of - 1);
    CHECK_THROWS_WITH_AS(a.advance(as_of - 1), back.c_str(), cxkit::invalid_argument);
    a.advance(as_of);  // the same day: no change
    check_cells(a.cells(), before);
    a.advance(as_of + 5);
    CHECK(*a.as_of() == as_of + 5);
    check_cells(a.cells(), count(t, as_of + 5, 10, 2).cells);
    // Far ahead: everything expired, nothing lost.
    a.advance(as_of + 1000);
    std::uint64_t n = 0, expired = 0;
    for (const auto& c : a.cells()) {
        n += c.n() + c.capped;
        expired += c.expired;
    }
    CHECK(n == 0);
    CHECK(a.rows() == t.size());
    CHECK(expired > 0);
    check_cells(a.cells(), count(t, as_of + 1000, 10, 2).cells);
    // The expired days are gone: a rating older than the window goes straight to expired.
    table old;
    old.add(0, 0, 5, at(2024, 3, 31), 1);
    a.add(columns(old, feed_labels, 3), cxkit::core::span<const std::string>(feed_sellers.data(), 3));
    CHECK(a.rows() == t.size() + 1);
    CHECK(*a.as_of() == as_of + 1000);
    // A fresh state takes the day it is given.
    dsr_accumulator f(two_dims, 30, 3);
    CHECK_FALSE(f.as_of().has_value());
    f.advance(-5);
    CHECK(*f.as_of() == -5);
    CHECK(f.rows() == 0);
    // A newer rating moves the as-of day forward by itself.
    dsr_accumulator g(two_dims, 30, 3);
    g.add("shop", "described", 4, at(2024, 3, 1));
    CHECK(*g.as_of() == day(2024, 3, 1));
    g.add("shop", "described", 4, at(2024, 2, 1));
    CHECK(*g.as_of() == day(2024, 3, 1));
    g.add("shop", "shipping", 4, at(2024, 3, 9));
    CHECK(*g.as_of() == day(2024, 3, 9));
    // Missing and invalid rows do not move it.
    g.add("shop", "described", nan_v, at(2024, 5, 1));
    g.add("shop", "described", 9, at(2024, 5, 1), std::nullopt, on_invalid::drop);
    g.add("shop", "price", 5, at(2024, 5, 1), std::nullopt, on_invalid::drop);
    CHECK(*g.as_of() == day(2024, 3, 9));
    CHECK(g.rows() == 6);
}

TEST_CASE("dsr: accumulator - merge identity, self-merge, and refused parameters") {
    const table t = random_feed(8, 600, day(2024, 3, 1), day(2024, 4, 30));
    const dsr_accumulator a = feed_batch(t, 30, 2);
    const dsr_accumulator empty(two_dims, 30, 2);
    CHECK(a + empty == a);
    CHECK(empty + a == a);
    CHECK(empty + empty == empty);
    // Self-merge equals merging a copy (every row twice).
    dsr_accumulator self = a;
    self += self;
    const dsr_accumulator copy = a;
    CHECK(self == a + copy);
    CHECK(self.rows() == 2 * t.size());
    table twice = t;
    {
        std::vector<std::size_t> all(t.size() * 2);
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i % t.size();
        twice = t.subset(all);
    }
    CHECK(self == feed_batch(twice, 30, 2));
    // Only missing rows (no as-of day) merge too.
    dsr_accumulator m(two_dims, 30, 2);
    m.add("s1", "described", nan_v, at(2024, 1, 1));
    CHECK_FALSE(m.as_of().has_value());
    const dsr_accumulator am = a + m, ma = m + a;
    CHECK(am == ma);
    CHECK(am.rows() == t.size() + 1);
    // Different parameters are refused, the state unchanged.
    dsr_accumulator x = a;
    const std::string msg = "cannot merge DSR states with different dimensions, window_days or monthly_cap";
    CHECK_THROWS_WITH_AS(x += dsr_accumulator({"described", "service"}, 30, 2), msg.c_str(), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(x += dsr_accumulator({"shipping", "described"}, 30, 2), msg.c_str(), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(x += dsr_accumulator(two_dims, 31, 2), msg.c_str(), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(x += dsr_accumulator(two_dims, 30, 3), msg.c_str(), cxkit::invalid_argument);
    CHECK_THROWS_AS(x.merge(dsr_accumulator()), cxkit::invalid_argument);
    CHECK(x == a);
}

TEST_CASE("dsr: accumulator - constructor checks, string rows, policy raise leaves the state unchanged") {
    const dsr_accumulator d;
    CHECK(d.dimensions() == cxkit::survey::default_dsr_dimensions());
    CHECK(d.dimensions() == std::vector<std::string>{"described", "shipping", "service", "communication"});
    CHECK(d.window_days() == 180);
    CHECK(d.monthly_cap() == 3);
    CHECK(d.n_sellers() == 0);
    CHECK_THROWS_AS(dsr_accumulator(std::vector<std::string>{}), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(dsr_accumulator({"a", ""}), "dimensions: empty name at position 1", cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(dsr_accumulator({"a", "b", "a"}), "dimensions: \"a\" appears twice", cxkit::invalid_argument);
    CHECK_THROWS_AS(dsr_accumulator(two_dims, 0), cxkit::invalid_argument);
    CHECK_THROWS_AS(dsr_accumulator(two_dims, 3661), cxkit::invalid_argument);
    CHECK_THROWS_AS(dsr_accumulator(two_dims, 30, -1), cxkit::invalid_argument);
    CHECK_THROWS_AS(dsr_accumulator(two_dims, 30, 1001), cxkit::invalid_argument);

    // The string API equals the column API.
    dsr_accumulator s(two_dims, 30, 1), c(two_dims, 30, 1);
    s.add("b", "described", 5, at(2024, 6, 2), 7);
    s.add("b", "described", 4, at(2024, 6, 3), 7);
    s.add("a", "shipping", 3, at(2024, 6, 3));
    s.add("a", "shipping", nan_v, at(2024, 6, 3));
    s.add("a", "shipping", 3, std::nullopt);
    s.add("a", "price", 3, at(2024, 6, 3), std::nullopt, on_invalid::drop);
    s.add("a", "shipping", 0, at(2024, 6, 3), std::nullopt, on_invalid::drop);
    table t;
    t.add(1, 0, 5, at(2024, 6, 2), 7);
    t.add(1, 0, 4, at(2024, 6, 3), 7);
    t.add(0, 1, 3, at(2024, 6, 3));
    t.add(0, 1, nan_v, at(2024, 6, 3));
    t.add(0, 1, 3, nat);
    t.add(0, 2, 3, at(2024, 6, 3));
    t.add(0, 1, 0, at(2024, 6, 3));
    const std::vector<std::string> ab = {"a", "b"};
    c.add(columns(t, feed_labels, 2), cxkit::core::span<const std::string>(ab.data(), 2), on_invalid::drop);
    CHECK(s == c);
    CHECK(s.sellers() == ab);
    check_cells(s.cells(), {cell({0, 0, 0, 0, 0}), cell({0, 0, 1, 0, 0}, 0, 0, 2, 1), cell({0, 0, 0, 0, 1}, 1),
                            cell({0, 0, 0, 0, 0})});
    CHECK(s.n_invalid_key() == 1);
    CHECK(s.rows() == 7);

    // Raise: the message names the row; the state is unchanged.
    const dsr_accumulator before = s;
    CHECK_THROWS_WITH_AS(s.add("a", "described", 6, at(2024, 6, 4)),
                         "invalid rating at position 0: 6 (expected an integer in 1..5); 1 invalid row in total (pass "
                         "on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(s.add("a", "price", 5, at(2024, 6, 4)),
                         "unknown dimension at position 0: \"price\" (expected one of described, shipping); 1 invalid "
                         "row in total (pass on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    table batch;
    batch.add(0, 0, 5, at(2024, 6, 20), 1);  // valid, newer: would move the as-of day
    batch.add(0, 0, 2.5, at(2024, 6, 4));
    batch.add(0, 1, 5, at(2024, 6, 4), {}, 2);
    batch.add(1, 5, 5, at(2024, 6, 4));
    const auto labels2 = cxkit::core::span<const std::string>(ab.data(), 2);
    CHECK_THROWS_WITH_AS(s.add(columns(batch, feed_labels, 2), labels2),
                         "invalid rating at position 1: 2.5 (expected an integer in 1..5); 3 invalid rows in total "
                         "(pass on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(s.add(columns(batch.subset({0, 2}), feed_labels, 2), labels2),
                         "invalid time at position 1 (not a date or time); 1 invalid row in total (pass "
                         "on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(s.add(columns(batch.subset({0, 3}), feed_labels, 2), labels2),
                         "unknown dimension at position 1: code 5 (expected one of described, shipping); 1 invalid row "
                         "in total (pass on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    CHECK(s == before);
    // Out-of-range seller codes, label count and units.
    table bad;
    bad.add(3, 0, 5, at(2024, 6, 4));
    CHECK_THROWS_AS(s.add(columns(bad, feed_labels, 2), labels2), cxkit::out_of_range);
    CHECK_THROWS_AS(s.add(columns(batch, feed_labels, 3), labels2), cxkit::invalid_argument);
    auto units = columns(batch.subset({0}), feed_labels, 2);
    units.units_per_day = 3600;
    CHECK_THROWS_AS(s.add(units, labels2), cxkit::invalid_argument);
    CHECK(s == before);
    // Nanosecond columns go into the same state as seconds.
    table ns = batch.subset({0});
    ns.time[0] *= 1000000000;
    auto nc = columns(ns, feed_labels, 2);
    nc.units_per_day = npd;
    dsr_accumulator sa = s, sb = s;
    sa.add(nc, labels2);
    sb.add(columns(batch.subset({0}), feed_labels, 2), labels2);
    CHECK(sa == sb);
}

TEST_CASE("dsr: accumulator - result() is dsr_results of cells() in sellers() order") {
    const table t = random_feed(31, 900, day(2024, 3, 1), day(2024, 4, 30));
    const dsr_accumulator a = feed_batch(t, 40, 2);
    const auto cells = a.cells();
    const auto want = results(cells, 2, {0, 0, -1});
    const std::vector<std::int64_t> g = {0, 0, -1};
    const auto got = a.result({}, cxkit::core::span<const std::int64_t>(g.data(), g.size()));
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        CHECK(got[i].n == want[i].n);
        CHECK(got[i].dsr == want[i].dsr);
        CHECK(got[i].n_capped == cells[i].capped);
        CHECK(got[i].n_expired == cells[i].expired);
        CHECK((std::isnan(want[i].statistic) ? std::isnan(got[i].statistic) : got[i].statistic == want[i].statistic));
        CHECK((std::isnan(want[i].peer_mean) ? std::isnan(got[i].peer_mean) : got[i].peer_mean == want[i].peer_mean));
    }
    CHECK(std::isnan(got[4].peer_mean));
}

// ================================================================================================
// Serialization
// ================================================================================================

namespace {
std::vector<dsr_accumulator> sample_states() {
    std::vector<dsr_accumulator> out;
    out.emplace_back();                             // default, empty
    out.emplace_back(std::vector<std::string>{"x"}, 1, 0);
    dsr_accumulator m(two_dims, 30, 2);             // rows but no as-of day
    m.add("s", "described", nan_v, at(2024, 1, 1));
    m.add("t", "shipping", 3, std::nullopt);
    out.push_back(m);
    dsr_accumulator adv(two_dims, 30, 2);           // an as-of day but no rows
    adv.advance(day(2024, 1, 1));
    out.push_back(adv);
    out.push_back(feed_batch(random_feed(41, 100, day(2024, 3, 1), day(2024, 4, 30)), 30, 2));
    out.push_back(feed_batch(random_feed(42, 100, day(1969, 11, 1), day(1970, 1, 15)), 45, 3));  // before the epoch
    dsr_accumulator names({"描述相符", "交货速度"}, 180, 3);  // UTF-8 names and keys
    names.add("店铺", "描述相符", 5, at(2024, 6, 1), 1);
    out.push_back(names);
    return out;
}
}  // namespace

TEST_CASE("dsr: archive write_string and read_string - layout, round trip and bounds") {
    const std::string with_nul("a\0b", 3);
    cxkit::core::archive_writer w(cxkit::core::state_family::dsr, 1);
    w.write_string("");
    w.write_string("abc");
    w.write_string("描述");
    w.write_string(with_nul);
    const bytes got = w.finish();
    le_writer payload;
    payload.str("");
    payload.str("abc");
    payload.str("描述");
    payload.str(with_nul);
    CHECK(got == make_blob(payload.out));
    CHECK(payload.out.size() == 4 * 8 + 0 + 3 + 6 + 3);
    cxkit::core::archive_reader r(got.data(), got.size(), cxkit::core::state_family::dsr, 1);
    CHECK(r.read_string("a").empty());
    CHECK(r.read_string("b") == "abc");
    CHECK(r.read_string("c") == "描述");
    CHECK(r.read_string("d") == with_nul);
    CHECK_NOTHROW(r.finish());
    // A declared length beyond the bytes present is refused before allocating.
    for (std::uint64_t n : {std::uint64_t{4}, std::uint64_t{1} << 40, ~std::uint64_t{0}}) {
        le_writer bad;
        bad.u64(n);
        bad.out.push_back('x');
        bad.out.push_back('y');
        bad.out.push_back('z');
        const bytes blob = make_blob(bad.out);
        cxkit::core::archive_reader rb(blob.data(), blob.size(), cxkit::core::state_family::dsr, 1);
        const std::string msg = "corrupt state: field 'name' declares " + std::to_string(n) + " bytes but only 3 remain";
        CHECK_THROWS_WITH_AS(rb.read_string("name"), msg.c_str(), cxkit::corrupt_state);
    }
    // A truncated length field.
    const bytes short_len = make_blob({1, 0, 0});
    cxkit::core::archive_reader rs(short_len.data(), short_len.size(), cxkit::core::state_family::dsr, 1);
    CHECK_THROWS_AS(rs.read_string("name"), cxkit::corrupt_state);
}

TEST_CASE("dsr: serialize and deserialize round trip is the identity") {
    for (const auto& a : sample_states()) {
        const bytes b = a.serialize();
        const auto c = dsr_accumulator::deserialize(b.data(), b.size());
        CHECK(c == a);
        CHECK(c.serialize() == b);
        CHECK(c.rows() == a.rows());
        CHECK(c.as_of() == a.as_of());
        CHECK(c.dimensions() == a.dimensions());
        CHECK(c.window_days() == a.window_days());
        CHECK(c.monthly_cap() == a.monthly_cap());
        CHECK(c.sellers() == a.sellers());
        check_cells(c.cells(), a.cells());
        // A deserialized state keeps working: it merges and advances like the original.
        if (a.dimensions() == two_dims && a.window_days() == 30) {
            const dsr_accumulator more = feed_batch(random_feed(43, 200, day(2024, 4, 1), day(2024, 5, 5)), 30, 2);
            CHECK(c + more == a + more);
        }
    }
    // The preamble: magic, family 3, version 1, no flags.
    const bytes b = dsr_accumulator().serialize();
    CHECK(std::memcmp(b.data(), "CXK1", 4) == 0);
    CHECK(b[4] == 3);
    CHECK(b[5] == 0);
    CHECK(b[6] == 1);
    CHECK(b[7] == 0);
    CHECK(dsr_accumulator::family == cxkit::core::state_family::dsr);
    CHECK(dsr_accumulator::format_version == 1);
}

TEST_CASE("dsr: a serialized state is the documented byte layout") {
    // One rating with a buyer, one missing row, one unknown dimension.
    dsr_accumulator a({"q"}, 7, 2);
    a.add("k", "q", 4, at(2024, 6, 5, 10), 42);
    a.add("k", "q", nan_v, at(2024, 6, 5));
    a.add("k", "z", 4, at(2024, 6, 5), std::nullopt, on_invalid::drop);
    doc_state s;
    s.dims = {"q"};
    s.window = 7;
    s.cap = 2;
    s.has_as_of = 1;
    s.as_of = day(2024, 6, 5);
    s.invalid_key = 1;
    doc_cell c;
    c.missing = 1;
    c.ring.push_back({day(2024, 6, 5), {0, 0, 0, 1, 0}, 0});
    c.records.push_back({(2024 - 1970) * 12 + 5, 42, {{at(2024, 6, 5, 10), 4}}});
    s.sellers.push_back({"k", {c}});
    CHECK(a.serialize() == s.blob());
    // Empty default state: 4 dimension names, window 180, cap 3, no as-of day.
    doc_state e;
    e.dims = cxkit::survey::default_dsr_dimensions();
    CHECK(dsr_accumulator().serialize() == e.blob());
}

TEST_CASE("dsr: every truncation and every flipped byte of a serialized state throws corrupt_state") {
    for (const auto& a : sample_states()) {
        const bytes good = a.serialize();
        for (std::size_t len = 0; len < good.size(); ++len) {
            const std::string msg = corrupt_message<dsr_accumulator>(bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(len)));
            if (msg.rfind("corrupt state: ", 0) != 0) {
                CAPTURE(len);
                CHECK(msg.rfind("corrupt state: ", 0) == 0);
            }
        }
        for (std::size_t i = 0; i < good.size(); ++i)
            for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}, std::uint8_t{0x80}}) {
                bytes bad = good;
                bad[i] ^= mask;
                const std::string msg = corrupt_message<dsr_accumulator>(bad);
                if (msg.rfind("corrupt state: ", 0) != 0) {
                    CAPTURE(i);
                    CAPTURE(int(mask));
                    CHECK(msg.rfind("corrupt state: ", 0) == 0);
                }
            }
    }
}

TEST_CASE("dsr: every truncation of the payload behind a consistent preamble throws corrupt_state") {
    // Size and CRC recomputed, so only the payload reader can notice.
    for (const auto& a : sample_states()) {
        const bytes full = a.serialize();
        const bytes payload(full.begin() + 24, full.end());
        for (std::size_t len = 0; len < payload.size(); ++len) {
            const std::string msg =
                corrupt_message<dsr_accumulator>(make_blob(bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(len))));
            if (msg.rfind("corrupt state: ", 0) != 0) {
                CAPTURE(len);
                CHECK(msg.rfind("corrupt state: ", 0) == 0);
            }
        }
        bytes longer = payload;
        longer.push_back(0);
        CHECK_CORRUPT(make_blob(longer), "1 unexpected trailing bytes");
    }
}

TEST_CASE("dsr: flipped payload bytes behind a consistent preamble either throw corrupt_state or parse canonically") {
    // With the CRC recomputed a flipped byte can describe another valid state (a different count);
    // the reader must then either refuse it with corrupt_state or return a state that writes the
    // same bytes back. Nothing else: no other exception, no crash.
    std::size_t refused = 0, parsed = 0;
    for (const auto& a : sample_states()) {
        const bytes full = a.serialize();
        const bytes payload(full.begin() + 24, full.end());
        for (std::size_t i = 0; i < payload.size(); ++i)
            for (std::uint8_t mask : {std::uint8_t{0xFF}, std::uint8_t{0x01}, std::uint8_t{0x40}}) {
                bytes p = payload;
                p[i] ^= mask;
                const bytes blob = make_blob(p);
                try {
                    const auto s = dsr_accumulator::deserialize(blob.data(), blob.size());
                    ++parsed;
                    if (s.serialize() != blob) {
                        CAPTURE(i);
                        CHECK(s.serialize() == blob);
                    }
                } catch (const cxkit::corrupt_state&) {
                    ++refused;
                }
            }
    }
    CHECK(refused > 0);
    CHECK(parsed > 0);
}

TEST_CASE("dsr: bytes of another state family are refused, and dsr bytes are refused by others") {
    const bytes nps = cxkit::nps_accumulator().serialize();
    CHECK_CORRUPT(nps, "expected a dsr state (family 3), got family 1 (nps)");
    const bytes dsr = dsr_accumulator().serialize();
    CHECK_THROWS_WITH_AS(cxkit::nps_accumulator::deserialize(dsr.data(), dsr.size()),
                         "corrupt state: expected a nps state (family 1), got family 3 (dsr)", cxkit::corrupt_state);
    const bytes payload(dsr.begin() + 24, dsr.end());
    CHECK_CORRUPT(make_blob(payload, 3, 2), "unsupported format version 2 of the dsr state (this build reads versions 1 to 1)");
    CHECK_CORRUPT(make_blob(payload, 3, 0), "unsupported format version 0");
    CHECK_CORRUPT(make_blob(payload, 9, 1), "got family 9 (unknown)");
    CHECK(corrupt_message<dsr_accumulator>(make_blob(payload)) == "");
    CHECK_THROWS_WITH_AS(dsr_accumulator::deserialize(nullptr, 0),
                         "corrupt state: buffer of 0 bytes is shorter than the 24-byte preamble", cxkit::corrupt_state);
}

TEST_CASE("dsr: payloads that parse but describe an impossible state are refused") {
    // A valid base state, then one field broken at a time.
    const std::int64_t as_of = day(2024, 6, 5), june = (2024 - 1970) * 12 + 5, may = june - 1;
    auto base = [&] {
        doc_state s;
        s.dims = {"q", "r"};
        s.window = 10;
        s.cap = 2;
        s.has_as_of = 1;
        s.as_of = as_of;
        doc_cell c;
        c.ring.push_back({day(2024, 5, 28), {0, 0, 0, 0, 1}, 0});
        c.ring.push_back({day(2024, 6, 3), {0, 1, 1, 0, 0}, 0});
        c.records.push_back({may, 1, {{at(2024, 5, 28), 5}}});
        c.records.push_back({june, 1, {{at(2024, 6, 3, 1), 2}, {at(2024, 6, 3, 2), 3}}});
        s.sellers.push_back({"a", {c, doc_cell{}}});
        s.sellers.push_back({"b", {doc_cell{}, doc_cell{}}});
        return s;
    };
    REQUIRE(corrupt_message<dsr_accumulator>(base().blob()) == "");
    const auto decoded = dsr_accumulator::deserialize(base().blob().data(), base().blob().size());
    CHECK(decoded.cells()[0] == cell({0, 1, 1, 0, 1}));
    CHECK(decoded.serialize() == base().blob());

    auto broken = [&](auto&& edit) {
        doc_state s = base();
        edit(s);
        return s.blob();
    };
    CHECK_CORRUPT(broken([](doc_state& s) { s.has_as_of = 2; }), "has_as_of is 2");
    CHECK_CORRUPT(broken([](doc_state& s) {
                      s.has_as_of = 0;
                      s.sellers.clear();
                  }),
                  "as_of set without has_as_of");
    CHECK_CORRUPT(broken([](doc_state& s) { s.as_of = std::int64_t{1} << 41; }), "is out of range");
    CHECK_CORRUPT(broken([](doc_state& s) { s.window = 0; }), "parameters: window_days must be in 1..3660");
    CHECK_CORRUPT(broken([](doc_state& s) { s.cap = 1001; }), "parameters: monthly_cap must be in 0..1000");
    CHECK_CORRUPT(broken([](doc_state& s) { s.dims = {"q", "q"}; }), "parameters: dimensions: \"q\" appears twice");
    CHECK_CORRUPT(broken([](doc_state& s) { s.dims.clear(); }), "parameters: dimensions: at least one dimension");
    CHECK_CORRUPT(broken([](doc_state& s) { std::swap(s.sellers[0], s.sellers[1]); }), "sellers are not sorted and unique");
    CHECK_CORRUPT(broken([](doc_state& s) { s.sellers[1].key = "a"; }), "sellers are not sorted and unique");
    CHECK_CORRUPT(broken([&](doc_state& s) {
                      s.has_as_of = 0;
                      s.as_of = 0;
                      s.sellers[0].cells[0].records.clear();
                  }),
                  "ratings without an as-of day");
    CHECK_CORRUPT(broken([&](doc_state& s) { s.sellers[0].cells[0].ring[0].day = as_of - 10; }),
                  "is out of order or outside the window");
    CHECK_CORRUPT(broken([&](doc_state& s) { s.sellers[0].cells[0].ring[1].day = as_of + 1; }),
                  "is out of order or outside the window");
    CHECK_CORRUPT(broken([&](doc_state& s) { std::swap(s.sellers[0].cells[0].ring[0], s.sellers[0].cells[0].ring[1]); }),
                  "is out of order or outside the window");
    CHECK_CORRUPT(broken([&](doc_state& s) { s.sellers[0].cells[0].ring[1].day = s.sellers[0].cells[0].ring[0].day; }),
                  "is out of order or outside the window");
    CHECK_CORRUPT(broken([&](doc_state& s) {
                      auto& ring = s.sellers[0].cells[0].ring;
                      ring.clear();
                      for (std::int64_t d = as_of - 10; d <= as_of; ++d) ring.push_back({d, {1, 0, 0, 0, 0}, 0});
                  }),
                  "ring holds more days than the window");
    CHECK_CORRUPT(broken([](doc_state& s) { s.cap = 0; }), "cap records without a cap");
    CHECK_CORRUPT(broken([](doc_state& s) { s.cap = 1; }), "cap record with 2 entries");
    CHECK_CORRUPT(broken([](doc_state& s) { s.sellers[0].cells[0].records[0].entries.clear(); }), "cap record with 0 entries");
    CHECK_CORRUPT(broken([&](doc_state& s) { s.sellers[0].cells[0].records[0].month = may - 1; }),
                  "cap record month " + std::to_string(may - 1) + " outside the window");
    CHECK_CORRUPT(broken([&](doc_state& s) { s.sellers[0].cells[0].records[1].month = june + 1; }),
                  "outside the window");
    CHECK_CORRUPT(broken([](doc_state& s) { s.sellers[0].cells[0].records[1].entries[0].rating = 0; }), "cap record rating 0");
    CHECK_CORRUPT(broken([](doc_state& s) { s.sellers[0].cells[0].records[1].entries[0].rating = 6; }), "cap record rating 6");
    CHECK_CORRUPT(broken([](doc_state& s) { s.sellers[0].cells[0].records[0].entries[0].second = at(2024, 6, 1); }),
                  "cap record entry outside its month");
    CHECK_CORRUPT(broken([](doc_state& s) {
                      auto& e = s.sellers[0].cells[0].records[1].entries;
                      std::swap(e[0], e[1]);
                  }),
                  "cap record entries out of order");
    CHECK_CORRUPT(broken([](doc_state& s) {
                      auto& r = s.sellers[0].cells[0].records;
                      std::swap(r[0], r[1]);
                  }),
                  "cap records are not sorted and unique");
    CHECK_CORRUPT(broken([](doc_state& s) {
                      auto& r = s.sellers[0].cells[0].records;
                      r[0] = r[1];
                  }),
                  "cap records are not sorted and unique");
    // Declared counts larger than the bytes present are refused before allocating.
    {
        bytes p = base().payload();
        // The dimension count is the first field: claim 2^40 dimensions.
        p[5] = 1;
        CHECK_CORRUPT(make_blob(p), "field 'dimensions' declares");
    }
    {
        le_writer w;
        w.u64(~std::uint64_t{0} / 8 + 1);  // dims * 8 wraps around to 0
        CHECK_CORRUPT(make_blob(w.out), "");
    }
}

// ================================================================================================
// Golden file tests/golden/dsr_v1.bin (tests/golden/README.md)
// ================================================================================================

namespace {

// The documented input, exactly as tests/golden/make_golden.cpp adds it (one batch, drop).
// Sellers shopA (code 0) and shopB (1); dimension labels described (0), shipping (1), price (2,
// not a dimension of the state); window 30 days, cap 2; the as-of day becomes 2024-03-10.
struct golden_input {
    table t;
    std::vector<std::string> sellers = {"shopA", "shopB"};
    std::vector<std::string> labels = {"described", "shipping", "price"};
    golden_input() {
        t.add(0, 0, 5, at(2024, 3, 10, 9), 7);       //  0 shopA described: buyer 7's 3rd in March: capped
        t.add(0, 0, 4, at(2024, 3, 2, 10), 7);       //  1 counted
        t.add(0, 0, 3, at(2024, 3, 5, 11), 7);       //  2 counted
        t.add(0, 1, 5, at(2024, 3, 2, 10), 7);       //  3 shopA shipping: counted (own cap)
        t.add(0, 0, nan_v, at(2024, 3, 3), 8);       //  4 missing rating
        t.add(1, 0, 6, at(2024, 3, 4), 9);           //  5 shopB described: invalid rating (dropped)
        t.add(1, 0, 2, at(2024, 1, 20), 9);          //  6 expired (January: no cap record)
        t.add(1, 1, 4, at(2024, 2, 5), 9);           //  7 shopB shipping: expired, takes February's 1st slot
        t.add(1, 1, 3, at(2024, 2, 20), 9);          //  8 counted (2nd slot)
        t.add(1, 1, 1, at(2024, 2, 25), 9);          //  9 capped
        t.add(1, 2, 5, at(2024, 3, 1), 1);           // 10 unknown dimension "price": invalid_key
        t.add(1, 0, 5, at(2024, 3, 8));              // 11 no buyer: counted
        t.add(0, 1, 2, 0, 7, 1);                     // 12 missing time
        t.add(-1, 0, 4, at(2024, 3, 9), 7);          // 13 missing seller: missing_key
    }
    void add_to(dsr_accumulator& a) const {
        a.add(columns(t, labels, 2), cxkit::core::span<const std::string>(sellers.data(), 2), on_invalid::drop);
    }
};

// The documented resulting state.
doc_state golden_state() {
    const std::int64_t march = (2024 - 1970) * 12 + 2, february = march - 1;
    doc_state s;
    s.dims = {"described", "shipping"};
    s.window = 30;
    s.cap = 2;
    s.has_as_of = 1;
    s.as_of = day(2024, 3, 10);  // 19792
    s.missing_key = 1;
    s.invalid_key = 1;
    doc_cell a_described;
    a_described.missing = 1;
    // (push_back rather than assigning braced lists: GCC 12 -O3 warns -Wnonnull on the latter.)
    a_described.ring.push_back({day(2024, 3, 2), {0, 0, 0, 1, 0}, 0});
    a_described.ring.push_back({day(2024, 3, 5), {0, 0, 1, 0, 0}, 0});
    a_described.ring.push_back({day(2024, 3, 10), {0, 0, 0, 0, 0}, 1});
    a_described.records.push_back({march, 7, {{at(2024, 3, 2, 10), 4}, {at(2024, 3, 5, 11), 3}}});
    doc_cell a_shipping;
    a_shipping.missing = 1;
    a_shipping.ring.push_back({day(2024, 3, 2), {0, 0, 0, 0, 1}, 0});
    a_shipping.records.push_back({march, 7, {{at(2024, 3, 2, 10), 5}}});
    doc_cell b_described;
    b_described.expired = 1;
    b_described.invalid = 1;
    b_described.ring.push_back({day(2024, 3, 8), {0, 0, 0, 0, 1}, 0});
    doc_cell b_shipping;
    b_shipping.expired = 1;
    b_shipping.ring.push_back({day(2024, 2, 20), {0, 0, 1, 0, 0}, 0});
    b_shipping.ring.push_back({day(2024, 2, 25), {0, 0, 0, 0, 0}, 1});
    b_shipping.records.push_back({february, 9, {{at(2024, 2, 5), 4}, {at(2024, 2, 20), 3}}});
    s.sellers.push_back({"shopA", {a_described, a_shipping}});
    s.sellers.push_back({"shopB", {b_described, b_shipping}});
    return s;
}

}  // namespace

TEST_CASE("dsr: golden dsr_v1.bin is the documented layout of the documented state") {
    const bytes file = read_golden("dsr_v1.bin");
    REQUIRE(file.size() == 805);
    // 1. The file is exactly the documented layout (independent encoder) of the documented state.
    CHECK(file == golden_state().blob());
    CHECK(std::memcmp(file.data(), "CXK1", 4) == 0);
    CHECK(file[4] == 3);
    CHECK(file[6] == 1);
    CHECK(crc32_of(bytes(file.begin() + 24, file.end())) ==
          (std::uint32_t{file[20]} | std::uint32_t{file[21]} << 8 | std::uint32_t{file[22]} << 16 |
           std::uint32_t{file[23]} << 24));
}

TEST_CASE("dsr: golden dsr_v1.bin decodes to the documented state") {
    const bytes file = read_golden("dsr_v1.bin");
    const auto a = dsr_accumulator::deserialize(file.data(), file.size());
    CHECK(a.dimensions() == std::vector<std::string>{"described", "shipping"});
    CHECK(a.window_days() == 30);
    CHECK(a.monthly_cap() == 2);
    REQUIRE(a.as_of().has_value());
    CHECK(*a.as_of() == day(2024, 3, 10));
    CHECK(*a.as_of() == 19792);
    CHECK(a.n_missing_key() == 1);
    CHECK(a.n_invalid_key() == 1);
    CHECK(a.sellers() == std::vector<std::string>{"shopA", "shopB"});
    CHECK(a.rows() == 14);
    check_cells(a.cells(), {
                               cell({0, 0, 1, 1, 0}, 1, 0, 1, 0),  // shopA described: 4, 3; the 5 capped
                               cell({0, 0, 0, 0, 1}, 0, 0, 1, 0),  // shopA shipping
                               cell({0, 0, 0, 0, 1}, 0, 1, 0, 1),  // shopB described
                               cell({0, 0, 1, 0, 0}, 1, 1, 0, 0),  // shopB shipping
                           });
    const auto r = a.result();
    CHECK(r[0].dsr == 3.5);
    CHECK(r[1].dsr == 5.0);
    CHECK(r[2].dsr == 5.0);
    CHECK(r[3].dsr == 3.0);
    CHECK(r[0].peer_mean == 12.0 / 3.0);  // described: 4, 3, 5
    CHECK(r[1].peer_mean == 4.0);         // shipping: 5, 3
    // Advancing the decoded state keeps working: at 2024-03-27 February's days have left the window.
    auto later = a;
    later.advance(day(2024, 3, 27));
    CHECK(later.cells()[3] == cell({0, 0, 0, 0, 0}, 0, 3, 0, 0));
}

TEST_CASE("dsr: golden dsr_v1.bin is reproduced byte for byte from the documented input") {
    const bytes file = read_golden("dsr_v1.bin");
    const golden_input in;
    dsr_accumulator a({"described", "shipping"}, 30, 2);
    in.add_to(a);
    CHECK(a.serialize() == file);
    // ...and row by row in reverse order, and merged from two halves.
    dsr_accumulator rev({"described", "shipping"}, 30, 2);
    for (std::size_t i = in.t.size(); i-- > 0;)
        rev.add(columns(in.t, in.labels, 2, true, i, 1), cxkit::core::span<const std::string>(in.sellers.data(), 2),
                on_invalid::drop);
    CHECK(rev.serialize() == file);
    dsr_accumulator h1({"described", "shipping"}, 30, 2), h2({"described", "shipping"}, 30, 2);
    h1.add(columns(in.t, in.labels, 2, true, 0, 7), cxkit::core::span<const std::string>(in.sellers.data(), 2),
           on_invalid::drop);
    h2.add(columns(in.t, in.labels, 2, true, 7), cxkit::core::span<const std::string>(in.sellers.data(), 2),
           on_invalid::drop);
    CHECK((h2 + h1).serialize() == file);
    // The decoded state re-serializes to the same bytes.
    CHECK(dsr_accumulator::deserialize(file.data(), file.size()).serialize() == file);
    // dsr_count at the same as-of day agrees with the state.
    const auto k = cxkit::dsr_count(columns(in.t, in.labels, 2), {"described", "shipping"}, day(2024, 3, 10), 30, 2,
                                    on_invalid::drop);
    check_cells(k.cells, a.cells());
    CHECK(k.missing_key == 1);
    CHECK(k.invalid_key == 1);
}

// ================================================================================================
// Extreme as-of days
// ================================================================================================

// Regression: day_start_stamp() saturated the window's first stamp to INT64_MIN when the window
// started before the first representable stamp (with nanoseconds: before 1677-09-21), and numpy's
// NaT (INT64_MIN) then no longer compared below it: NaT rows were counted as invalid, and when
// as_of + 1 saturated too, time_class() returned 4, outside the kernel's class table (a NaT row
// with rating r was counted as a rating r - 1; with rating 1 the read was out of bounds, a crash).
TEST_CASE("dsr: NaT stays missing when the window starts before the first nanosecond stamp") {
    table t;
    t.add(0, 0, 4, nat);
    t.add(0, 0, 3, day(1677, 12, 1) * npd);
    t.add(0, 0, 2, day(1677, 9, 22) * npd - npd / 2);  // 1677-09-21 12:00
    t.add(0, 0, 1, nat);
    t.add(0, 0, 5, nat, 7);
    auto c = columns(t, hb_labels, 1);
    c.units_per_day = npd;
    // Window 1677-06-26 .. 1678-01-01: only its start is before the range.
    auto got = cxkit::dsr_count(c, two_dims, day(1678, 1, 1), 190, 3, on_invalid::drop);
    CHECK(got.cells[0] == cell({0, 1, 1, 0, 0}, 0, 0, 3, 0));
    // as_of 1600-01-01: every stamp is after it (invalid); NaT is still missing.
    got = cxkit::dsr_count(c, two_dims, day(1600, 1, 1), 30, 3, on_invalid::drop);
    CHECK(got.cells[0] == cell({0, 0, 0, 0, 0}, 0, 0, 3, 2));
    // int8 ratings go through the byte table.
    const std::vector<std::int8_t> r8 = {4, 3, 2, 1, 5};
    dsr_columns<std::int8_t> c8;
    c8.size = t.size();
    c8.seller = t.seller.data();
    c8.n_sellers = 1;
    c8.dimension = t.dim.data();
    c8.dimension_labels = cxkit::core::span<const std::string>(hb_labels.data(), hb_labels.size());
    c8.rating = r8.data();
    c8.time = t.time.data();
    c8.units_per_day = npd;
    CHECK(cxkit::dsr_count(c8, two_dims, day(1600, 1, 1), 30, 0, on_invalid::drop).cells[0] ==
          cell({0, 0, 0, 0, 0}, 0, 0, 3, 2));
    // The time after as_of is the only invalid reason here; with raise it is reported as such.
    const std::string late = "time at position 1 is after as_of 1600-01-01 (day " + std::to_string(day(1677, 12, 1)) +
                             " > " + std::to_string(day(1600, 1, 1)) +
                             "); 2 invalid rows in total (pass on_invalid=\"drop\" to skip and count them)";
    CHECK_THROWS_WITH_AS((void)cxkit::dsr_count(c8, two_dims, day(1600, 1, 1), 30, 0, on_invalid::raise), late.c_str(),
                         cxkit::invalid_input);
    // With seconds the same as-of days are ordinary.
    table s = t;
    s.time[1] = day(1677, 12, 1) * spd;
    s.time[2] = day(1677, 9, 21) * spd;
    got = cxkit::dsr_count(columns(s, hb_labels, 1), two_dims, day(1678, 1, 1), 190, 0, on_invalid::drop);
    CHECK(got.cells[0] == cell({0, 1, 1, 0, 0}, 0, 0, 3, 0));
}

// Day numbers are limited to ±2^31 days (dsr_max_abs_day), so every state add() and advance()
// accept can be read back, and calendar arithmetic never overflows: a time beyond is an invalid
// row, an as-of day beyond is refused.
TEST_CASE("dsr: times and as-of days beyond 2^31 days are invalid, and every accepted state reads back") {
    dsr_accumulator a(two_dims, 30, 3);
    CHECK_THROWS_AS(a.add("s", "described", 5, std::int64_t{1} << 60), cxkit::invalid_input);
    a.add("s", "described", 5, std::int64_t{1} << 60, std::nullopt, on_invalid::drop);
    CHECK(a.cells()[0].invalid == 1);
    CHECK_FALSE(a.as_of().has_value());
    CHECK(corrupt_message<dsr_accumulator>(a.serialize()) == "");
    dsr_accumulator f(two_dims, 30, 3);
    CHECK_THROWS_AS(f.advance(std::int64_t{1} << 41), cxkit::invalid_argument);
    CHECK_THROWS_AS(f.advance(std::numeric_limits<std::int64_t>::max()), cxkit::invalid_argument);
    f.advance(cxkit::survey::dsr_max_abs_day);
    f.add("s", "described", 4, cxkit::survey::dsr_max_abs_day * 86400);
    CHECK(f.cells()[0].n() == 1);
    const bytes g = f.serialize();
    CHECK(corrupt_message<dsr_accumulator>(g) == "");
    CHECK(dsr_accumulator::deserialize(g.data(), g.size()) == f);
    dsr_columns<double> empty;  // no rows: only the as-of day is checked
    CHECK_THROWS_AS(cxkit::dsr_count(empty, two_dims, std::int64_t{1} << 40), cxkit::invalid_argument);
}
