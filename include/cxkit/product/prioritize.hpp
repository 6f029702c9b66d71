/**
 * @file prioritize.hpp
 * @brief (placeholder: being written for issue 4)
 */
#ifndef CXKIT_PRODUCT_PRIORITIZE_HPP
#define CXKIT_PRODUCT_PRIORITIZE_HPP

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace product {}
CXKIT_NAMESPACE_END

#endif  // CXKIT_PRODUCT_PRIORITIZE_HPP
