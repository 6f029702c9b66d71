/**
 * @file cxkit.hpp
 * @brief Umbrella header: everything public in cxkit.
 */
#ifndef CXKIT_CXKIT_HPP
#define CXKIT_CXKIT_HPP

#include "cxkit/config.hpp"
#include "cxkit/error.hpp"
#include "cxkit/version.hpp"

#include "cxkit/core/archive.hpp"
#include "cxkit/core/groupby.hpp"
#include "cxkit/core/histogram.hpp"
#include "cxkit/core/matrix.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/segments.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/time.hpp"
#include "cxkit/core/validate.hpp"

#include "cxkit/stats/adjust.hpp"
#include "cxkit/stats/bootstrap.hpp"
#include "cxkit/stats/comparison.hpp"
#include "cxkit/stats/distributions.hpp"
#include "cxkit/stats/intervals.hpp"
#include "cxkit/stats/mann_kendall.hpp"
#include "cxkit/stats/rate_ratio.hpp"
#include "cxkit/stats/welch.hpp"

#include "cxkit/customer/clv.hpp"
#include "cxkit/customer/survival.hpp"
#include "cxkit/survey/csi.hpp"
#include "cxkit/survey/dsr.hpp"
#include "cxkit/customer/cohort.hpp"
#include "cxkit/customer/rfm.hpp"
#include "cxkit/customer/clv_summary.hpp"
#include "cxkit/customer/transactions.hpp"
#include "cxkit/survey/nps.hpp"
#include "cxkit/survey/rating.hpp"

#include "cxkit/feedback/control_chart.hpp"
#include "cxkit/feedback/pareto.hpp"
#include "cxkit/feedback/target.hpp"
#include "cxkit/product/drivers.hpp"
#include "cxkit/product/kano.hpp"
#include "cxkit/product/prioritize.hpp"

#endif  // CXKIT_CXKIT_HPP
