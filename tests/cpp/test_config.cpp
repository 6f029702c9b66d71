// Tests of <cxkit/config.hpp>: the inline versioned namespace and the shared macros.
#include <cxkit/config.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>

// A probe declared through the namespace macros: it must land in cxkit::v1 and be reachable as
// cxkit::name because v1 is an inline namespace.
CXKIT_NAMESPACE_BEGIN
namespace config_probe {
struct tag {};
inline int answer() { return 42; }
}  // namespace config_probe
CXKIT_NAMESPACE_END

namespace {
int throw_through_macro(const std::string& message) {
    CXKIT_THROW(std::runtime_error, message);
}

int count_likely(int x) {
    int hits = 0;
    if (CXKIT_LIKELY(x > 0)) ++hits;
    if (CXKIT_UNLIKELY(x < 0)) ++hits;
    return hits;
}

int sum_restrict(const int* CXKIT_RESTRICT a, const int* CXKIT_RESTRICT b) { return *a + *b; }
}  // namespace

TEST_CASE("config: CXKIT_NAMESPACE_BEGIN opens the inline namespace cxkit::v1") {
    CHECK(std::is_same<cxkit::config_probe::tag, cxkit::v1::config_probe::tag>::value);
    CHECK(cxkit::config_probe::answer() == 42);
    CHECK(cxkit::v1::config_probe::answer() == 42);
}

TEST_CASE("config: CXKIT_THROW throws the given type with the given message") {
    CHECK_THROWS_AS(throw_through_macro("boom"), std::runtime_error);
    CHECK_THROWS_WITH(throw_through_macro("boom"), "boom");
}

TEST_CASE("config: CXKIT_LIKELY and CXKIT_UNLIKELY keep the truth value of their argument") {
    CHECK(count_likely(5) == 1);
    CHECK(count_likely(-5) == 1);
    CHECK(count_likely(0) == 0);
    // !!(x) semantics: a non-bool non-zero value is true.
    CHECK(CXKIT_LIKELY(7));
    CHECK_FALSE(CXKIT_UNLIKELY(0));
}

TEST_CASE("config: CXKIT_RESTRICT and CXKIT_ASSERT compile in expressions") {
    const int a = 2, b = 3;
    CHECK(sum_restrict(&a, &b) == 5);
    int evaluated = 0;
    CXKIT_ASSERT(true);
#ifdef NDEBUG
    // Compiled out like assert(): the argument is not evaluated.
    CXKIT_ASSERT(++evaluated > 0);
    CHECK(evaluated == 0);
#else
    CXKIT_ASSERT(++evaluated > 0);
    CHECK(evaluated == 1);
#endif
}

TEST_CASE("config: config.hpp brings in the version macros") {
#ifndef CXKIT_VERSION_MAJOR
    FAIL("config.hpp must include version.hpp");
#endif
    CHECK(CXKIT_VERSION >= 0);
}
