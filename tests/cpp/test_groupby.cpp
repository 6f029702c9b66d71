// Tests of <cxkit/core/groupby.hpp>: the grouped counting kernel (values + dense group codes ->
// one table row per group, row 0 for a missing key), checked against a plain per-row loop.
#include <cxkit/core/groupby.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
using cxkit::core::integer_scale;

// Oracle: the (group, bin) table built by the obvious loop, with the bin rules written out here
// (ARCHITECTURE.md §3): masked or NaN -> missing; not an integer in low..high -> invalid; a valid
// value with a negative/NaN/infinite weight -> invalid. Row 0 holds the rows with key -1.
struct oracle_table {
    std::vector<std::uint64_t> count;
    std::vector<double> weight, weight_sq;
};

oracle_table oracle_counts(const std::vector<double>& values, const std::vector<double>* weights,
                           const std::vector<std::int64_t>& group_of_row, std::size_t n_groups, std::int64_t low,
                           std::int64_t high) {
    const std::size_t k = static_cast<std::size_t>(high - low + 1), stride = k + 2;
    oracle_table t;
    t.count.assign((n_groups + 1) * stride, 0);
    t.weight.assign(t.count.size(), 0.0);
    t.weight_sq.assign(t.count.size(), 0.0);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const double x = values[i];
        std::size_t bin;
        if (std::isnan(x)) bin = k;
        else if (x != std::floor(x) || x < static_cast<double>(low) || x > static_cast<double>(high)) bin = k + 1;
        else bin = static_cast<std::size_t>(x - static_cast<double>(low));
        const double w = weights ? (*weights)[i] : 1.0;
        if (bin < k && !(w >= 0.0 && std::isfinite(w))) bin = k + 1;
        const std::size_t idx = static_cast<std::size_t>(group_of_row[i] + 1) * stride + bin;
        ++t.count[idx];
        if (bin < k) {
            t.weight[idx] += w;
            t.weight_sq[idx] += w * w;
        }
    }
    return t;
}

std::vector<double> random_values(std::mt19937_64& rng, std::size_t n) {
    std::uniform_int_distribution<int> v(-2, 12), kind(0, 19);
    std::vector<double> out(n);
    for (auto& x : out) {
        const int k = kind(rng);
        x = k == 0 ? nan_v : k == 1 ? v(rng) + 0.25 : v(rng);
    }
    return out;
}

}  // namespace

TEST_CASE("groupby: min_max of integers") {
    const std::vector<std::int32_t> a = {5, -3, 9, 0, 9, -3};
    const auto mm = cxkit::core::min_max(a.data(), a.size());
    CHECK(mm.first == -3);
    CHECK(mm.second == 9);
    const std::vector<std::int64_t> one = {42};
    CHECK(cxkit::core::min_max(one.data(), 1).first == 42);
    CHECK(cxkit::core::min_max(one.data(), 1).second == 42);
}

TEST_CASE("groupby: make_bin_table shapes and row_offset") {
    const auto t = cxkit::core::make_bin_table(3, 13, true);
    CHECK(t.n_groups == 3);
    CHECK(t.stride == 13);
    CHECK(t.count.size() == 4 * 13);
    CHECK(t.weight.size() == 4 * 13);
    CHECK(t.weight_sq.size() == 4 * 13);
    CHECK(t.weighted());
    CHECK(t.row_offset(-1) == 0);
    CHECK(t.row_offset(0) == 13);
    CHECK(t.row_offset(2) == 39);
    const auto u = cxkit::core::make_bin_table(3, 13, false);
    CHECK_FALSE(u.weighted());
    CHECK(u.weight.empty());
}

TEST_CASE("groupby: count_bins accepts codes -1..n_groups-1 after the offset and names the first bad code") {
    const integer_scale s(0, 10);
    const std::vector<int> v = {1, 2, 3, 4};
    const cxkit::core::batch<int> in{v.data(), v.size()};
    const std::vector<std::int32_t> ok = {-1, 0, 1, 2};
    CHECK_NOTHROW(cxkit::core::count_bins(in, cxkit::core::group_codes<std::int32_t>{ok.data(), 0, 3}, s));
    const std::vector<std::int32_t> bad = {0, 1, 3, -2};
    CHECK_THROWS_WITH_AS(cxkit::core::count_bins(in, cxkit::core::group_codes<std::int32_t>{bad.data(), 0, 3}, s),
                         "group code at position 2 is 3, outside 0..2 (or -1 for a missing key)", cxkit::out_of_range);
    const std::vector<std::int32_t> low = {0, -2, 1, 1};
    CHECK_THROWS_WITH_AS(cxkit::core::count_bins(in, cxkit::core::group_codes<std::int32_t>{low.data(), 0, 3}, s),
                         "group code at position 1 is -2, outside 0..2 (or -1 for a missing key)", cxkit::out_of_range);
    // With an offset: keys 2000..2004, offset 2000, 5 groups; 1999 is the missing key. With offset
    // 2001 the same keys are codes -1, 3, -2, 0: the -2 is out of range.
    const std::vector<std::int64_t> keys = {2000, 2004, 1999, 2001};
    CHECK_NOTHROW(cxkit::core::count_bins(in, cxkit::core::group_codes<std::int64_t>{keys.data(), 2000, 5}, s));
    CHECK_THROWS_WITH_AS(cxkit::core::count_bins(in, cxkit::core::group_codes<std::int64_t>{keys.data(), 2001, 5}, s),
                         "group code at position 2 is -2, outside 0..4 (or -1 for a missing key)", cxkit::out_of_range);
    // Weighted and masked inputs go through the same check.
    const std::vector<double> w = {1, 1, 1, 1};
    const std::vector<std::uint8_t> mask = {0, 1, 0, 0};
    CHECK_THROWS_AS(cxkit::core::count_bins(cxkit::core::batch<int>{v.data(), v.size(), w.data(), mask.data()},
                                            cxkit::core::group_codes<std::int32_t>{bad.data(), 0, 3}, s),
                    cxkit::out_of_range);
    // Null codes (one group) and empty input are always fine.
    CHECK_NOTHROW(cxkit::core::count_bins(in, cxkit::core::group_codes<std::int32_t>{}, s));
    CHECK_NOTHROW(cxkit::core::count_bins(cxkit::core::batch<int>{v.data(), 0},
                                          cxkit::core::group_codes<std::int32_t>{bad.data(), 0, 3}, s));
}

TEST_CASE("groupby: throw_bad_group_code names the first code out of range") {
    const std::vector<std::int64_t> codes = {0, 4, 1, 9};
    CHECK_THROWS_WITH_AS(cxkit::core::throw_bad_group_code(cxkit::core::group_codes<std::int64_t>{codes.data(), 0, 3},
                                                           codes.size()),
                         "group code at position 1 is 4, outside 0..2 (or -1 for a missing key)", cxkit::out_of_range);
    // No groups at all: only the missing key (-1) is valid.
    const std::vector<std::int32_t> one = {-1, 0};
    CHECK_THROWS_WITH_AS(cxkit::core::throw_bad_group_code(cxkit::core::group_codes<std::int32_t>{one.data(), 0, 0},
                                                           one.size()),
                         "group code at position 1 is 0, outside no groups (or -1 for a missing key)",
                         cxkit::out_of_range);
}

TEST_CASE("groupby: count_bins without codes is one group") {
    const integer_scale s(0, 10);
    const std::vector<int> v = {0, 10, 10, 11, -1, 5};
    const auto t = cxkit::core::count_bins(cxkit::core::batch<int>{v.data(), v.size()},
                                           cxkit::core::group_codes<std::int32_t>{}, s);
    CHECK(t.n_groups == 1);
    CHECK(t.stride == 13);
    CHECK_FALSE(t.weighted());
    const std::size_t g0 = t.row_offset(0);
    CHECK(t.count[g0 + 0] == 1);
    CHECK(t.count[g0 + 5] == 1);
    CHECK(t.count[g0 + 10] == 2);
    CHECK(t.count[g0 + s.invalid_bin()] == 2);
    CHECK(t.total(s.invalid_bin()) == 2);
    CHECK(t.total(10) == 2);
    std::uint64_t missing_key_row = 0;
    for (std::uint32_t b = 0; b < t.stride; ++b) missing_key_row += t.count[t.row_offset(-1) + b];
    CHECK(missing_key_row == 0);
}

TEST_CASE("groupby: count_bins with int32 codes, weights and a missing mask equals the row loop") {
    std::mt19937_64 rng(42);
    const std::size_t n = 5000, n_groups = 9;
    const auto values = random_values(rng, n);
    std::uniform_int_distribution<int> g(-1, static_cast<int>(n_groups) - 1), eighths(0, 40), coin(0, 29);
    std::vector<std::int32_t> codes(n);
    std::vector<std::int64_t> group_of_row(n);
    std::vector<double> weights(n);
    std::vector<std::uint8_t> mask(n);
    for (std::size_t i = 0; i < n; ++i) {
        codes[i] = g(rng);
        group_of_row[i] = codes[i];
        const int c = coin(rng);
        weights[i] = c == 0 ? -0.5 : c == 1 ? nan_v : eighths(rng) / 8.0;
        mask[i] = coin(rng) == 0 ? 1 : 0;
    }
    const integer_scale s(0, 10);
    const cxkit::core::group_codes<std::int32_t> gc{codes.data(), 0, n_groups};

    SUBCASE("unweighted") {
        const auto t = cxkit::core::count_bins(cxkit::core::batch<double>{values.data(), n}, gc, s);
        const auto o = oracle_counts(values, nullptr, group_of_row, n_groups, 0, 10);
        CHECK(t.count == o.count);
    }
    SUBCASE("weighted") {
        const auto t = cxkit::core::count_bins(cxkit::core::batch<double>{values.data(), n, weights.data()}, gc, s);
        const auto o = oracle_counts(values, &weights, group_of_row, n_groups, 0, 10);
        CHECK(t.count == o.count);
        CHECK(t.weight == o.weight);  // multiples of 1/8: exact
        CHECK(t.weight_sq == o.weight_sq);
    }
    SUBCASE("masked") {
        std::vector<double> masked_values = values;
        for (std::size_t i = 0; i < n; ++i)
            if (mask[i]) masked_values[i] = nan_v;  // the oracle sees a masked row as NaN
        const auto t =
            cxkit::core::count_bins(cxkit::core::batch<double>{values.data(), n, nullptr, mask.data()}, gc, s);
        const auto o = oracle_counts(masked_values, nullptr, group_of_row, n_groups, 0, 10);
        CHECK(t.count == o.count);
    }
}

TEST_CASE("groupby: count_bins with int64 codes and an offset - key offset-1 is the missing-key row") {
    std::mt19937_64 rng(43);
    const std::size_t n = 3000, n_groups = 5;
    const std::int64_t offset = 7000000000;  // keys beyond int32, used as codes without a copy
    const auto values = random_values(rng, n);
    std::uniform_int_distribution<int> g(-1, static_cast<int>(n_groups) - 1);
    std::vector<std::int64_t> keys(n), group_of_row(n);
    for (std::size_t i = 0; i < n; ++i) {
        group_of_row[i] = g(rng);
        keys[i] = group_of_row[i] + offset;
    }
    const integer_scale s(1, 7);
    const auto t = cxkit::core::count_bins(cxkit::core::batch<double>{values.data(), n},
                                           cxkit::core::group_codes<std::int64_t>{keys.data(), offset, n_groups}, s);
    const auto o = oracle_counts(values, nullptr, group_of_row, n_groups, 1, 7);
    CHECK(t.count == o.count);
    std::uint64_t all = 0;
    for (auto c : t.count) all += c;
    CHECK(all == n);  // every row accounted for, the missing-key ones in row 0
}

TEST_CASE("groupby: count_bins with large int64 keys near 1.7e18 (epoch nanoseconds) and an offset") {
    // Keys of realistic size (timestamps in ns) used directly as codes with offset = smallest key.
    const std::int64_t offset = 1700000000000000000;
    const std::vector<int> v = {1, 2, 3, 3, 9};
    const std::vector<std::int64_t> keys = {offset, offset + 1, offset + 1, offset - 1, offset};
    const integer_scale s(1, 5);
    const auto t = cxkit::core::count_bins(cxkit::core::batch<int>{v.data(), v.size()},
                                           cxkit::core::group_codes<std::int64_t>{keys.data(), offset, 2}, s);
    CHECK(t.count[t.row_offset(0) + 0] == 1);
    CHECK(t.count[t.row_offset(0) + s.invalid_bin()] == 1);
    CHECK(t.count[t.row_offset(1) + 1] == 1);
    CHECK(t.count[t.row_offset(1) + 2] == 1);
    CHECK(t.count[t.row_offset(-1) + 2] == 1);
}

TEST_CASE("groupby: count_bins refuses out-of-range codes before counting") {
    const std::vector<int> v = {1, 2};
    const std::vector<std::int32_t> codes = {0, 5};
    CHECK_THROWS_AS(cxkit::core::count_bins(cxkit::core::batch<int>{v.data(), v.size()},
                                            cxkit::core::group_codes<std::int32_t>{codes.data(), 0, 2},
                                            integer_scale(0, 10)),
                    cxkit::out_of_range);
}

TEST_CASE("groupby: threads=1 and threads=2 on 300k rows give identical tables") {
    std::mt19937_64 rng(2024);
    const std::size_t n = 300000, n_groups = 50;
    const auto values = random_values(rng, n);
    std::uniform_int_distribution<int> g(-1, static_cast<int>(n_groups) - 1), eighths(0, 16);
    std::vector<std::int32_t> codes32(n);
    std::vector<std::int64_t> codes64(n);
    std::vector<double> weights(n);
    for (std::size_t i = 0; i < n; ++i) {
        codes32[i] = g(rng);
        codes64[i] = codes32[i] + 100;
        weights[i] = eighths(rng) / 8.0;
    }
    const integer_scale s(0, 10);
    // The kernel really splits this input: 300k rows is above the 2^18-row threshold.
    CHECK(cxkit::core::plan_threads(n, (n_groups + 1) * s.stride() * 4, 2) == 2);

    const cxkit::core::batch<double> in{values.data(), n};
    const cxkit::core::group_codes<std::int32_t> g32{codes32.data(), 0, n_groups};
    const cxkit::core::group_codes<std::int64_t> g64{codes64.data(), 100, n_groups};
    const auto t1 = cxkit::core::count_bins(in, g32, s, 1);
    const auto t2 = cxkit::core::count_bins(in, g32, s, 2);
    const auto t64 = cxkit::core::count_bins(in, g64, s, 2);
    CHECK(t1.count == t2.count);
    CHECK(t1.count == t64.count);

    // ...and both equal the plain row loop.
    std::vector<std::int64_t> group_of_row(codes32.begin(), codes32.end());
    CHECK(t1.count == oracle_counts(values, nullptr, group_of_row, n_groups, 0, 10).count);

    // Weighted, two threads: counts identical; weight sums identical here because multiples of
    // 1/8 add exactly in any order.
    const cxkit::core::batch<double> win{values.data(), n, weights.data()};
    const auto w1 = cxkit::core::count_bins(win, g32, s, 1);
    const auto w2 = cxkit::core::count_bins(win, g32, s, 2);
    CHECK(w1.count == w2.count);
    CHECK(w1.weight == w2.weight);
    CHECK(w1.weight_sq == w2.weight_sq);

    // threads = 0 means all hardware threads: same table.
    CHECK(cxkit::core::count_bins(in, g32, s, 0).count == t1.count);
}

TEST_CASE("groupby: count_bins on empty input gives an all-zero table") {
    const std::vector<int> v;
    const auto t = cxkit::core::count_bins(cxkit::core::batch<int>{v.data(), 0},
                                           cxkit::core::group_codes<std::int32_t>{nullptr, 0, 1}, integer_scale(0, 10));
    for (auto c : t.count) CHECK(c == 0);
}

// One-byte values take a 256-entry lookup path in the unweighted kernel. Every byte value of
// int8 and uint8, on several scales, grouped and ungrouped, masked and not, must land in the bin
// the scale's definition gives: low..high -> its point, anything else invalid, masked -> missing.
template <class T>
void check_every_byte(std::int64_t low, std::int64_t high, bool masked, bool grouped) {
    std::vector<T> values;
    std::vector<std::uint8_t> mask;
    std::vector<std::int32_t> codes;
    for (int rep = 0; rep < 3; ++rep)
        for (int x = 0; x < 256; ++x) {
            values.push_back(static_cast<T>(static_cast<std::uint8_t>(x)));
            mask.push_back(masked && x % 7 == 0 ? 1 : 0);
            codes.push_back(static_cast<std::int32_t>((x + rep) % 3));
        }
    const cxkit::core::integer_scale scale(low, high);
    cxkit::core::batch<T> in{values.data(), values.size(), nullptr, masked ? mask.data() : nullptr};
    const auto table = grouped ? cxkit::core::count_bins(in, cxkit::core::group_codes<std::int32_t>{codes.data(), 0, 3}, scale)
                               : cxkit::core::count_bins(in, cxkit::core::group_codes<std::int32_t>{}, scale);
    // oracle: the definition, row by row
    const std::size_t groups = grouped ? 3 : 1, k = static_cast<std::size_t>(high - low + 1);
    std::vector<std::uint64_t> expected((groups + 1) * (k + 2), 0);
    for (std::size_t i = 0; i < values.size(); ++i) {
        const auto v = static_cast<std::int64_t>(values[i]);
        std::size_t bin = (v >= low && v <= high) ? static_cast<std::size_t>(v - low) : k + 1;
        if (masked && mask[i]) bin = k;
        const std::size_t row = grouped ? static_cast<std::size_t>(codes[i]) + 1 : 1;
        ++expected[row * (k + 2) + bin];
    }
    CHECK(table.count == expected);
    CHECK(table.count.size() == (groups + 1) * (k + 2));
}

TEST_CASE("groupby: one-byte values are binned by the scale definition for every byte value") {
    for (bool masked : {false, true})
        for (bool grouped : {false, true}) {
            CAPTURE(masked);
            CAPTURE(grouped);
            check_every_byte<std::int8_t>(0, 10, masked, grouped);
            check_every_byte<std::int8_t>(-3, 3, masked, grouped);
            check_every_byte<std::int8_t>(1, 5, masked, grouped);
            check_every_byte<std::uint8_t>(0, 10, masked, grouped);
            check_every_byte<std::uint8_t>(200, 255, masked, grouped);
            check_every_byte<std::int8_t>(100, 127, masked, grouped);
        }
}

namespace {
// A pair coder written for this test (3 x 3 cells): x, y in 0..2 -> cell 3x + y; anything else
// invalid; NaN in either column -> missing (missing wins over invalid).
struct pair3_coder {
    std::uint32_t bins() const noexcept { return 9; }
    std::uint32_t missing_bin() const noexcept { return 9; }
    std::uint32_t invalid_bin() const noexcept { return 10; }
    std::uint32_t stride() const noexcept { return 11; }
    template <class T>
    std::uint32_t part(T x, std::uint32_t mult) const noexcept {
        if constexpr (std::is_floating_point<T>::value) {
            if (x != x) return 1000;
            return (x == 0 || x == 1 || x == 2) ? static_cast<std::uint32_t>(x) * mult : 100u;
        } else {
            return (x >= 0 && x <= 2) ? static_cast<std::uint32_t>(x) * mult : 100u;
        }
    }
    template <class T>
    std::uint32_t first_code(T x) const noexcept { return part(x, 3); }
    template <class T>
    std::uint32_t second_code(T x) const noexcept { return part(x, 1); }
    std::uint32_t combine(std::uint32_t p, std::uint32_t q) const noexcept {
        const std::uint32_t s = p + q;
        return s < 9 ? s : (s >= 1000 ? 9u : 10u);
    }
};
}  // namespace

TEST_CASE("groupby: pair_batch counts two columns as one value, equal to the row loop, threads 1 and 2") {
    std::mt19937_64 rng(99);
    const std::size_t n = 300000, n_groups = 13;
    std::vector<std::int8_t> x8(n), y8(n);
    std::vector<double> xd(n), yd(n);
    std::vector<std::int32_t> codes(n);
    std::vector<std::uint8_t> mask(n);
    for (std::size_t i = 0; i < n; ++i) {
        x8[i] = static_cast<std::int8_t>(static_cast<int>(rng() % 5) - 1);  // -1..3: -1, 3 invalid
        y8[i] = static_cast<std::int8_t>(static_cast<int>(rng() % 4));      // 0..3: 3 invalid
        xd[i] = rng() % 10 == 0 ? nan_v : x8[i];
        yd[i] = y8[i];
        codes[i] = static_cast<std::int32_t>(rng() % (n_groups + 1)) - 1;
        mask[i] = rng() % 20 == 0;
    }
    // Oracle: the obvious loop with the rules written out.
    auto expected = [&](bool use_nan, bool masked) {
        std::vector<std::uint64_t> t((n_groups + 1) * 11, 0);
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t bin;
            const bool miss = (masked && mask[i]) || (use_nan && std::isnan(xd[i]));
            if (miss) bin = 9;
            else if (x8[i] < 0 || x8[i] > 2 || y8[i] > 2) bin = 10;
            else bin = static_cast<std::size_t>(3 * x8[i] + y8[i]);
            ++t[static_cast<std::size_t>(codes[i] + 1) * 11 + bin];
        }
        return t;
    };
    const cxkit::core::group_codes<std::int32_t> g{codes.data(), 0, n_groups};
    for (unsigned threads : {1u, 2u}) {
        const auto a = cxkit::core::count_bins(cxkit::core::pair_batch<std::int8_t>{x8.data(), y8.data(), n, nullptr},
                                               g, pair3_coder{}, threads);
        CHECK(a.count == expected(false, false));
        const auto b = cxkit::core::count_bins(
            cxkit::core::pair_batch<std::int8_t>{x8.data(), y8.data(), n, mask.data()}, g, pair3_coder{}, threads);
        CHECK(b.count == expected(false, true));
        const auto c = cxkit::core::count_bins(cxkit::core::pair_batch<double>{xd.data(), yd.data(), n, mask.data()},
                                               g, pair3_coder{}, threads);
        CHECK(c.count == expected(true, true));
        CHECK_FALSE(c.weighted());
    }
    // Without codes: one group.
    const auto one = cxkit::core::count_bins(cxkit::core::pair_batch<std::int8_t>{x8.data(), y8.data(), n, nullptr},
                                             cxkit::core::group_codes<std::int32_t>{}, pair3_coder{}, 1);
    const auto all = expected(false, false);
    for (std::size_t b = 0; b < 11; ++b) {
        std::uint64_t s = 0;
        for (std::size_t r = 0; r <= n_groups; ++r) s += all[r * 11 + b];
        CHECK(one.count[11 + b] == s);
    }
}
