/**
 * @file dsr.hpp
 * @brief Detailed Seller Ratings (METRICS.md §1 "DSR"): per seller and dimension, the mean 1..5
 *        rating over a rolling window of days, with a monthly per-buyer cap, shares of 5-star and
 *        low ratings, and a comparison with the seller's peers.
 *
 * Definitions (Taobao 店铺动态评分, eBay Detailed Seller Ratings):
 * - DSR_k(t) = mean of the counted ratings of dimension k with day in (t − window_days, t];
 *   days are calendar days (UTC) of the time stamps, t is the as-of day.
 * - Monthly cap: of the ratings one buyer gives one seller on one dimension in one calendar month,
 *   only the first `monthly_cap` (by time, then by rating) count; the rest are `capped`.
 *   0 turns the cap off; ratings without a buyer are never capped.
 * - Every row lands in exactly one class: counted (`n`), capped, expired (older than the window:
 *   not counted, not an error), missing (rating or time), invalid (rating outside 1..5, a time
 *   that is not a time, or, in `dsr_count`, a time after the as-of day). The classes are a
 *   function of the set of rows and the as-of day only, which is what makes every path below
 *   agree: a ratings older than the window is expired even when it was also beyond the cap, and a
 *   rating before the window still uses up its buyer's cap for the rest of that month.
 * - Peers (METRICS.md): peer mean = rating-weighted mean of the peer sellers' counted ratings
 *   (the seller included, like an industry average), or the unweighted mean of the peer sellers'
 *   DSRs; vs_peer_pct = 100 (s − m)/m; vs_peer_normalized = (s − m)/(max − m) if s >= m, else
 *   −(m − s)/(m − min), 0 when the denominator is 0, with max/min over the peers' DSRs.
 * - Significance: Welch's t test (stats/welch.hpp) of the seller's ratings against the other
 *   peers' ratings (a test needs two independent samples, so the seller is left out of the
 *   comparison sample though not out of the peer mean).
 *
 * Two ways in:
 * - `dsr_count`: one pass over columns (seller and dimension codes, ratings, time stamps, optional
 *   buyers) at one as-of day, the kernel behind `cx.dsr`.
 * - `dsr_accumulator`: the mergeable state for feeds. Per seller and dimension it keeps a ring of
 *   daily 5-bin histograms covering the window (stored sparsely: only days with ratings, in day
 *   order), so advancing the as-of day pops expired days exactly, and two states merge exactly.
 *   With buyers and a cap it also keeps, for every (buyer, month) overlapping the window, the
 *   times of the ratings that count against the cap (at most `monthly_cap` of them).
 */
#ifndef CXKIT_SURVEY_DSR_HPP
#define CXKIT_SURVEY_DSR_HPP

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/sort/spreadsort/integer_sort.hpp>

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/groupby.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/time.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/welch.hpp"

CXKIT_NAMESPACE_BEGIN
namespace survey {

/// Ratings are integers 1..5.
constexpr std::size_t dsr_points = 5;

/// The default dimensions: item as described (描述相符), shipping speed (交货速度), service
/// quality (服务质量), communication (沟通态度).
inline std::vector<std::string> default_dsr_dimensions() {
    return {"described", "shipping", "service", "communication"};
}

/// The counts of one seller × dimension at one as-of day.
struct dsr_cell {
    std::array<std::uint64_t, dsr_points> counts{};  ///< counted ratings per star 1..5
    std::uint64_t capped = 0;                        ///< in the window, beyond the monthly cap
    std::uint64_t expired = 0;                       ///< older than the window
    std::uint64_t missing = 0;                       ///< rating or time missing
    std::uint64_t invalid = 0;                       ///< see the file comment

    std::uint64_t n() const noexcept {
        std::uint64_t s = 0;
        for (auto c : counts) s += c;
        return s;
    }
    /// Every row of this cell, whatever its class.
    std::uint64_t rows() const noexcept { return n() + capped + expired + missing + invalid; }
    /// Mean of the counted ratings (NaN when there are none).
    double mean() const noexcept {
        std::uint64_t n = 0, sum = 0;
        for (std::size_t b = 0; b < dsr_points; ++b) {
            n += counts[b];
            sum += counts[b] * (b + 1);
        }
        return n > 0 ? static_cast<double>(sum) / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
    }
    /// Mean, unbiased variance and size of the counted ratings.
    stats::sample_summary summary() const noexcept {
        stats::sample_summary s;
        s.n = static_cast<double>(n());
        if (s.n == 0.0) return s;
        double sum = 0.0;
        for (std::size_t b = 0; b < dsr_points; ++b) sum += static_cast<double>(counts[b]) * static_cast<double>(b + 1);
        s.mean = sum / s.n;
        double ss = 0.0;  // two-pass over the 5 points: exact enough, never negative
        for (std::size_t b = 0; b < dsr_points; ++b) {
            const double d = static_cast<double>(b + 1) - s.mean;
            ss += static_cast<double>(counts[b]) * d * d;
        }
        s.variance = s.n > 1.0 ? ss / (s.n - 1.0) : std::numeric_limits<double>::quiet_NaN();
        return s;
    }
    dsr_cell& operator+=(const dsr_cell& o) noexcept {
        for (std::size_t b = 0; b < dsr_points; ++b) counts[b] += o.counts[b];
        capped += o.capped;
        expired += o.expired;
        missing += o.missing;
        invalid += o.invalid;
        return *this;
    }
    bool operator==(const dsr_cell& o) const noexcept {
        return counts == o.counts && capped == o.capped && expired == o.expired && missing == o.missing &&
               invalid == o.invalid;
    }
    bool operator!=(const dsr_cell& o) const noexcept { return !(*this == o); }
};

/// How the peer mean is formed.
enum class dsr_peer_mean {
    ratings,  ///< rating-weighted: all peer ratings pooled (default)
    sellers,  ///< unweighted mean of the peer sellers' DSRs
};

/// Parses "ratings" / "sellers". @throws invalid_argument naming the bad value.
inline dsr_peer_mean parse_dsr_peer_mean(const std::string& text) {
    if (text == "ratings") return dsr_peer_mean::ratings;
    if (text == "sellers") return dsr_peer_mean::sellers;
    CXKIT_THROW(invalid_argument, "peer_mean must be \"ratings\" or \"sellers\", got \"" + text + "\"");
}

/// Options of the DSR results.
struct dsr_options {
    dsr_peer_mean peer_mean = dsr_peer_mean::ratings;
    /// Welch's test of each seller against its other peers (statistic, p_value); false leaves
    /// them NaN and skips the Student-t tail (about 0.3 µs per seller × dimension).
    bool test = true;
};

/// DSR of one seller × dimension (API.md "Ratings, index, feedback").
struct dsr_result {
    double dsr = std::numeric_limits<double>::quiet_NaN();  ///< mean counted rating, 1..5
    std::uint64_t n = 0;                                    ///< counted ratings
    std::uint64_t n_capped = 0;
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    std::uint64_t n_expired = 0;
    double share_5 = std::numeric_limits<double>::quiet_NaN();    ///< share of 5-star ratings, 0..1
    double share_low = std::numeric_limits<double>::quiet_NaN();  ///< share of 1-2 star ratings, 0..1
    double peer_mean = std::numeric_limits<double>::quiet_NaN();
    double vs_peer_pct = std::numeric_limits<double>::quiet_NaN();
    double vs_peer_normalized = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t peer_n = 0;        ///< counted ratings of the peer group (the seller included)
    std::uint64_t peer_sellers = 0;  ///< peer sellers with at least one counted rating
    double statistic = std::numeric_limits<double>::quiet_NaN();  ///< Welch t, seller vs other peers
    double p_value = std::numeric_limits<double>::quiet_NaN();    ///< two-sided

    template <class F>
    static void fields(F&& f) {
        f("dsr", &dsr_result::dsr);
        f("n", &dsr_result::n);
        f("n_capped", &dsr_result::n_capped);
        f("n_missing", &dsr_result::n_missing);
        f("n_invalid", &dsr_result::n_invalid);
        f("n_expired", &dsr_result::n_expired);
        f("share_5", &dsr_result::share_5);
        f("share_low", &dsr_result::share_low);
        f("peer_mean", &dsr_result::peer_mean);
        f("vs_peer_pct", &dsr_result::vs_peer_pct);
        f("vs_peer_normalized", &dsr_result::vs_peer_normalized);
        f("peer_n", &dsr_result::peer_n);
        f("peer_sellers", &dsr_result::peer_sellers);
        f("statistic", &dsr_result::statistic);
        f("p_value", &dsr_result::p_value);
    }
};

namespace detail {
struct dsr_peer_stats {
    dsr_cell pooled;  // counts summed over the peer sellers
    std::uint64_t sellers = 0;
    double sum_of_means = 0.0;
    double max = -std::numeric_limits<double>::infinity();
    double min = std::numeric_limits<double>::infinity();
};

inline double dsr_normalized(double s, double m, double max, double min) noexcept {
    if (std::isnan(s) || std::isnan(m)) return std::numeric_limits<double>::quiet_NaN();
    if (s >= m) return max - m > 0.0 ? (s - m) / (max - m) : 0.0;
    return m - min > 0.0 ? -(m - s) / (m - min) : 0.0;
}
}  // namespace detail

/**
 * Results for a dense table of cells, seller-major (cell of seller s and dimension k at
 * s · n_dims + k).
 * @param peer_group  empty: all sellers are one peer group; else one code per seller, 0..G−1,
 *                    or −1 for a seller without peers (its peer fields are NaN / 0).
 * @param threads     for the per-cell tests (0 = all cores).
 * @throws invalid_argument if the sizes disagree.
 */
inline std::vector<dsr_result> dsr_results(core::span<const dsr_cell> cells, std::size_t n_dims,
                                           core::span<const std::int64_t> peer_group, const dsr_options& options = {},
                                           unsigned threads = 1) {
    if (n_dims == 0 || cells.size() % n_dims != 0)
        CXKIT_THROW(invalid_argument, "dsr_results: " + std::to_string(cells.size()) +
                                          " cells is not a whole number of sellers of " + std::to_string(n_dims) +
                                          " dimensions");
    const std::size_t n_sellers = cells.size() / n_dims;
    if (!peer_group.empty() && peer_group.size() != n_sellers)
        CXKIT_THROW(invalid_argument, "dsr_results: " + std::to_string(peer_group.size()) +
                                          " peer group codes for " + std::to_string(n_sellers) + " sellers");
    std::int64_t n_groups = peer_group.empty() ? 1 : 0;
    for (auto g : peer_group) {
        if (g < -1 || g >= static_cast<std::int64_t>(n_sellers))
            CXKIT_THROW(invalid_argument, "dsr_results: peer group code " + std::to_string(g) +
                                              " outside -1.." + std::to_string(n_sellers) + " - 1 (one group per seller at most)");
        n_groups = std::max(n_groups, g + 1);
    }
    auto group_of = [&](std::size_t s) -> std::int64_t { return peer_group.empty() ? 0 : peer_group[s]; };

    std::vector<detail::dsr_peer_stats> peers(static_cast<std::size_t>(n_groups) * n_dims);
    for (std::size_t s = 0; s < n_sellers; ++s) {
        const std::int64_t g = group_of(s);
        if (g < 0) continue;
        for (std::size_t k = 0; k < n_dims; ++k) {
            const dsr_cell& c = cells[s * n_dims + k];
            const std::uint64_t n = c.n();
            if (n == 0) continue;
            auto& p = peers[static_cast<std::size_t>(g) * n_dims + k];
            for (std::size_t b = 0; b < dsr_points; ++b) p.pooled.counts[b] += c.counts[b];
            const double mean = c.mean();
            ++p.sellers;
            p.sum_of_means += mean;
            p.max = std::max(p.max, mean);
            p.min = std::min(p.min, mean);
        }
    }

    // Per peer group and dimension, once: the pooled summary and the peer mean.
    std::vector<stats::sample_summary> pooled(peers.size());
    std::vector<double> peer_mean(peers.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t j = 0; j < peers.size(); ++j) {
        pooled[j] = peers[j].pooled.summary();
        if (peers[j].sellers > 0)
            peer_mean[j] = options.peer_mean == dsr_peer_mean::ratings
                               ? pooled[j].mean
                               : peers[j].sum_of_means / static_cast<double>(peers[j].sellers);
    }

    std::vector<dsr_result> out(cells.size());
    const unsigned t = core::plan_threads(cells.size() * 64, 0, threads);  // ~0.3 µs per cell: parallel from ~4k cells
    core::parallel_chunks(cells.size(), t, [&](unsigned, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            const dsr_cell& c = cells[i];
            dsr_result& r = out[i];
            r.n = c.n();
            r.n_capped = c.capped;
            r.n_missing = c.missing;
            r.n_invalid = c.invalid;
            r.n_expired = c.expired;
            if (r.n > 0) {
                const double n = static_cast<double>(r.n);
                r.dsr = c.mean();
                r.share_5 = static_cast<double>(c.counts[4]) / n;
                r.share_low = static_cast<double>(c.counts[0] + c.counts[1]) / n;
            }
            const std::int64_t g = group_of(i / n_dims);
            if (g < 0) continue;
            const std::size_t j = static_cast<std::size_t>(g) * n_dims + i % n_dims;
            const auto& p = peers[j];
            r.peer_n = static_cast<std::uint64_t>(pooled[j].n);
            r.peer_sellers = p.sellers;
            if (p.sellers == 0) continue;
            r.peer_mean = peer_mean[j];
            if (r.n == 0) continue;
            r.vs_peer_pct = 100.0 * (r.dsr - r.peer_mean) / r.peer_mean;
            r.vs_peer_normalized = detail::dsr_normalized(r.dsr, r.peer_mean, p.max, p.min);
            if (!options.test) continue;
            dsr_cell rest = p.pooled;  // the other peers: pooled minus this seller
            for (std::size_t b = 0; b < dsr_points; ++b) rest.counts[b] -= c.counts[b];
            const stats::welch_statistic w = stats::welch_t(c.summary(), rest.summary());
            r.statistic = w.t;
            r.p_value = stats::two_sided_p_t(w.t, w.df);
        }
    });
    return out;
}

// ------------------------------------------------------------------------------------------------
// Time window and monthly cap (shared by the kernel and the accumulator)

/// The as-of day and window: counted days are as_of − window_days + 1 .. as_of.
struct dsr_window {
    std::int64_t as_of = 0;        ///< day number (days since 1970-01-01)
    std::int64_t window_days = 180;

    std::int64_t first_day() const noexcept { return as_of - window_days + 1; }
    /// First day of the calendar month holding first_day(): ratings from here on can still
    /// take a cap slot that matters.
    std::int64_t cap_first_day() const noexcept { return core::first_day_of_month(core::month_of_day(first_day())); }
};

/// Largest window and cap a state accepts (keeps states bounded; ten years of days).
constexpr std::int64_t dsr_max_window_days = 3660;
constexpr std::uint32_t dsr_max_monthly_cap = 1000;

/// Day numbers a DSR state accepts: ±2^31 days (about ±5.8 million years) keeps every calendar
/// computation on them far inside int64; a time outside is invalid, an as-of day outside refused.
constexpr std::int64_t dsr_max_abs_day = std::int64_t{1} << 31;
inline bool dsr_day_in_range(std::int64_t day) noexcept { return day >= -dsr_max_abs_day && day <= dsr_max_abs_day; }

inline void check_dsr_day(std::int64_t day, const char* what) {
    if (!dsr_day_in_range(day))
        CXKIT_THROW(invalid_argument, std::string(what) + " day " + std::to_string(day) + " is outside the supported range ±" +
                                          std::to_string(dsr_max_abs_day) + " days");
}

/// @throws invalid_argument for no dimensions, an empty name or a name given twice.
inline void check_dsr_dimensions(const std::vector<std::string>& dims) {
    if (dims.empty()) CXKIT_THROW(invalid_argument, "dimensions: at least one dimension is needed");
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (dims[i].empty()) CXKIT_THROW(invalid_argument, "dimensions: empty name at position " + std::to_string(i));
        for (std::size_t j = 0; j < i; ++j)
            if (dims[i] == dims[j]) CXKIT_THROW(invalid_argument, "dimensions: \"" + dims[i] + "\" appears twice");
    }
}

inline void check_dsr_parameters(std::int64_t window_days, std::int64_t monthly_cap) {
    if (window_days < 1 || window_days > dsr_max_window_days)
        CXKIT_THROW(invalid_argument, "window_days must be in 1.." + std::to_string(dsr_max_window_days) + ", got " +
                                          std::to_string(window_days));
    if (monthly_cap < 0 || monthly_cap > dsr_max_monthly_cap)
        CXKIT_THROW(invalid_argument, "monthly_cap must be in 0.." + std::to_string(dsr_max_monthly_cap) +
                                          " (0 = no cap), got " + std::to_string(monthly_cap));
}

namespace detail {
/// The time stamps per second of `units_per_day` (86400 for seconds, 86400e9 for nanoseconds).
inline std::int64_t units_per_second(std::int64_t units_per_day) {
    if (units_per_day <= 0 || units_per_day % core::seconds_per_day != 0)
        CXKIT_THROW(invalid_argument, "units_per_day must be a positive multiple of 86400, got " +
                                          std::to_string(units_per_day));
    return units_per_day / core::seconds_per_day;
}

/// Stamp of the start of `day`, saturating instead of overflowing. Below, it saturates to
/// INT64_MIN + 1, so that NaT (INT64_MIN) stays below every window start (time_class needs it).
inline std::int64_t day_start_stamp(std::int64_t day, std::int64_t units_per_day) noexcept {
    std::int64_t out;
    if (__builtin_mul_overflow(day, units_per_day, &out))
        return day < 0 ? std::numeric_limits<std::int64_t>::min() + 1 : std::numeric_limits<std::int64_t>::max();
    return out;
}
}  // namespace detail

// ------------------------------------------------------------------------------------------------
// Column kernel

/**
 * Input columns of `dsr_count` / `dsr_accumulator::add`. Codes follow the group-code convention
 * of core/groupby.hpp: seller of row i = seller[i] − seller_offset in 0..n_sellers−1, −1 missing.
 * Dimension codes index `dimension_labels` (−1 missing); the labels are matched against the
 * state's dimension names, so a label that is not one of them, or a code outside the labels, is
 * an unknown dimension (invalid). Time stamps count `units_per_day` units per day from the epoch
 * (86400: seconds; 86400e9: numpy datetime64[ns]); `time_flags` marks 1 = missing, 2 = invalid.
 * Buyers are any 64-bit ids (`buyer_missing` marks missing ones); null `buyer` = no buyers.
 */
template <class R, class S = std::int64_t, class D = std::int64_t>
struct dsr_columns {
    std::size_t size = 0;
    const S* seller = nullptr;
    std::int64_t seller_offset = 0;
    std::size_t n_sellers = 0;
    const D* dimension = nullptr;
    core::span<const std::string> dimension_labels;
    const R* rating = nullptr;
    const std::uint8_t* rating_missing = nullptr;
    const std::int64_t* time = nullptr;
    const std::uint8_t* time_flags = nullptr;
    std::int64_t units_per_day = core::seconds_per_day;
    const std::int64_t* buyer = nullptr;
    const std::uint8_t* buyer_missing = nullptr;
};

/// What `dsr_count` returns: one cell per seller code × dimension (seller-major), and the rows
/// that cannot be attributed to a cell.
struct dsr_table {
    std::size_t n_sellers = 0;
    std::size_t n_dims = 0;
    std::vector<dsr_cell> cells;
    std::uint64_t missing_key = 0;  ///< rows whose seller or dimension is missing
    std::uint64_t invalid_key = 0;  ///< rows with an unknown dimension
    std::int64_t as_of = 0;         ///< the as-of day used
};

namespace detail {

// Row classes in the kernel's table (per cell): 0..4 = counted star 1..5, then:
constexpr std::uint32_t dsr_missing = 5, dsr_invalid = 6, dsr_expired = 7, dsr_bins = 8;
// Rank of "nothing wrong" when the rating and the time classes are combined (see combine()).
constexpr std::uint32_t dsr_fine = 8;
// numpy's NaT: the smallest int64. A time stamp equal to it is missing.
constexpr std::int64_t dsr_nat = std::numeric_limits<std::int64_t>::min();

/// Classifies rows; the kernel's inner loop and the error scan share it, so they agree.
template <class R, class S, class D>
struct dsr_classifier {
    const dsr_columns<R, S, D>* in = nullptr;
    core::integer_scale scale{1, 5};
    std::vector<std::uint32_t> dim_slot;  // by dimension code + 1: 0..K-1, K = missing, K+1 = unknown
    std::uint32_t n_dims = 0;
    std::int64_t lo = 0, hi = 0;  // counted stamps: [lo, hi)

    dsr_classifier(const dsr_columns<R, S, D>& c, const std::vector<std::string>& dims, const dsr_window& w)
        : in(&c), n_dims(static_cast<std::uint32_t>(dims.size())) {
        dim_slot.assign(c.dimension_labels.size() + 1, n_dims + 1);
        dim_slot[0] = n_dims;
        for (std::size_t j = 0; j < c.dimension_labels.size(); ++j)
            for (std::size_t k = 0; k < dims.size(); ++k)
                if (c.dimension_labels[j] == dims[k]) dim_slot[j + 1] = static_cast<std::uint32_t>(k);
        lo = day_start_stamp(w.first_day(), c.units_per_day);
        hi = day_start_stamp(w.as_of + 1, c.units_per_day);
    }
    std::uint32_t slot(std::size_t i) const noexcept {
        const std::uint64_t u = static_cast<std::uint64_t>(static_cast<std::int64_t>(in->dimension[i]) + 1);
        return u < dim_slot.size() ? dim_slot[u] : n_dims + 1;
    }
    /// Rating class 0..4, or dsr_missing / dsr_invalid.
    std::uint32_t rating_bin(std::size_t i) const noexcept {
        if (in->rating_missing != nullptr && in->rating_missing[i] != 0) return dsr_missing;
        return scale.code(in->rating[i]);  // 5 = missing (NaN), 6 = invalid: same numbering
    }
    /// Time index, ordered as the stamps are: 0 = NaT (missing), 1 = before the window (expired),
    /// 2 = in it, 3 = after as_of (invalid). Three comparisons, no branches: in or out of the
    /// window is unpredictable row to row. Needs NaT < lo <= hi (day_start_stamp saturates so).
    static std::uint32_t time_index(std::int64_t t, std::int64_t lo, std::int64_t hi) noexcept {
        return static_cast<std::uint32_t>(t != dsr_nat) + static_cast<std::uint32_t>(t >= lo) +
               static_cast<std::uint32_t>(t >= hi);
    }
    static constexpr std::uint32_t time_of_index[4] = {dsr_missing, dsr_expired, dsr_fine, dsr_invalid};
    /// Time class: dsr_fine in the window, else dsr_missing (flagged or NaT), dsr_invalid (not a
    /// time, or after as_of) or dsr_expired.
    static std::uint32_t time_class(std::int64_t t, std::int64_t lo, std::int64_t hi) noexcept {
        return time_of_index[time_index(t, lo, hi)];
    }
    static std::uint32_t apply_flag(std::uint32_t tb, std::uint8_t flag) noexcept {
        tb = flag == 1 ? dsr_missing : tb;
        return flag == 2 ? dsr_invalid : tb;
    }
    /// 1 = missing (flagged or NaT), 2 = invalid, 0 = a time (for paths without a window).
    std::uint8_t time_flag(std::size_t i) const noexcept {
        const std::uint8_t f = in->time_flags != nullptr ? in->time_flags[i] : 0;
        if (f != 0) return f;
        if (in->time[i] == dsr_nat) return 1;
        return dsr_day_in_range(core::day_of(in->time[i], in->units_per_day)) ? 0 : 2;
    }
    std::uint32_t time_bin(std::size_t i) const noexcept {
        const std::uint32_t tb = time_class(in->time[i], lo, hi);
        return in->time_flags != nullptr ? apply_flag(tb, in->time_flags[i]) : tb;
    }
    /// The row's class: the worst of rating and time, ranked missing < invalid < expired < fine
    /// (ARCHITECTURE.md §3: a row with a missing value is missing, whatever else is wrong with it).
    static std::uint32_t combine(std::uint32_t rb, std::uint32_t tb) noexcept {
        return combine_ranked(rb, rb < dsr_points ? dsr_fine : rb, tb);
    }
    /// combine() with the rating's rank `rr` (dsr_fine for a valid rating) precomputed.
    static std::uint32_t combine_ranked(std::uint32_t rb, std::uint32_t rr, std::uint32_t tb) noexcept {
        const std::uint32_t worst = rr < tb ? rr : tb;
        const std::uint32_t keep = 0u - static_cast<std::uint32_t>(worst == dsr_fine);  // all ones: the rating
        return worst ^ ((worst ^ rb) & keep);
    }
    std::uint32_t bin(std::size_t i) const noexcept { return combine(rating_bin(i), time_bin(i)); }
};

/// Table position of (seller row, dimension slot): slot-major, so a row's position is
/// slot_base[slot] + 8 · seller_row + class, with no multiplication in the loop.
inline std::size_t dsr_cell_at(std::size_t srow, std::size_t slot, std::size_t seller_rows) noexcept {
    return (slot * seller_rows + srow) * dsr_bins;
}

/// The counting loop of dsr_count over rows [begin, end), specialised on the optional columns.
/// A row's bin comes from one lookup in a table built with the classifier's own functions (so
/// the loop and the scalar paths agree by construction): (rating row) × 4 + time index -> class.
/// Rating rows are the byte value for one-byte ratings (row 256: missing), else the scale code.
template <bool RatingMask, bool TimeFlags, class R, class S, class D>
void dsr_count_rows(const dsr_classifier<R, S, D>& cls, std::size_t begin, std::size_t end,
                    std::uint16_t* CXKIT_RESTRICT c, std::vector<std::uint64_t>& carry, std::size_t table_size) {
    using C = dsr_classifier<R, S, D>;
    // Plain locals, so stores into the table cannot make the compiler reload them per row.
    const dsr_columns<R, S, D>& in = *cls.in;
    const S* CXKIT_RESTRICT seller = in.seller;
    const D* CXKIT_RESTRICT dim = in.dimension;
    const R* CXKIT_RESTRICT rating = in.rating;
    const std::int64_t* CXKIT_RESTRICT time = in.time;
    const std::uint8_t* CXKIT_RESTRICT rmask = in.rating_missing;
    const std::uint8_t* CXKIT_RESTRICT tflags = in.time_flags;
    const std::int64_t offset1 = in.seller_offset - 1, lo = cls.lo, hi = cls.hi;
    const std::uint64_t ns = in.n_sellers, nd = cls.dim_slot.size();
    const std::size_t seller_rows = in.n_sellers + 2;
    const core::integer_scale scale = cls.scale;
    constexpr bool byte_values = sizeof(R) == 1 && std::is_integral<R>::value;
    constexpr bool byte_dims = sizeof(D) == 1 && std::is_integral<D>::value;
    constexpr std::uint32_t missing_row = byte_values ? 256 : dsr_missing;
    std::uint32_t bin_of[(byte_values ? 257 : 7) * 4];
    for (std::uint32_t row = 0; row * 4 < sizeof(bin_of) / sizeof(bin_of[0]); ++row) {
        std::uint32_t rb = row;
        if constexpr (byte_values) rb = row == missing_row ? dsr_missing : scale.code(static_cast<R>(static_cast<std::uint8_t>(row)));
        for (std::uint32_t ti = 0; ti < 4; ++ti) bin_of[row * 4 + ti] = C::combine(rb, C::time_of_index[ti]);
    }
    // A time flag (1 missing, 2 invalid; apply_flag) replaces the time index.
    std::uint8_t flagged[256 * 4];
    for (std::uint32_t f = 0; f < 256; ++f)
        for (std::uint32_t ti = 0; ti < 4; ++ti) {
            const std::uint32_t tb = C::apply_flag(C::time_of_index[ti], static_cast<std::uint8_t>(f));
            std::uint8_t back = 0;
            while (C::time_of_index[back] != tb) ++back;
            flagged[f * 4 + ti] = back;
        }
    // Dimension code -> slot_base (slot · seller_rows · 8); one-byte codes from a 256-entry table.
    std::vector<std::size_t> base_of(nd);
    for (std::size_t u = 0; u < nd; ++u) base_of[u] = dsr_cell_at(0, cls.dim_slot[u], seller_rows);
    const std::size_t unknown_base = dsr_cell_at(0, cls.n_dims + 1, seller_rows);
    const std::size_t* CXKIT_RESTRICT dbase = base_of.data();
    std::size_t dim_base[256] = {};
    if constexpr (byte_dims)
        for (unsigned x = 0; x < 256; ++x) {
            const auto u = static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<D>(static_cast<std::uint8_t>(x))) + 1);
            dim_base[x] = u < nd ? dbase[u] : unknown_base;
        }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 4
#endif
    for (std::size_t i = begin; i < end; ++i) {
        std::uint64_t srow = static_cast<std::uint64_t>(static_cast<std::int64_t>(seller[i]) - offset1);
        srow = srow > ns ? ns + 1 : srow;
        std::size_t base;
        if constexpr (byte_dims) {
            base = dim_base[static_cast<std::uint8_t>(dim[i])];
        } else {
            const std::uint64_t du = static_cast<std::uint64_t>(static_cast<std::int64_t>(dim[i]) + 1);
            base = du < nd ? dbase[du] : unknown_base;
        }
        std::uint32_t row;
        if constexpr (byte_values) row = static_cast<std::uint8_t>(rating[i]);
        else row = scale.code(rating[i]);
        if constexpr (RatingMask) row = rmask[i] ? missing_row : row;
        std::uint32_t ti = C::time_index(time[i], lo, hi);
        if constexpr (TimeFlags) ti = flagged[tflags[i] * 4u + ti];
        const std::size_t x = base + 8 * srow + bin_of[row * 4 + ti];
        if (CXKIT_UNLIKELY(++c[x] == 0)) {  // a 16-bit count wrapped: carry into the 64-bit totals
            if (carry.empty()) carry.assign(table_size, 0);
            carry[x] += std::uint64_t{1} << 16;
        }
    }
}

/// One row's place in the monthly-cap ordering.
struct dsr_cap_row {
    std::uint64_t cell;    // seller · K + dimension
    std::int64_t month;    // calendar month index
    std::int64_t buyer;
    std::int64_t second;   // time in seconds (ties broken by rating)
    std::uint8_t rating;   // 1..5
    bool counted;          // in the window (else expired)
    bool operator<(const dsr_cap_row& o) const noexcept {
        if (cell != o.cell) return cell < o.cell;
        if (month != o.month) return month < o.month;
        if (buyer != o.buyer) return buyer < o.buyer;
        if (second != o.second) return second < o.second;
        return rating < o.rating;
    }
    bool same_group(const dsr_cap_row& o) const noexcept {
        return cell == o.cell && month == o.month && buyer == o.buyer;
    }
};
}  // namespace detail

/**
 * One pass over rating rows at one as-of day: the kernel behind `cx.dsr`.
 * Rows are classified (file comment) into a private table per thread, summed afterwards; with
 * buyers and a cap, the rows that can compete for a cap slot are sorted by (cell, month, buyer,
 * time, rating) and those past the first `monthly_cap` of their group move from counted to capped.
 * @param as_of  the as-of day (days since epoch); rows after it are invalid.
 * @throws invalid_input (policy raise) naming the first bad row; out_of_range for a seller code
 *         outside −1..n_sellers−1; invalid_argument for bad parameters.
 */
template <class R, class S, class D>
dsr_table dsr_count(const dsr_columns<R, S, D>& in, const std::vector<std::string>& dimensions, std::int64_t as_of,
                    std::int64_t window_days = 180, std::int64_t monthly_cap = 3,
                    core::on_invalid policy = core::on_invalid::raise, unsigned threads = 1) {
    check_dsr_parameters(window_days, monthly_cap);
    check_dsr_dimensions(dimensions);
    check_dsr_day(as_of, "as_of");
    const std::int64_t ups = detail::units_per_second(in.units_per_day);
    const dsr_window window{as_of, window_days};
    const detail::dsr_classifier<R, S, D> cls(in, dimensions, window);
    const std::size_t K = dimensions.size(), slots = K + 2, n_sellers = in.n_sellers;
    // (slots) x (seller rows: missing seller, the sellers, a spare row for bad codes) x classes
    const std::size_t table_size = slots * (n_sellers + 2) * detail::dsr_bins;
    const unsigned t = core::plan_threads(in.size, table_size * sizeof(std::uint16_t), threads);
    // Per thread: a table of 16-bit counts (half the cache footprint of 32-bit ones: with two
    // threads, 32-bit tables of 10k sellers took 20% longer), whose wraps carry into 64-bit
    // counts allocated at the first wrap. No summed copy: the cells below read them (count()).
    std::vector<std::vector<std::uint16_t>> tables(t);
    std::vector<std::vector<std::uint64_t>> carries(t);
    core::parallel_chunks(in.size, t, [&](unsigned thread, std::size_t begin, std::size_t end) {
        tables[thread].assign(table_size, 0u);
        std::uint16_t* c = tables[thread].data();
        std::vector<std::uint64_t>& carry = carries[thread];
        if (in.rating_missing != nullptr) {
            if (in.time_flags != nullptr) detail::dsr_count_rows<true, true>(cls, begin, end, c, carry, table_size);
            else detail::dsr_count_rows<true, false>(cls, begin, end, c, carry, table_size);
        } else {
            if (in.time_flags != nullptr) detail::dsr_count_rows<false, true>(cls, begin, end, c, carry, table_size);
            else detail::dsr_count_rows<false, false>(cls, begin, end, c, carry, table_size);
        }
    });
    auto count = [&](std::size_t j) {
        std::uint64_t s = 0;
        for (unsigned k = 0; k < t; ++k) s += tables[k][j] + (carries[k].empty() ? 0 : carries[k][j]);
        return s;
    };

    auto cell_total = [&](std::size_t srow, std::size_t slot) {
        std::uint64_t s = 0;
        const std::size_t at = detail::dsr_cell_at(srow, slot, n_sellers + 2);
        for (std::uint32_t b = 0; b < detail::dsr_bins; ++b) s += count(at + b);
        return s;
    };
    // Seller codes out of range: a caller error, refused before anything else.
    std::uint64_t bad_codes = 0;
    for (std::size_t slot = 0; slot < slots; ++slot) bad_codes += cell_total(n_sellers + 1, slot);
    if (bad_codes != 0)
        core::throw_bad_group_code(core::group_codes<S>{in.seller, in.seller_offset, n_sellers}, in.size);

    dsr_table out;
    out.n_sellers = n_sellers;
    out.n_dims = K;
    out.as_of = as_of;
    out.cells.resize(n_sellers * K);
    for (std::size_t slot = 0; slot < slots; ++slot) out.missing_key += cell_total(0, slot);
    std::uint64_t n_invalid = 0;
    for (std::size_t s = 0; s < n_sellers; ++s) {
        out.missing_key += cell_total(s + 1, K);
        out.invalid_key += cell_total(s + 1, K + 1);
        for (std::size_t k = 0; k < K; ++k) {
            const std::size_t at = detail::dsr_cell_at(s + 1, k, n_sellers + 2);
            dsr_cell& cell = out.cells[s * K + k];
            for (std::size_t b = 0; b < dsr_points; ++b) cell.counts[b] = count(at + b);
            cell.missing = count(at + detail::dsr_missing);
            cell.invalid = count(at + detail::dsr_invalid);
            cell.expired = count(at + detail::dsr_expired);
            n_invalid += cell.invalid;
        }
    }
    n_invalid += out.invalid_key;
    if (n_invalid != 0 && policy == core::on_invalid::raise) {
        std::size_t pos = 0;
        std::string what;
        for (; pos < in.size; ++pos) {
            if (static_cast<std::int64_t>(in.seller[pos]) - in.seller_offset == -1) continue;
            const std::uint32_t slot = cls.slot(pos);
            if (slot == K) continue;
            if (slot == K + 1) {
                const auto code = static_cast<std::int64_t>(in.dimension[pos]);
                const bool labelled = code >= 0 && static_cast<std::size_t>(code) < in.dimension_labels.size();
                std::string names;
                for (std::size_t k = 0; k < K; ++k) names += (k ? ", " : "") + dimensions[k];
                what = "unknown dimension at position " + std::to_string(pos) + ": " +
                       (labelled ? "\"" + in.dimension_labels[static_cast<std::size_t>(code)] + "\""
                                 : "code " + std::to_string(code)) +
                       " (expected one of " + names + ")";
                break;
            }
            const std::uint32_t rb = cls.rating_bin(pos), tb = cls.time_bin(pos);
            if (cls.combine(rb, tb) != detail::dsr_invalid) continue;
            if (rb == detail::dsr_invalid)
                what = "invalid rating at position " + std::to_string(pos) + ": " + core::format_value(in.rating[pos]) +
                       " (expected " + cls.scale.expected() + ")";
            else if (in.time_flags != nullptr && in.time_flags[pos] == 2)
                what = "invalid time at position " + std::to_string(pos) + " (not a date or time)";
            else {
                what = "time at position " + std::to_string(pos) + " is after as_of " + core::iso_date(as_of) +
                       " (day " + std::to_string(core::day_of(in.time[pos], in.units_per_day)) + " > " +
                       std::to_string(as_of) + ")";
            }
            break;
        }
        CXKIT_THROW(invalid_input, what + "; " + std::to_string(n_invalid) + " invalid row" +
                                       (n_invalid == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }

    if (in.buyer != nullptr && monthly_cap > 0) {
        // Rows that can take a cap slot that matters: valid, with a buyer, from the first day of
        // the window's first month on (earlier months cannot share a month with a counted row).
        const std::int64_t cap_lo = detail::day_start_stamp(window.cap_first_day(), in.units_per_day);
        // Most (buyer, seller, dimension, month) groups hold one rating. So: hash the group key of
        // every competing row, sort the hashes (Boost.Sort's spreadsort), and gather with full keys
        // only the rows whose hash occurs more than `monthly_cap` times; a hash collision merely
        // adds rows to that exact step. (Sorting every competing row by its full key took 1 s for
        // 5M rows; this takes a fraction of it.)
        auto competes = [&](std::size_t i, std::uint64_t& cell, std::int64_t& month, std::uint32_t& b) {
            const std::int64_t s = static_cast<std::int64_t>(in.seller[i]) - in.seller_offset;
            if (s < 0 || in.time[i] < cap_lo) return false;
            if (in.buyer_missing != nullptr && in.buyer_missing[i] != 0) return false;
            const std::uint32_t slot = cls.slot(i);
            if (slot >= K) return false;
            b = cls.bin(i);
            if (b >= detail::dsr_missing && b != detail::dsr_expired) return false;
            cell = static_cast<std::uint64_t>(s) * K + slot;
            month = core::month_of_day(core::day_of(in.time[i], in.units_per_day));
            return true;
        };
        auto group_hash = [](std::uint64_t cell, std::int64_t month, std::int64_t buyer) {
            std::uint64_t h = cell * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(month) * 0xC2B2AE3D27D4EB4Full;
            h ^= static_cast<std::uint64_t>(buyer) + 0x165667B19E3779F9ull + (h << 6) + (h >> 2);
            h ^= h >> 31;
            h *= 0xBF58476D1CE4E5B9ull;
            return h ^ (h >> 29);
        };
        std::vector<std::uint64_t> hashes;
        std::vector<std::size_t> where;
        for (std::size_t i = 0; i < in.size; ++i) {
            std::uint64_t cell = 0;
            std::int64_t month = 0;
            std::uint32_t b = 0;
            if (!competes(i, cell, month, b)) continue;
            hashes.push_back(group_hash(cell, month, in.buyer[i]));
            where.push_back(i);
        }
        std::vector<std::uint64_t> sorted(hashes);
        boost::sort::spreadsort::integer_sort(sorted.begin(), sorted.end());
        std::vector<std::uint64_t> crowded;  // hashes of more than monthly_cap rows, ascending
        for (std::size_t g = 0; g < sorted.size();) {
            std::size_t e = g + 1;
            while (e < sorted.size() && sorted[e] == sorted[g]) ++e;
            if (e - g > static_cast<std::size_t>(monthly_cap)) crowded.push_back(sorted[g]);
            g = e;
        }
        std::vector<detail::dsr_cap_row> rows;
        for (std::size_t j = 0; j < where.size() && !crowded.empty(); ++j) {
            if (!std::binary_search(crowded.begin(), crowded.end(), hashes[j])) continue;
            const std::size_t i = where[j];
            std::uint64_t cell = 0;
            std::int64_t month = 0;
            std::uint32_t b = 0;
            competes(i, cell, month, b);
            rows.push_back({cell, month, in.buyer[i], core::floor_div(in.time[i], ups),
                            static_cast<std::uint8_t>(static_cast<double>(in.rating[i])), b != detail::dsr_expired});
        }
        std::sort(rows.begin(), rows.end());
        for (std::size_t g = 0; g < rows.size();) {
            std::size_t e = g + 1;
            while (e < rows.size() && rows[e].same_group(rows[g])) ++e;
            for (std::size_t j = g + static_cast<std::size_t>(monthly_cap); j < e; ++j) {
                if (!rows[j].counted) continue;  // older than the window: expired, cap or not
                dsr_cell& cell = out.cells[rows[j].cell];
                --cell.counts[rows[j].rating - 1];
                ++cell.capped;
            }
            g = e;
        }
    }
    return out;
}

// ------------------------------------------------------------------------------------------------
// The mergeable state

/**
 * Mergeable DSR state for feeds: ratings arrive in any order, in batches or one by one, on many
 * machines; states merge exactly; the as-of day moves forward with the newest rating (or by
 * `advance`) and days that leave the window are dropped (their ratings become `expired`).
 *
 * Time stamps are seconds since 1970-01-01 UTC; buyers are 64-bit ids.
 *
 * Merge: both states are first advanced to the later as-of day; then per seller × dimension the
 * daily histograms add day by day, the counters add, and the cap records of a (buyer, month)
 * present in both are merged, keeping the earliest `monthly_cap` ratings: each rating pushed out
 * was counted in its own state and is moved from counted to capped on its day. Every class is a
 * function of the union of the rows and the as-of day (file comment), so merging is associative
 * and commutative, and the default-constructed state is its identity.
 */
class dsr_accumulator {
public:
    static constexpr core::state_family family = core::state_family::dsr;
    static constexpr std::uint16_t format_version = 1;

    /// @throws invalid_argument for no dimensions, duplicate or empty names, or parameters out of range.
    explicit dsr_accumulator(std::vector<std::string> dimensions = default_dsr_dimensions(),
                             std::int64_t window_days = 180, std::int64_t monthly_cap = 3)
        : dims_(std::move(dimensions)), window_days_(window_days), cap_(static_cast<std::uint32_t>(monthly_cap)) {
        check_dsr_parameters(window_days, monthly_cap);
        check_dsr_dimensions(dims_);
    }

    const std::vector<std::string>& dimensions() const noexcept { return dims_; }
    std::int64_t window_days() const noexcept { return window_days_; }
    std::uint32_t monthly_cap() const noexcept { return cap_; }
    /// The as-of day (days since epoch); empty until the first rating or `advance`.
    std::optional<std::int64_t> as_of() const noexcept {
        return has_as_of_ ? std::optional<std::int64_t>(as_of_) : std::nullopt;
    }
    std::size_t n_sellers() const noexcept { return sellers_.size(); }
    /// Rows whose seller or dimension was missing / whose dimension was unknown.
    std::uint64_t n_missing_key() const noexcept { return missing_key_; }
    std::uint64_t n_invalid_key() const noexcept { return invalid_key_; }

    /**
     * Moves the as-of day forward to `day`: days before day − window_days + 1 leave the window.
     * @throws invalid_argument if `day` is before the current as-of day (expired days are gone).
     */
    void advance(std::int64_t day) {
        check_dsr_day(day, "as_of");
        if (has_as_of_ && day < as_of_)
            CXKIT_THROW(invalid_argument, "as_of can only move forward: the state is at day " + std::to_string(as_of_) +
                                              ", asked for day " + std::to_string(day));
        if (has_as_of_ && day == as_of_) return;
        has_as_of_ = true;
        as_of_ = day;
        const std::int64_t first = window().first_day();
        const std::int64_t keep_month = core::month_of_day(first);  // months before it are over
        for (auto& kv : sellers_)
            for (auto& cell : kv.second) {
                auto it = cell.ring.begin();
                while (it != cell.ring.end() && it->day < first) {
                    for (auto c : it->counts) cell.expired += c;
                    cell.expired += it->capped;
                    ++it;
                }
                cell.ring.erase(cell.ring.begin(), it);
                // Records are ordered by (month, buyer): the months that are over form a prefix.
                cell.records.erase(cell.records.begin(),
                                   cell.records.lower_bound({keep_month, std::numeric_limits<std::int64_t>::min()}));
            }
    }

    /**
     * Adds one rating. `rating` NaN = missing; `time` nullopt = missing (seconds since epoch);
     * a time after the as-of day moves the as-of day forward.
     * @throws invalid_input (policy raise) for a rating outside 1..5 or an unknown dimension.
     */
    void add(const std::string& seller, const std::string& dimension, double rating, std::optional<std::int64_t> time,
             std::optional<std::int64_t> buyer = std::nullopt, core::on_invalid policy = core::on_invalid::raise) {
        const std::int64_t code = 0;
        const std::uint8_t rmiss = 0, tflag = time ? 0 : 1, bmiss = buyer ? 0 : 1;
        const std::int64_t t = time ? *time : 0, b = buyer ? *buyer : 0;
        dsr_columns<double, std::int64_t, std::int64_t> c;
        c.size = 1;
        c.seller = &code;
        c.n_sellers = 1;
        c.dimension = &code;
        c.dimension_labels = core::span<const std::string>(&dimension, 1);
        c.rating = &rating;
        c.rating_missing = &rmiss;
        c.time = &t;
        c.time_flags = &tflag;
        c.buyer = &b;
        c.buyer_missing = &bmiss;
        add(c, core::span<const std::string>(&seller, 1), policy);
    }

    /**
     * Adds a batch (see dsr_columns; `seller_labels` names the seller codes 0..n_sellers−1).
     * With policy raise, an invalid row refuses the whole batch and leaves the state unchanged.
     * @throws invalid_input, out_of_range (seller codes), invalid_argument (sizes, units).
     */
    template <class R, class S, class D>
    void add(const dsr_columns<R, S, D>& in, core::span<const std::string> seller_labels,
             core::on_invalid policy = core::on_invalid::raise) {
        if (seller_labels.size() != in.n_sellers)
            CXKIT_THROW(invalid_argument, "dsr: " + std::to_string(seller_labels.size()) + " seller labels for " +
                                              std::to_string(in.n_sellers) + " seller codes");
        detail::units_per_second(in.units_per_day);
        // Pass 1: the newest valid day (the as-of day moves there first, so the order of the rows
        // in the batch does not matter), and the policy check, before the state changes.
        const detail::dsr_classifier<R, S, D> probe(in, dims_, dsr_window{0, window_days_});
        std::int64_t newest = std::numeric_limits<std::int64_t>::min();
        bool any = false;
        for (std::size_t i = 0; i < in.size; ++i) {
            const std::int64_t s = static_cast<std::int64_t>(in.seller[i]) - in.seller_offset;
            if (s < -1 || s >= static_cast<std::int64_t>(in.n_sellers))
                core::throw_bad_group_code(core::group_codes<S>{in.seller, in.seller_offset, in.n_sellers}, in.size);
            if (s == -1) continue;
            const std::uint32_t slot = probe.slot(i);
            const std::uint32_t rb = probe.rating_bin(i);
            const std::uint8_t tf = probe.time_flag(i);
            if (slot < dims_.size() && rb < dsr_points && tf == 0) {
                newest = std::max(newest, core::day_of(in.time[i], in.units_per_day));
                any = true;
            }
            if (policy == core::on_invalid::raise && invalid_row(slot, rb, tf)) throw_invalid(in, i, probe);
        }
        if (any && (!has_as_of_ || newest > as_of_)) advance(newest);

        // Pass 2: route every row. Counted rows are gathered per cell and day first, then merged
        // into the rings in one ordered pass (a random-order batch would otherwise insert into the
        // middle of the rings row by row).
        std::vector<std::vector<cell_state>*> seller_of(in.n_sellers, nullptr);
        auto cells_of = [&](std::size_t s) -> std::vector<cell_state>& {
            if (seller_of[s] == nullptr) {
                auto it = sellers_.find(seller_labels[s]);
                if (it == sellers_.end())
                    it = sellers_.emplace(seller_labels[s], std::vector<cell_state>(dims_.size())).first;
                seller_of[s] = &it->second;
            }
            return *seller_of[s];
        };
        const std::int64_t first = has_as_of_ ? window().first_day() : 0;
        const std::int64_t ups = detail::units_per_second(in.units_per_day);
        std::vector<pending> todo;
        for (std::size_t i = 0; i < in.size; ++i) {
            const std::int64_t s = static_cast<std::int64_t>(in.seller[i]) - in.seller_offset;
            const std::uint32_t slot = probe.slot(i);
            if (s == -1 || slot == dims_.size()) {
                ++missing_key_;
                continue;
            }
            if (slot == dims_.size() + 1) {
                ++invalid_key_;
                continue;
            }
            cell_state& cell = cells_of(static_cast<std::size_t>(s))[slot];
            const std::uint32_t rb = probe.rating_bin(i);
            const std::uint8_t tf = probe.time_flag(i);
            if (rb == detail::dsr_missing || tf == 1) {
                ++cell.missing;
                continue;
            }
            if (rb == detail::dsr_invalid || tf == 2) {
                ++cell.invalid;
                continue;
            }
            const std::int64_t day = core::day_of(in.time[i], in.units_per_day);
            const bool has_buyer = in.buyer != nullptr && (in.buyer_missing == nullptr || in.buyer_missing[i] == 0);
            if (has_buyer && cap_ > 0) {
                add_capped(cell, day, core::floor_div(in.time[i], ups), in.buyer[i], rb, todo, first);
            } else if (day < first) {
                ++cell.expired;
            } else {
                todo.push_back({&cell, day, static_cast<std::int8_t>(rb), 1});
            }
        }
        apply(todo);
    }

    /// Window counts per seller (sellers in sorted order) × dimension, seller-major.
    std::vector<dsr_cell> cells() const {
        std::vector<dsr_cell> out;
        out.reserve(sellers_.size() * dims_.size());
        for (const auto& kv : sellers_)
            for (const cell_state& c : kv.second) {
                dsr_cell d;
                for (const day_entry& e : c.ring) {
                    for (std::size_t b = 0; b < dsr_points; ++b) d.counts[b] += e.counts[b];
                    d.capped += e.capped;
                }
                d.expired = c.expired;
                d.missing = c.missing;
                d.invalid = c.invalid;
                out.push_back(d);
            }
        return out;
    }
    /// Seller keys in the order of cells() and result().
    std::vector<std::string> sellers() const {
        std::vector<std::string> out;
        out.reserve(sellers_.size());
        for (const auto& kv : sellers_) out.push_back(kv.first);
        return out;
    }
    /**
     * Results per seller (order of sellers()) × dimension at the current as-of day.
     * @param peer_group  empty: all sellers are peers; else one group code per seller (−1: none).
     */
    std::vector<dsr_result> result(const dsr_options& options = {}, core::span<const std::int64_t> peer_group = {},
                                   unsigned threads = 1) const {
        const std::vector<dsr_cell> c = cells();
        return dsr_results(core::span<const dsr_cell>(c.data(), c.size()), dims_.size(), peer_group, options, threads);
    }

    /// Every row added so far, whatever its class.
    std::uint64_t rows() const noexcept {
        std::uint64_t s = missing_key_ + invalid_key_;
        for (const auto& kv : sellers_)
            for (const cell_state& c : kv.second) {
                s += c.expired + c.missing + c.invalid;
                for (const day_entry& e : c.ring) {
                    s += e.capped;
                    for (auto x : e.counts) s += x;
                }
            }
        return s;
    }

    /// Merge (see the class comment). @throws invalid_argument if dimensions, window or cap differ.
    dsr_accumulator& operator+=(const dsr_accumulator& other) {
        if (dims_ != other.dims_ || window_days_ != other.window_days_ || cap_ != other.cap_)
            CXKIT_THROW(invalid_argument, "cannot merge DSR states with different dimensions, window_days or monthly_cap");
        if (other.has_as_of_ && (!has_as_of_ || other.as_of_ > as_of_)) advance(other.as_of_);
        const dsr_accumulator* src = &other;
        dsr_accumulator moved;
        if (has_as_of_ && (!other.has_as_of_ || other.as_of_ < as_of_) && !other.sellers_.empty()) {
            moved = other;
            moved.advance(as_of_);
            src = &moved;
        }
        missing_key_ += src->missing_key_;
        invalid_key_ += src->invalid_key_;
        const std::int64_t first = has_as_of_ ? window().first_day() : 0;
        std::vector<pending> todo;
        for (const auto& kv : src->sellers_) {
            auto it = sellers_.find(kv.first);
            if (it == sellers_.end()) it = sellers_.emplace(kv.first, std::vector<cell_state>(dims_.size())).first;
            for (std::size_t k = 0; k < dims_.size(); ++k) {
                cell_state& a = it->second[k];
                const cell_state& b = kv.second[k];
                a.expired += b.expired;
                a.missing += b.missing;
                a.invalid += b.invalid;
                merge_rings(a.ring, b.ring);
                for (const auto& rec : b.records) {
                    auto mine = a.records.find(rec.first);
                    if (mine == a.records.end()) {
                        a.records.emplace(rec.first, rec.second);
                        continue;
                    }
                    // Keep the earliest `cap` of both; each one pushed out was counted by its own state.
                    std::vector<cap_entry> all = mine->second;
                    all.insert(all.end(), rec.second.begin(), rec.second.end());
                    std::sort(all.begin(), all.end());
                    for (std::size_t j = cap_; j < all.size(); ++j) demote(a, all[j], todo, first);
                    all.resize(std::min<std::size_t>(all.size(), cap_));
                    mine->second = std::move(all);
                }
            }
        }
        apply(todo);
        return *this;
    }
    dsr_accumulator& merge(const dsr_accumulator& other) { return *this += other; }
    friend dsr_accumulator operator+(dsr_accumulator a, const dsr_accumulator& b) { return a += b; }

    friend bool operator==(const dsr_accumulator& a, const dsr_accumulator& b) noexcept {
        return a.dims_ == b.dims_ && a.window_days_ == b.window_days_ && a.cap_ == b.cap_ &&
               a.has_as_of_ == b.has_as_of_ && (!a.has_as_of_ || a.as_of_ == b.as_of_) &&
               a.missing_key_ == b.missing_key_ && a.invalid_key_ == b.invalid_key_ && a.sellers_ == b.sellers_;
    }
    friend bool operator!=(const dsr_accumulator& a, const dsr_accumulator& b) noexcept { return !(a == b); }

    /**
     * Payload v1: u64 dimension count, names; i64 window_days; u32 monthly_cap; u8 has_as_of;
     * i64 as_of; u64 missing_key, invalid_key; u64 sellers; per seller (sorted by key): key, then
     * per dimension: u64 expired, missing, invalid; u64 ring days, per day i64 day, u64 counts[5],
     * u64 capped; u64 records, per record i64 month, i64 buyer, u64 entries, per entry i64 second,
     * u8 rating.
     */
    std::vector<std::uint8_t> serialize() const {
        core::archive_writer w(family, format_version);
        w.write_u64(dims_.size());
        for (const auto& d : dims_) w.write_string(d);
        w.write_i64(window_days_);
        w.write_u32(cap_);
        w.write_u8(has_as_of_ ? 1 : 0);
        w.write_i64(has_as_of_ ? as_of_ : 0);
        w.write_u64(missing_key_);
        w.write_u64(invalid_key_);
        w.write_u64(sellers_.size());
        for (const auto& kv : sellers_) {
            w.write_string(kv.first);
            for (const cell_state& c : kv.second) {
                w.write_u64(c.expired);
                w.write_u64(c.missing);
                w.write_u64(c.invalid);
                w.write_u64(c.ring.size());
                for (const day_entry& e : c.ring) {
                    w.write_i64(e.day);
                    w.write_u64s(e.counts.data(), dsr_points);
                    w.write_u64(e.capped);
                }
                w.write_u64(c.records.size());
                for (const auto& rec : c.records) {
                    w.write_i64(rec.first.first);
                    w.write_i64(rec.first.second);
                    w.write_u64(rec.second.size());
                    for (const cap_entry& e : rec.second) {
                        w.write_i64(e.second);
                        w.write_u8(e.rating);
                    }
                }
            }
        }
        return w.finish();
    }

    /// Inverse of serialize(). @throws corrupt_state for truncated, corrupt or inconsistent bytes.
    static dsr_accumulator deserialize(const std::uint8_t* data, std::size_t size) {
        using core::archive_reader;
        archive_reader r(data, size, family, format_version);
        const std::uint64_t nd = r.read_u64("dimensions");
        r.expect_remaining_at_least(nd * 8, "dimensions");
        std::vector<std::string> dims;
        for (std::uint64_t i = 0; i < nd; ++i) dims.push_back(r.read_string("dimension"));
        const std::int64_t window = r.read_i64("window_days");
        const std::uint32_t cap = r.read_u32("monthly_cap");
        dsr_accumulator a = [&] {
            try {
                return dsr_accumulator(dims, window, cap);
            } catch (const invalid_argument& e) {
                archive_reader::fail(std::string("parameters: ") + e.what());
            }
        }();
        const std::uint8_t has = r.read_u8("has_as_of");
        if (has > 1) archive_reader::fail("has_as_of is " + std::to_string(has));
        a.has_as_of_ = has == 1;
        a.as_of_ = r.read_i64("as_of");
        if (!a.has_as_of_ && a.as_of_ != 0) archive_reader::fail("as_of set without has_as_of");
        if (a.has_as_of_ && !dsr_day_in_range(a.as_of_))
            archive_reader::fail("as_of day " + std::to_string(a.as_of_) + " is out of range");
        a.missing_key_ = r.read_u64("missing_key");
        a.invalid_key_ = r.read_u64("invalid_key");
        const std::uint64_t n_sellers = r.read_u64("sellers");
        r.expect_remaining_at_least(n_sellers * (8 + nd * 40), "sellers");
        const std::int64_t first = a.has_as_of_ ? a.window().first_day() : 0;
        const std::int64_t keep_month = core::month_of_day(first);
        const std::string* previous = nullptr;
        for (std::uint64_t s = 0; s < n_sellers; ++s) {
            std::string key = r.read_string("seller");
            if (previous != nullptr && !(*previous < key)) archive_reader::fail("sellers are not sorted and unique");
            const auto cells = a.sellers_.emplace(std::move(key), std::vector<cell_state>(nd)).first;
            previous = &cells->first;
            for (cell_state& c : cells->second) {
                c.expired = r.read_u64("expired");
                c.missing = r.read_u64("missing");
                c.invalid = r.read_u64("invalid");
                const std::uint64_t days = r.read_u64("ring days");
                if (days > static_cast<std::uint64_t>(window)) archive_reader::fail("ring holds more days than the window");
                if (days > 0 && !a.has_as_of_) archive_reader::fail("ratings without an as-of day");
                r.expect_remaining_at_least(days * 56, "ring");
                for (std::uint64_t d = 0; d < days; ++d) {
                    day_entry e;
                    e.day = r.read_i64("day");
                    for (auto& x : e.counts) x = r.read_u64("counts");
                    e.capped = r.read_u64("capped");
                    if (e.day < first || e.day > a.as_of_ || (!c.ring.empty() && e.day <= c.ring.back().day))
                        archive_reader::fail("ring day " + std::to_string(e.day) + " is out of order or outside the window");
                    c.ring.push_back(e);
                }
                const std::uint64_t n_records = r.read_u64("records");
                if (n_records > 0 && (a.cap_ == 0 || !a.has_as_of_)) archive_reader::fail("cap records without a cap");
                r.expect_remaining_at_least(n_records * 24, "records");
                for (std::uint64_t j = 0; j < n_records; ++j) {
                    const std::int64_t month = r.read_i64("month"), buyer = r.read_i64("buyer");
                    const std::uint64_t n_entries = r.read_u64("entries");
                    if (n_entries == 0 || n_entries > a.cap_) archive_reader::fail("cap record with " + std::to_string(n_entries) + " entries");
                    if (month < keep_month || month > core::month_of_day(a.as_of_))
                        archive_reader::fail("cap record month " + std::to_string(month) + " outside the window");
                    r.expect_remaining_at_least(n_entries * 9, "entries");
                    std::vector<cap_entry> entries;
                    for (std::uint64_t q = 0; q < n_entries; ++q) {
                        cap_entry e;
                        e.second = r.read_i64("second");
                        e.rating = r.read_u8("rating");
                        if (e.rating < 1 || e.rating > 5) archive_reader::fail("cap record rating " + std::to_string(e.rating));
                        if (core::month_of_day(core::floor_div(e.second, core::seconds_per_day)) != month)
                            archive_reader::fail("cap record entry outside its month");
                        if (!entries.empty() && e < entries.back()) archive_reader::fail("cap record entries out of order");
                        entries.push_back(e);
                    }
                    const auto record_key = std::make_pair(month, buyer);
                    if (!c.records.empty() && !(std::prev(c.records.end())->first < record_key))
                        archive_reader::fail("cap records are not sorted and unique");
                    c.records.emplace_hint(c.records.end(), record_key, std::move(entries));
                }
            }
        }
        r.finish();
        return a;
    }

private:
    struct day_entry {
        std::int64_t day = 0;
        std::array<std::uint64_t, dsr_points> counts{};
        std::uint64_t capped = 0;
        bool operator==(const day_entry& o) const noexcept {
            return day == o.day && counts == o.counts && capped == o.capped;
        }
    };
    struct cap_entry {
        std::int64_t second = 0;
        std::uint8_t rating = 0;
        bool operator<(const cap_entry& o) const noexcept {
            return second != o.second ? second < o.second : rating < o.rating;
        }
        bool operator==(const cap_entry& o) const noexcept { return second == o.second && rating == o.rating; }
    };
    struct cell_state {
        std::vector<day_entry> ring;  // days in the window with ratings, ascending
        std::uint64_t expired = 0, missing = 0, invalid = 0;
        // (month, buyer) -> the earliest ratings counting against the cap, at most cap_, sorted
        std::map<std::pair<std::int64_t, std::int64_t>, std::vector<cap_entry>> records;
        bool operator==(const cell_state& o) const noexcept {
            return ring == o.ring && expired == o.expired && missing == o.missing && invalid == o.invalid &&
                   records == o.records;
        }
    };
    // A change to a ring, applied in day order: slot 0..4 a counted star, 5 = capped.
    struct pending {
        cell_state* cell;
        std::int64_t day;
        std::int8_t slot;
        std::int8_t delta;
    };

    dsr_window window() const noexcept { return dsr_window{as_of_, window_days_}; }

    // Counts `e` as capped instead of counted (it was pushed out of its buyer's first `cap`).
    static void demote(cell_state& cell, const cap_entry& e, std::vector<pending>& todo, std::int64_t first) {
        const std::int64_t day = core::floor_div(e.second, core::seconds_per_day);
        if (day < first) return;  // expired either way
        todo.push_back({&cell, day, static_cast<std::int8_t>(e.rating - 1), -1});
        todo.push_back({&cell, day, 5, 1});
    }

    void add_capped(cell_state& cell, std::int64_t day, std::int64_t second, std::int64_t buyer, std::uint32_t rb,
                    std::vector<pending>& todo, std::int64_t first) {
        const std::int64_t month = core::month_of_day(day);
        if (month < core::month_of_day(first)) {  // a month already over: expired, and cannot matter
            ++cell.expired;
            return;
        }
        auto& rec = cell.records[{month, buyer}];
        const cap_entry e{second, static_cast<std::uint8_t>(rb + 1)};
        if (rec.size() >= cap_ && !(e < rec.back())) {  // beyond the cap
            if (day < first) ++cell.expired;
            else todo.push_back({&cell, day, 5, 1});
            return;
        }
        if (rec.size() >= cap_) {
            demote(cell, rec.back(), todo, first);
            rec.pop_back();
        }
        rec.insert(std::upper_bound(rec.begin(), rec.end(), e), e);
        if (day < first) ++cell.expired;
        else todo.push_back({&cell, day, static_cast<std::int8_t>(rb), 1});
    }

    // Applies ring changes grouped by cell and day: one ordered merge per touched cell.
    static void apply(std::vector<pending>& todo) {
        if (todo.empty()) return;
        std::sort(todo.begin(), todo.end(), [](const pending& a, const pending& b) {
            return a.cell != b.cell ? std::less<cell_state*>()(a.cell, b.cell) : a.day < b.day;
        });
        for (std::size_t i = 0; i < todo.size();) {
            cell_state* cell = todo[i].cell;
            std::size_t j = i;
            // Signed per-day deltas (a demotion can take away a count the ring already holds).
            std::vector<std::array<std::int64_t, dsr_points + 1>> deltas;
            std::vector<std::int64_t> days;
            for (; j < todo.size() && todo[j].cell == cell; ++j) {
                if (days.empty() || days.back() != todo[j].day) {
                    days.push_back(todo[j].day);
                    deltas.push_back({});
                }
                deltas.back()[static_cast<std::size_t>(todo[j].slot)] += todo[j].delta;
            }
            std::vector<day_entry> merged;
            merged.reserve(cell->ring.size() + days.size());
            std::size_t a = 0, d = 0;
            while (a < cell->ring.size() || d < days.size()) {
                if (d == days.size() || (a < cell->ring.size() && cell->ring[a].day < days[d])) {
                    merged.push_back(cell->ring[a++]);
                    continue;
                }
                day_entry e;
                e.day = days[d];
                if (a < cell->ring.size() && cell->ring[a].day == days[d]) e = cell->ring[a++];
                for (std::size_t b = 0; b < dsr_points; ++b)
                    e.counts[b] = static_cast<std::uint64_t>(static_cast<std::int64_t>(e.counts[b]) + deltas[d][b]);
                e.capped = static_cast<std::uint64_t>(static_cast<std::int64_t>(e.capped) + deltas[d][dsr_points]);
                ++d;
                merged.push_back(e);
            }
            cell->ring = std::move(merged);
            i = j;
        }
        todo.clear();
    }

    static void merge_rings(std::vector<day_entry>& a, const std::vector<day_entry>& b) {
        std::vector<day_entry> merged;
        merged.reserve(a.size() + b.size());
        std::size_t i = 0, j = 0;
        while (i < a.size() || j < b.size()) {
            if (j == b.size() || (i < a.size() && a[i].day < b[j].day)) merged.push_back(a[i++]);
            else if (i == a.size() || b[j].day < a[i].day) merged.push_back(b[j++]);
            else {
                day_entry e = a[i++];
                for (std::size_t q = 0; q < dsr_points; ++q) e.counts[q] += b[j].counts[q];
                e.capped += b[j++].capped;
                merged.push_back(e);
            }
        }
        a = std::move(merged);
    }

    // An unknown dimension is invalid whatever the rating; otherwise missing beats invalid.
    bool invalid_row(std::uint32_t slot, std::uint32_t rb, std::uint8_t tf) const noexcept {
        if (slot == dims_.size() + 1) return true;
        return slot < dims_.size() && rb != detail::dsr_missing && tf != 1 && (rb == detail::dsr_invalid || tf == 2);
    }

    template <class R, class S, class D>
    [[noreturn]] void throw_invalid(const dsr_columns<R, S, D>& in, std::size_t first_bad,
                                    const detail::dsr_classifier<R, S, D>& probe) const {
        std::uint64_t bad = 0;
        for (std::size_t i = first_bad; i < in.size; ++i) {
            if (static_cast<std::int64_t>(in.seller[i]) - in.seller_offset == -1) continue;
            const std::uint8_t tf = probe.time_flag(i);
            if (invalid_row(probe.slot(i), probe.rating_bin(i), tf)) ++bad;
        }
        const std::size_t i = first_bad;
        std::string what;
        if (probe.slot(i) == dims_.size() + 1) {
            const auto code = static_cast<std::int64_t>(in.dimension[i]);
            std::string names;
            for (std::size_t k = 0; k < dims_.size(); ++k) names += (k ? ", " : "") + dims_[k];
            what = "unknown dimension at position " + std::to_string(i) + ": " +
                   (code >= 0 && static_cast<std::size_t>(code) < in.dimension_labels.size()
                        ? "\"" + in.dimension_labels[static_cast<std::size_t>(code)] + "\""
                        : "code " + std::to_string(code)) +
                   " (expected one of " + names + ")";
        } else if (probe.rating_bin(i) == detail::dsr_invalid) {
            what = "invalid rating at position " + std::to_string(i) + ": " + core::format_value(in.rating[i]) +
                   " (expected " + probe.scale.expected() + ")";
        } else if (in.time_flags != nullptr && in.time_flags[i] == 2) {
            what = "invalid time at position " + std::to_string(i) + " (not a date or time)";
        } else {
            what = "invalid time at position " + std::to_string(i) + ": " + core::format_value(in.time[i]) +
                   " is outside the supported range of ±" + std::to_string(dsr_max_abs_day) + " days";
        }
        CXKIT_THROW(invalid_input, what + "; " + std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }

    std::vector<std::string> dims_;
    std::int64_t window_days_ = 180;
    std::uint32_t cap_ = 3;
    bool has_as_of_ = false;
    std::int64_t as_of_ = 0;
    std::uint64_t missing_key_ = 0;
    std::uint64_t invalid_key_ = 0;
    std::map<std::string, std::vector<cell_state>> sellers_;
};

}  // namespace survey

using survey::dsr_accumulator;
using survey::dsr_cell;
using survey::dsr_count;
using survey::dsr_options;
using survey::dsr_result;
using survey::dsr_results;
CXKIT_NAMESPACE_END

#endif  // CXKIT_SURVEY_DSR_HPP
