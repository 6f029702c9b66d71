// Tests of <cxkit/core/span.hpp>: the non-owning pointer + length view.
#include <cxkit/core/span.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <numeric>
#include <type_traits>
#include <vector>

namespace {
// A function taking the view the way cxkit's batch functions do.
double sum_view(cxkit::span<const double> v) {
    double s = 0.0;
    for (double x : v) s += x;
    return s;
}
}  // namespace

TEST_CASE("span: default-constructed view is empty") {
    const cxkit::core::span<const int> s;
    CHECK(s.empty());
    CHECK(s.size() == 0);
    CHECK(s.data() == nullptr);
    CHECK(s.begin() == s.end());
}

TEST_CASE("span: pointer + length view exposes the elements without copying") {
    int raw[5] = {1, 2, 3, 4, 5};
    const cxkit::span<int> s(raw, 5);
    CHECK(s.data() == raw);
    CHECK(s.size() == 5);
    CHECK_FALSE(s.empty());
    CHECK(s[0] == 1);
    CHECK(s[4] == 5);
    s[2] = 30;  // a view of mutable elements writes through
    CHECK(raw[2] == 30);
    CHECK(std::accumulate(s.begin(), s.end(), 0) == 1 + 2 + 30 + 4 + 5);
    CHECK(s.end() - s.begin() == 5);
}

TEST_CASE("span: implicit construction from std::vector, const std::vector and std::array") {
    std::vector<double> v = {0.5, 1.5, 2.0};
    const std::vector<double> cv = {1.0, 2.0};
    std::array<double, 4> a = {1.0, 1.0, 1.0, 1.0};
    CHECK(sum_view(v) == 4.0);
    CHECK(sum_view(cv) == 3.0);
    CHECK(sum_view(a) == 4.0);

    const cxkit::span<const double> view = v;
    CHECK(view.data() == v.data());
    CHECK(view.size() == v.size());
    const cxkit::span<double> mutable_view = v;
    mutable_view[0] = 8.0;
    CHECK(v[0] == 8.0);
}

TEST_CASE("span: conversions that would change the element type are not offered") {
    static_assert(std::is_constructible<cxkit::span<const int>, std::vector<int>&>::value, "vector<int>");
    static_assert(std::is_constructible<cxkit::span<const int>, const std::vector<int>&>::value, "const vector<int>");
    static_assert(!std::is_constructible<cxkit::span<const int>, std::vector<double>&>::value,
                  "no span<const int> over doubles");
    static_assert(!std::is_constructible<cxkit::span<int>, const std::vector<int>&>::value,
                  "no mutable view of a const container");
    static_assert(!std::is_constructible<cxkit::span<const std::int32_t>, std::vector<std::int64_t>&>::value,
                  "no narrowing view");
    static_assert(std::is_same<cxkit::span<const int>::value_type, int>::value, "value_type drops const");
    static_assert(std::is_trivially_copyable<cxkit::span<const int>>::value, "a view is cheap to pass by value");
    CHECK(true);
}

TEST_CASE("span: subspan views offset..offset+count-1") {
    const std::vector<int> v = {10, 11, 12, 13, 14, 15};
    const cxkit::span<const int> s = v;
    const auto mid = s.subspan(2, 3);
    CHECK(mid.size() == 3);
    CHECK(mid.data() == v.data() + 2);
    CHECK(mid[0] == 12);
    CHECK(mid[2] == 14);
    const auto tail_empty = s.subspan(6, 0);
    CHECK(tail_empty.empty());
}

TEST_CASE("span: usable in constant expressions") {
    static constexpr int data[3] = {4, 5, 6};
    constexpr cxkit::span<const int> s(data, 3);
    static_assert(s.size() == 3, "constexpr size");
    static_assert(s[1] == 5, "constexpr element access");
    static_assert(s.subspan(1, 2)[1] == 6, "constexpr subspan");
    CHECK(s.size() == 3);
}
