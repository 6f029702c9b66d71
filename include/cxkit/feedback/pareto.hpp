/**
 * @file pareto.hpp
 * @brief Pareto table of complaint categories (METRICS.md §2, "Pareto"), optionally per period.
 *
 * Categories arrive as dense integer codes (the Python layer factorizes labels with the codes in
 * label order, so "ties by name" is "ties by code"). One pass counts rows and weights per
 * (period, category); then, per period, the categories seen anywhere in the data are sorted by
 * (weighted) count descending, ties by code, and get
 *   share = count / total,  cumulative_share = running count / total,
 *   vital_few = the shortest prefix whose cumulative share >= threshold (Juran's "vital few";
 *   0.8 is the 80/20 rule).
 * The running total is accumulated in table order and the last cumulative share is exactly 1.
 * A period table lists every category (with count 0 where it had no rows) so a category's share
 * can be followed across periods; a period whose total is 0 has NaN shares and no vital few.
 */
#ifndef CXKIT_FEEDBACK_PARETO_HPP
#define CXKIT_FEEDBACK_PARETO_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace feedback {

/// Options of pareto().
struct pareto_options {
    double threshold = 0.8;  ///< cumulative share the vital few reach, 0 < threshold <= 1

    /// @throws invalid_argument unless 0 < threshold <= 1.
    void validate() const {
        if (!(threshold > 0.0 && threshold <= 1.0))
            CXKIT_THROW(invalid_argument, "threshold must be in (0, 1], got " + core::format_value(threshold));
    }
};

/// A Pareto table, one row per (period, category), periods in code order, rows sorted within a
/// period. Without periods every row has period 0.
struct pareto_table {
    std::vector<std::uint32_t> period;        ///< period code of the row
    std::vector<std::uint32_t> category;      ///< category code of the row
    std::vector<double> count;                ///< weighted count (rows when unweighted)
    std::vector<std::uint64_t> rows;          ///< rows counted
    std::vector<double> share;                ///< count / period total
    std::vector<double> cumulative_share;     ///< running count / period total
    std::vector<std::uint8_t> vital_few;      ///< 1 for the shortest prefix reaching the threshold
    std::uint64_t n = 0;                      ///< rows used
    std::uint64_t n_missing = 0;              ///< rows with a missing category or period
    std::uint64_t n_invalid = 0;              ///< rows with an invalid weight
};

/// Codes of one key column: value − offset is the code; a negative code is missing.
template <class C>
struct coded_column {
    const C* codes = nullptr;
    std::int64_t offset = 0;
    std::size_t levels = 0;  ///< codes are < levels
};

namespace detail {

template <class C>
inline std::int64_t code_at(const coded_column<C>& c, std::size_t i) noexcept {
    return static_cast<std::int64_t>(c.codes[i]) - c.offset;
}

/// The per-period sorted table from the (period × category) counts.
inline pareto_table build_table(const std::vector<double>& counts, const std::vector<std::uint64_t>& rows,
                                std::size_t n_periods, std::size_t n_categories, double threshold) {
    pareto_table t;
    std::vector<std::uint32_t> seen;
    for (std::size_t c = 0; c < n_categories; ++c) {
        bool any = false;
        for (std::size_t p = 0; p < n_periods && !any; ++p) any = rows[p * n_categories + c] != 0;
        if (any) seen.push_back(static_cast<std::uint32_t>(c));
    }
    const std::size_t size = seen.size() * n_periods;
    t.period.reserve(size);
    t.category.reserve(size);
    t.count.reserve(size);
    t.rows.reserve(size);
    t.share.reserve(size);
    t.cumulative_share.reserve(size);
    t.vital_few.reserve(size);
    std::vector<std::uint32_t> order(seen);
    for (std::size_t p = 0; p < n_periods; ++p) {
        const double* cp = counts.data() + p * n_categories;
        order = seen;
        std::stable_sort(order.begin(), order.end(), [cp](std::uint32_t a, std::uint32_t b) { return cp[a] > cp[b]; });
        double total = 0.0;
        for (std::uint32_t c : order) total += cp[c];
        double running = 0.0;
        bool reached = false;
        for (std::size_t k = 0; k < order.size(); ++k) {
            const std::uint32_t c = order[k];
            running += cp[c];
            // The last row divides the total by itself: exactly 1.
            const double cum = total > 0.0 ? (k + 1 == order.size() ? 1.0 : running / total)
                                            : std::numeric_limits<double>::quiet_NaN();
            t.period.push_back(static_cast<std::uint32_t>(p));
            t.category.push_back(c);
            t.count.push_back(cp[c]);
            t.rows.push_back(rows[p * n_categories + c]);
            t.share.push_back(total > 0.0 ? cp[c] / total : std::numeric_limits<double>::quiet_NaN());
            t.cumulative_share.push_back(cum);
            t.vital_few.push_back(total > 0.0 && !reached ? 1 : 0);
            if (total > 0.0 && cum >= threshold) reached = true;
        }
    }
    return t;
}

}  // namespace detail

/**
 * Pareto table of category codes, optionally weighted and per period.
 * @param categories  category codes (value − offset; negative = missing), `levels` categories.
 * @param periods     period codes (codes == nullptr: one period), `levels` periods.
 * @param weights     case weights (nullptr: unweighted); a weight that is not valid
 *                    (core::valid_weight: NaN, negative, out of [1e-150, 1e150] unless 0) is an
 *                    invalid row, raised or dropped per `policy`.
 * Rows with a missing category or period are skipped and counted in n_missing.
 * @throws out_of_range for a code >= levels; invalid_input per policy; invalid_argument for a bad
 *         threshold or a table of more than 2^26 (period × category) cells.
 */
template <class C, class P>
pareto_table pareto(const coded_column<C>& categories, const coded_column<P>& periods, std::size_t size,
                    const double* weights, const pareto_options& options = {},
                    core::on_invalid policy = core::on_invalid::raise) {
    options.validate();
    const std::size_t n_cat = categories.levels;
    const std::size_t n_per = periods.codes ? periods.levels : 1;
    if (n_per != 0 && n_cat > (std::size_t{1} << 26) / n_per)
        CXKIT_THROW(invalid_argument, "pareto: " + std::to_string(n_per) + " periods x " + std::to_string(n_cat) +
                                          " categories is more than 2^26 table cells");
    std::vector<double> counts(n_per * n_cat, 0.0);
    std::vector<std::uint64_t> rows(n_per * n_cat, 0);
    pareto_table out;
    std::uint64_t missing = 0, invalid = 0;
    std::size_t first_invalid = size;
    for (std::size_t i = 0; i < size; ++i) {
        const std::int64_t c = detail::code_at(categories, i);
        const std::int64_t p = periods.codes ? detail::code_at(periods, i) : 0;
        if (c < 0 || p < 0) {
            ++missing;
            continue;
        }
        if (static_cast<std::uint64_t>(c) >= n_cat || static_cast<std::uint64_t>(p) >= n_per)
            CXKIT_THROW(out_of_range, std::string(static_cast<std::uint64_t>(c) >= n_cat ? "category" : "period") +
                                          " code out of range at position " + std::to_string(i));
        const std::size_t cell = static_cast<std::size_t>(p) * n_cat + static_cast<std::size_t>(c);
        if (weights) {
            const double w = weights[i];
            if (!core::valid_weight(w)) {
                if (invalid++ == 0) first_invalid = i;
                continue;
            }
            counts[cell] += w;
        } else {
            counts[cell] += 1.0;
        }
        ++rows[cell];
    }
    if (invalid != 0 && policy == core::on_invalid::raise)
        CXKIT_THROW(invalid_input, "invalid weight at position " + std::to_string(first_invalid) + ": " +
                                       core::format_value(weights[first_invalid]) + " (expected " +
                                       core::expected_weight() + "); " + std::to_string(invalid) + " invalid row" +
                                       (invalid == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    out = detail::build_table(counts, rows, n_per, n_cat, options.threshold);
    out.n = size - missing - invalid;
    out.n_missing = missing;
    out.n_invalid = invalid;
    return out;
}

/**
 * Pareto table of category codes 0..levels−1 (negative = missing), unweighted or weighted
 * (empty `weights`), one period.
 * @code
 * std::vector<int> codes{0, 1, 1, 2, 1, 0};
 * auto t = cxkit::pareto(cxkit::span<const int>(codes), 3);   // t.category == {1, 0, 2}
 * @endcode
 * @throws invalid_argument if the weights' length differs from the codes'.
 */
template <class C>
pareto_table pareto(core::span<const C> categories, std::size_t levels, core::span<const double> weights = {},
                    const pareto_options& options = {}, core::on_invalid policy = core::on_invalid::raise) {
    static_assert(std::is_integral<C>::value, "category codes must be integers");
    if (!weights.empty() && weights.size() != categories.size())
        CXKIT_THROW(invalid_argument, "weights has " + std::to_string(weights.size()) + " values but the data has " +
                                          std::to_string(categories.size()));
    coded_column<C> cat{categories.data(), 0, levels};
    coded_column<std::int32_t> none{};
    return pareto(cat, none, categories.size(), weights.empty() ? nullptr : weights.data(), options, policy);
}

}  // namespace feedback

using feedback::pareto;
using feedback::pareto_options;
using feedback::pareto_table;
CXKIT_NAMESPACE_END

#endif  // CXKIT_FEEDBACK_PARETO_HPP
