/**
 * @file segments.hpp
 * @brief Comparing every group with the rest of the sample, using only merges.
 *
 * "Rest of group i" is the merge of every other group's state. Building it from prefix and
 * suffix merges (prefix_i = g_0 + ... + g_{i-1}, suffix_i = g_{i+1} + ... + g_{n-1}) costs O(n)
 * merges instead of O(n²) and, unlike subtracting a group from the total, is exact for any
 * mergeable state (subtraction is not a monoid operation and loses precision for weights).
 */
#ifndef CXKIT_CORE_SEGMENTS_HPP
#define CXKIT_CORE_SEGMENTS_HPP

#include <cstddef>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/// Merge of all states (the empty state for an empty input).
template <class State>
State merge_all(const std::vector<State>& states, const State& empty) {
    State total = empty;
    for (const auto& s : states) total += s;
    return total;
}

/**
 * Calls `compare(group_i, rest_i)` for every group, rest_i being the merge of all other groups.
 * @param empty  the identity state (same parameters, e.g. scale, as the groups)
 */
template <class State, class Compare>
auto each_with_rest(const std::vector<State>& groups, const State& empty, Compare&& compare)
    -> std::vector<decltype(compare(groups.front(), groups.front()))> {
    const std::size_t n = groups.size();
    std::vector<State> suffix(n + 1, empty);  // suffix[i] = g_i + ... + g_{n-1}
    for (std::size_t i = n; i-- > 0;) {
        suffix[i] = suffix[i + 1];
        suffix[i] += groups[i];
    }
    std::vector<decltype(compare(groups.front(), groups.front()))> out;
    out.reserve(n);
    State prefix = empty;
    for (std::size_t i = 0; i < n; ++i) {
        State rest = prefix;
        rest += suffix[i + 1];
        out.push_back(compare(groups[i], rest));
        prefix += groups[i];
    }
    return out;
}

}  // namespace core
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_SEGMENTS_HPP
