// Tests of <cxkit/error.hpp>: every cxkit exception is catchable as cxkit::error, as its std base
// and as std::exception, and carries a stable id().
#include <cxkit/error.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <type_traits>

namespace {

// Throws E and reports how it was caught through each handler type.
template <class E, class StdBase>
void check_catchable(const char* expected_id) {
    const std::string message = std::string("message of ") + expected_id;

    bool as_cxkit = false;
    try {
        throw E(message);
    } catch (const cxkit::error& e) {
        as_cxkit = true;
        CHECK(std::string(e.id()) == expected_id);
    }
    CHECK(as_cxkit);

    bool as_base = false;
    try {
        throw E(message);
    } catch (const StdBase& e) {
        as_base = true;
        CHECK(std::string(e.what()) == message);
    }
    CHECK(as_base);

    bool as_std = false;
    try {
        throw E(message);
    } catch (const std::exception& e) {
        as_std = true;
        CHECK(std::string(e.what()) == message);
        // Cross-cast from the std side to the cxkit side works (both are polymorphic bases).
        const auto* ce = dynamic_cast<const cxkit::error*>(&e);
        REQUIRE(ce != nullptr);
        CHECK(std::string(ce->id()) == expected_id);
    }
    CHECK(as_std);

    static_assert(std::is_base_of<cxkit::error, E>::value, "derives from cxkit::error");
    static_assert(std::is_base_of<StdBase, E>::value, "derives from its std base");
    static_assert(std::is_copy_constructible<E>::value, "exceptions are copyable");
    static_assert(!std::is_convertible<std::string, E>::value, "the message constructor is explicit");

    // A copy keeps message and id.
    const E original(message);
    const E copy(original);  // NOLINT(performance-unnecessary-copy-initialization)
    CHECK(std::string(copy.what()) == message);
    CHECK(std::string(copy.id()) == expected_id);
}

}  // namespace

TEST_CASE("error: invalid_input is a std::invalid_argument") {
    check_catchable<cxkit::invalid_input, std::invalid_argument>("invalid_input");
}

TEST_CASE("error: invalid_argument is a std::invalid_argument") {
    check_catchable<cxkit::invalid_argument, std::invalid_argument>("invalid_argument");
}

TEST_CASE("error: corrupt_state is a std::invalid_argument") {
    check_catchable<cxkit::corrupt_state, std::invalid_argument>("corrupt_state");
}

TEST_CASE("error: unsupported_type is a std::invalid_argument") {
    check_catchable<cxkit::unsupported_type, std::invalid_argument>("unsupported_type");
}

TEST_CASE("error: out_of_range is a std::out_of_range") {
    check_catchable<cxkit::out_of_range, std::out_of_range>("out_of_range");
    static_assert(std::is_base_of<std::logic_error, cxkit::out_of_range>::value, "out_of_range is a logic_error");
}

TEST_CASE("error: numerical_error is a std::runtime_error") {
    check_catchable<cxkit::numerical_error, std::runtime_error>("numerical_error");
}

TEST_CASE("error: the cxkit::error base is abstract and not constructible on its own") {
    static_assert(std::is_abstract<cxkit::error>::value, "error::id() is pure virtual");
    static_assert(std::has_virtual_destructor<cxkit::error>::value, "deleting through error* is safe");
    // The six types are distinct: a handler for one does not catch another.
    bool caught_wrong = false, caught_right = false;
    try {
        throw cxkit::corrupt_state("x");
    } catch (const cxkit::invalid_input&) {
        caught_wrong = true;
    } catch (const cxkit::corrupt_state&) {
        caught_right = true;
    }
    CHECK_FALSE(caught_wrong);
    CHECK(caught_right);
}

TEST_CASE("error: the id is dispatched virtually through a cxkit::error reference") {
    const cxkit::out_of_range oor("index 7");
    const cxkit::numerical_error num("singular");
    const cxkit::error& a = oor;
    const cxkit::error& b = num;
    CHECK(std::string(a.id()) == "out_of_range");
    CHECK(std::string(b.id()) == "numerical_error");
}
