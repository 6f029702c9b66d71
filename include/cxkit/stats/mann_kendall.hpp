/**
 * @file mann_kendall.hpp
 * @brief Mann-Kendall trend test and Sen's slope (METRICS.md §2), both in O(n log n).
 *
 * For observations x_1..x_n at times t_1..t_n (any order; t = 0..n−1 when no times are given):
 * - S = Σ_{i<j} sgn(x_j − x_i) · sgn(t_j − t_i) (Mann 1945; Kendall 1975). Pairs tied in x or in
 *   t contribute 0. With distinct times in increasing order this is METRICS.md's Σ_{i<j} sgn(x_j − x_i).
 * - Var S (Kendall 1970, Rank Correlation Methods, eq. 4.3), with u the sizes of the groups of tied
 *   values and v those of tied times:
 *   Var S = [n(n−1)(2n+5) − Σ u(u−1)(2u+5) − Σ v(v−1)(2v+5)] / 18
 *         + [Σ u(u−1)(u−2)][Σ v(v−1)(v−2)] / [9 n(n−1)(n−2)] + [Σ u(u−1)][Σ v(v−1)] / [2 n(n−1)].
 *   Without tied times (the usual series) it is METRICS.md's [n(n−1)(2n+5) − Σ u(u−1)(2u+5)] / 18.
 * - Z = (S − sgn S)/√Var S (continuity correction), two-sided p = 2(1 − Φ(|Z|)); the trend is
 *   "increasing"/"decreasing" when |Z| exceeds the two-sided critical value, else "no trend"
 *   (as pyMannKendall's original_test).
 * - Sen's slope (Theil 1950; Sen 1968): the median of the N slopes (x_j − x_i)/(t_j − t_i) over
 *   the pairs with t_i ≠ t_j, the even-count median being the mean of the two middle slopes;
 *   intercept = median(x − slope · t) (the "joint" intercept of scipy.stats.theilslopes).
 *   Confidence interval (Sen 1968 §2.6; Gilbert 1987 §16.5): C = z √Var S, the slopes of ranks
 *   round((N − C)/2) and round((N + C)/2) + 1 (1-based, round half to even, clamped to 1..N), as
 *   scipy.stats.theilslopes computes them.
 *
 * Algorithms.
 * - S by Knight's (1966) merge-sort method for Kendall's tau: sort by (t, x), count the strictly
 *   discordant pairs D as the inversions of the x sequence with a merge sort, then
 *   concordant C = n(n−1)/2 − (pairs tied in t) − (pairs tied in x) + (pairs tied in both) − D,
 *   S = C − D. O(n log n) instead of the O(n²) double loop.
 * - Sen's slope is selected exactly without materialising the N ≈ n²/2 slopes (for N above
 *   `sen_options::max_direct_pairs`), by randomized interval shrinking in the dual
 *   (Matoušek 1991, "Randomized optimal algorithm for slope selection", Inf. Proc. Letters 39;
 *   Dillencourt, Mount & Netanyahu 1992, "A randomized algorithm for slope selection",
 *   Int. J. Comput. Geom. Appl. 2). For a pair with t_i < t_j, the slope is ≤ s exactly when
 *   y_j(s) ≤ y_i(s) with y_k(s) = x_k − s t_k, so the number of slopes ≤ s is the number of
 *   inversions between the time order and the order of y(s): one sort and one merge count,
 *   O(n log n). The pairs with a slope in (lo, hi] are the inversions between the orders of y(lo)
 *   and y(hi) and are enumerated in O(n log n + K). Each round draws m pairs uniformly from the
 *   current window without enumerating it (Dillencourt et al.'s inversion sampling: a Fenwick tree
 *   counts, for every element, the earlier elements it is inverted with; a uniform draw over that
 *   total picks an element and a k-th-mark descent in a second sweep picks its partner:
 *   O(n log n + m log m)), takes sample quantiles a few standard errors around the wanted ranks as
 *   new bounds, and keeps a bound only if its count confirms that the wanted ranks are still
 *   inside; once the window holds at most `sen_options::window_pairs` pairs they are enumerated and
 *   the wanted ranks selected with nth_element. Slope 0 is decided exactly by two counts at s = 0
 *   (y = x, no rounding), so the usual median of tied, trendless ratings needs no enumeration; any
 *   other cluster of identical slopes is counted rather than stored (time O(K), no memory).
 *   For n = 20,000 (N = 2·10⁸) this takes about 60 ms on one core, against seconds for a median of
 *   all slopes.
 * - Exactness. The result is the median of the slopes as computed in double precision,
 *   (x_j − x_i)/(t_j − t_i), identical to a brute-force median over all pairs. y(s) is computed in
 *   floating point, so a pair whose slope lies within a rounding bound δ(s) of a bound s may be
 *   classified on the wrong side; δ(s) is computed from the data (error of x − s·t, smallest gap
 *   between distinct times, error of the slope division), and a selection is accepted only if the
 *   selected slopes lie at least δ away from both bounds and the enumerated window has exactly
 *   the size the two counts predict. Otherwise the failing bound is replaced by the previous,
 *   wider one (ultimately ±∞, where the orders are exact), so the answer never depends on rounding.
 */
#ifndef CXKIT_STATS_MANN_KENDALL_HPP
#define CXKIT_STATS_MANN_KENDALL_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/distributions.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

// ------------------------------------------------------------------------------------------------
// S and its variance
// ------------------------------------------------------------------------------------------------

/// Kendall's S of (times, values) with the tie counts behind its variance.
struct kendall_s_result {
    std::int64_t s = 0;              ///< concordant − discordant pairs
    std::uint64_t n = 0;             ///< observations
    std::uint64_t pairs = 0;         ///< n(n−1)/2
    std::uint64_t concordant = 0;
    std::uint64_t discordant = 0;
    std::uint64_t tied_values = 0;   ///< pairs with x_i = x_j
    std::uint64_t tied_times = 0;    ///< pairs with t_i = t_j (they have no slope)
    std::uint64_t tied_both = 0;     ///< pairs tied in both
    double variance = 0.0;           ///< Var S under H0 with the tie corrections (Kendall 1970, eq. 4.3)
};

namespace detail {

/// Run length of the insertion-sorted blocks the merge sorts below start from.
constexpr std::size_t insertion_run = 32;

/// Merge sort of `v` (ascending): insertion-sorted runs, then bottom-up merges. Every strict
/// inversion (k < l with v[k] > v[l]; equal elements are not inversions) is reported once, in
/// runs: on_run(first, last, second) says that every element of [first, last) came before
/// `second` and is greater.
template <class T, class OnRun>
void sort_with_inversions(std::vector<T>& v, OnRun&& on_run) {
    const std::size_t n = v.size();
    for (std::size_t lo = 0; lo < n; lo += insertion_run) {
        const std::size_t hi = std::min(lo + insertion_run, n);
        for (std::size_t i = lo + 1; i < hi; ++i) {
            const T key = v[i];
            std::size_t j = i;
            while (j > lo && key < v[j - 1]) --j;
            on_run(v.data() + j, v.data() + i, key);
            std::move_backward(v.begin() + static_cast<std::ptrdiff_t>(j), v.begin() + static_cast<std::ptrdiff_t>(i),
                               v.begin() + static_cast<std::ptrdiff_t>(i) + 1);
            v[j] = key;
        }
    }
    std::vector<T> buf(n);
    for (std::size_t width = insertion_run; width < n; width *= 2) {
        for (std::size_t lo = 0; lo < n; lo += 2 * width) {
            const std::size_t mid = std::min(lo + width, n), hi = std::min(lo + 2 * width, n);
            std::size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                if (v[j] < v[i]) {
                    on_run(v.data() + i, v.data() + mid, v[j]);
                    buf[k++] = v[j++];
                } else {
                    buf[k++] = v[i++];
                }
            }
            while (i < mid) buf[k++] = v[i++];
            while (j < hi) buf[k++] = v[j++];
        }
        v.swap(buf);
    }
}

/// Sorts `v` and returns its number of strict inversions. O(n log n).
template <class T>
std::uint64_t sort_count_inversions(std::vector<T>& v) {
    std::uint64_t inversions = 0;
    sort_with_inversions(v, [&](const T* first, const T* last, const T&) {
        inversions += static_cast<std::uint64_t>(last - first);
    });
    return inversions;
}

/// Sorts `v`, calling f(first, second) for every inversion (first came before second and is
/// greater). O(n log n + inversions).
template <class T, class F>
void sort_enumerate_inversions(std::vector<T>& v, F&& f) {
    sort_with_inversions(v, [&](const T* first, const T* last, const T& second) {
        for (; first != last; ++first) f(*first, second);
    });
}

/// Tie-group sums over groups of equal adjacent elements of a sorted sequence.
struct tie_sums {
    std::uint64_t pairs = 0;  ///< Σ g(g−1)/2
    double a = 0.0;           ///< Σ g(g−1)(2g+5)
    double b = 0.0;           ///< Σ g(g−1)(g−2)
    double c = 0.0;           ///< Σ g(g−1)
    void add_group(std::uint64_t g) noexcept {
        if (g < 2) return;
        const double d = static_cast<double>(g);
        pairs += g * (g - 1) / 2;
        a += d * (d - 1.0) * (2.0 * d + 5.0);
        b += d * (d - 1.0) * (d - 2.0);
        c += d * (d - 1.0);
    }
};

/// Points sorted by (time, value): the "time order" every algorithm here works in.
struct time_sorted {
    std::vector<double> t, x;
};
inline time_sorted sort_by_time(core::span<const double> values, core::span<const double> times) {
    const std::size_t n = values.size();
    std::vector<std::pair<double, double>> p(n);
    for (std::size_t i = 0; i < n; ++i) p[i] = {times[i], values[i]};
    std::sort(p.begin(), p.end());
    time_sorted out;
    out.t.resize(n);
    out.x.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.t[i] = p[i].first;
        out.x[i] = p[i].second;
    }
    return out;
}

/// Kendall's S on points already in time order (t ascending, then x ascending).
inline kendall_s_result kendall_s_sorted(const std::vector<double>& t, const std::vector<double>& x) {
    kendall_s_result r;
    const std::size_t n = x.size();
    r.n = n;
    r.pairs = n < 2 ? 0 : static_cast<std::uint64_t>(n) * (n - 1) / 2;
    tie_sums tt, xx;
    std::uint64_t both = 0;
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && t[j] == t[i]) ++j;
        tt.add_group(j - i);
        for (std::size_t k = i; k < j;) {  // joint ties: equal x inside the time group (x sorted)
            std::size_t l = k + 1;
            while (l < j && x[l] == x[k]) ++l;
            both += static_cast<std::uint64_t>(l - k) * (l - k - 1) / 2;
            k = l;
        }
        i = j;
    }
    std::vector<double> seq(x);
    r.discordant = sort_count_inversions(seq);  // strict: x_i > x_j with t_i < t_j (x ascends within a time)
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && seq[j] == seq[i]) ++j;
        xx.add_group(j - i);
        i = j;
    }
    r.tied_times = tt.pairs;
    r.tied_values = xx.pairs;
    r.tied_both = both;
    r.concordant = r.pairs - tt.pairs - xx.pairs + both - r.discordant;
    r.s = static_cast<std::int64_t>(r.concordant) - static_cast<std::int64_t>(r.discordant);
    if (n >= 2) {
        const double d = static_cast<double>(n), nn1 = d * (d - 1.0);
        double v = (nn1 * (2.0 * d + 5.0) - xx.a - tt.a) / 18.0 + xx.c * tt.c / (2.0 * nn1);
        if (n >= 3) v += xx.b * tt.b / (9.0 * nn1 * (d - 2.0));
        r.variance = std::max(0.0, v);
    }
    return r;
}

}  // namespace detail

/**
 * Kendall's S of finite `values` at finite `times` (same length; any order) and Var S with the
 * tie corrections, in O(n log n).
 * @throws invalid_argument if the lengths differ.
 */
inline kendall_s_result kendall_s(core::span<const double> values, core::span<const double> times) {
    if (values.size() != times.size())
        CXKIT_THROW(invalid_argument, "times has " + std::to_string(times.size()) + " values but values has " +
                                          std::to_string(values.size()));
    const detail::time_sorted p = detail::sort_by_time(values, times);
    return detail::kendall_s_sorted(p.t, p.x);
}

// ------------------------------------------------------------------------------------------------
// Sen's slope
// ------------------------------------------------------------------------------------------------

/// Tuning of the slope selection; the defaults never change the answer, only the speed.
struct sen_options {
    /// Confidence of the slope interval (0 < confidence < 1), or NaN for no interval.
    double confidence = 0.95;
    /// Var S for the interval (from kendall_s); NaN gives NaN bounds.
    double variance_s = std::numeric_limits<double>::quiet_NaN();
    /// Up to this many pair slopes are materialised and selected directly (8 bytes each).
    std::uint64_t max_direct_pairs = std::uint64_t{1} << 20;
    /// The randomized selection enumerates its window once it holds at most this many pairs
    /// (0 = automatic: max(65536, 8n)).
    std::uint64_t window_pairs = 0;
    /// Seed of the pair sampling (the result does not depend on it).
    std::uint64_t seed = 0x9E3779B97F4A7C15ULL;
};

/// Sen's slope, its interval and the intercept.
struct sen_result {
    double slope = std::numeric_limits<double>::quiet_NaN();       ///< per unit of time
    double intercept = std::numeric_limits<double>::quiet_NaN();   ///< median(x − slope·t): the line at t = 0
    double slope_low = std::numeric_limits<double>::quiet_NaN();
    double slope_high = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t pairs = 0;  ///< N, pairs with distinct times
};

namespace detail {

/// Round half to even (numpy.round, R's round), independent of the FPU rounding mode.
inline double round_half_even(double v) noexcept {
    const double f = std::floor(v), d = v - f;
    if (d > 0.5) return f + 1.0;
    if (d < 0.5) return f;
    return std::fmod(f, 2.0) == 0.0 ? f : f + 1.0;
}

/// splitmix64 (Steele, Lea & Flood 2014): a small reproducible generator for the pair sampling.
struct splitmix64 {
    std::uint64_t state;
    std::uint64_t operator()() noexcept {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
};

/// Fenwick tree over positions 0..n−1 holding 0/1 marks: insert, count ≤ i, k-th smallest.
class fenwick {
public:
    explicit fenwick(std::size_t n) : tree_(n + 1, 0), top_(1) {
        while (top_ * 2 <= n) top_ *= 2;
    }
    void insert(std::size_t i) noexcept {
        for (++i; i < tree_.size(); i += i & (~i + 1)) ++tree_[i];
    }
    /// Marks at positions <= i.
    std::uint32_t count_le(std::size_t i) const noexcept {
        std::uint32_t s = 0;
        for (++i; i > 0; i -= i & (~i + 1)) s += tree_[i];
        return s;
    }
    /// Position of the k-th mark (1-based k <= marks), by binary lifting.
    std::size_t kth(std::uint32_t k) const noexcept {
        std::size_t pos = 0;
        for (std::size_t step = top_; step > 0; step /= 2) {
            if (pos + step < tree_.size() && tree_[pos + step] < k) {
                pos += step;
                k -= tree_[pos];
            }
        }
        return pos;  // 0-based position = (1-based pos + 1) − 1
    }

private:
    std::vector<std::uint32_t> tree_;
    std::size_t top_;
};

/**
 * Exact selection of order statistics of the pair slopes of points in time order (see the file
 * comment for the algorithm and its exactness argument).
 */
class slope_selector {
public:
    slope_selector(const std::vector<double>& t, const std::vector<double>& x, std::uint64_t n_slopes,
                   const sen_options& o)
        : t_(t), x_(x), n_(t.size()), slopes_(n_slopes), rng_{o.seed ^ (0x2545F4914F6CDD1DULL * (t.size() + 1))} {
        window_cap_ = o.window_pairs ? o.window_pairs : std::max<std::uint64_t>(65536, 8 * static_cast<std::uint64_t>(n_));
        direct_ = n_slopes <= o.max_direct_pairs;
        gap_ = std::numeric_limits<double>::infinity();
        for (std::size_t i = 1; i < n_; ++i)
            if (t_[i] != t_[i - 1]) gap_ = std::min(gap_, t_[i] - t_[i - 1]);
    }

    /// The slopes of the given 0-based ranks (each < n_slopes), in the same order.
    std::vector<double> select(const std::vector<std::uint64_t>& ranks) {
        std::vector<double> out(ranks.size(), std::numeric_limits<double>::quiet_NaN());
        if (ranks.empty() || slopes_ == 0) return out;
        if (direct_) {
            std::vector<double> all;
            all.reserve(static_cast<std::size_t>(slopes_));
            for (std::size_t i = 0; i < n_; ++i) {
                std::size_t j = i + 1;
                while (j < n_ && t_[j] == t_[i]) ++j;
                for (; j < n_; ++j) all.push_back((x_[j] - x_[i]) / (t_[j] - t_[i]));
            }
            for (std::size_t k = 0; k < ranks.size(); ++k) {
                auto it = all.begin() + static_cast<std::ptrdiff_t>(ranks[k]);
                std::nth_element(all.begin(), it, all.end());
                out[k] = *it;
            }
            return out;
        }
        // Slope 0 is decided exactly in O(n log n): at s = 0, y = x with no rounding, and a
        // computed slope (x_j − x_i)/(t_j − t_i) has the sign of x_j − x_i. Ranks inside the block
        // of zero slopes (the usual median of tied, trendless ratings) need no enumeration.
        // It costs two sorts, so it is done only if the all-pairs sample holds zeros (>= 1/256).
        std::uint64_t below_zero = 0, up_to_zero = 0;
        const std::vector<double>& smp = all_pairs_sample();
        if (256 * static_cast<std::size_t>(std::count(smp.begin(), smp.end(), 0.0)) >= smp.size()) {
            std::vector<index> ord;
            double delta = 0.0;
            order_at(0.0, ord, delta, /*strict=*/true);
            below_zero = sort_count_inversions(ord);
            order_at(0.0, ord, delta, /*strict=*/false);
            up_to_zero = sort_count_inversions(ord);
        }
        // Ranks close together share one window; distant ones (the interval bounds) get their own.
        std::vector<std::size_t> order;
        for (std::size_t k = 0; k < ranks.size(); ++k) {
            if (ranks[k] >= below_zero && ranks[k] < up_to_zero) out[k] = 0.0;
            else order.push_back(k);
        }
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ranks[a] < ranks[b]; });
        const std::uint64_t near = std::max<std::uint64_t>(window_cap_ / 4, 1);
        for (std::size_t g = 0; g < order.size();) {
            std::size_t h = g + 1;
            while (h < order.size() && ranks[order[h]] - ranks[order[h - 1]] <= near) ++h;
            std::vector<std::uint64_t> group;
            for (std::size_t k = g; k < h; ++k) group.push_back(ranks[order[k]]);
            const std::vector<double> v = select_group(group);
            for (std::size_t k = g; k < h; ++k) out[order[k]] = v[k - g];
            g = h;
        }
        return out;
    }

private:
    using index = std::uint32_t;

    /// A window bound: pivot s, the number of slopes classified ≤ s, the rounding bound δ(s), and
    /// the order of y(s).
    struct bound {
        double s = 0.0;
        std::uint64_t count = 0;
        double delta = 0.0;
        std::vector<index> order;
    };

    /// The order of y(s) = x − s·t; ties by larger t first (by smaller t first if `strict`), then
    /// time order. s = ±∞ are the limit orders. Returns false (order unusable) if y overflows.
    /// `delta` gets δ(s).
    bool order_at(double s, std::vector<index>& ord, double& delta, bool strict = false) const {
        ord.resize(n_);
        delta = 0.0;
        if (s == -std::numeric_limits<double>::infinity()) {
            for (std::size_t i = 0; i < n_; ++i) ord[i] = static_cast<index>(i);
            return true;
        }
        if (s == std::numeric_limits<double>::infinity()) {  // t descending, time order within a time
            std::size_t k = 0;
            for (std::size_t j = n_; j > 0;) {
                std::size_t i = j - 1;
                while (i > 0 && t_[i - 1] == t_[j - 1]) --i;
                for (std::size_t q = i; q < j; ++q) ord[k++] = static_cast<index>(q);
                j = i;
            }
            return true;
        }
        struct key {
            double y;
            index i;
        };
        std::vector<key> keys(n_);
        double worst = 0.0;
        for (std::size_t i = 0; i < n_; ++i) {
            const double st = s * t_[i];
            const double y = x_[i] - st;
            if (!std::isfinite(y)) return false;
            worst = std::max(worst, std::fabs(st) + std::fabs(y));
            keys[i] = {y, static_cast<index>(i)};
        }
        const std::vector<double>& t = t_;
        std::sort(keys.begin(), keys.end(), [&t, strict](const key& a, const key& b) {
            if (a.y != b.y) return a.y < b.y;
            const double ta = t[a.i], tb = t[b.i];
            if (ta != tb) return strict ? ta < tb : ta > tb;
            return a.i < b.i;
        });
        for (std::size_t i = 0; i < n_; ++i) ord[i] = keys[i].i;
        // |computed y − exact y| <= 2^-53 (|s t| + |y|) per point (twice that as margin); a pair is
        // misclassified only if |Δx − s Δt| <= 2 E, i.e. its slope is within 2E / Δt_min of s; the
        // slope division itself errs by at most ~3 units in the last place (margin 2^-50 |s|).
        const double e = std::ldexp(worst, -52);
        const double near = std::isfinite(gap_) ? 2.0 * e / gap_ * (1.0 + std::ldexp(1.0, -40)) : 0.0;
        delta = near + std::ldexp(std::fabs(s) + near, -50) + std::numeric_limits<double>::denorm_min();
        return std::isfinite(delta);
    }

    /// A bound at s: its order and the number of slopes classified ≤ s (the inversions between
    /// the time order and y(s)'s order).
    bool probe(double s, bound& b) const {
        if (!order_at(s, b.order, b.delta)) return false;
        b.s = s;
        std::vector<index> work(b.order);
        b.count = sort_count_inversions(work);
        return true;
    }

    /// The limit bounds: −∞ (no slope below) and +∞ (every slope below).
    bound limit(bool upper) const {
        bound b;
        b.s = upper ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
        b.count = upper ? slopes_ : 0;
        order_at(b.s, b.order, b.delta);
        return b;
    }

    /// A uniform sample of all pair slopes (drawn once, shared by the rank groups).
    std::vector<double>& all_pairs_sample() {
        if (all_pairs_sample_.empty()) all_pairs_sample_ = sample_window(limit(false), limit(true), max_sample());
        return all_pairs_sample_;
    }
    std::size_t max_sample() const {
        return std::min<std::size_t>(std::max<std::size_t>(4 * n_, 2048), std::size_t{1} << 20);
    }

    double uniform01() noexcept { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

    /**
     * About m slopes drawn uniformly from the pairs between the bounds: the inversions between the
     * orders of y(lo) and y(hi). With seq = the y(hi) positions in y(lo)'s order, element k is
     * inverted with the c_k earlier elements greater than it (counted with a Fenwick tree); a
     * uniform draw in [0, Σ c_k) names an element k and the r-th of its earlier greater elements,
     * found by a k-th-mark descent in a second sweep. O(n log n + m log m).
     */
    std::vector<double> sample_window(const bound& lo, const bound& hi, std::size_t m) {
        std::vector<double> out;
        std::vector<index> pos(n_), seq(n_);
        for (std::size_t p = 0; p < n_; ++p) pos[hi.order[p]] = static_cast<index>(p);
        for (std::size_t k = 0; k < n_; ++k) seq[k] = pos[lo.order[k]];
        std::vector<std::uint64_t> prefix(n_ + 1, 0);
        {
            fenwick f(n_);
            for (std::size_t k = 0; k < n_; ++k) {
                prefix[k + 1] = prefix[k] + (k - f.count_le(seq[k]));
                f.insert(seq[k]);
            }
        }
        const std::uint64_t total = prefix[n_];
        if (total == 0) return out;
        std::vector<std::uint64_t> u(m);
        const double td = static_cast<double>(total);
        for (auto& v : u) v = std::min(static_cast<std::uint64_t>(uniform01() * td), total - 1);
        std::sort(u.begin(), u.end());
        out.reserve(m);
        fenwick f(n_);
        std::size_t q = 0;
        for (std::size_t k = 0; k < n_ && q < m; ++k) {
            if (u[q] < prefix[k + 1]) {
                const std::uint32_t le = f.count_le(seq[k]);
                for (; q < m && u[q] < prefix[k + 1]; ++q) {
                    const std::uint64_t r = u[q] - prefix[k];
                    const index a = hi.order[f.kth(le + static_cast<std::uint32_t>(r) + 1)], b = lo.order[k];
                    if (a < b) out.push_back((x_[b] - x_[a]) / (t_[b] - t_[a]));  // a earlier in time: slope in window
                }
            }
            f.insert(seq[k]);
        }
        return out;
    }

    struct attempt {
        bool ok = false, low_failed = false, high_failed = false;
        std::vector<double> values;
    };

    /// Enumerates the window (lo, hi], selects the ranks, and checks the result (see file comment).
    attempt enumerate(const bound& lo, const bound& hi, const std::vector<std::uint64_t>& ranks, bool use_cluster,
                      double cluster) const {
        attempt a;
        std::vector<index> pos(n_), seq(n_);
        for (std::size_t p = 0; p < n_; ++p) pos[hi.order[p]] = static_cast<index>(p);
        for (std::size_t k = 0; k < n_; ++k) seq[k] = pos[lo.order[k]];
        std::vector<double> vals;
        const std::uint64_t expected = hi.count - lo.count;
        vals.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(expected, window_cap_ * 2)));
        std::uint64_t in_cluster = 0, weird = 0;
        sort_enumerate_inversions(seq, [&](index first, index second) {
            const index p = hi.order[first], q = hi.order[second];  // p came first in y(lo)'s order
            if (p > q) {  // the later time first in y(lo): classified <= lo and > hi
                ++weird;
                return;
            }
            const double v = (x_[q] - x_[p]) / (t_[q] - t_[p]);
            if (use_cluster && v == cluster) ++in_cluster;
            else vals.push_back(v);
        });
        if (weird != 0 || vals.size() + in_cluster != expected) {
            a.low_failed = a.high_failed = true;
            return a;
        }
        // Select ranks − lo.count among vals plus `in_cluster` copies of `cluster`. Without a
        // cluster every value is on the "below" side; with one, [begin, mid) < cluster < [mid, end).
        auto mid = vals.end();
        if (use_cluster) mid = std::partition(vals.begin(), vals.end(), [&](double v) { return v < cluster; });
        const std::uint64_t n_lt = static_cast<std::uint64_t>(mid - vals.begin());
        double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
        for (std::uint64_t r : ranks) {
            const std::uint64_t q = r - lo.count;
            double v;
            if (q < n_lt) {
                auto it = vals.begin() + static_cast<std::ptrdiff_t>(q);
                std::nth_element(vals.begin(), it, mid);
                v = *it;
            } else if (q < n_lt + in_cluster) {
                v = cluster;
            } else {
                auto it = mid + static_cast<std::ptrdiff_t>(q - n_lt - in_cluster);
                std::nth_element(mid, it, vals.end());
                v = *it;
            }
            a.values.push_back(v);
            vmin = std::min(vmin, v);
            vmax = std::max(vmax, v);
        }
        a.low_failed = std::isfinite(lo.s) && !(vmin >= lo.s + lo.delta);
        a.high_failed = std::isfinite(hi.s) && !(vmax <= hi.s - hi.delta);
        a.ok = !a.low_failed && !a.high_failed;
        return a;
    }

    std::vector<double> select_group(const std::vector<std::uint64_t>& ranks) {
        const double inf = std::numeric_limits<double>::infinity();
        const std::uint64_t r_first = ranks.front(), r_last = ranks.back();
        std::vector<bound> lows, highs;
        lows.push_back(limit(false));
        highs.push_back(limit(true));
        const std::size_t max_m = max_sample();
        bool use_cluster = false;
        double cluster = 0.0;
        int stale = 0;
        for (int round = 0; round < 32; ++round) {
            const bound& lo = lows.back();
            const bound& hi = highs.back();
            const std::uint64_t k = hi.count - lo.count;
            if (k <= window_cap_) break;
            // Sample size for the window to shrink below the cap in one round (± 2.5 standard
            // errors of a sample quantile keep about 5/√m of the window).
            const double want = std::pow(6.0 * static_cast<double>(k) / static_cast<double>(window_cap_), 2.0);
            const std::size_t m = static_cast<std::size_t>(std::min(static_cast<double>(max_m), std::max(2048.0, want)));
            std::vector<double> fresh;
            std::vector<double>* sample = &fresh;
            if (lows.size() == 1 && highs.size() == 1) {
                sample = &all_pairs_sample();
            } else {
                fresh = sample_window(lo, hi, m);
            }
            std::vector<double>& smp = *sample;
            const std::size_t ms = smp.size();
            if (ms < 32) break;
            const double md = static_cast<double>(ms), kd = static_cast<double>(k);
            const double margin = 2.5 * std::sqrt(md) + 2.0;
            const double f_lo = static_cast<double>(r_first - lo.count) / kd, f_hi = static_cast<double>(r_last + 1 - lo.count) / kd;
            // The sampled value at the wanted ranks: a heavy run of it is counted, not stored.
            {
                const std::size_t c = std::min(ms - 1, static_cast<std::size_t>((f_lo + f_hi) / 2.0 * md));
                std::nth_element(smp.begin(), smp.begin() + static_cast<std::ptrdiff_t>(c), smp.end());
                cluster = smp[c];
                use_cluster = 4 * static_cast<std::size_t>(std::count(smp.begin(), smp.end(), cluster)) >= ms;
            }
            const double p_lo = f_lo * md - margin, p_hi = f_hi * md + margin;
            bound b;
            if (p_lo >= 0.0 && p_lo < md) {
                const auto it = smp.begin() + static_cast<std::ptrdiff_t>(p_lo);
                std::nth_element(smp.begin(), it, smp.end());
                const double v = *it;
                double w = -inf;  // the largest sampled value below v
                for (double s : smp)
                    if (s < v && s > w) w = s;
                const double piv = w + (v - w) / 2.0;
                if (w > -inf && piv > lo.s && piv < v && probe(piv, b) && b.count <= r_first && b.count >= lo.count)
                    lows.push_back(std::move(b));
            }
            if (p_hi >= 0.0 && p_hi < md) {
                const auto it = smp.begin() + static_cast<std::ptrdiff_t>(p_hi);
                std::nth_element(smp.begin(), it, smp.end());
                const double v = *it;
                double w = inf;  // the smallest sampled value above v
                for (double s : smp)
                    if (s > v && s < w) w = s;
                const double piv = v + (w - v) / 2.0;
                bound c;
                if (w < inf && piv < highs.back().s && piv >= v && probe(piv, c) && c.count > r_last &&
                    c.count <= highs.back().count)
                    highs.push_back(std::move(c));
            }
            const std::uint64_t k_new = highs.back().count - lows.back().count;
            stale = (static_cast<double>(k_new) <= 0.7 * kd) ? 0 : stale + 1;
            if (stale >= 2) break;
        }
        if (highs.back().count - lows.back().count <= window_cap_) use_cluster = false;
        for (;;) {
            attempt a = enumerate(lows.back(), highs.back(), ranks, use_cluster, cluster);
            if (a.ok) return a.values;
            const bool can_lo = lows.size() > 1, can_hi = highs.size() > 1;
            if (!can_lo && !can_hi) return a.values;  // ±∞ are exact: unreachable
            if (a.low_failed && can_lo) lows.pop_back();
            if (a.high_failed && can_hi) highs.pop_back();
        }
    }

    const std::vector<double>& t_;
    const std::vector<double>& x_;
    std::size_t n_;
    std::uint64_t slopes_;
    splitmix64 rng_;
    std::uint64_t window_cap_ = 0;
    bool direct_ = true;
    double gap_ = 0.0;
    std::vector<double> all_pairs_sample_;
};

/// Median (numpy semantics: mean of the two middle values for an even count); NaN when empty.
inline double median_in_place(std::vector<double>& v) {
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    const std::size_t h = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
    const double hi = v[h];
    if (v.size() % 2 == 1) return hi;
    const double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h));
    return (lo + hi) / 2.0;
}

/// Sen's slope on points in time order, given N (pairs with distinct times).
inline sen_result sen_slope_sorted(const std::vector<double>& t, const std::vector<double>& x, std::uint64_t n_slopes,
                                   const sen_options& o) {
    sen_result r;
    r.pairs = n_slopes;
    if (n_slopes == 0) return r;
    std::vector<std::uint64_t> ranks;
    const std::uint64_t h = n_slopes / 2;
    if (n_slopes % 2 == 0) ranks.push_back(h - 1);
    ranks.push_back(h);
    const std::size_t n_median = ranks.size();
    bool interval = false;
    if (!std::isnan(o.confidence) && o.variance_s >= 0.0) {
        const double c = z_critical(o.confidence) * std::sqrt(o.variance_s), nd = static_cast<double>(n_slopes);
        // 0-based indices as scipy.stats.theilslopes: round((N − C)/2) − 1 and round((N + C)/2).
        const double lo = std::max(round_half_even((nd - c) / 2.0) - 1.0, 0.0);
        const double hi = std::min(round_half_even((nd + c) / 2.0), nd - 1.0);
        if (lo <= nd - 1.0 && hi >= 0.0) {
            ranks.push_back(static_cast<std::uint64_t>(lo));
            ranks.push_back(static_cast<std::uint64_t>(hi));
            interval = true;
        }
    }
    slope_selector sel(t, x, n_slopes, o);
    const std::vector<double> v = sel.select(ranks);
    r.slope = n_median == 1 ? v[0] : (v[0] + v[1]) / 2.0;
    if (interval) {
        r.slope_low = v[n_median];
        r.slope_high = v[n_median + 1];
    }
    std::vector<double> resid(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) resid[i] = x[i] - r.slope * t[i];
    r.intercept = median_in_place(resid);
    return r;
}

}  // namespace detail

/**
 * Sen's slope of finite `values` at finite `times` (same length, any order): the exact median of
 * the pair slopes with distinct times, its interval (when `options.variance_s` is given) and the
 * intercept median(x − slope·t). NaN when no two times differ.
 * @throws invalid_argument if the lengths differ or the confidence is outside (0, 1).
 */
inline sen_result sen_slope(core::span<const double> values, core::span<const double> times, const sen_options& options = {}) {
    if (values.size() != times.size())
        CXKIT_THROW(invalid_argument, "times has " + std::to_string(times.size()) + " values but values has " +
                                          std::to_string(values.size()));
    if (!std::isnan(options.confidence)) core::check_confidence(options.confidence);
    if (values.size() >= (std::size_t{1} << 32))
        CXKIT_THROW(invalid_argument, "Sen's slope supports at most 2^32 - 1 observations");
    const detail::time_sorted p = detail::sort_by_time(values, times);
    std::uint64_t tied = 0;
    for (std::size_t i = 0; i < p.t.size();) {
        std::size_t j = i + 1;
        while (j < p.t.size() && p.t[j] == p.t[i]) ++j;
        tied += static_cast<std::uint64_t>(j - i) * (j - i - 1) / 2;
        i = j;
    }
    const std::uint64_t n = p.t.size();
    return detail::sen_slope_sorted(p.t, p.x, (n < 2 ? 0 : n * (n - 1) / 2) - tied, options);
}

// ------------------------------------------------------------------------------------------------
// Input validation shared by the trend functions
// ------------------------------------------------------------------------------------------------

/// Per-row time flags, as `cxkit._frame.as_times` produces them.
enum class time_flag : std::uint8_t { valid = 0, missing = 1, invalid = 2 };

/// A validated series: finite values at finite times, and what was skipped.
struct clean_series {
    std::vector<double> values;
    std::vector<double> times;
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
};

/**
 * Applies the bad-input policy (ARCHITECTURE.md §3) to a series. A row is **missing** if its value
 * is NaN or masked, or its time is NaN or flagged missing; otherwise **invalid** if the value or the
 * time is infinite or the time is flagged invalid (e.g. an unparseable date); otherwise valid.
 * `times == nullptr` means times 0..n−1 (the positions, so gaps left by missing rows are kept).
 * @throws invalid_input with on_invalid::raise if any row is invalid (first position, its value, the count).
 */
template <class T, class U>
clean_series clean_time_series(const T* values, std::size_t n, const std::uint8_t* values_missing, const U* times,
                               const std::uint8_t* time_flags, core::on_invalid policy) {
    clean_series out;
    out.values.reserve(n);
    out.times.reserve(n);
    // 0 valid, 1 missing, 2 invalid value, 3 invalid time
    auto classify = [&](std::size_t i) -> int {
        const double v = static_cast<double>(values[i]);
        const double t = times ? static_cast<double>(times[i]) : static_cast<double>(i);
        const std::uint8_t f = time_flags ? time_flags[i] : 0;
        if ((values_missing && values_missing[i]) || std::isnan(v) || f == 1 || std::isnan(t)) return 1;
        if (!std::isfinite(v)) return 2;
        if (f != 0 || !std::isfinite(t)) return 3;
        return 0;
    };
    for (std::size_t i = 0; i < n; ++i) {
        const int c = classify(i);
        if (c == 0) {
            out.values.push_back(static_cast<double>(values[i]));
            out.times.push_back(times ? static_cast<double>(times[i]) : static_cast<double>(i));
        } else if (c == 1) {
            ++out.n_missing;
        } else {
            ++out.n_invalid;
        }
    }
    if (out.n_invalid != 0 && policy == core::on_invalid::raise) {
        std::size_t pos = 0;
        int c = 0;
        for (; pos < n; ++pos)
            if ((c = classify(pos)) >= 2) break;
        std::string head;
        if (c == 2) {
            head = "invalid value at position " + std::to_string(pos) + ": " + core::format_value(values[pos]) +
                   " (expected a finite number)";
        } else {
            const bool flagged = time_flags && time_flags[pos] != 0;
            head = "invalid time at position " + std::to_string(pos) + ": " +
                   (flagged ? std::string("unparseable") : core::format_value(times[pos])) +
                   " (expected a finite number or a date/time)";
        }
        CXKIT_THROW(invalid_input, head + "; " + std::to_string(out.n_invalid) + " invalid row" +
                                       (out.n_invalid == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }
    return out;
}

// ------------------------------------------------------------------------------------------------
// The test
// ------------------------------------------------------------------------------------------------

/// Options of mann_kendall().
struct mann_kendall_options {
    double confidence = 0.95;  ///< for the trend decision and the slope interval
    /// Reported times are shifted by this origin: the intercept is the line at absolute time 0,
    /// where absolute time = origin + the times given (e.g. days since 1970 of the first date when
    /// the times given are days since that date). The slope and S are unaffected.
    double time_origin = 0.0;
    sen_options sen;           ///< selection tuning (its confidence and variance_s are filled in)
};

/// Mann-Kendall trend test with Sen's slope. Field names as API.md (`TrendResult`).
struct trend_result {
    std::int64_t s = 0;
    double variance = std::numeric_limits<double>::quiet_NaN();   ///< Var S (tie corrected)
    double statistic = std::numeric_limits<double>::quiet_NaN();  ///< Z = (S − sgn S)/√Var S
    double p_value = std::numeric_limits<double>::quiet_NaN();    ///< two-sided, normal
    double tau = std::numeric_limits<double>::quiet_NaN();        ///< S / (n(n−1)/2) (Kendall's tau-a)
    double slope = std::numeric_limits<double>::quiet_NaN();      ///< Sen, per unit of time
    double intercept = std::numeric_limits<double>::quiet_NaN();  ///< median(x − slope·t), at absolute time 0
    double slope_low = std::numeric_limits<double>::quiet_NaN();
    double slope_high = std::numeric_limits<double>::quiet_NaN();
    std::string trend = "no trend";  ///< "increasing", "decreasing" or "no trend"
    std::uint64_t n = 0;
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    double confidence = 0.95;

    template <class F>
    static void fields(F&& f) {
        f("s", &trend_result::s);
        f("variance", &trend_result::variance);
        f("statistic", &trend_result::statistic);
        f("p_value", &trend_result::p_value);
        f("tau", &trend_result::tau);
        f("slope", &trend_result::slope);
        f("intercept", &trend_result::intercept);
        f("slope_low", &trend_result::slope_low);
        f("slope_high", &trend_result::slope_high);
        f("trend", &trend_result::trend);
        f("n", &trend_result::n);
        f("n_missing", &trend_result::n_missing);
        f("n_invalid", &trend_result::n_invalid);
        f("confidence", &trend_result::confidence);
    }
};

/**
 * Mann-Kendall test and Sen's slope of a validated series (finite values and times).
 * Fewer than two observations, or Var S = 0 (everything tied): statistic and p-value NaN,
 * "no trend". No two distinct times: slope and intercept NaN.
 * @throws invalid_argument for a confidence outside (0, 1) or mismatched lengths.
 */
inline trend_result mann_kendall(const clean_series& series, const mann_kendall_options& options = {}) {
    core::check_confidence(options.confidence);
    if (series.values.size() != series.times.size())
        CXKIT_THROW(invalid_argument, "times and values must have the same length");
    if (series.values.size() >= (std::size_t{1} << 32))
        CXKIT_THROW(invalid_argument, "mann_kendall supports at most 2^32 - 1 observations");
    trend_result r;
    r.confidence = options.confidence;
    r.n = series.values.size();
    r.n_missing = series.n_missing;
    r.n_invalid = series.n_invalid;
    const detail::time_sorted p = detail::sort_by_time(series.values, series.times);
    const kendall_s_result k = detail::kendall_s_sorted(p.t, p.x);
    r.s = k.s;
    r.variance = k.variance;
    if (k.pairs > 0) r.tau = static_cast<double>(k.s) / static_cast<double>(k.pairs);
    if (k.variance > 0.0) {
        const double sgn = k.s > 0 ? 1.0 : (k.s < 0 ? -1.0 : 0.0);
        r.statistic = (static_cast<double>(k.s) - sgn) / std::sqrt(k.variance);
        r.p_value = two_sided_p_normal(r.statistic);
        if (std::fabs(r.statistic) > z_critical(options.confidence))
            r.trend = r.statistic > 0 ? "increasing" : "decreasing";
    }
    sen_options so = options.sen;
    so.confidence = options.confidence;
    so.variance_s = k.variance > 0.0 ? k.variance : std::numeric_limits<double>::quiet_NaN();
    const sen_result sr = detail::sen_slope_sorted(p.t, p.x, k.pairs - k.tied_times, so);
    r.slope = sr.slope;
    r.slope_low = sr.slope_low;
    r.slope_high = sr.slope_high;
    r.intercept = sr.intercept - (options.time_origin != 0.0 ? sr.slope * options.time_origin : 0.0);
    return r;
}

/**
 * Mann-Kendall test and Sen's slope of `values` (NaN = missing, ±inf invalid) at times 0..n−1.
 * @code
 * std::vector<double> x{1, 2, 4, 3, 5};
 * auto r = cxkit::mann_kendall(cxkit::span<const double>(x));   // r.s == 8, r.slope == 1
 * @endcode
 */
template <class T>
trend_result mann_kendall(core::span<const T> values, const mann_kendall_options& options = {},
                          core::on_invalid policy = core::on_invalid::raise) {
    const clean_series c =
        clean_time_series<T, double>(values.data(), values.size(), nullptr, nullptr, nullptr, policy);
    return mann_kendall(c, options);
}

/**
 * Mann-Kendall test and Sen's slope of `values` at `times` (NaN = missing, ±inf invalid).
 * @throws invalid_argument if the lengths differ; invalid_input per `policy`.
 */
template <class T, class U>
trend_result mann_kendall(core::span<const T> values, core::span<const U> times, const mann_kendall_options& options = {},
                          core::on_invalid policy = core::on_invalid::raise) {
    if (values.size() != times.size())
        CXKIT_THROW(invalid_argument, "times has " + std::to_string(times.size()) + " values but values has " +
                                          std::to_string(values.size()));
    const clean_series c = clean_time_series<T, U>(values.data(), values.size(), nullptr, times.data(), nullptr, policy);
    return mann_kendall(c, options);
}

}  // namespace stats

using stats::kendall_s;
using stats::mann_kendall;
using stats::sen_slope;
using stats::trend_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_MANN_KENDALL_HPP
