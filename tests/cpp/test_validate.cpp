// Tests of <cxkit/core/validate.hpp>: the one bad-input policy (ARCHITECTURE.md §3), both on its
// own (integer_scale, row_code, messages) and end to end through the accumulators that apply it.
#include <cxkit/core/validate.hpp>

#include <cxkit/survey/nps.hpp>
#include <cxkit/survey/rating.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs f, which must throw cxkit::invalid_input, and returns the message.
template <class F>
std::string invalid_input_message(F&& f) {
    try {
        f();
    } catch (const cxkit::invalid_input& e) {
        return e.what();
    }
    FAIL("expected cxkit::invalid_input");
    return {};
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// integer_scale
// ------------------------------------------------------------------------------------------------

TEST_CASE("validate: integer_scale bins, missing and invalid codes") {
    const cxkit::core::integer_scale s(0, 10);
    CHECK(s.low() == 0);
    CHECK(s.high() == 10);
    CHECK(s.bins() == 11);
    CHECK(s.missing_bin() == 11);
    CHECK(s.invalid_bin() == 12);
    CHECK(s.stride() == 13);
    CHECK(s.expected() == "an integer in 0..10");

    // Integers: every point of the scale is its own bin, everything else invalid.
    for (int x = 0; x <= 10; ++x) CHECK(s.code(x) == static_cast<std::uint32_t>(x));
    CHECK(s.code(-1) == s.invalid_bin());
    CHECK(s.code(11) == s.invalid_bin());
    CHECK(s.code(std::numeric_limits<int>::min()) == s.invalid_bin());
    CHECK(s.code(std::numeric_limits<std::int64_t>::max()) == s.invalid_bin());
    CHECK(s.code(std::numeric_limits<std::int64_t>::min()) == s.invalid_bin());
}

TEST_CASE("validate: integer_scale on floating point - NaN is missing, fractions and infinities invalid") {
    const cxkit::core::integer_scale s(1, 5);
    CHECK(s.code(1.0) == 0);
    CHECK(s.code(5.0) == 4);
    CHECK(s.code(3.0f) == 2);
    CHECK(s.code(nan_v) == s.missing_bin());
    CHECK(s.code(std::numeric_limits<float>::quiet_NaN()) == s.missing_bin());
    CHECK(s.code(3.5) == s.invalid_bin());
    CHECK(s.code(4.999999) == s.invalid_bin());
    CHECK(s.code(0.0) == s.invalid_bin());
    CHECK(s.code(6.0) == s.invalid_bin());
    CHECK(s.code(inf_v) == s.invalid_bin());
    CHECK(s.code(-inf_v) == s.invalid_bin());
    CHECK(s.code(1e300) == s.invalid_bin());
    // -0.0 is the integer 0.
    const cxkit::core::integer_scale z(0, 10);
    CHECK(z.code(-0.0) == 0);
}

TEST_CASE("validate: integer_scale checks integrality on the value itself, not on value - low") {
    // On -2..2, 1e-20 - (-2) rounds to exactly 2.0, which would wrongly pass as the integer 0.
    const cxkit::core::integer_scale s(-2, 2);
    CHECK(s.code(1e-20) == s.invalid_bin());
    CHECK(s.code(-1e-300) == s.invalid_bin());
    CHECK(s.code(1e-20f) == s.invalid_bin());
    CHECK(s.code(0.0) == 2);
    // Values beyond the int64 range are invalid, not undefined conversions.
    CHECK(s.code(1e19) == s.invalid_bin());
    CHECK(s.code(-1e19) == s.invalid_bin());
    CHECK(s.code(9223372036854775808.0) == s.invalid_bin());
    // A scale near the top of int64: integers there are exact doubles only every 2^10.
    using lim = std::numeric_limits<std::int64_t>;
    const cxkit::core::integer_scale top(lim::max() - 1000, lim::max());
    CHECK(top.code(lim::max()) == 1000);
    CHECK(top.code(9223372036854775808.0) == top.invalid_bin());  // 2^63 is one past INT64_MAX
}

TEST_CASE("validate: integer_scale on small, unsigned and bool integer types") {
    const cxkit::core::integer_scale s(0, 10);
    CHECK(s.code(std::int8_t{7}) == 7);
    CHECK(s.code(std::int8_t{-3}) == s.invalid_bin());
    CHECK(s.code(std::uint8_t{10}) == 10);
    CHECK(s.code(std::uint8_t{200}) == s.invalid_bin());
    CHECK(s.code(std::uint16_t{9}) == 9);
    CHECK(s.code(std::uint32_t{4000000000u}) == s.invalid_bin());
    CHECK(s.code(std::uint64_t{3}) == 3);
    CHECK(s.code(std::numeric_limits<std::uint64_t>::max()) == s.invalid_bin());
    CHECK(s.code(true) == 1);
    CHECK(s.code(false) == 0);

    // A scale with negative points.
    const cxkit::core::integer_scale neg(-2, 2);
    CHECK(neg.bins() == 5);
    CHECK(neg.code(-2) == 0);
    CHECK(neg.code(2) == 4);
    CHECK(neg.code(-3) == neg.invalid_bin());
    CHECK(neg.code(-2.0) == 0);
    CHECK(neg.code(std::uint64_t{1}) == 3);
    CHECK(neg.expected() == "an integer in -2..2");
}

TEST_CASE("validate: integer_scale refuses low > high and more than 1001 points") {
    CHECK_THROWS_AS(cxkit::core::integer_scale(5, 1), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::integer_scale(0, 1001), cxkit::invalid_argument);  // 1002 points
    CHECK_NOTHROW(cxkit::core::integer_scale(0, 1000));                            // 1001 points
    CHECK_NOTHROW(cxkit::core::integer_scale(7, 7));                               // one point
    CHECK(cxkit::core::integer_scale(7, 7).bins() == 1);
    CHECK_THROWS_WITH_AS(cxkit::core::integer_scale(5, 1),
                         "scale must satisfy low <= high with at most 1001 points, got (5, 1)",
                         cxkit::invalid_argument);
    CHECK(cxkit::core::integer_scale(1, 5) == cxkit::core::integer_scale(1, 5));
    CHECK(cxkit::core::integer_scale(1, 5) != cxkit::core::integer_scale(1, 7));
}

// Regression: `high - low + 1 > max_points` used to be evaluated in std::int64_t and overflowed
// (undefined behaviour) for scales wider than INT64_MAX, which were then accepted with a wrapped
// bin count ((INT64_MIN, INT64_MAX) gave bins() == 0). The same check guards deserialization
// (see test_archive.cpp).
TEST_CASE("validate: integer_scale refuses scales whose width overflows int64") {
    using lim = std::numeric_limits<std::int64_t>;
    CHECK_FALSE(cxkit::core::integer_scale::valid_range(lim::min(), lim::max()));
    CHECK_FALSE(cxkit::core::integer_scale::valid_range(-1, lim::max()));
    CHECK_FALSE(cxkit::core::integer_scale::valid_range(lim::min(), 0));
    CHECK_FALSE(cxkit::core::integer_scale::valid_range(5, 1));
    CHECK_FALSE(cxkit::core::integer_scale::valid_range(0, 1001));
    CHECK(cxkit::core::integer_scale::valid_range(0, 1000));
    CHECK(cxkit::core::integer_scale::valid_range(lim::max() - 1000, lim::max()));
    CHECK(cxkit::core::integer_scale::valid_range(lim::min(), lim::min() + 1000));
    CHECK_THROWS_AS(cxkit::core::integer_scale(lim::min(), lim::max()), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::integer_scale(-1, lim::max()), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::integer_scale(-(std::int64_t{1} << 62), std::int64_t{1} << 62),
                    cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::rating_accumulator(lim::min(), lim::max()), cxkit::invalid_argument);
}

// ------------------------------------------------------------------------------------------------
// Small helpers
// ------------------------------------------------------------------------------------------------

TEST_CASE("validate: parse_on_invalid and to_string") {
    CHECK(cxkit::core::parse_on_invalid("raise") == cxkit::core::on_invalid::raise);
    CHECK(cxkit::core::parse_on_invalid("drop") == cxkit::core::on_invalid::drop);
    CHECK(std::string(cxkit::core::to_string(cxkit::core::on_invalid::raise)) == "raise");
    CHECK(std::string(cxkit::core::to_string(cxkit::core::on_invalid::drop)) == "drop");
    CHECK_THROWS_WITH_AS(cxkit::core::parse_on_invalid("ignore"),
                         "on_invalid must be \"raise\" or \"drop\", got \"ignore\"", cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::parse_on_invalid("Raise"), cxkit::invalid_argument);
}

// Valid weights are 0 or in [1e-150, 1e150], so that w² is representable and Kish's
// n_eff = W²/Σw² never becomes inf/inf or 0/0.
TEST_CASE("validate: valid_weight accepts 0 and numbers in 1e-150 to 1e150 only") {
    CHECK(cxkit::core::valid_weight(0.0));
    CHECK(cxkit::core::valid_weight(-0.0));
    CHECK(cxkit::core::valid_weight(1.5));
    CHECK(cxkit::core::valid_weight(1e150));
    CHECK(cxkit::core::valid_weight(1e-150));
    CHECK_FALSE(cxkit::core::valid_weight(1.0000001e150));
    CHECK_FALSE(cxkit::core::valid_weight(std::numeric_limits<double>::max()));
    CHECK_FALSE(cxkit::core::valid_weight(std::numeric_limits<double>::denorm_min()));
    CHECK_FALSE(cxkit::core::valid_weight(0.9999999e-150));
    CHECK_FALSE(cxkit::core::valid_weight(-1e-300));
    CHECK_FALSE(cxkit::core::valid_weight(-1.0));
    CHECK_FALSE(cxkit::core::valid_weight(nan_v));
    CHECK_FALSE(cxkit::core::valid_weight(inf_v));
    CHECK_FALSE(cxkit::core::valid_weight(-inf_v));
}

TEST_CASE("validate: format_value prints integers exactly and doubles round-trippably") {
    CHECK(cxkit::core::format_value(11) == "11");
    CHECK(cxkit::core::format_value(std::int64_t{-9000000000000000000}) == "-9000000000000000000");
    CHECK(cxkit::core::format_value(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
    CHECK(cxkit::core::format_value(11.0) == "11");
    CHECK(cxkit::core::format_value(2.5) == "2.5");
    CHECK(cxkit::core::format_value(0.1) == "0.10000000000000001");  // %.17g
    CHECK(cxkit::core::format_value(nan_v) == "nan");
    CHECK(cxkit::core::format_value(-inf_v) == "-inf");
    CHECK(cxkit::core::format_value(2.5f) == "2.5");
}

TEST_CASE("validate: check_confidence accepts (0, 1) only") {
    CHECK_NOTHROW(cxkit::core::check_confidence(0.95));
    CHECK_NOTHROW(cxkit::core::check_confidence(1e-9));
    CHECK_THROWS_AS(cxkit::core::check_confidence(0.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::check_confidence(1.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::check_confidence(95.0), cxkit::invalid_argument);
    CHECK_THROWS_AS(cxkit::core::check_confidence(nan_v), cxkit::invalid_argument);
    CHECK_THROWS_WITH_AS(cxkit::core::check_confidence(1.5), "confidence must be strictly between 0 and 1, got 1.5",
                         cxkit::invalid_argument);
}

TEST_CASE("validate: row_code - missing mask first, then NaN, then value, then weight") {
    const cxkit::core::integer_scale s(0, 10);
    const std::vector<double> values = {5, nan_v, 11, 5, 5, nan_v, 12};
    const std::vector<double> weights = {1, 1, 1, -1, nan_v, -1, -1};
    const std::vector<std::uint8_t> missing = {0, 0, 0, 0, 0, 0, 1};
    const cxkit::core::batch<double> in{values.data(), values.size(), weights.data(), missing.data()};
    CHECK(cxkit::core::row_code(in, 0, s) == 5);
    CHECK(cxkit::core::row_code(in, 1, s) == s.missing_bin());
    CHECK(cxkit::core::row_code(in, 2, s) == s.invalid_bin());
    CHECK(cxkit::core::row_code(in, 3, s) == s.invalid_bin());  // negative weight
    CHECK(cxkit::core::row_code(in, 4, s) == s.invalid_bin());  // NaN weight
    CHECK(cxkit::core::row_code(in, 5, s) == s.missing_bin());  // NaN value: missing, weight not looked at
    CHECK(cxkit::core::row_code(in, 6, s) == s.missing_bin());  // masked: missing whatever the value
}

TEST_CASE("validate: throw_invalid_rows names the first bad position, its value, the expectation and the count") {
    const cxkit::core::integer_scale s(0, 10);
    const std::vector<double> values = {3, nan_v, 10.5, 4, -1};
    const cxkit::core::batch<double> in{values.data(), values.size()};
    const std::string msg =
        invalid_input_message([&] { cxkit::core::throw_invalid_rows(in, s, 2, "score"); });
    CHECK(msg ==
          "invalid score at position 2: 10.5 (expected an integer in 0..10); 2 invalid rows in total "
          "(pass on_invalid=\"drop\" to skip and count them)");

    const std::vector<int> ints = {1, 2, 3};
    const std::vector<double> w = {1.0, 1.0, -0.5};
    const cxkit::core::batch<int> wb{ints.data(), ints.size(), w.data()};
    const std::string wmsg =
        invalid_input_message([&] { cxkit::core::throw_invalid_rows(wb, s, 1, "score"); });
    CHECK(contains(wmsg, "invalid weight at position 2: -0.5 (expected 0 or a number in [1e-150, 1e150])"));
    CHECK(contains(wmsg, "; 1 invalid row in total"));
}

// ------------------------------------------------------------------------------------------------
// The policy end to end through the accumulators
// ------------------------------------------------------------------------------------------------

TEST_CASE("validate: raise refuses a batch with out-of-scale and non-integer scores and names the first") {
    cxkit::nps_accumulator acc;
    acc.add(std::vector<int>{9, 10, 2});
    const auto before = acc;
    const std::vector<double> scores = {3, 11, 5, 2.5, nan_v, 7};
    const std::string msg = invalid_input_message([&] { acc.add(scores); });
    CHECK(contains(msg, "position 1"));
    CHECK(contains(msg, ": 11 "));
    CHECK(contains(msg, "expected an integer in 0..10"));
    CHECK(contains(msg, "2 invalid rows"));
    CHECK(acc == before);  // the refused batch left no trace
    CHECK(acc.n() == 3);
    CHECK(acc.n_missing() == 0);
    CHECK(acc.n_invalid() == 0);
}

TEST_CASE("validate: drop skips invalid rows and counts them - n + n_missing + n_invalid == rows") {
    cxkit::nps_accumulator acc;
    const std::vector<double> scores = {3, 11, 5, 2.5, nan_v, 7, -1, 10, nan_v};
    acc.add(scores, cxkit::core::on_invalid::drop);
    const auto r = acc.result();
    CHECK(r.n == 4);          // 3, 5, 7, 10
    CHECK(r.n_missing == 2);  // the NaNs
    CHECK(r.n_invalid == 3);  // 11, 2.5, -1
    CHECK(r.n + r.n_missing + r.n_invalid == scores.size());
    // Only the valid rows count: 1 promoter, 1 passive, 2 detractors.
    CHECK(r.promoters == 1.0);
    CHECK(r.passives == 1.0);
    CHECK(r.detractors == 2.0);
}

TEST_CASE("validate: NaN scores are missing, not invalid, under both policies") {
    cxkit::rating_accumulator acc;
    const std::vector<double> scores = {nan_v, 4, nan_v};
    CHECK_NOTHROW(acc.add(scores));
    CHECK(acc.n() == 1);
    CHECK(acc.n_missing() == 2);
    CHECK(acc.n_invalid() == 0);
    acc.add(nan_v);
    CHECK(acc.n_missing() == 3);
}

TEST_CASE("validate: negative, NaN and infinite weights are invalid rows") {
    const std::vector<int> scores = {9, 9, 9, 9, 0, 5};
    const std::vector<double> weights = {1.0, -1.0, nan_v, inf_v, 0.0, 2.0};

    cxkit::nps_accumulator raised;
    const std::string msg = invalid_input_message([&] { raised.add(scores, weights); });
    CHECK(contains(msg, "invalid weight at position 1: -1 (expected 0 or a number in [1e-150, 1e150])"));
    CHECK(contains(msg, "3 invalid rows"));
    CHECK(raised == cxkit::nps_accumulator{});

    cxkit::nps_accumulator dropped;
    dropped.add(scores, weights, cxkit::core::on_invalid::drop);
    const auto r = dropped.result();
    CHECK(r.n == 3);  // weights 1, 0 and 2: a zero weight is a valid row that contributes nothing
    CHECK(r.n_invalid == 3);
    CHECK(r.n_missing == 0);
    CHECK(r.promoters == 1.0);
    CHECK(r.detractors == 2.0);
    CHECK(r.n + r.n_missing + r.n_invalid == scores.size());
}

TEST_CASE("validate: a NaN score with an invalid weight is missing, not invalid") {
    cxkit::nps_accumulator acc;
    const std::vector<double> scores = {nan_v, 8};
    const std::vector<double> weights = {-5.0, 1.0};
    CHECK_NOTHROW(acc.add(scores, weights));
    CHECK(acc.n_missing() == 1);
    CHECK(acc.n_invalid() == 0);
    cxkit::nps_accumulator one;
    CHECK_NOTHROW(one.add(nan_v, -5.0));
    CHECK(one.n_missing() == 1);
}

TEST_CASE("validate: single-row add follows the same policy") {
    cxkit::nps_accumulator acc;
    CHECK_THROWS_WITH_AS(acc.add(11), "invalid score 11 (expected an integer in 0..10)", cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(acc.add(6.5), "invalid score 6.5 (expected an integer in 0..10)", cxkit::invalid_input);
    CHECK_THROWS_WITH_AS(acc.add(6, -2.0), "invalid weight -2 (expected 0 or a number in [1e-150, 1e150])", cxkit::invalid_input);
    CHECK_THROWS_AS(acc.add(6, nan_v), cxkit::invalid_input);
    CHECK_THROWS_AS(acc.add(6, inf_v), cxkit::invalid_input);
    CHECK(acc == cxkit::nps_accumulator{});

    acc.add(11, 1.0, cxkit::core::on_invalid::drop);
    acc.add(6, -2.0, cxkit::core::on_invalid::drop);
    acc.add(6, 1.0, cxkit::core::on_invalid::drop);
    CHECK(acc.n() == 1);
    CHECK(acc.n_invalid() == 2);
}

TEST_CASE("validate: the missing mask of a batch marks rows missing whatever their value") {
    cxkit::rating_accumulator acc;  // 1..5
    const std::vector<int> scores = {5, 99, 1, 0};
    const std::vector<std::uint8_t> mask = {0, 1, 0, 1};
    acc.add(cxkit::core::batch<int>{scores.data(), scores.size(), nullptr, mask.data()});
    CHECK(acc.n() == 2);
    CHECK(acc.n_missing() == 2);
    CHECK(acc.n_invalid() == 0);
}

TEST_CASE("validate: rating scores must be integers on the scale") {
    cxkit::rating_accumulator acc(1, 5);
    const std::vector<double> scores = {1, 5, 0, 6, 3.5, nan_v};
    const std::string msg = invalid_input_message([&] { acc.add(scores); });
    CHECK(contains(msg, "invalid score at position 2: 0 (expected an integer in 1..5)"));
    CHECK(contains(msg, "3 invalid rows"));
    acc.add(scores, cxkit::core::on_invalid::drop);
    CHECK(acc.n() == 2);
    CHECK(acc.n_invalid() == 3);
    CHECK(acc.n_missing() == 1);
}

TEST_CASE("validate: mismatched score and weight lengths are an invalid_argument naming both") {
    cxkit::nps_accumulator acc;
    const std::vector<int> scores = {1, 2, 3};
    const std::vector<double> weights = {1.0, 1.0};
    CHECK_THROWS_WITH_AS(acc.add(scores, weights), "weights has 2 values but scores has 3", cxkit::invalid_argument);
    CHECK(acc == cxkit::nps_accumulator{});
    // ...catchable as cxkit::error and as std::invalid_argument too.
    CHECK_THROWS_AS(acc.add(scores, weights), cxkit::error);
    CHECK_THROWS_AS(acc.add(scores, weights), std::invalid_argument);
}

TEST_CASE("validate: every policy error is catchable as cxkit::error and as its std base") {
    cxkit::nps_accumulator acc;
    const std::vector<int> bad = {12};
    CHECK_THROWS_AS(acc.add(bad), cxkit::error);
    CHECK_THROWS_AS(acc.add(bad), std::invalid_argument);
    CHECK_THROWS_AS(acc.add(bad), std::exception);
    cxkit::rating_accumulator a(1, 5), b(1, 7);
    CHECK_THROWS_AS(a += b, cxkit::error);
    CHECK_THROWS_AS(a += b, std::invalid_argument);
}
