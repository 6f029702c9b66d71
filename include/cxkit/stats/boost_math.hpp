/**
 * @file boost_math.hpp
 * @brief Boost.Math configuration cxkit needs; include it before any Boost.Math header.
 *
 * Boost.Math (1.7x) keeps its factorial and Bernoulli tables as non-static `constexpr` arrays
 * inside constexpr functions. GCC 12 copies such an array to the stack on every call: 2.7 KB for
 * `unchecked_factorial<long double>`, which the incomplete beta's small-b series (BGRAT, behind
 * every Student-t tail and quantile) calls O(n²) times per evaluation. Boost's own pre-C++14
 * layout (function-local `static const` tables) gives the same values without the copy:
 * Student-t tails 1.6x and quantiles 1.8x faster, bit-identical. This header selects that layout.
 *
 * It only acts when it comes before Boost.Math's headers (otherwise Boost's layout stays, which
 * is merely slower). The tables then cannot be read in constant expressions; a program that
 * needs that defines CXKIT_KEEP_BOOST_MATH_CONSTEXPR_TABLES. Translation units that include
 * Boost.Math before cxkit keep the constexpr layout; both layouts hold the same values.
 */
#ifndef CXKIT_STATS_BOOST_MATH_HPP
#define CXKIT_STATS_BOOST_MATH_HPP

#include <boost/math/tools/config.hpp>

// Only before math_fwd.hpp (which declares the table functions) and the tables themselves: a
// declaration and a definition that differ in constexpr would not compile.
#if defined(BOOST_MATH_HAVE_CONSTEXPR_TABLES) && !defined(CXKIT_KEEP_BOOST_MATH_CONSTEXPR_TABLES) &&   \
    !defined(BOOST_MATH_SPECIAL_MATH_FWD_HPP) && !defined(BOOST_MATH_SP_UC_FACTORIALS_HPP) && \
    !defined(BOOST_MATH_UNCHECKED_BERNOULLI_HPP) && !defined(BOOST_MATH_SF_PRIME_HPP)
#undef BOOST_MATH_HAVE_CONSTEXPR_TABLES
#undef BOOST_MATH_CONSTEXPR_TABLE_FUNCTION
#define BOOST_MATH_CONSTEXPR_TABLE_FUNCTION
#endif

#endif  // CXKIT_STATS_BOOST_MATH_HPP
