/**
 * @file config.hpp
 * @brief Namespace and assertion macros shared by every cxkit header.
 *
 * All public names live in `cxkit::v1` (an inline namespace), so a future incompatible ABI can
 * move to `v2` while `cxkit::name` keeps working in source.
 */
#ifndef CXKIT_CONFIG_HPP
#define CXKIT_CONFIG_HPP

#include <cassert>

#include "cxkit/version.hpp"

#define CXKIT_NAMESPACE_BEGIN                                                                  \
    namespace cxkit {                                                                          \
    inline namespace v1 {
#define CXKIT_NAMESPACE_END                                                                    \
    }                                                                                          \
    }

/// Throw an exception of type `ExType` built from `message` (kept as a macro so a build without
/// exceptions can redirect it in one place).
#define CXKIT_THROW(ExType, message) throw ExType(message)

/// Internal invariant check; compiled out with NDEBUG like `assert`.
#define CXKIT_ASSERT(condition) assert(condition)

#if defined(__GNUC__) || defined(__clang__)
#define CXKIT_LIKELY(x) __builtin_expect(!!(x), 1)
#define CXKIT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CXKIT_RESTRICT __restrict__
#else
#define CXKIT_LIKELY(x) (x)
#define CXKIT_UNLIKELY(x) (x)
#define CXKIT_RESTRICT
#endif

#endif  // CXKIT_CONFIG_HPP
