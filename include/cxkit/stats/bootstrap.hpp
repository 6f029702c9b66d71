/**
 * @file bootstrap.hpp
 * @brief Seeded, platform-independent nonparametric bootstrap over units (Efron 1979), shared by
 *        every metric that needs one (CSI, and later Kano and key drivers).
 *
 * A resample of n units is drawn with replacement and handed to the statistic as multiplicities
 * (`counts[i]` = how often unit i was drawn, Σ counts = n), which lets a statistic that is a sum
 * over units weight each unit once instead of visiting duplicates.
 *
 * Reproducibility: the same (seed, n, n_boot) give the same replicates on every platform,
 * compiler and thread count. That needs
 * - an engine whose output sequence is fixed by its definition: boost::random::mt19937_64;
 * - a uniform integer draw whose algorithm is fixed: boost::random::uniform_int_distribution
 *   (the std:: distributions are implementation-defined and differ between libstdc++, libc++
 *   and MSVC, so they are never used here);
 * - one engine per replicate, seeded with `replicate_seed(seed, b)` (a SplitMix64 hash of the
 *   seed and the replicate number), so replicate b does not depend on which thread drew it or on
 *   how many replicates were drawn before it.
 *
 * The percentile interval takes the (1 − c)/2 and (1 + c)/2 quantiles of the replicates with
 * linear interpolation between order statistics (Hyndman & Fan 1996 type 7, numpy's default);
 * the standard error is the replicates' standard deviation (n − 1 denominator). NaN replicates
 * (a resample on which the statistic is undefined) are left out and counted.
 */
#ifndef CXKIT_STATS_BOOTSTRAP_HPP
#define CXKIT_STATS_BOOTSTRAP_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>

#include "cxkit/config.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/intervals.hpp"

CXKIT_NAMESPACE_BEGIN
namespace stats {

/// Options of a bootstrap.
struct bootstrap_options {
    std::size_t n_boot = 2000;   ///< number of replicates
    std::uint64_t seed = 0;      ///< the replicates are a function of (seed, n, n_boot) only
    double confidence = 0.95;    ///< two-sided level of the percentile interval
    unsigned threads = 1;        ///< 0 = all hardware threads; never changes the result

    /// Largest number of replicates accepted (keeps the replicate vector small).
    static constexpr std::size_t max_boot = std::size_t{1} << 24;

    /// @throws invalid_argument unless 2 <= n_boot <= max_boot and 0 < confidence < 1.
    void validate() const {
        if (n_boot < 2 || n_boot > max_boot)
            CXKIT_THROW(invalid_argument, "n_boot must be in 2.." + std::to_string(max_boot) + ", got " +
                                              std::to_string(n_boot));
        core::check_confidence(confidence);
    }
};

/// The engine of every cxkit bootstrap (its output is fixed by the Mersenne Twister definition).
using bootstrap_engine = boost::random::mt19937_64;

/// Seed of the engine of replicate `b`: SplitMix64 (Steele, Lea & Flood 2014) of seed + (b + 1) γ,
/// so nearby seeds and replicate numbers give unrelated streams.
constexpr std::uint64_t replicate_seed(std::uint64_t seed, std::uint64_t b) noexcept {
    std::uint64_t z = seed + (b + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/**
 * Draws one resample of `counts.size()` units with replacement: on return `counts[i]` is the
 * number of times unit i was drawn (the counts sum to the number of units). Exactly
 * `counts.size()` uniform draws, in order, from `engine`.
 */
inline void resample_counts(bootstrap_engine& engine, core::span<std::uint32_t> counts) {
    const std::size_t n = counts.size();
    std::fill(counts.begin(), counts.end(), 0u);
    if (n == 0) return;
    boost::random::uniform_int_distribution<std::uint64_t> unit(0, static_cast<std::uint64_t>(n - 1));
    for (std::size_t i = 0; i < n; ++i) ++counts[static_cast<std::size_t>(unit(engine))];
}

/**
 * The statistic on `options.n_boot` resamples of `n_units` units: element b is
 * `statistic(counts_b)` where counts_b (a `span<const std::uint32_t>` of size n_units) is drawn
 * by `resample_counts` with an engine seeded by `replicate_seed(options.seed, b)`.
 * With threads != 1 the statistic is called concurrently (it must only read shared data); the
 * replicates are the same for any thread count.
 * @throws invalid_argument for bad options (see bootstrap_options::validate).
 */
template <class Statistic>
std::vector<double> bootstrap_replicates(std::size_t n_units, const bootstrap_options& options, Statistic&& statistic) {
    options.validate();
    std::vector<double> out(options.n_boot);
    unsigned threads = options.threads == 0 ? core::hardware_threads() : options.threads;
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, options.n_boot));
    core::parallel_chunks(options.n_boot, threads, [&](unsigned, std::size_t begin, std::size_t end) {
        std::vector<std::uint32_t> counts(n_units);
        for (std::size_t b = begin; b < end; ++b) {
            bootstrap_engine engine(replicate_seed(options.seed, b));
            resample_counts(engine, counts);
            out[b] = statistic(core::span<const std::uint32_t>(counts.data(), counts.size()));
        }
    });
    return out;
}

/// Quantile `q` (0..1) of sorted values by linear interpolation between order statistics
/// (Hyndman & Fan type 7: h = (m − 1) q, x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋)). NaN when empty.
inline double sorted_quantile(core::span<const double> sorted, double q) noexcept {
    const std::size_t m = sorted.size();
    if (m == 0) return std::numeric_limits<double>::quiet_NaN();
    const double h = static_cast<double>(m - 1) * q;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    if (lo + 1 >= m) return sorted[m - 1];
    return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

/// What a set of replicates says about the statistic's sampling distribution.
struct bootstrap_summary {
    double std_error = std::numeric_limits<double>::quiet_NaN();  ///< SD of the valid replicates
    interval ci;                                                   ///< percentile interval
    std::size_t n_valid = 0;                                       ///< replicates that were not NaN
};

/**
 * Standard error (SD with n − 1 denominator, two-pass) and percentile interval of the non-NaN
 * replicates; NaN fields when fewer than 2 are valid.
 * @throws invalid_argument unless 0 < confidence < 1.
 */
inline bootstrap_summary summarize_replicates(core::span<const double> replicates, double confidence) {
    core::check_confidence(confidence);
    std::vector<double> v;
    v.reserve(replicates.size());
    for (double x : replicates)
        if (!std::isnan(x)) v.push_back(x);
    bootstrap_summary s;
    s.n_valid = v.size();
    if (v.size() < 2) return s;
    double mean = 0.0;
    for (double x : v) mean += x;
    mean /= static_cast<double>(v.size());
    double ss = 0.0;
    for (double x : v) ss += (x - mean) * (x - mean);
    s.std_error = std::sqrt(ss / static_cast<double>(v.size() - 1));
    std::sort(v.begin(), v.end());
    const double tail = (1.0 - confidence) / 2.0;
    s.ci.low = sorted_quantile(v, tail);
    s.ci.high = sorted_quantile(v, 1.0 - tail);
    return s;
}

}  // namespace stats
CXKIT_NAMESPACE_END

#endif  // CXKIT_STATS_BOOTSTRAP_HPP
