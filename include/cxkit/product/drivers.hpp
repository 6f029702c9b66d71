/**
 * @file drivers.hpp
 * @brief (placeholder: being written for issue 4)
 */
#ifndef CXKIT_PRODUCT_DRIVERS_HPP
#define CXKIT_PRODUCT_DRIVERS_HPP

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace product {}
CXKIT_NAMESPACE_END

#endif  // CXKIT_PRODUCT_DRIVERS_HPP
