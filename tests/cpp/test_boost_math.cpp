// Tests for include/cxkit/stats/boost_math.hpp: included before Boost.Math, it selects Boost's
// function-local static tables; the distributions give the same values as scipy either way.
#include "cxkit/stats/boost_math.hpp"  // first, as cxkit's own headers include it

#include <boost/math/distributions/students_t.hpp>
#include <boost/math/special_functions/factorials.hpp>
#include <doctest/doctest.h>

#include "cxkit/stats/distributions.hpp"

// Included first, it must have selected the static table layout (a compile-time fact).
#if defined(BOOST_MATH_HAVE_CONSTEXPR_TABLES)
#error "cxkit/stats/boost_math.hpp did not select Boost.Math's static table layout"
#endif

TEST_CASE("boost_math: tables and distributions keep their values") {
    CHECK(boost::math::unchecked_factorial<double>(10) == 3628800.0);
    CHECK(boost::math::unchecked_factorial<double>(20) == 2432902008176640000.0);
    // scipy.stats: 2 * t.sf(2, 10), 2 * t.sf(1.3, 123.4), t.ppf(0.975, 57.5)
    CHECK(cxkit::stats::two_sided_p_t(2.0, 10.0) == doctest::Approx(0.07338803477074037).epsilon(1e-14));
    CHECK(cxkit::stats::two_sided_p_t(-1.3, 123.4) == doctest::Approx(0.19602397691336937).epsilon(1e-14));
    CHECK(boost::math::quantile(cxkit::stats::students_t_dist(57.5), 0.975) ==
          doctest::Approx(2.0020881519795077).epsilon(1e-14));
}
