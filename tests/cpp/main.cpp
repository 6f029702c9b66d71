// The one shared main of the cxkit doctest suite (ARCHITECTURE.md §3): every tests/cpp/test_*.cpp
// is compiled into the same executable, `cxkit_tests`. CTest runs it once per TEST_CASE
// (doctest_discover_tests, test names `cpp/<TEST_CASE name>`).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
