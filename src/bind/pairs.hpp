// Comparisons between chosen pairs of the groups a grouped kernel filled (e.g. each (segment,
// period) with the same segment's previous period, or with its baseline period): any metric
// whose groups object has a summary per state and a two-sample test plugs in.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include <cxkit/core/histogram.hpp>
#include <cxkit/error.hpp>
#include <cxkit/stats/comparison.hpp>

#include "results.hpp"

namespace cxkit_py {
namespace py = pybind11;

/**
 * Columns (results_to_columns of comparison_result) of `compare(summary(groups[a[i]]),
 * summary(groups[b[i]]))` for every i. An index -1 stands for "no such group": it is compared as
 * the empty state, which gives NaN estimates (e.g. the first period has no previous one).
 * `summary` (state -> what the test needs, e.g. an nps_sample or a rating_result) runs once per
 * group, not once per pair; the loop runs without the GIL.
 * @throws out_of_range for an index outside -1..n_groups-1; invalid_argument for bad arrays.
 */
template <class State, class Summary, class Compare>
py::dict compare_pairs(const cxkit::core::grouped_states<State>& g, py::handle a_idx, py::handle b_idx,
                       Summary summary, Compare compare) {
    using index_array = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
    const index_array a = index_array::ensure(a_idx), b = index_array::ensure(b_idx);
    if (!a || !b || a.ndim() != 1 || b.ndim() != 1 || a.size() != b.size())
        throw cxkit::invalid_argument("compare_pairs: a and b must be 1-D integer arrays of the same length");
    const auto n_groups = static_cast<std::int64_t>(g.groups.size());
    const auto n = static_cast<std::size_t>(a.size());
    for (const index_array* side : {&a, &b})
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t v = side->data()[i];
            if (v < -1 || v >= n_groups)
                throw cxkit::out_of_range("compare_pairs: group index " + std::to_string(v) + " at position " +
                                          std::to_string(i) + " is outside -1.." + std::to_string(n_groups - 1));
        }
    std::vector<cxkit::stats::comparison_result> out(n);
    {
        py::gil_scoped_release nogil;
        using S = decltype(summary(g.empty));
        std::vector<S> s;
        s.reserve(g.groups.size() + 1);
        for (const auto& state : g.groups) s.push_back(summary(state));
        s.push_back(summary(g.empty));  // index -1
        auto at = [&](std::int64_t v) -> const S& { return s[v < 0 ? g.groups.size() : static_cast<std::size_t>(v)]; };
        for (std::size_t i = 0; i < n; ++i) out[i] = compare(at(a.data()[i]), at(b.data()[i]));
    }
    return results_to_columns(out);
}

}  // namespace cxkit_py
