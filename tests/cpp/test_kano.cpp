// Tests of <cxkit/product/kano.hpp>: Kano classification (METRICS.md §3 "Kano").
// - the standard and three-point tables cell by cell against METRICS.md's tables written out here;
// - a hand-built feature whose counts, categories under every rule, Better/Worse, strengths, Fong
//   and DuMouchel means are worked out by hand in the comments; tie orders one by one;
// - a user 5x5 table; bad input (missing, incomplete pairs, out of scale, raise leaves the state
//   unchanged); the grouped kernel against a row-by-row loop, threads 1 and 2;
// - merge laws, serialization round trips, truncation, flipped bytes, impossible payloads, and the
//   golden file tests/golden/kano_v1.bin against an encoder written here from the documented layout;
// - chi-square against the closed form for df = 1 (erfc) and a 2x3 table worked by hand;
// - bootstrap: reproducible, the same for 1 and 2 threads, replicate 0 recomputed from Boost.Random.
#include <cxkit/product/kano.hpp>

#include <boost/crc.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <doctest/doctest.h>

#include "oracles.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using cxkit::kano_accumulator;
using cxkit::kano_options;
using cxkit::kano_table;
using cxkit::core::group_codes;
using cxkit::core::pair_batch;
using cxkit::product::kano_rule;

const double nan_v = std::numeric_limits<double>::quiet_NaN();

// METRICS.md §3, written out row by row (functional answer 1..5; dysfunctional 1..5 left to right).
const char* const metrics_standard[5] = {"Q A A A O", "R I I I M", "R I I I M", "R I I I M", "R R R R Q"};
const char* const metrics_three[3] = {"A A O", "I I M", "I I M"};

char letter_at(const kano_table& t, int f, int d) {
    return "AOMIRQ"[static_cast<int>(t.cells[static_cast<std::size_t>(5 * (f - 1) + (d - 1))])];
}

// A state of one feature "x" holding `count` pairs (f, d) for each entry.
struct pair_count {
    int f, d, count;
};
kano_accumulator one_feature(std::initializer_list<pair_count> pairs) {
    kano_accumulator acc({"x"});
    for (const auto& p : pairs)
        for (int k = 0; k < p.count; ++k) acc.add("x", p.f, p.d);
    return acc;
}
cxkit::kano_result only(const kano_accumulator& acc, const kano_options& o = {}) { return acc.result(o).at(0); }

using bytes = std::vector<std::uint8_t>;

void put_u64(bytes& b, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Independent encoder of the documented layout (tests/golden/README.md, archive.hpp preamble).
bytes encode_kano_v1(const std::vector<std::string>& names, const std::vector<std::array<std::uint64_t, 27>>& cells) {
    bytes payload;
    put_u64(payload, names.size());
    for (std::size_t j = 0; j < names.size(); ++j) {
        put_u64(payload, names[j].size());
        payload.insert(payload.end(), names[j].begin(), names[j].end());
        for (auto c : cells[j]) put_u64(payload, c);
    }
    bytes out = {'C', 'X', 'K', '1', 4, 0, 1, 0, 0, 0, 0, 0};
    put_u64(out, payload.size());
    boost::crc_32_type crc;
    crc.process_bytes(payload.data(), payload.size());
    const std::uint32_t c = crc.checksum();
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(c >> (8 * i)));
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
}

}  // namespace

TEST_CASE("kano: the standard table equals METRICS.md cell by cell") {
    const kano_table t = kano_table::standard();
    CHECK(t.points == 5);
    for (int f = 1; f <= 5; ++f)
        for (int d = 1; d <= 5; ++d) {
            CAPTURE(f);
            CAPTURE(d);
            CHECK(letter_at(t, f, d) == metrics_standard[f - 1][2 * (d - 1)]);
        }
}

TEST_CASE("kano: the three-point table equals METRICS.md cell by cell") {
    const kano_table t = kano_table::three_point();
    CHECK(t.points == 3);
    for (int f = 1; f <= 3; ++f)
        for (int d = 1; d <= 3; ++d) {
            CAPTURE(f);
            CAPTURE(d);
            CHECK(letter_at(t, f, d) == metrics_three[f - 1][2 * (d - 1)]);
        }
}

TEST_CASE("kano: a hand-built feature - counts, Better, Worse, strengths, Fong and continuous means") {
    // A = 5 x (1,2), O = 3 x (1,5), M = 4 x (2,5), I = 2 x (3,3), R = 1 x (5,1), Q = 1 x (1,1).
    const auto acc = one_feature({{1, 2, 5}, {1, 5, 3}, {2, 5, 4}, {3, 3, 2}, {5, 1, 1}, {1, 1, 1}});
    const auto r = only(acc);
    CHECK(r.A == 5);
    CHECK(r.O == 3);
    CHECK(r.M == 4);
    CHECK(r.I == 2);
    CHECK(r.R == 1);
    CHECK(r.Q == 1);
    CHECK(r.n == 16);
    CHECK(r.category == "A");                          // mode: A = 5
    CHECK(r.better == doctest::Approx(8.0 / 14.0));    // (A + O)/N', N' = 14
    CHECK(r.worse == doctest::Approx(-7.0 / 14.0));    // -(O + M)/N'
    CHECK(r.total_strength == doctest::Approx(12.0 / 16.0));
    CHECK(r.category_strength == doctest::Approx((5.0 - 4.0) / 16.0));  // A 5 minus M 4, of N
    // Fong: a = 5, b = 4, n = 16: 1.65 sqrt(9 * 23 / 32) = 4.196... > 1.
    CHECK_FALSE(r.fong_significant);
    // Functional scores: 9 pairs f=1 (4), 4 f=2 (2), 2 f=3 (0), 1 f=5 (-2): 42/16.
    CHECK(r.functional_mean == doctest::Approx(42.0 / 16.0));
    // Dysfunctional: 5 d=2 (-1), 7 d=5 (4), 2 d=3 (0), 2 d=1 (-2): 19/16.
    CHECK(r.dysfunctional_mean == doctest::Approx(19.0 / 16.0));
    CHECK_FALSE(r.reliable);

    kano_options o;
    o.rule = kano_rule::strength;  // 0.0625 >= 0.06: the mode
    CHECK(only(acc, o).category == "A");
    o.strength_threshold = 0.07;  // weak: first of M, O, A, I among the top two {A, M} -> M
    CHECK(only(acc, o).category == "M");
    o.rule = kano_rule::aom_vs_iqr;  // A + O + M = 12 > 4: largest of A, O, M
    CHECK(only(acc, o).category == "A");
}

TEST_CASE("kano: Fong significance and reliability thresholds") {
    // a = 30, b = 2, n = 40: 1.65 sqrt(32 * 48 / 80) = 7.23 <= 28.
    const auto r = only(one_feature({{1, 2, 30}, {1, 5, 2}, {3, 3, 2}, {1, 1, 6}}));
    CHECK(r.fong_significant);
    // a = 6, b = 4, n = 10: 1.65 sqrt(10 * 10 / 20) = 3.69 > 2.
    CHECK_FALSE(only(one_feature({{1, 2, 6}, {1, 5, 4}})).fong_significant);
    // a = 9, b = 1, n = 10: 1.65 sqrt(10 * 10 / 20) = 3.69 <= 8.
    CHECK(only(one_feature({{1, 2, 9}, {1, 5, 1}})).fong_significant);
    CHECK(only(one_feature({{1, 2, 200}})).reliable);
    CHECK_FALSE(only(one_feature({{1, 2, 199}})).reliable);
}

TEST_CASE("kano: mode ties are broken M > O > A > I > R > Q") {
    CHECK(only(one_feature({{1, 2, 3}, {1, 5, 3}, {2, 5, 3}})).category == "M");
    CHECK(only(one_feature({{1, 2, 3}, {1, 5, 3}})).category == "O");
    CHECK(only(one_feature({{1, 2, 3}, {3, 3, 3}})).category == "A");
    CHECK(only(one_feature({{3, 3, 3}, {5, 1, 3}})).category == "I");
    CHECK(only(one_feature({{5, 1, 3}, {1, 1, 3}})).category == "R");
    CHECK(only(one_feature({{1, 1, 3}, {1, 2, 1}})).category == "Q");
}

TEST_CASE("kano: rules strength and aom_vs_iqr on constructed counts") {
    kano_options s;
    s.rule = kano_rule::strength;
    // R 5, I 4, A 1 (N = 10): strength 0.1 >= 0.06 -> mode R; threshold 0.2 -> first of M,O,A,I in {R, I} = I.
    const auto acc = one_feature({{5, 1, 5}, {3, 3, 4}, {1, 2, 1}});
    CHECK(only(acc, s).category == "R");
    s.strength_threshold = 0.2;
    CHECK(only(acc, s).category == "I");
    // O 4, A 4 (tie, strength 0): weak -> first of M, O, A, I among {O, A} = O.
    CHECK(only(one_feature({{1, 5, 4}, {1, 2, 4}}), s).category == "O");
    kano_options a;
    a.rule = kano_rule::aom_vs_iqr;
    // A 1, O 1, M 1 vs I 3, R 3: 3 <= 6 -> largest of I, R, Q with I before R.
    CHECK(only(one_feature({{1, 2, 1}, {1, 5, 1}, {2, 5, 1}, {3, 3, 3}, {5, 1, 3}}), a).category == "I");
    // A 2, O 2, I 3: 4 > 3 -> largest of A, O, M: tie A, O -> O.
    CHECK(only(one_feature({{1, 2, 2}, {1, 5, 2}, {3, 3, 3}}), a).category == "O");
    // Mode of the same would be I.
    CHECK(only(one_feature({{1, 2, 2}, {1, 5, 2}, {3, 3, 3}})).category == "I");
}

TEST_CASE("kano: empty features and all-questionable features") {
    kano_accumulator acc({"x"});
    const auto r = only(acc);
    CHECK(r.n == 0);
    CHECK(r.category.empty());
    CHECK(std::isnan(r.better));
    CHECK(std::isnan(r.worse));
    CHECK(std::isnan(r.category_strength));
    CHECK(std::isnan(r.functional_mean));
    CHECK_FALSE(r.fong_significant);
    const auto q = only(one_feature({{1, 1, 4}}));
    CHECK(q.category == "Q");
    CHECK(std::isnan(q.better));  // N' = 0
    CHECK(q.total_strength == 0.0);
    CHECK_FALSE(q.fong_significant);
}

TEST_CASE("kano: the three-point form and a user table") {
    kano_accumulator acc({"x"});
    // Three-point answers 1 Like, 2 Neutral, 3 Dislike: (1,3) O, (1,1) A, (2,3) M, (3,3) M.
    const std::vector<std::int8_t> f = {1, 1, 2, 3, 4}, d = {3, 1, 3, 3, 1};
    acc.add(pair_batch<std::int8_t>{f.data(), d.data(), f.size(), nullptr}, group_codes<std::int32_t>{},
            cxkit::on_invalid::drop, 3);
    CHECK(acc.n_invalid() == 1);  // 4 is outside 1..3
    kano_options o;
    o.table = kano_table::three_point();
    const auto r = only(acc, o);
    CHECK(r.A == 1);
    CHECK(r.O == 1);
    CHECK(r.M == 2);
    CHECK(r.category == "M");
    // Scores: functional Like 4, Neutral 0, Dislike -2: (4 + 4 + 0 - 2)/4; dysfunctional Dislike 4, Like -2.
    CHECK(r.functional_mean == doctest::Approx(6.0 / 4.0));
    CHECK(r.dysfunctional_mean == doctest::Approx((4 - 2 + 4 + 4) / 4.0));
    // A five-point state with answers 4 or 5 is refused by the three-point table.
    CHECK_THROWS_AS(only(one_feature({{4, 5, 1}}), o), cxkit::invalid_argument);

    // User table: everything I except (1,5) O and (2,2) A.
    std::string letters(25, 'I');
    letters[4] = 'o';
    letters[6] = 'A';
    o.table = kano_table::from_letters(letters);
    const auto u = only(one_feature({{1, 5, 2}, {2, 2, 3}, {1, 2, 1}, {5, 5, 1}}), o);
    CHECK(u.O == 2);
    CHECK(u.A == 3);
    CHECK(u.I == 2);
    CHECK(u.Q == 0);
    CHECK(u.category == "A");
    CHECK_THROWS_WITH_AS(kano_table::from_letters("QAAAORIIIMRIIIMRIIIMRRRRX"),
                         "table: cell (functional 5, dysfunctional 5) is 'X', expected one of A, O, M, I, R, Q",
                         cxkit::invalid_argument);
    CHECK_THROWS_AS(kano_table::from_letters("QAA"), cxkit::invalid_argument);
}

TEST_CASE("kano: bad input - missing, incomplete pairs, out of scale, raise leaves the state unchanged") {
    kano_accumulator acc({"a", "b"});
    const std::vector<double> f = {1, nan_v, 2, 6, 1.5, 1, 3}, d = {5, 3, nan_v, 1, 2, 0, 3};
    const std::vector<std::int32_t> codes = {0, 0, 1, 1, 0, 1, -1};
    const pair_batch<double> in{f.data(), d.data(), f.size(), nullptr};
    CHECK_THROWS_WITH_AS(acc.add(in, group_codes<std::int32_t>{codes.data(), 0, 2}),
                         "invalid answer pair at position 3: (6, 1) (expected an integer in 1..5); 3 invalid rows "
                         "in total (pass on_invalid=\"drop\" to skip and count them)",
                         cxkit::invalid_input);
    CHECK(acc == kano_accumulator({"a", "b"}));
    const auto lost = acc.add(in, group_codes<std::int32_t>{codes.data(), 0, 2}, cxkit::on_invalid::drop);
    CHECK(lost == 1);  // the row whose feature is missing
    CHECK(acc.n() == 1);
    CHECK(acc.n_missing() == 2);
    CHECK(acc.n_invalid() == 3);
    CHECK(acc.n_missing(0) == 1);
    CHECK(acc.n_invalid(0) == 1);
    CHECK(acc.n_missing(1) == 1);
    CHECK(acc.n_invalid(1) == 2);
    CHECK(acc.n() + acc.n_missing() + acc.n_invalid() + lost == f.size());
    // A missing mask marks whole rows; a missing answer wins over an invalid one.
    kano_accumulator m({"x"});
    const std::vector<std::int8_t> fi = {1, 9, 1}, di = {5, 5, 5};
    const std::vector<std::uint8_t> mask = {0, 1, 0};
    m.add(pair_batch<std::int8_t>{fi.data(), di.data(), fi.size(), mask.data()}, group_codes<std::int32_t>{});
    CHECK(m.n() == 2);
    CHECK(m.n_missing() == 1);
    m.add("x", nan_v, 9.0);
    CHECK(m.n_missing() == 2);
    CHECK_THROWS_AS(m.add("x", 0.0, 1.0), cxkit::invalid_input);
    CHECK_THROWS_AS(kano_accumulator({"x", "x"}), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::product::kano_pair_coder(4), cxkit::invalid_argument);
    // An invalid pair whose feature is missing is not counted: it neither raises nor is named.
    kano_accumulator k({"x"});
    const std::vector<std::int8_t> fk = {9, 7, 1}, dk = {1, 1, 5};
    const std::vector<std::int32_t> ck = {-1, 0, 0};
    CHECK_THROWS_WITH_AS(k.add(pair_batch<std::int8_t>{fk.data(), dk.data(), 3, nullptr}, group_codes<std::int32_t>{ck.data(), 0, 1}),
                         doctest::Contains("position 1: (7, 1)"), cxkit::invalid_input);
    const std::vector<std::int32_t> ck2 = {-1, 0, 0};
    const std::vector<std::int8_t> fk2 = {9, 1, 1};
    CHECK(k.add(pair_batch<std::int8_t>{fk2.data(), dk.data(), 3, nullptr}, group_codes<std::int32_t>{ck2.data(), 0, 1}) == 1);
    CHECK(k.n() == 2);
    CHECK(k.n_invalid() == 0);
    const std::vector<std::int32_t> bad = {0, 5, 0};
    CHECK_THROWS_AS(m.add(pair_batch<std::int8_t>{fi.data(), di.data(), 3, nullptr}, group_codes<std::int32_t>{bad.data(), 0, 1}),
                    cxkit::out_of_range);
}

TEST_CASE("kano: the grouped kernel equals a row-by-row loop, for int8, int64 and double, threads 1 and 2") {
    std::mt19937_64 rng(7);
    const std::size_t n = 400000, nf = 7;
    std::vector<std::int8_t> f8(n), d8(n);
    std::vector<std::int32_t> codes(n);
    for (std::size_t i = 0; i < n; ++i) {
        f8[i] = static_cast<std::int8_t>(static_cast<int>(rng() % 7));  // 0..6: 0 and 6 invalid
        d8[i] = static_cast<std::int8_t>(1 + static_cast<int>(rng() % 5));
        codes[i] = static_cast<std::int32_t>(rng() % (nf + 1)) - 1;
    }
    // Oracle: the definition, one row at a time through the single-pair add.
    kano_accumulator expected;
    for (std::size_t j = 0; j < nf; ++j) expected.feature_index(std::to_string(j));
    std::uint64_t lost = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (codes[i] < 0) {
            ++lost;
            continue;
        }
        expected.add(std::to_string(codes[i]), f8[i], d8[i], cxkit::on_invalid::drop);
    }
    std::vector<std::string> names;
    for (std::size_t j = 0; j < nf; ++j) names.push_back(std::to_string(j));
    for (unsigned threads : {1u, 2u}) {
        kano_accumulator a(names);
        CHECK(a.add(pair_batch<std::int8_t>{f8.data(), d8.data(), n, nullptr}, group_codes<std::int32_t>{codes.data(), 0, nf},
                    cxkit::on_invalid::drop, 5, threads) == lost);
        CHECK(a == expected);
        std::vector<std::int64_t> f64(f8.begin(), f8.end()), d64(d8.begin(), d8.end());
        kano_accumulator b(names);
        b.add(pair_batch<std::int64_t>{f64.data(), d64.data(), n, nullptr}, group_codes<std::int32_t>{codes.data(), 0, nf},
              cxkit::on_invalid::drop, 5, threads);
        CHECK(b == expected);
        std::vector<double> fd(f8.begin(), f8.end()), dd(d8.begin(), d8.end());
        kano_accumulator c(names);
        c.add(pair_batch<double>{fd.data(), dd.data(), n, nullptr}, group_codes<std::int32_t>{codes.data(), 0, nf},
              cxkit::on_invalid::drop, 5, threads);
        CHECK(c == expected);
    }
}

TEST_CASE("kano: merge by feature name - split and merge equals one pass, order of features ignored") {
    const auto whole = one_feature({{1, 2, 3}, {2, 5, 2}, {3, 3, 1}});
    auto left = one_feature({{1, 2, 2}, {2, 5, 1}});
    const auto right = one_feature({{1, 2, 1}, {2, 5, 1}, {3, 3, 1}});
    CHECK(left + right == whole);
    CHECK(right + left == whole);
    CHECK(whole + kano_accumulator() == whole);
    CHECK(kano_accumulator() + whole == whole);
    kano_accumulator ab({"a", "b"}), ba({"b", "a"});
    ab.add("a", 1, 5);
    ba.add("a", 1, 5);
    CHECK(ab == ba);
    kano_accumulator c({"c"});
    c.add("c", 2, 2);
    const auto m1 = (ab + c) + ba, m2 = ab + (c + ba);
    CHECK(m1 == m2);
    CHECK(m1.features() == std::vector<std::string>{"a", "b", "c"});
    CHECK(m1.cells(0)[4] == 2);  // (1,5) twice
    CHECK(m1 != ab);
}

TEST_CASE("kano: serialization round trip, truncation, flipped bytes and impossible payloads") {
    kano_accumulator acc({"wifi", "tv"});
    acc.add("wifi", 1, 5);
    acc.add("tv", 2, 2);
    acc.add("tv", nan_v, 2);
    acc.add("tv", 8, 2, cxkit::on_invalid::drop);
    const auto b = acc.serialize();
    CHECK(kano_accumulator::deserialize(b.data(), b.size()) == acc);
    CHECK(kano_accumulator::deserialize(b.data(), b.size()).serialize() == b);
    for (std::size_t k = 0; k < b.size(); ++k)
        CHECK_THROWS_AS(kano_accumulator::deserialize(b.data(), k), cxkit::corrupt_state);
    for (std::size_t k = 0; k < b.size(); ++k) {
        auto c = b;
        c[k] ^= 0x10;
        CHECK_THROWS_AS(kano_accumulator::deserialize(c.data(), c.size()), cxkit::corrupt_state);
    }
    // A payload with a repeated feature name (checksum valid) is refused.
    std::array<std::uint64_t, 27> z{};
    const auto dup = encode_kano_v1({"a", "a"}, {z, z});
    CHECK_THROWS_WITH_AS(kano_accumulator::deserialize(dup.data(), dup.size()),
                         "corrupt state: feature \"a\" appears twice", cxkit::corrupt_state);
    // A feature count beyond the bytes.
    bytes big = encode_kano_v1({}, {});
    bytes payload;
    put_u64(payload, 1000);
    bytes forged = {'C', 'X', 'K', '1', 4, 0, 1, 0, 0, 0, 0, 0};
    put_u64(forged, payload.size());
    boost::crc_32_type crc;
    crc.process_bytes(payload.data(), payload.size());
    for (int i = 0; i < 4; ++i) forged.push_back(static_cast<std::uint8_t>(crc.checksum() >> (8 * i)));
    forged.insert(forged.end(), payload.begin(), payload.end());
    CHECK_THROWS_AS(kano_accumulator::deserialize(forged.data(), forged.size()), cxkit::corrupt_state);
    CHECK(kano_accumulator::deserialize(big.data(), big.size()) == kano_accumulator());
    // Version 2 is refused with its number.
    auto v2 = b;
    v2[6] = 2;
    CHECK_THROWS_WITH_AS(kano_accumulator::deserialize(v2.data(), v2.size()),
                         doctest::Contains("unsupported format version 2"), cxkit::corrupt_state);
}

TEST_CASE("kano: golden file kano_v1.bin reads to the documented state and is written byte for byte") {
    // Input (tests/golden/README.md, make_golden.cpp): features wifi, tv; one batch, drop.
    const std::vector<double> f = {1, 2, 1, 5, nan_v, 7, 3, 1}, d = {5, 5, 4, 5, 3, 1, 3, 1};
    const std::vector<std::int32_t> codes = {0, 0, 1, 1, 0, 1, 1, -1};
    kano_accumulator acc({"wifi", "tv"});
    acc.add(pair_batch<double>{f.data(), d.data(), f.size(), nullptr}, group_codes<std::int32_t>{codes.data(), 0, 2},
            cxkit::on_invalid::drop);
    // Expected cells written out: wifi (1,5) (2,5), missing 1; tv (1,4) (5,5) (3,3), invalid 1.
    std::array<std::uint64_t, 27> wifi{}, tv{};
    wifi[4] = 1, wifi[9] = 1, wifi[25] = 1;
    tv[3] = 1, tv[24] = 1, tv[12] = 1, tv[26] = 1;
    const bytes expected = encode_kano_v1({"wifi", "tv"}, {wifi, tv});
    CHECK(acc.serialize() == expected);
    std::ifstream in(std::string(CXKIT_TEST_DATA_DIR) + "/kano_v1.bin", std::ios::binary);
    REQUIRE(in.good());
    const bytes golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(golden == expected);
    CHECK(kano_accumulator::deserialize(golden.data(), golden.size()) == acc);
}

TEST_CASE("kano: chi-square of segments x categories against closed forms") {
    // 2x2 non-empty: E = 15 everywhere, X2 = 4 * 25/15; df 1: p = erfc(sqrt(X2 / 2)).
    const auto r = cxkit::product::kano_chi_square({{10, 20, 0, 0, 0, 0}, {20, 10, 0, 0, 0, 0}});
    CHECK(r.statistic == doctest::Approx(100.0 / 15.0));
    CHECK(r.df == 1.0);
    CHECK(r.p_value == doctest::Approx(std::erfc(std::sqrt(100.0 / 30.0))).epsilon(1e-12));
    // 2x3 table [[10, 0, 5, 5], [0, ...]] with an empty row: rows {20, 10}, cols A 12 M 8 I 10 (N 30).
    const auto s = cxkit::product::kano_chi_square({{8, 0, 2, 10, 0, 0}, {0, 0, 0, 0, 0, 0}, {4, 0, 6, 0, 0, 0}});
    double x2 = 0;
    const double rows[2] = {20, 10}, cols[3] = {12, 8, 10}, obs[2][3] = {{8, 2, 10}, {4, 6, 0}};
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 3; ++k) {
            const double e = rows[i] * cols[k] / 30.0;
            x2 += (obs[i][k] - e) * (obs[i][k] - e) / e;
        }
    CHECK(s.statistic == doctest::Approx(x2));
    CHECK(s.df == 2.0);
    CHECK(s.p_value == doctest::Approx(std::exp(-x2 / 2)).epsilon(1e-12));  // df 2: survival exp(-x/2)
    const auto one = cxkit::product::kano_chi_square({{1, 2, 0, 0, 0, 0}});
    CHECK(std::isnan(one.statistic));
    CHECK(one.df == 0.0);
}

TEST_CASE("kano: bootstrap is reproducible, thread-independent and replicate 0 matches Boost.Random draws") {
    // 6 respondents x 2 features.
    const std::vector<std::int64_t> resp = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    const std::vector<std::int64_t> group = {0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    // cells: (1,2)=A 1, (1,5)=O 4, (2,5)=M 9, (3,3)=I 12, (1,1)=Q 0
    const std::vector<std::int16_t> cell = {1, 4, 4, 9, 9, 12, 12, 1, 0, 4, 1, -1};
    cxkit::stats::bootstrap_options o;
    o.n_boot = 64;
    o.seed = 42;
    const auto t = kano_table::standard();
    const auto a = cxkit::product::kano_bootstrap(resp.data(), group.data(), cell.data(), resp.size(), 6, 2, t, o);
    o.threads = 2;
    const auto b = cxkit::product::kano_bootstrap(resp.data(), group.data(), cell.data(), resp.size(), 6, 2, t, o);
    auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
        return true;
    };
    CHECK(same(a.better, b.better));
    CHECK(same(a.worse, b.worse));
    o.seed = 43;
    const auto c = cxkit::product::kano_bootstrap(resp.data(), group.data(), cell.data(), resp.size(), 6, 2, t, o);
    CHECK_FALSE(same(a.better, c.better));
    // Replicate 0 by hand: six draws from mt19937_64 seeded with SplitMix64(42 + γ).
    std::uint64_t z = 42 + 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    boost::random::mt19937_64 eng(z ^ (z >> 31));
    boost::random::uniform_int_distribution<std::uint64_t> unit(0, 5);
    std::vector<int> w(6, 0);
    for (int i = 0; i < 6; ++i) ++w[unit(eng)];
    // Feature 0 categories per respondent: A, O, M, I, Q, A; feature 1: O, M, I, A, O, none.
    const char cat0[6] = {'A', 'O', 'M', 'I', 'Q', 'A'}, cat1[6] = {'O', 'M', 'I', 'A', 'O', '-'};
    auto better_worse = [&](const char* cat, double& bt, double& wt) {
        double A = 0, O = 0, M = 0, I = 0;
        for (int r = 0; r < 6; ++r) {
            A += cat[r] == 'A' ? w[r] : 0;
            O += cat[r] == 'O' ? w[r] : 0;
            M += cat[r] == 'M' ? w[r] : 0;
            I += cat[r] == 'I' ? w[r] : 0;
        }
        bt = (A + O) / (A + O + M + I);
        wt = -(O + M) / (A + O + M + I);
    };
    double b0, w0, b1, w1;
    better_worse(cat0, b0, w0);
    better_worse(cat1, b1, w1);
    if (!std::isnan(b0)) CHECK(a.better[0] == doctest::Approx(b0));
    if (!std::isnan(w0)) CHECK(a.worse[0] == doctest::Approx(w0));
    if (!std::isnan(b1)) CHECK(a.better[1] == doctest::Approx(b1));
    if (!std::isnan(w1)) CHECK(a.worse[1] == doctest::Approx(w1));
    // Every respondent alike: every replicate equals the point value.
    const std::vector<std::int16_t> same_cell(12, 4);  // all O
    const auto d = cxkit::product::kano_bootstrap(resp.data(), group.data(), same_cell.data(), resp.size(), 6, 2, t, o);
    for (double x : d.better) CHECK(x == 1.0);
    for (double x : d.worse) CHECK(x == -1.0);
    const std::vector<std::int64_t> bad_resp = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6};
    CHECK_THROWS_AS(cxkit::product::kano_bootstrap(bad_resp.data(), group.data(), cell.data(), 12, 6, 2, t, o),
                    cxkit::invalid_argument);
}
