// Tests of <cxkit/version.hpp>: the single version source.
#include <cxkit/version.hpp>

#include <doctest/doctest.h>

#include <string>

TEST_CASE("version: the three components are non-negative integers of sensible size") {
    static_assert(CXKIT_VERSION_MAJOR >= 0 && CXKIT_VERSION_MINOR >= 0 && CXKIT_VERSION_PATCH >= 0,
                  "version components are non-negative");
    // CXKIT_VERSION packs MINOR and PATCH in two decimal digits each.
    CHECK(CXKIT_VERSION_MINOR < 100);
    CHECK(CXKIT_VERSION_PATCH < 100);
}

TEST_CASE("version: CXKIT_VERSION_STRING is MAJOR.MINOR.PATCH") {
    const std::string expected = std::to_string(CXKIT_VERSION_MAJOR) + "." + std::to_string(CXKIT_VERSION_MINOR) +
                                 "." + std::to_string(CXKIT_VERSION_PATCH);
    CHECK(std::string(CXKIT_VERSION_STRING) == expected);
    // A string literal, usable at compile time.
    static_assert(sizeof(CXKIT_VERSION_STRING) >= 6, "at least \"0.0.0\"");
}

TEST_CASE("version: CXKIT_VERSION packs MAJOR, MINOR, PATCH as MMmmpp and orders versions") {
    constexpr int packed = CXKIT_VERSION;
    CHECK(packed == CXKIT_VERSION_MAJOR * 10000 + CXKIT_VERSION_MINOR * 100 + CXKIT_VERSION_PATCH);
    CHECK(packed / 10000 == CXKIT_VERSION_MAJOR);
    CHECK(packed / 100 % 100 == CXKIT_VERSION_MINOR);
    CHECK(packed % 100 == CXKIT_VERSION_PATCH);
}
