// Tests of the umbrella header <cxkit/cxkit.hpp>: the API.md minimal example, and the names
// re-exported at cxkit:: level.
#include <cxkit/cxkit.hpp>

#include <doctest/doctest.h>

#include <cstdio>
#include <type_traits>

namespace {
// The API.md example, verbatim apart from the final check; prints the score and returns 0 on success.
int api_md_example() {
    cxkit::nps_accumulator a, b;
    a.add(10); a.add(9); a.add(3, /*weight=*/2.0);
    b.add(7);
    a += b;
    auto bytes = a.serialize();
    auto c = cxkit::nps_accumulator::deserialize(bytes.data(), bytes.size());
    double score = c.result().nps;   // (2 - 2) / 5 * 100 = 0
    std::printf("API.md example: nps = %g\n", score);
    return score == 0.0 ? 0 : 1;
}
}  // namespace

TEST_CASE("cxkit: the API.md example prints 0 and returns 0") { CHECK(api_md_example() == 0); }

TEST_CASE("cxkit: the most used names are re-exported at cxkit:: level") {
    static_assert(std::is_same<cxkit::nps_accumulator, cxkit::survey::nps_accumulator>::value, "");
    static_assert(std::is_same<cxkit::nps_result, cxkit::survey::nps_result>::value, "");
    static_assert(std::is_same<cxkit::nps_options, cxkit::survey::nps_options>::value, "");
    static_assert(std::is_same<cxkit::nps_method, cxkit::survey::nps_method>::value, "");
    static_assert(std::is_same<cxkit::rating_accumulator, cxkit::survey::rating_accumulator>::value, "");
    static_assert(std::is_same<cxkit::rating_result, cxkit::survey::rating_result>::value, "");
    static_assert(std::is_same<cxkit::rating_options, cxkit::survey::rating_options>::value, "");
    static_assert(std::is_same<cxkit::span<const int>, cxkit::core::span<const int>>::value, "");
    static_assert(std::is_same<cxkit::nps_accumulator, cxkit::v1::survey::nps_accumulator>::value, "");
    CHECK(true);
}

TEST_CASE("cxkit: states are regular value types") {
    // ARCHITECTURE.md §3: default-constructible, copyable, ==, no virtual functions.
    static_assert(std::is_default_constructible<cxkit::nps_accumulator>::value, "");
    static_assert(std::is_copy_constructible<cxkit::nps_accumulator>::value, "");
    static_assert(std::is_copy_assignable<cxkit::nps_accumulator>::value, "");
    static_assert(std::is_nothrow_move_constructible<cxkit::nps_accumulator>::value, "");
    static_assert(!std::is_polymorphic<cxkit::nps_accumulator>::value, "");
    static_assert(std::is_default_constructible<cxkit::rating_accumulator>::value, "");
    static_assert(!std::is_polymorphic<cxkit::rating_accumulator>::value, "");
    cxkit::nps_accumulator a;
    a.add(9);
    cxkit::nps_accumulator b = a;
    CHECK(a == b);
    b.add(1);
    CHECK(a != b);
    a = b;
    CHECK(a == b);
}

TEST_CASE("cxkit: one call per concept through the umbrella header") {
    const std::vector<int> scores = {10, 9, 6};
    CHECK(cxkit::nps(cxkit::span<const int>(scores)).nps == doctest::Approx(100.0 / 3.0));
    CHECK(cxkit::csat(cxkit::span<const int>(std::vector<int>{5, 1})).csat == 50.0);
    CHECK(cxkit::ces(cxkit::span<const int>(std::vector<int>{7, 1})).csat == 50.0);
    CHECK(cxkit::stats::adjust_pvalues(std::vector<double>{0.01, 0.02}, cxkit::stats::adjust_method::bonferroni)[1] ==
          doctest::Approx(0.04));
    CHECK(cxkit::stats::z_critical(0.95) == doctest::Approx(1.959963984540054));
}
