/**
 * @file survival.hpp
 * @brief Kaplan-Meier survival (METRICS.md §4 "Survival", Kaplan & Meier 1958) with Greenwood
 *        standard errors, log-log / log / plain intervals, the median with its Brookmeyer-Crowley
 *        interval, weights and left truncation; and the log-rank family of tests.
 *
 * The state (`survival_accumulator`) is the event table: per distinct time t, the (weighted)
 * subjects entering at t, the events at t and the censored at t. Everything else follows from it:
 * - at risk n(t) = Σ_{entry ≤ t} w − Σ_{exit < t} w (subjects that entered at or before t and had
 *   not exited before t; an exit at t is still at risk at t). Without entry times every subject
 *   enters at 0. The inclusive "entered at or before t" is lifelines' convention (`entry=`);
 *   R's counting-process form (start, stop] differs only when an entry time equals an event time.
 * - Ŝ(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ); censoring at tᵢ is applied after the events at tᵢ.
 * - Greenwood: σ²(t) = Σ_{tᵢ ≤ t} dᵢ / (nᵢ (nᵢ − dᵢ)); `std_error` = Ŝ σ (the SE of Ŝ).
 * - Intervals at level 1 − α, z = Φ⁻¹(1 − α/2): "log-log" Ŝ^{exp(± z σ / log Ŝ)} (lifelines'
 *   exponential Greenwood); "log" Ŝ exp(± z σ) with the upper bound clipped at 1; "plain"
 *   Ŝ ± z Ŝ σ clipped to [0, 1]. Where σ = 0 (no event yet) both bounds equal Ŝ; where Ŝ = 0 the
 *   standard error (0 · ∞) and the bounds are NaN.
 * - Median: the smallest table time with Ŝ ≤ 0.5; its interval (Brookmeyer & Crowley 1982) is
 *   the set of times where the band contains 0.5: low = smallest time with ci_low ≤ 0.5 (the
 *   lower band reaches 0.5 first), high = smallest time with ci_high ≤ 0.5; NaN where no such
 *   time exists (as lifelines' median_survival_times of the interval).
 * - Weights multiply counts (a weight 3 row is three identical rows).
 *
 * Merge is the union of the tables with the counts at equal times added: exact for integer
 * weights (sums of integers below 2^53), and to rounding (one addition per cell) otherwise.
 */
#ifndef CXKIT_CUSTOMER_SURVIVAL_HPP
#define CXKIT_CUSTOMER_SURVIVAL_HPP

#include "cxkit/stats/boost_math.hpp"  // first: selects the table layout of Boost.Math

#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Dense>
#include <boost/sort/spreadsort/float_sort.hpp>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define CXKIT_SURVIVAL_SSE2 1
// GCC and Clang on x86-64 also get an AVX2 variant of the dense counting step, picked at run time
// (the library is header-only, so no -mavx2 is imposed on the code that includes it).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CXKIT_SURVIVAL_AVX2 1
#endif
#endif

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/distributions.hpp"

CXKIT_NAMESPACE_BEGIN
namespace customer {

/// Interval method for Ŝ(t).
enum class survival_ci {
    log_log,  ///< Ŝ^{exp(± z σ / log Ŝ)} (default)
    log,      ///< Ŝ exp(± z σ), clipped at 1
    plain,    ///< Ŝ ± z SE, clipped to [0, 1]
};

/// Parses "log-log" / "log" / "plain". @throws invalid_argument naming the bad value.
inline survival_ci parse_survival_ci(const std::string& text) {
    if (text == "log-log") return survival_ci::log_log;
    if (text == "log") return survival_ci::log;
    if (text == "plain") return survival_ci::plain;
    CXKIT_THROW(invalid_argument, "ci must be \"log-log\", \"log\" or \"plain\", got \"" + text + "\"");
}

inline const char* to_string(survival_ci ci) noexcept {
    return ci == survival_ci::log_log ? "log-log" : ci == survival_ci::log ? "log" : "plain";
}

/// Options of a Kaplan-Meier result (they do not change what is counted).
struct survival_options {
    double confidence = 0.95;  ///< two-sided level of the intervals, in (0, 1)
    survival_ci ci = survival_ci::log_log;
};

/**
 * Columns of survival data (views, all of `size` rows). `observed` null = every row is an event;
 * `weights` null = weight 1; `entry` null = every subject enters at 0.
 * Row classes (ARCHITECTURE §3): missing if the duration, the observed flag or the entry is NaN;
 * otherwise invalid if the duration is negative or infinite, the flag is not 0 or 1, the weight
 * is not a valid weight (NaN included), or the entry is negative, infinite or after the duration.
 */
struct survival_columns {
    const double* durations = nullptr;
    const double* observed = nullptr;
    const double* weights = nullptr;
    const double* entry = nullptr;
    std::size_t size = 0;
    /// Compact flags (int8 0/1, e.g. a numpy bool or int8 column), used when `observed` is null.
    const std::int8_t* observed_flags = nullptr;

    /// The observed flag of row i as a number (1 when no flags are given).
    double flag(std::size_t i) const noexcept {
        return observed != nullptr ? observed[i] : observed_flags != nullptr ? static_cast<double>(observed_flags[i]) : 1.0;
    }
};

/// Kaplan-Meier result: the table (one row per time with an event or a censoring) and the median.
struct survival_result {
    std::vector<double> time;       ///< distinct times with events or censoring, ascending
    std::vector<double> at_risk;    ///< nᵢ (weighted)
    std::vector<double> events;     ///< dᵢ (weighted)
    std::vector<double> censored;   ///< censored at tᵢ (weighted)
    std::vector<double> survival;   ///< Ŝ(tᵢ)
    std::vector<double> std_error;  ///< Greenwood SE of Ŝ(tᵢ)
    std::vector<double> ci_low;
    std::vector<double> ci_high;
    double median = std::numeric_limits<double>::quiet_NaN();
    double median_ci_low = std::numeric_limits<double>::quiet_NaN();
    double median_ci_high = std::numeric_limits<double>::quiet_NaN();
    std::uint64_t n = 0;          ///< rows counted
    std::uint64_t n_missing = 0;  ///< rows skipped as missing
    std::uint64_t n_invalid = 0;  ///< rows dropped as invalid
    double confidence = 0.95;
    std::string ci = "log-log";

    template <class F>
    static void fields(F&& f) {
        f("time", &survival_result::time);
        f("at_risk", &survival_result::at_risk);
        f("events", &survival_result::events);
        f("censored", &survival_result::censored);
        f("survival", &survival_result::survival);
        f("std_error", &survival_result::std_error);
        f("ci_low", &survival_result::ci_low);
        f("ci_high", &survival_result::ci_high);
        f("median", &survival_result::median);
        f("median_ci_low", &survival_result::median_ci_low);
        f("median_ci_high", &survival_result::median_ci_high);
        f("n", &survival_result::n);
        f("n_missing", &survival_result::n_missing);
        f("n_invalid", &survival_result::n_invalid);
        f("confidence", &survival_result::confidence);
        f("ci", &survival_result::ci);
    }
};

/// One row of the event table.
struct survival_row {
    double time = 0.0;
    double entered = 0.0;   ///< weight entering at `time`
    double events = 0.0;    ///< weight of events at `time`
    double censored = 0.0;  ///< weight censored at `time`
    bool operator==(const survival_row& o) const noexcept {
        return time == o.time && entered == o.entered && events == o.events && censored == o.censored;
    }
    bool operator!=(const survival_row& o) const noexcept { return !(*this == o); }
};

namespace detail {

enum : std::uint8_t { surv_valid = 0, surv_missing = 1, surv_invalid = 2 };

inline std::uint8_t survival_row_class(const survival_columns& in, std::size_t i) noexcept {
    const double t = in.durations[i];
    const double o = in.flag(i);
    const double e = in.entry != nullptr ? in.entry[i] : 0.0;
    if (std::isnan(t) || std::isnan(o) || std::isnan(e)) return surv_missing;
    if (!(t >= 0.0) || std::isinf(t) || !(o == 0.0 || o == 1.0)) return surv_invalid;
    if (in.weights != nullptr && !core::valid_weight(in.weights[i])) return surv_invalid;
    if (!(e >= 0.0) || e > t) return surv_invalid;
    return surv_valid;
}

// Adds `b` into the sorted table `a` (union of times, counts added at equal times).
inline void merge_tables(std::vector<survival_row>& a, const std::vector<survival_row>& b) {
    if (b.empty()) return;
    if (a.empty()) {
        a = b;
        return;
    }
    std::vector<survival_row> out;
    out.reserve(a.size() + b.size());
    std::size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
        if (j == b.size() || (i < a.size() && a[i].time < b[j].time)) out.push_back(a[i++]);
        else if (i == a.size() || b[j].time < a[i].time) out.push_back(b[j++]);
        else {
            survival_row r = a[i++];
            r.entered += b[j].entered;
            r.events += b[j].events;
            r.censored += b[j++].censored;
            out.push_back(r);
        }
    }
    a = std::move(out);
}

struct timed_weight {
    double t;
    double w;
};

// Sorted (time, weight) lists -> runs added into the table slot chosen by `slot`.
inline void sort_runs(std::vector<timed_weight>& v) {
    std::sort(v.begin(), v.end(), [](const timed_weight& x, const timed_weight& y) { return x.t < y.t; });
}

// Builds the table of rows [begin, end) that are valid, by sorting.
inline std::vector<survival_row> table_by_sorting(const survival_columns& in, std::size_t begin, std::size_t end) {
    std::vector<timed_weight> ev, ce, en;
    if (in.weights == nullptr) {
        // Unit weights: sort the bare times (Boost spreadsort, about 3x std::sort of pairs).
        std::vector<double> evt, cet, ent;
        for (std::size_t i = begin; i < end; ++i) {
            if (survival_row_class(in, i) != surv_valid) continue;
            (in.flag(i) == 1.0 ? evt : cet).push_back(in.durations[i] + 0.0);  // + 0.0: -0 becomes 0
            if (in.entry != nullptr) ent.push_back(in.entry[i] + 0.0);
        }
        for (auto* v : {&evt, &cet, &ent}) boost::sort::spreadsort::float_sort(v->begin(), v->end());
        auto unit = [](const std::vector<double>& t, std::vector<timed_weight>& out) {
            out.reserve(t.size());
            for (double x : t) out.push_back({x, 1.0});
        };
        unit(evt, ev);
        unit(cet, ce);
        unit(ent, en);
    } else {
        for (std::size_t i = begin; i < end; ++i) {
            if (survival_row_class(in, i) != surv_valid) continue;
            const double w = in.weights[i];
            if (w == 0.0) continue;  // counted in n, contributes nothing to the table
            (in.flag(i) == 1.0 ? ev : ce).push_back({in.durations[i] + 0.0, w});
            if (in.entry != nullptr) en.push_back({in.entry[i] + 0.0, w});
        }
        sort_runs(ev);
        sort_runs(ce);
        sort_runs(en);
    }
    double all = 0.0;  // without entry times everyone enters at 0
    if (in.entry == nullptr) {
        for (const auto& x : ev) all += x.w;
        for (const auto& x : ce) all += x.w;
    }
    std::vector<survival_row> out;
    std::size_t a = 0, b = 0, c = 0;
    bool zero_pending = in.entry == nullptr && all > 0.0;
    const double inf = std::numeric_limits<double>::infinity();
    while (a < ev.size() || b < ce.size() || c < en.size() || zero_pending) {
        double t = std::min({a < ev.size() ? ev[a].t : inf, b < ce.size() ? ce[b].t : inf, c < en.size() ? en[c].t : inf});
        if (zero_pending) t = std::min(t, 0.0);
        survival_row r;
        r.time = t;
        if (zero_pending && t == 0.0) {
            r.entered += all;
            zero_pending = false;
        }
        for (; a < ev.size() && ev[a].t == t; ++a) r.events += ev[a].w;
        for (; b < ce.size() && ce[b].t == t; ++b) r.censored += ce[b].w;
        for (; c < en.size() && en[c].t == t; ++c) r.entered += en[c].w;
        out.push_back(r);
    }
    return out;
}

// Rows [begin, end) counted into dense per-integer-time slots lo..lo+span-1 (3 doubles each).
inline void table_by_counting(const survival_columns& in, std::size_t begin, std::size_t end, double lo,
                              std::vector<double>& slots) {
    for (std::size_t i = begin; i < end; ++i) {
        if (survival_row_class(in, i) != surv_valid) continue;
        const double w = in.weights != nullptr ? in.weights[i] : 1.0;
        const double o = in.flag(i);
        const auto k = static_cast<std::size_t>(in.durations[i] - lo);
        slots[3 * k + (o == 1.0 ? 1 : 2)] += w;
        const double e = in.entry != nullptr ? in.entry[i] : 0.0;
        slots[3 * static_cast<std::size_t>(e - lo)] += w;
    }
}

// Truncates d to an integer, or returns a value >= 2^32 for NaN, negatives and d >= 2^32
// (x86's cvttsd2si gives INT64_MIN for those: defined by the instruction, unlike a C++ cast).
inline std::uint64_t dense_index(double d) noexcept {
#ifdef CXKIT_SURVIVAL_SSE2
    return static_cast<std::uint64_t>(_mm_cvttsd_si64(_mm_set_sd(d)));
#else
    return d >= 0.0 && d < 4294967296.0 ? static_cast<std::uint64_t>(d) : ~std::uint64_t{0};
#endif
}

#ifdef CXKIT_SURVIVAL_SSE2
// The dense counting path's block step, in two widths: converts n durations (n a multiple of 8)
// to int32 q, writes the slots 2q + (flag & 1) to `slots`, ORs every q into `q_bits` and every
// flag into `flag_bits`, and returns whether every duration converted back exactly (a whole
// number; NaN and values beyond int32 fail). The caller rejects the block when q_bits has bits at
// or above its table size (negatives set the sign bit) or flag_bits has bits other than bit 0.
// flags == nullptr means every row is an event.
inline bool dense_slots_sse2(const double* dur, const std::int8_t* flags, std::int32_t* slots, std::size_t n,
                             std::uint32_t& q_bits, std::uint32_t& flag_bits) noexcept {
    const __m128i zero = _mm_setzero_si128();
    const __m128i one = _mm_set1_epi32(1);
    __m128d all_eq = _mm_castsi128_pd(_mm_set1_epi32(-1));
    __m128i any_q = zero, any_flag = zero;
    for (std::size_t j = 0; j < n; j += 4) {
        const __m128d v0 = _mm_loadu_pd(dur + j), v1 = _mm_loadu_pd(dur + j + 2);
        const __m128i q0 = _mm_cvttpd_epi32(v0), q1 = _mm_cvttpd_epi32(v1);
        all_eq = _mm_and_pd(all_eq, _mm_and_pd(_mm_cmpeq_pd(_mm_cvtepi32_pd(q0), v0), _mm_cmpeq_pd(_mm_cvtepi32_pd(q1), v1)));
        const __m128i q = _mm_unpacklo_epi64(q0, q1);
        any_q = _mm_or_si128(any_q, q);
        __m128i f = one;
        if (flags != nullptr) {
            std::int32_t four;
            std::memcpy(&four, flags + j, sizeof four);
            f = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(four), zero), zero);
            any_flag = _mm_or_si128(any_flag, f);
            f = _mm_and_si128(f, one);
        }
        _mm_storeu_si128(reinterpret_cast<__m128i*>(slots + j), _mm_or_si128(_mm_slli_epi32(q, 1), f));
    }
    alignas(16) std::uint32_t lanes[8];
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes), any_q);
    _mm_store_si128(reinterpret_cast<__m128i*>(lanes + 4), any_flag);
    q_bits |= lanes[0] | lanes[1] | lanes[2] | lanes[3];
    flag_bits |= lanes[4] | lanes[5] | lanes[6] | lanes[7];
    return _mm_movemask_pd(all_eq) == 3;
}

#ifdef CXKIT_SURVIVAL_AVX2
// The same step with AVX2, four durations per instruction (chosen at run time, see
// dense_slots_avx2_available): 8.6 against 10.1 ms for 10M rows on one core here, most of the
// dense path's time (the step reads the 90 MB of durations and flags).
__attribute__((target("avx2"))) inline bool dense_slots_avx2(const double* dur, const std::int8_t* flags,
                                                             std::int32_t* slots, std::size_t n,
                                                             std::uint32_t& q_bits, std::uint32_t& flag_bits) noexcept {
    const __m256i one = _mm256_set1_epi32(1);
    __m256d all_eq = _mm256_castsi256_pd(_mm256_set1_epi32(-1));
    __m256i any_q = _mm256_setzero_si256(), any_flag = _mm256_setzero_si256();
    for (std::size_t j = 0; j < n; j += 8) {
        const __m256d v0 = _mm256_loadu_pd(dur + j), v1 = _mm256_loadu_pd(dur + j + 4);
        const __m128i q0 = _mm256_cvttpd_epi32(v0), q1 = _mm256_cvttpd_epi32(v1);
        all_eq = _mm256_and_pd(all_eq, _mm256_and_pd(_mm256_cmp_pd(_mm256_cvtepi32_pd(q0), v0, _CMP_EQ_OQ),
                                                     _mm256_cmp_pd(_mm256_cvtepi32_pd(q1), v1, _CMP_EQ_OQ)));
        const __m256i q = _mm256_set_m128i(q1, q0);
        any_q = _mm256_or_si256(any_q, q);
        __m256i f = one;
        if (flags != nullptr) {
            std::int64_t eight;
            std::memcpy(&eight, flags + j, sizeof eight);
            f = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(eight));
            any_flag = _mm256_or_si256(any_flag, f);
            f = _mm256_and_si256(f, one);
        }
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(slots + j), _mm256_or_si256(_mm256_slli_epi32(q, 1), f));
    }
    alignas(32) std::uint32_t lanes[16];
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), any_q);
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes + 8), any_flag);
    for (int k = 0; k < 8; ++k) {
        q_bits |= lanes[k];
        flag_bits |= lanes[8 + k];
    }
    return _mm256_movemask_pd(all_eq) == 15;
}

inline bool dense_slots_avx2_available() noexcept {
    static const bool yes = __builtin_cpu_supports("avx2") != 0;
    return yes;
}
#endif

// The block step in the widest form this processor runs.
inline bool dense_slots(const double* dur, const std::int8_t* flags, std::int32_t* slots, std::size_t n,
                        std::uint32_t& q_bits, std::uint32_t& flag_bits) noexcept {
#ifdef CXKIT_SURVIVAL_AVX2
    if (dense_slots_avx2_available()) return dense_slots_avx2(dur, flags, slots, n, q_bits, flag_bits);
#endif
    return dense_slots_sse2(dur, flags, slots, n, q_bits, flag_bits);
}
#endif

struct survival_scan {
    std::uint64_t missing = 0, invalid = 0, valid = 0;
    bool integral = true;
    double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
};

}  // namespace detail

/**
 * The mergeable Kaplan-Meier state: the event table keyed by distinct time (weighted entries,
 * events, censored) and the row counts.
 */
class survival_accumulator {
public:
    static constexpr core::state_family family = core::state_family::survival;
    static constexpr std::uint16_t format_version = 1;

    survival_accumulator() = default;

    /**
     * Adds one subject. @param duration exit time ≥ 0; @param observed true = event, false =
     * censored; @param weight a valid weight; @param entry entry time in [0, duration].
     * NaN duration or entry count as missing. @throws invalid_input for an invalid row.
     */
    void add(double duration, bool observed = true, double weight = 1.0, double entry = 0.0) {
        const double o = observed ? 1.0 : 0.0;
        survival_columns c{&duration, &o, &weight, &entry, 1};
        add(c);
    }

    /**
     * Adds a batch of columns; invalid rows raise (`on_invalid::raise`, the batch is refused as a
     * whole) or are dropped and counted. Integer durations and entries with a small span are
     * counted into dense slots, others are sorted; both give the same table (zero-weight rows
     * are counted in n but leave no trace in the table).
     * @param threads 0 = all hardware threads.
     * @throws invalid_input naming the first invalid row, its value, what was expected and the count.
     */
    void add(const survival_columns& in, core::on_invalid policy = core::on_invalid::raise, unsigned threads = 1) {
        if (in.size == 0) return;
        if (in.durations == nullptr) CXKIT_THROW(invalid_argument, "durations: null column");
        if (in.weights == nullptr && in.entry == nullptr && add_dense(in, threads)) return;
        const unsigned t = core::plan_threads(in.size, 0, threads);
        std::vector<detail::survival_scan> scans(t);
        core::parallel_chunks(in.size, t, [&](unsigned k, std::size_t b, std::size_t e) {
            detail::survival_scan s;
            for (std::size_t i = b; i < e; ++i) {
                const std::uint8_t c = detail::survival_row_class(in, i);
                if (c == detail::surv_missing) ++s.missing;
                else if (c == detail::surv_invalid) ++s.invalid;
                else {
                    ++s.valid;
                    const double d = in.durations[i];
                    const double en = in.entry != nullptr ? in.entry[i] : 0.0;
                    s.integral = s.integral && d == std::floor(d) && en == std::floor(en);
                    s.lo = std::min(s.lo, en);
                    s.hi = std::max(s.hi, d);
                }
            }
            scans[k] = s;
        });
        detail::survival_scan all;
        for (const auto& s : scans) {
            all.missing += s.missing;
            all.invalid += s.invalid;
            all.valid += s.valid;
            all.integral = all.integral && s.integral;
            all.lo = std::min(all.lo, s.lo);
            all.hi = std::max(all.hi, s.hi);
        }
        if (all.invalid > 0 && policy == core::on_invalid::raise) throw_invalid(in, all.invalid);
        if (in.entry == nullptr && all.valid > 0) all.lo = 0.0;
        std::vector<survival_row> built;
        const double span = all.hi - all.lo + 1.0;
        // Dense slots cost 24 bytes per time per thread: used while that stays below ~3 bytes a row.
        const double max_span = static_cast<double>(std::min<std::size_t>(std::max<std::size_t>(in.size / 8, 1u << 16), 1u << 22));
        if (all.valid > 0 && all.integral && span <= max_span) {
            const auto n_slots = static_cast<std::size_t>(span);
            const unsigned tc = core::plan_threads(in.size, n_slots * 24, threads);
            std::vector<std::vector<double>> slots(tc);
            core::parallel_chunks(in.size, tc, [&](unsigned k, std::size_t b, std::size_t e) {
                slots[k].assign(3 * n_slots, 0.0);
                detail::table_by_counting(in, b, e, all.lo, slots[k]);
            });
            for (unsigned k = 1; k < tc; ++k)
                for (std::size_t j = 0; j < slots[0].size(); ++j) slots[0][j] += slots[k][j];
            for (std::size_t j = 0; j < n_slots; ++j) {
                const double* s = &slots[0][3 * j];
                if (s[0] == 0.0 && s[1] == 0.0 && s[2] == 0.0) continue;
                built.push_back({all.lo + static_cast<double>(j), s[0], s[1], s[2]});
            }
        } else if (all.valid > 0) {
            std::vector<std::vector<survival_row>> parts(t);
            core::parallel_chunks(in.size, t, [&](unsigned k, std::size_t b, std::size_t e) {
                parts[k] = detail::table_by_sorting(in, b, e);
            });
            for (auto& p : parts) detail::merge_tables(built, p);
        }
        detail::merge_tables(table_, built);
        n_ += all.valid;
        n_missing_ += all.missing;
        n_invalid_ += all.invalid;
    }

    /**
     * Merge: the union of the two event tables, counts at equal times added (at risk, Ŝ and σ
     * are functions of the pooled table, so merging tables and then finalizing equals one pass
     * over all rows), and the row counts added.
     */
    survival_accumulator& operator+=(const survival_accumulator& o) {
        detail::merge_tables(table_, o.table_);
        n_ += o.n_;
        n_missing_ += o.n_missing_;
        n_invalid_ += o.n_invalid_;
        return *this;
    }
    survival_accumulator& merge(const survival_accumulator& o) { return *this += o; }
    friend survival_accumulator operator+(survival_accumulator a, const survival_accumulator& b) { return a += b; }

    bool operator==(const survival_accumulator& o) const noexcept {
        return n_ == o.n_ && n_missing_ == o.n_missing_ && n_invalid_ == o.n_invalid_ && table_ == o.table_;
    }
    bool operator!=(const survival_accumulator& o) const noexcept { return !(*this == o); }

    std::uint64_t n() const noexcept { return n_; }
    std::uint64_t n_missing() const noexcept { return n_missing_; }
    std::uint64_t n_invalid() const noexcept { return n_invalid_; }
    /// The event table, ascending by time (including times where subjects only enter).
    const std::vector<survival_row>& table() const noexcept { return table_; }

    /**
     * Kaplan-Meier estimate, Greenwood SE, interval and median (formulas in the file comment).
     * @throws invalid_argument for a confidence outside (0, 1).
     */
    survival_result result(const survival_options& options = {}) const {
        const double z = stats::z_critical(options.confidence);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        survival_result r;
        r.n = n_;
        r.n_missing = n_missing_;
        r.n_invalid = n_invalid_;
        r.confidence = options.confidence;
        r.ci = to_string(options.ci);
        double entered = 0.0, exited = 0.0, s = 1.0, sigma2 = 0.0;
        for (const survival_row& row : table_) {
            entered += row.entered;
            const double at_risk = entered - exited;
            exited += row.events + row.censored;
            if (row.events == 0.0 && row.censored == 0.0) continue;
            const double d = row.events;
            if (d > 0.0) {
                s *= 1.0 - d / at_risk;
                sigma2 += at_risk - d > 0.0 ? d / (at_risk * (at_risk - d)) : std::numeric_limits<double>::infinity();
            }
            if (s < 0.0) s = 0.0;  // rounding of weighted sums only
            const double sigma = std::sqrt(sigma2);
            double lo = s, hi = s, se = s * sigma;
            if (s == 0.0) {
                se = lo = hi = nan;
            } else if (sigma2 > 0.0) {
                switch (options.ci) {
                    case survival_ci::log_log: {
                        const double ls = std::log(s);
                        lo = std::pow(s, std::exp(-z * sigma / ls));
                        hi = std::pow(s, std::exp(z * sigma / ls));
                        break;
                    }
                    case survival_ci::log:
                        lo = s * std::exp(-z * sigma);
                        hi = std::min(1.0, s * std::exp(z * sigma));
                        break;
                    case survival_ci::plain:
                        lo = std::max(0.0, s - z * se);
                        hi = std::min(1.0, s + z * se);
                        break;
                }
            }
            r.time.push_back(row.time);
            r.at_risk.push_back(at_risk);
            r.events.push_back(d);
            r.censored.push_back(row.censored);
            r.survival.push_back(s);
            r.std_error.push_back(se);
            r.ci_low.push_back(lo);
            r.ci_high.push_back(hi);
        }
        for (std::size_t i = 0; i < r.time.size(); ++i) {
            if (std::isnan(r.median) && r.survival[i] <= 0.5) r.median = r.time[i];
            if (std::isnan(r.median_ci_low) && r.ci_low[i] <= 0.5) r.median_ci_low = r.time[i];
            if (std::isnan(r.median_ci_high) && r.ci_high[i] <= 0.5) r.median_ci_high = r.time[i];
        }
        return r;
    }

    /**
     * Payload (format version 1): n, n_missing, n_invalid (u64), the number of table rows (u64),
     * then per row time, entered, events, censored (f64), times strictly ascending.
     */
    std::vector<std::uint8_t> serialize() const {
        core::archive_writer w(family, format_version);
        w.write_u64(n_);
        w.write_u64(n_missing_);
        w.write_u64(n_invalid_);
        w.write_u64(table_.size());
        for (const survival_row& row : table_) {
            w.write_f64(row.time);
            w.write_f64(row.entered);
            w.write_f64(row.events);
            w.write_f64(row.censored);
        }
        return w.finish();
    }

    /// Inverse of serialize(). @throws corrupt_state for truncated, corrupt or inconsistent bytes.
    static survival_accumulator deserialize(const std::uint8_t* data, std::size_t size) {
        core::archive_reader r(data, size, family, format_version);
        survival_accumulator a;
        a.n_ = r.read_u64("n");
        a.n_missing_ = r.read_u64("n_missing");
        a.n_invalid_ = r.read_u64("n_invalid");
        const std::uint64_t rows = r.read_u64("rows");
        r.expect_remaining_at_least(rows * 32, "rows");
        a.table_.reserve(static_cast<std::size_t>(rows));
        for (std::uint64_t i = 0; i < rows; ++i) {
            survival_row row;
            row.time = r.read_nonnegative_f64("time");
            row.entered = r.read_nonnegative_f64("entered");
            row.events = r.read_nonnegative_f64("events");
            row.censored = r.read_nonnegative_f64("censored");
            if (!a.table_.empty() && !(a.table_.back().time < row.time))
                core::archive_reader::fail("table times are not strictly ascending");
            a.table_.push_back(row);
        }
        r.finish();
        return a;
    }

private:
    /// Durations below this that are whole numbers are counted in one pass (the common case of
    /// integer days, weeks or months) when there are no weights or entry times.
    static constexpr std::uint32_t dense_limit = 1u << 16;

    // One pass, no weights, no entry: counts per whole duration 0..dense_limit-1 and flag, per
    // thread. Returns false (having changed nothing) as soon as a row is neither such a row nor
    // missing; the general path then classifies and counts everything.
    bool add_dense(const survival_columns& in, unsigned threads) {
        // Small batches (a feed row by row) skip it: zeroing the slots would cost more than sorting.
        if (in.size < 4096 || in.size >= (std::size_t{1} << 32)) return false;  // uint32 counters
        const unsigned t = core::plan_threads(in.size, dense_limit * 8, threads);
        struct part {
            std::vector<std::uint32_t> counts;  // [2 k + flag]
            std::uint64_t missing = 0;
            std::uint32_t top = 0;  // largest k + 1
            bool other = false;
        };
        std::vector<part> parts(t);
        core::parallel_chunks(in.size, t, [&](unsigned k, std::size_t b, std::size_t e) {
            part& p = parts[k];
            std::uint32_t* c = nullptr;
            std::uint32_t top = 0;
            auto run = [&](auto flag_of) {
                for (std::size_t i = b; i < e; ++i) {
                    const double d = in.durations[i];
                    const double o = flag_of(i);
                    if (d >= 0.0 && d < static_cast<double>(dense_limit)) {
                        const auto q = static_cast<std::uint32_t>(d);
                        if (static_cast<double>(q) == d && (o == 0.0 || o == 1.0)) {
                            ++c[2 * q + static_cast<std::uint32_t>(o)];
                            top = std::max(top, q + 1);
                            continue;
                        }
                    }
                    if (std::isnan(d) || std::isnan(o)) {
                        ++p.missing;
                        continue;
                    }
                    p.other = true;
                    return;
                }
            };
            // Compact or no flags: branch-free, two interleaved tables (consecutive equal
            // durations would otherwise wait on each other's increments); durations outside the
            // dense range go to a sink slot, and only when it is hit is the chunk scanned again to
            // count NaN (missing) and detect anything else (the general path then takes over).
            //
            // The tables hold 16-bit cells, so the slots that whole days up to ten years touch
            // (2 tables x 2 flags x 3,651 slots) take 29 KB and stay in L1 (32-bit cells took
            // 58 KB and spilled). A super-chunk adds fewer than 65,536 rows, so no cell can wrap
            // before it is flushed into the 32-bit totals `c`; the flush visits only the slots
            // below the smallest power of two above every index the super-chunk saw.
            auto run_flags = [&](const std::int8_t* flags) {
                constexpr std::size_t sink = 2 * std::size_t{dense_limit};
                std::vector<std::uint16_t> cells(2 * (sink + 1), 0);
                std::uint16_t* const t1 = cells.data();
                std::uint16_t* const t2 = t1 + sink + 1;
                const double* const dur = in.durations;
                std::uint32_t seen = 0;  // OR of the flags: 0/1 flags leave only bit 0
                std::uint32_t used = 0;  // OR of the in-range indices since the last flush
                std::uint64_t sunk = 0;  // rows sent to the sink
                std::size_t reach = 0;   // every counted index q is below it
                auto slot = [&](double d, std::uint32_t f) -> std::size_t {
                    const std::uint64_t q = detail::dense_index(d);
                    const bool in_range = q < dense_limit && static_cast<double>(q) == d;
                    seen |= f;
                    used |= in_range ? static_cast<std::uint32_t>(q) : 0u;
                    return in_range ? 2 * q + (f & 1u) : sink;
                };
                auto flush = [&] {
                    std::size_t width = 2;  // slots 2q + f for every q <= used
                    while (width / 2 <= used) width *= 2;
                    reach = std::max(reach, width / 2);
                    for (std::size_t j = 0; j < width; ++j) c[j] += std::uint32_t{t1[j]} + t2[j];
                    std::fill(t1, t1 + width, std::uint16_t{0});
                    std::fill(t2, t2 + width, std::uint16_t{0});
                    sunk += std::uint64_t{t1[sink]} + t2[sink];
                    t1[sink] = t2[sink] = 0;
                    used = 0;
                };
                // Scalar rows [lo, hi): any duration to its slot or the sink.
                auto scalar = [&](std::size_t lo, std::size_t hi) {
                    std::size_t i = lo;
                    if (flags != nullptr) {
                        for (; i + 1 < hi; i += 2) {
                            const std::size_t s1 = slot(dur[i], static_cast<std::uint8_t>(flags[i]));
                            const std::size_t s2 = slot(dur[i + 1], static_cast<std::uint8_t>(flags[i + 1]));
                            ++t1[s1];
                            ++t2[s2];
                        }
                        if (i < hi) ++t1[slot(dur[i], static_cast<std::uint8_t>(flags[i]))];
                    } else {
                        for (; i + 1 < hi; i += 2) {
                            const std::size_t s1 = slot(dur[i], 1u);
                            const std::size_t s2 = slot(dur[i + 1], 1u);
                            ++t1[s1];
                            ++t2[s2];
                        }
                        if (i < hi) ++t1[slot(dur[i], 1u)];
                    }
                };
                constexpr std::size_t block = 2048;
                constexpr std::size_t super = 31 * block;  // < 65,536 rows: no 16-bit cell wraps
                for (std::size_t sb = b; sb < e; sb += super) {
                    const std::size_t se = std::min(e, sb + super);
#ifdef CXKIT_SURVIVAL_SSE2
                    // Blocks: converts and checks the durations with SIMD and builds the slots
                    // (detail::dense_slots_*), so the scatter loop is only the increments. A block
                    // with anything else (NaN, fractions, negatives, out of range, flags other
                    // than 0/1) goes through `scalar`, which sorts it out row by row.
                    alignas(32) std::int32_t qbuf[block];
                    std::size_t i = sb;
                    for (; i + block <= se; i += block) {
                        std::uint32_t bits = 0, flag_bits = 0;
                        const bool exact = detail::dense_slots(dur + i, flags != nullptr ? flags + i : nullptr, qbuf, block, bits, flag_bits);
                        if (!exact || (bits & ~(dense_limit - 1u)) != 0 || (flag_bits & ~1u) != 0) {
                            scalar(i, i + block);
                            continue;
                        }
                        used |= bits;
                        for (std::size_t j = 0; j < block; j += 2) {
                            ++t1[static_cast<std::uint32_t>(qbuf[j])];
                            ++t2[static_cast<std::uint32_t>(qbuf[j + 1])];
                        }
                    }
                    scalar(i, se);
#else
                    scalar(sb, se);
#endif
                    flush();
                }
                bool bad = (seen & ~1u) != 0;
                std::uint64_t missing = 0;
                if (!bad && sunk > 0) {  // rows outside the dense range: missing or not?
                    for (std::size_t j = b; j < e && !bad; ++j) {
                        const double d = dur[j];
                        const std::uint64_t q = detail::dense_index(d);
                        if (q < dense_limit && static_cast<double>(q) == d) continue;
                        if (d != d) ++missing;
                        else bad = true;
                    }
                }
                p.missing = missing;
                p.other = bad != 0;
                for (auto q = static_cast<std::uint32_t>(reach); q > 0; --q)
                    if (c[2 * q - 2] != 0 || c[2 * q - 1] != 0) {
                        top = q;
                        break;
                    }
            };
            if (in.observed != nullptr) {
                p.counts.assign(2 * std::size_t{dense_limit}, 0);
                c = p.counts.data();
                run([&](std::size_t i) { return in.observed[i]; });
            } else {
                p.counts.assign(2 * std::size_t{dense_limit}, 0);  // totals; run_flags counts in 16-bit cells
                c = p.counts.data();
                run_flags(in.observed_flags);
            }
            p.top = top;
        });
        std::uint32_t top = 0;
        std::uint64_t missing = 0;
        for (const part& p : parts) {
            if (p.other) return false;
            top = std::max(top, p.top);
            missing += p.missing;
        }
        std::vector<survival_row> built;
        std::uint64_t valid = 0;
        for (std::uint32_t q = 0; q < top; ++q) {
            std::uint64_t cens = 0, ev = 0;
            for (const part& p : parts) {
                cens += p.counts[2 * q];
                ev += p.counts[2 * q + 1];
            }
            valid += cens + ev;
            if (cens + ev > 0) built.push_back({static_cast<double>(q), 0.0, static_cast<double>(ev), static_cast<double>(cens)});
        }
        if (valid > 0) {
            if (built.front().time != 0.0) built.insert(built.begin(), survival_row{});
            built.front().entered = static_cast<double>(valid);  // everyone enters at 0
        }
        detail::merge_tables(table_, built);
        n_ += valid;
        n_missing_ += missing;
        return true;
    }

    [[noreturn]] static void throw_invalid(const survival_columns& in, std::uint64_t bad) {
        std::size_t i = 0;
        while (i < in.size && detail::survival_row_class(in, i) != detail::surv_invalid) ++i;
        std::string what = "invalid row";
        if (i < in.size) {
            const double t = in.durations[i];
            const double o = in.flag(i);
            const std::string at = " at position " + std::to_string(i) + ": ";
            if (!(t >= 0.0) || std::isinf(t))
                what = "invalid duration" + at + core::format_value(t) + " (expected a finite number >= 0)";
            else if (!(o == 0.0 || o == 1.0))
                what = "invalid observed flag" + at + core::format_value(o) + " (expected 0 or 1)";
            else if (in.weights != nullptr && !core::valid_weight(in.weights[i]))
                what = "invalid weight" + at + core::format_value(in.weights[i]) + " (expected " +
                       core::expected_weight() + ")";
            else
                what = "invalid entry" + at + core::format_value(in.entry[i]) +
                       " (expected a finite number in [0, duration " + core::format_value(t) + "])";
        }
        CXKIT_THROW(invalid_input, what + "; " + std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }

    std::vector<survival_row> table_;
    std::uint64_t n_ = 0;
    std::uint64_t n_missing_ = 0;
    std::uint64_t n_invalid_ = 0;
};

/// One-shot Kaplan-Meier over columns (see survival_accumulator::add and ::result).
inline survival_result kaplan_meier(const survival_columns& in, const survival_options& options = {},
                                    core::on_invalid policy = core::on_invalid::raise, unsigned threads = 1) {
    survival_accumulator a;
    a.add(in, policy, threads);
    return a.result(options);
}

/// Weighting of the log-rank family (METRICS.md §4).
enum class logrank_weighting {
    logrank,      ///< w = 1
    wilcoxon,     ///< w = nᵢ (Gehan-Breslow)
    tarone_ware,  ///< w = √nᵢ
    peto,         ///< w = Ŝ(tᵢ−), the pooled Kaplan-Meier estimate just before tᵢ
};

/// Parses "logrank" / "wilcoxon" / "tarone-ware" / "peto". @throws invalid_argument.
inline logrank_weighting parse_logrank_weighting(const std::string& text) {
    if (text == "logrank") return logrank_weighting::logrank;
    if (text == "wilcoxon") return logrank_weighting::wilcoxon;
    if (text == "tarone-ware") return logrank_weighting::tarone_ware;
    if (text == "peto") return logrank_weighting::peto;
    CXKIT_THROW(invalid_argument,
                "weighting must be \"logrank\", \"wilcoxon\", \"tarone-ware\" or \"peto\", got \"" + text + "\"");
}

/// Result of a k-sample test.
struct logrank_result {
    double statistic = std::numeric_limits<double>::quiet_NaN();  ///< chi-square statistic
    double df = std::numeric_limits<double>::quiet_NaN();         ///< k − 1
    double p_value = std::numeric_limits<double>::quiet_NaN();    ///< upper chi-square tail
    std::uint64_t n_groups = 0;                                   ///< groups with rows
    std::string weighting = "logrank";

    template <class F>
    static void fields(F&& f) {
        f("statistic", &logrank_result::statistic);
        f("df", &logrank_result::df);
        f("p_value", &logrank_result::p_value);
        f("n_groups", &logrank_result::n_groups);
        f("weighting", &logrank_result::weighting);
    }
};

/**
 * Weighted log-rank test of k groups (one state per group; groups without rows are ignored).
 * At each pooled time tᵢ with dᵢ > 0: Eᵍᵢ = nᵍᵢ dᵢ / nᵢ, Uᵍ = Σ wᵢ (dᵍᵢ − Eᵍᵢ),
 * Vᵍʰ = Σ wᵢ² dᵢ (nᵢ − dᵢ)/(nᵢ − 1) · (nᵍᵢ/nᵢ)(δᵍʰ − nʰᵢ/nᵢ) (the factor (nᵢ − dᵢ)/(nᵢ − 1) is 1
 * when nᵢ ≤ 1); statistic = Uᵀ V⁻ U over the first k − 1 groups (V⁻ the pseudo-inverse, as
 * Mantel 1966 / lifelines), chi-square with k − 1 df (Boost.Math). Weights wᵢ: METRICS.md §4.
 */
inline logrank_result logrank_test(const std::vector<survival_accumulator>& groups,
                                   logrank_weighting weighting = logrank_weighting::logrank) {
    logrank_result out;
    out.weighting = weighting == logrank_weighting::logrank    ? "logrank"
                    : weighting == logrank_weighting::wilcoxon ? "wilcoxon"
                    : weighting == logrank_weighting::peto     ? "peto"
                                                               : "tarone-ware";
    std::vector<const survival_accumulator*> g;
    for (const auto& s : groups)
        if (s.n() > 0) g.push_back(&s);
    const std::size_t k = g.size();
    out.n_groups = k;
    if (k < 2) return out;
    survival_accumulator pooled;
    for (const auto* s : g) pooled += *s;
    std::vector<std::size_t> pos(k, 0);
    std::vector<double> entered(k, 0.0), exited(k, 0.0), ng(k), dg(k);
    Eigen::VectorXd u = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(k));
    Eigen::MatrixXd v = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(k));
    double s_before = 1.0;
    for (const survival_row& row : pooled.table()) {
        double n = 0.0, d = 0.0;
        for (std::size_t j = 0; j < k; ++j) {
            const auto& tab = g[j]->table();
            double e_in = 0.0, e_d = 0.0, e_c = 0.0;
            if (pos[j] < tab.size() && tab[pos[j]].time == row.time) {
                e_in = tab[pos[j]].entered;
                e_d = tab[pos[j]].events;
                e_c = tab[pos[j]].censored;
                ++pos[j];
            }
            entered[j] += e_in;
            ng[j] = entered[j] - exited[j];
            dg[j] = e_d;
            exited[j] += e_d + e_c;
            n += ng[j];
            d += dg[j];
        }
        if (!(d > 0.0) || !(n > 0.0)) continue;
        double w = 1.0;
        switch (weighting) {
            case logrank_weighting::logrank: w = 1.0; break;
            case logrank_weighting::wilcoxon: w = n; break;
            case logrank_weighting::tarone_ware: w = std::sqrt(n); break;
            case logrank_weighting::peto: w = s_before; break;
        }
        const double factor = n > 1.0 ? (n - d) / (n - 1.0) : 1.0;
        for (std::size_t a = 0; a < k; ++a) {
            u(static_cast<Eigen::Index>(a)) += w * (dg[a] - ng[a] * d / n);
            for (std::size_t b = 0; b < k; ++b)
                v(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) +=
                    w * w * d * factor * (ng[a] / n) * ((a == b ? 1.0 : 0.0) - ng[b] / n);
        }
        s_before *= 1.0 - d / n;
    }
    const auto m = static_cast<Eigen::Index>(k - 1);
    const Eigen::VectorXd uu = u.head(m);
    const Eigen::MatrixXd vv = v.topLeftCorner(m, m);
    const Eigen::VectorXd x = vv.completeOrthogonalDecomposition().solve(uu);
    out.statistic = uu.dot(x);
    out.df = static_cast<double>(k - 1);
    if (std::isfinite(out.statistic) && out.statistic >= 0.0)
        out.p_value = boost::math::cdf(boost::math::complement(
            boost::math::chi_squared_distribution<double, stats::math_policy>(out.df), out.statistic));
    return out;
}

}  // namespace customer

using customer::kaplan_meier;
using customer::logrank_result;
using customer::logrank_test;
using customer::survival_accumulator;
using customer::survival_columns;
using customer::survival_options;
using customer::survival_result;
CXKIT_NAMESPACE_END

#endif  // CXKIT_CUSTOMER_SURVIVAL_HPP
