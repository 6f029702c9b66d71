/**
 * @file kano.hpp
 * @brief Kano classification (METRICS.md §3 "Kano"; Kano et al. 1984; Berger et al. 1993;
 *        Matzler & Hinterhuber 1998): per feature, the 5x5 table of (functional, dysfunctional)
 *        answer pairs, and everything computed from it.
 *
 * The state of one feature is the count of every answer pair (f, d), f, d in 1..5 (1 Like,
 * 2 Must-be, 3 Neutral, 4 Live-with, 5 Dislike; the three-point short form uses 1 Like,
 * 2 Neutral, 3 Dislike in the top-left 3x3 block), plus the rows that were missing (one or both
 * answers missing) and invalid (an answer outside the scale). The evaluation table and the
 * classification rule are options of `result()`, so they can be changed after merging.
 *
 * Definitions (METRICS.md §3):
 * - counts A, O, M, I, R, Q per feature from the evaluation table; N = all six, N' = A + O + M + I;
 * - Better = (A + O)/N', Worse = −(O + M)/N' (Berger et al. 1993, after Timko);
 * - rule "mode": the most frequent of the six, ties broken M > O > A > I > R > Q;
 *   rule "strength": if the category strength < threshold, the first of M, O, A, I among the two
 *   most frequent of A, O, M, I, R (Matzler's rule), else the mode;
 *   rule "aom_vs_iqr": if A + O + M > I + R + Q the largest of A, O, M, else the largest of
 *   I, R, Q (ties in the same order M > O > A > I > R > Q);
 * - total strength = (A + O + M)/N; category strength = share of the most frequent minus share
 *   of the second most frequent among A, O, M, I, R (shares of N) (Lee & Newcomb 1997);
 * - Fong (1996): a ≥ b the two largest counts among A, O, M, I, R, n = N; significant if
 *   |a − b| ≥ 1.65 √((a + b)(2n − a − b)/(2n)) (false when N = 0 or a = b = 0);
 * - continuous scores (DuMouchel, in Berger et al. 1993): functional Like 4, Must-be 2,
 *   Neutral 0, Live-with −1, Dislike −2; dysfunctional Like −2, Must-be −1, Neutral 0,
 *   Live-with 2, Dislike 4 (three-point form: Like, Neutral, Dislike take those scores); the
 *   means are over the N classified pairs;
 * - reliable: N ≥ 200.
 */
#ifndef CXKIT_PRODUCT_KANO_HPP
#define CXKIT_PRODUCT_KANO_HPP

#include "cxkit/stats/boost_math.hpp"  // first: selects the table layout of Boost.Math
#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/groupby.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/bootstrap.hpp"
#include "cxkit/stats/distributions.hpp"

CXKIT_NAMESPACE_BEGIN
namespace product {

/// The six Kano categories, in the order of the result's count fields.
enum class kano_category : std::uint8_t { A = 0, O = 1, M = 2, I = 3, R = 4, Q = 5 };

/// Letter of a category index 0..5 ("AOMIRQ").
inline char kano_letter(std::size_t c) noexcept { return "AOMIRQ"[c < 6 ? c : 5]; }

/// Cells of the answer-pair table: cell = 5 (f − 1) + (d − 1).
constexpr std::size_t kano_cells = 25;

/**
 * An evaluation table: category of every answer pair, rows = functional answer 1..5, columns =
 * dysfunctional answer 1..5. `points` is 5, or 3 for the three-point short form (then only the
 * top-left 3x3 block classifies; a state holding answers 4 or 5 is refused by result()).
 */
struct kano_table {
    std::array<kano_category, kano_cells> cells{};
    int points = 5;

    /// METRICS.md §3: functional 1: Q A A A O; 2-4: R I I I M; 5: R R R R Q.
    static kano_table standard() { return from_letters("QAAAORIIIMRIIIMRIIIMRRRRQ"); }
    /// METRICS.md §3 short form: functional 1: A A O; 2: I I M; 3: I I M.
    static kano_table three_point() {
        kano_table t = from_letters("AAOQQIIMQQIIMQQQQQQQQQQQQ");
        t.points = 3;
        return t;
    }
    /// A user table of 25 letters from "AOMIRQ" (case-insensitive), row by row.
    /// @throws invalid_argument naming the bad letter and its cell.
    static kano_table from_letters(const std::string& letters) {
        if (letters.size() != kano_cells)
            CXKIT_THROW(invalid_argument, "table: expected 25 category letters (5x5), got " +
                                              std::to_string(letters.size()));
        kano_table t;
        for (std::size_t i = 0; i < kano_cells; ++i) {
            const char ch = static_cast<char>(letters[i] >= 'a' && letters[i] <= 'z' ? letters[i] - 32 : letters[i]);
            const char* pos = std::char_traits<char>::find("AOMIRQ", 6, ch);
            if (pos == nullptr)
                CXKIT_THROW(invalid_argument, std::string("table: cell (functional ") + std::to_string(i / 5 + 1) +
                                                  ", dysfunctional " + std::to_string(i % 5 + 1) + ") is '" +
                                                  std::string(1, letters[i]) + "', expected one of A, O, M, I, R, Q");
            t.cells[i] = static_cast<kano_category>(pos - "AOMIRQ");
        }
        return t;
    }
    std::string letters() const {
        std::string s(kano_cells, ' ');
        for (std::size_t i = 0; i < kano_cells; ++i) s[i] = kano_letter(static_cast<std::size_t>(cells[i]));
        return s;
    }
    bool operator==(const kano_table& o) const noexcept { return cells == o.cells && points == o.points; }
};

/// Classification rules (METRICS.md §3).
enum class kano_rule { mode, strength, aom_vs_iqr };

/// Parses "mode" / "strength" / "aom_vs_iqr". @throws invalid_argument naming the value.
inline kano_rule parse_kano_rule(const std::string& s) {
    if (s == "mode") return kano_rule::mode;
    if (s == "strength") return kano_rule::strength;
    if (s == "aom_vs_iqr") return kano_rule::aom_vs_iqr;
    CXKIT_THROW(invalid_argument, "rule must be \"mode\", \"strength\" or \"aom_vs_iqr\", got \"" + s + "\"");
}

/// Options of `kano_accumulator::result` (none of them changes what is counted).
struct kano_options {
    kano_table table = kano_table::standard();
    kano_rule rule = kano_rule::mode;
    double strength_threshold = 0.06;  ///< rule "strength": category strength below this is weak
    std::uint64_t reliable_n = 200;    ///< reliable when N >= this
};

/// The classification of one feature (fields as in API.md).
struct kano_result {
    std::string feature;
    std::uint64_t A = 0, O = 0, M = 0, I = 0, R = 0, Q = 0;
    std::uint64_t n = 0;          ///< N = A + O + M + I + R + Q
    std::uint64_t n_missing = 0;  ///< pairs with one or both answers missing
    std::uint64_t n_invalid = 0;  ///< pairs with an answer outside the scale (dropped)
    std::string category;         ///< one of "A", "O", "M", "I", "R", "Q"; "" when N = 0
    double better = std::numeric_limits<double>::quiet_NaN();
    double worse = std::numeric_limits<double>::quiet_NaN();
    double total_strength = std::numeric_limits<double>::quiet_NaN();
    double category_strength = std::numeric_limits<double>::quiet_NaN();
    bool fong_significant = false;
    double functional_mean = std::numeric_limits<double>::quiet_NaN();
    double dysfunctional_mean = std::numeric_limits<double>::quiet_NaN();
    bool reliable = false;

    template <class V>
    static void fields(V&& v) {
        v("feature", &kano_result::feature);
        v("A", &kano_result::A);
        v("O", &kano_result::O);
        v("M", &kano_result::M);
        v("I", &kano_result::I);
        v("R", &kano_result::R);
        v("Q", &kano_result::Q);
        v("n", &kano_result::n);
        v("n_missing", &kano_result::n_missing);
        v("n_invalid", &kano_result::n_invalid);
        v("category", &kano_result::category);
        v("better", &kano_result::better);
        v("worse", &kano_result::worse);
        v("total_strength", &kano_result::total_strength);
        v("category_strength", &kano_result::category_strength);
        v("fong_significant", &kano_result::fong_significant);
        v("functional_mean", &kano_result::functional_mean);
        v("dysfunctional_mean", &kano_result::dysfunctional_mean);
        v("reliable", &kano_result::reliable);
    }
};

/**
 * Pair coder for `core::count_bins` over a `core::pair_batch`: bins 0..24 are the answer-pair
 * cells 5 (f − 1) + (d − 1), 25 = missing (either answer NaN), 26 = invalid (an answer outside
 * 1..points). Parts: a valid answer gives its cell offset, an invalid one 64, a missing one 256,
 * so the sum is < 25 for a valid pair, >= 256 when an answer is missing (missing wins over
 * invalid, as in core::row_code), else invalid.
 */
class kano_pair_coder {
public:
    explicit kano_pair_coder(int points = 5) : points_(static_cast<std::uint64_t>(points)) {
        if (points != 5 && points != 3)
            CXKIT_THROW(invalid_argument, "scale must be 5 or 3 answer points, got " + std::to_string(points));
    }
    std::uint32_t bins() const noexcept { return 25; }
    std::uint32_t missing_bin() const noexcept { return 25; }
    std::uint32_t invalid_bin() const noexcept { return 26; }
    std::uint32_t stride() const noexcept { return 27; }
    template <class T>
    std::uint32_t first_code(T x) const noexcept {
        return part(x, 5);
    }
    template <class T>
    std::uint32_t second_code(T x) const noexcept {
        return part(x, 1);
    }
    std::uint32_t combine(std::uint32_t p, std::uint32_t q) const noexcept {
        const std::uint32_t s = p + q;
        return s < 25 ? s : (s >= 256 ? 25u : 26u);
    }
    /// "an integer in 1..5", for error messages.
    std::string expected() const { return "an integer in 1.." + std::to_string(points_); }
    int points() const noexcept { return static_cast<int>(points_); }

private:
    template <class T>
    std::uint32_t part(T x, std::uint32_t mult) const noexcept {
        if constexpr (std::is_floating_point<T>::value) {
            if (x != x) return 256;
            // Integrality by a round trip through int64 inside 1..5 (no floor(): without SSE4.1
            // that is a libm call per answer, 4x slower on float64 input).
            const T y = x >= T(1) && x <= T(5) ? x : T(0);
            const auto k = static_cast<std::int64_t>(y);
            return static_cast<T>(k) == x ? part(k, mult) : 64u;
        } else {
            const std::uint64_t d = static_cast<std::uint64_t>(static_cast<std::int64_t>(x)) - 1u;
            return d < points_ ? static_cast<std::uint32_t>(d) * mult : 64u;
        }
    }
    std::uint64_t points_ = 5;
};

namespace detail {
// DuMouchel's scores of answers 1..5 (five-point) and of the three-point answers 1..3.
constexpr double kano_functional_score5[5] = {4, 2, 0, -1, -2};
constexpr double kano_dysfunctional_score5[5] = {-2, -1, 0, 2, 4};
constexpr double kano_functional_score3[3] = {4, 0, -2};
constexpr double kano_dysfunctional_score3[3] = {-2, 0, 4};

// Index of the largest of counts[order[0..k)], first in `order` on ties.
inline std::size_t kano_argmax(const std::array<std::uint64_t, 6>& c, const int* order, std::size_t k) {
    std::size_t best = static_cast<std::size_t>(order[0]);
    for (std::size_t i = 1; i < k; ++i)
        if (c[static_cast<std::size_t>(order[i])] > c[best]) best = static_cast<std::size_t>(order[i]);
    return best;
}
// Tie order M > O > A > I > R > Q as category indices (A0 O1 M2 I3 R4 Q5).
constexpr int kano_tie_order[6] = {2, 1, 0, 3, 4, 5};
}  // namespace detail

/**
 * Classifies one feature from its 5x5 answer-pair counts (cells 5 (f − 1) + (d − 1)).
 * @throws invalid_argument if the table is three-point and a cell outside the 3x3 block has counts.
 */
inline kano_result kano_classify(const std::uint64_t* cells, const kano_options& o) {
    kano_result r;
    std::array<std::uint64_t, 6> c{};
    double fsum = 0.0, dsum = 0.0;
    for (std::size_t k = 0; k < kano_cells; ++k) {
        if (cells[k] == 0) continue;
        const std::size_t f = k / 5, d = k % 5;
        if (o.table.points == 3 && (f >= 3 || d >= 3))
            CXKIT_THROW(invalid_argument, "the three-point table classifies answers 1..3, but the state holds " +
                                              std::to_string(cells[k]) + " pair(s) with answers (" +
                                              std::to_string(f + 1) + ", " + std::to_string(d + 1) + ")");
        c[static_cast<std::size_t>(o.table.cells[k])] += cells[k];
        const double w = static_cast<double>(cells[k]);
        fsum += w * (o.table.points == 3 ? detail::kano_functional_score3[f] : detail::kano_functional_score5[f]);
        dsum += w * (o.table.points == 3 ? detail::kano_dysfunctional_score3[d] : detail::kano_dysfunctional_score5[d]);
    }
    r.A = c[0], r.O = c[1], r.M = c[2], r.I = c[3], r.R = c[4], r.Q = c[5];
    r.n = c[0] + c[1] + c[2] + c[3] + c[4] + c[5];
    r.reliable = r.n >= o.reliable_n;
    if (r.n == 0) return r;
    const double N = static_cast<double>(r.n);
    const std::uint64_t np = r.A + r.O + r.M + r.I;
    if (np > 0) {
        r.better = static_cast<double>(r.A + r.O) / static_cast<double>(np);
        r.worse = 0.0 - static_cast<double>(r.O + r.M) / static_cast<double>(np);  // 0.0 - x: no -0
    }
    r.total_strength = static_cast<double>(r.A + r.O + r.M) / N;
    r.functional_mean = fsum / N;
    r.dysfunctional_mean = dsum / N;
    // The two most frequent of A, O, M, I, R (tie order M > O > A > I > R).
    const std::size_t top1 = detail::kano_argmax(c, detail::kano_tie_order, 5);
    int rest[4];
    std::size_t k = 0;
    for (std::size_t i = 0; i < 5; ++i)
        if (static_cast<std::size_t>(detail::kano_tie_order[i]) != top1) rest[k++] = detail::kano_tie_order[i];
    const std::size_t top2 = detail::kano_argmax(c, rest, 4);
    const double a = static_cast<double>(c[top1]), b = static_cast<double>(c[top2]);
    r.category_strength = (a - b) / N;
    // Fong (1996): |a − b| >= 1.65 sqrt((a + b)(2n − a − b)/(2n)).
    r.fong_significant = (a + b) > 0 && std::fabs(a - b) >= 1.65 * std::sqrt((a + b) * (2 * N - a - b) / (2 * N));
    std::size_t cat = detail::kano_argmax(c, detail::kano_tie_order, 6);  // mode
    if (o.rule == kano_rule::strength) {
        if (r.category_strength < o.strength_threshold) {
            // The first of M, O, A, I among the two most frequent (top1/top2 cannot both be R).
            for (int x : {2, 1, 0, 3})
                if (static_cast<std::size_t>(x) == top1 || static_cast<std::size_t>(x) == top2) {
                    cat = static_cast<std::size_t>(x);
                    break;
                }
        }
    } else if (o.rule == kano_rule::aom_vs_iqr) {
        static constexpr int aom[3] = {2, 1, 0}, irq[3] = {3, 4, 5};
        cat = (r.A + r.O + r.M > r.I + r.R + r.Q) ? detail::kano_argmax(c, aom, 3) : detail::kano_argmax(c, irq, 3);
    }
    r.category = std::string(1, kano_letter(cat));
    return r;
}

/**
 * The mergeable Kano state: for each feature (by name, in the order first seen), the 25
 * answer-pair counts, the missing pairs and the invalid pairs that were dropped.
 */
class kano_accumulator {
public:
    static constexpr std::uint16_t format_version = 1;

    kano_accumulator() = default;
    /// @throws invalid_argument for a repeated feature name.
    explicit kano_accumulator(const std::vector<std::string>& features) {
        for (const auto& f : features) {
            if (index_.count(f) != 0) CXKIT_THROW(invalid_argument, "features: \"" + f + "\" appears twice");
            add_feature(f);
        }
    }

    const std::vector<std::string>& features() const noexcept { return features_; }
    std::size_t n_features() const noexcept { return features_.size(); }
    /// Index of a feature, or -1 when the state does not have it.
    std::int64_t find(const std::string& f) const {
        const auto it = index_.find(f);
        return it == index_.end() ? -1 : static_cast<std::int64_t>(it->second);
    }
    /// Index of a feature, adding it (with zero counts) when new.
    std::size_t feature_index(const std::string& f) {
        const auto it = index_.find(f);
        return it != index_.end() ? it->second : add_feature(f);
    }
    /// The 25 answer-pair counts of feature j (cell 5 (f − 1) + (d − 1)).
    const std::uint64_t* cells(std::size_t j) const { return counts_.at(j).data(); }
    std::uint64_t n_missing(std::size_t j) const { return counts_.at(j)[25]; }
    std::uint64_t n_invalid(std::size_t j) const { return counts_.at(j)[26]; }
    /// Totals over the features.
    std::uint64_t n() const noexcept { return total(0, 25); }
    std::uint64_t n_missing() const noexcept { return total(25, 26); }
    std::uint64_t n_invalid() const noexcept { return total(26, 27); }

    /**
     * Adds one answer pair of a feature (added when new): NaN is missing, answers outside 1..points
     * are invalid (raise: `invalid_input`, state unchanged; drop: counted).
     */
    void add(const std::string& feature, double functional, double dysfunctional,
             core::on_invalid policy = core::on_invalid::raise, int points = 5) {
        const kano_pair_coder coder(points);
        const std::uint32_t b = coder.combine(coder.first_code(functional), coder.second_code(dysfunctional));
        if (b == coder.invalid_bin() && policy == core::on_invalid::raise)
            CXKIT_THROW(invalid_input, "invalid answer pair for feature \"" + feature + "\": (" +
                                           core::format_value(functional) + ", " + core::format_value(dysfunctional) +
                                           ") (expected " + coder.expected() + ")");
        ++counts_[feature_index(feature)][b];
    }

    /**
     * Adds many pairs in one pass (the grouped counting kernel of core/groupby.hpp): row i is the
     * pair (functional[i], dysfunctional[i]) of feature `codes[i] - offset` (an index into
     * features(); -1 = feature missing: the row is not counted, and is returned).
     * @return the number of rows whose feature code was -1
     * @throws invalid_input (policy raise; the state is unchanged) naming the first invalid row,
     *         its answers and the number of invalid rows; out_of_range for a bad feature code.
     */
    template <class T, class C>
    std::uint64_t add(const core::pair_batch<T>& answers, const core::group_codes<C>& codes,
                      core::on_invalid policy = core::on_invalid::raise, int points = 5, unsigned threads = 1) {
        const kano_pair_coder coder(points);
        core::group_codes<C> g = codes;
        g.n_groups = features_.size();
        if (codes.codes == nullptr && features_.size() != 1)
            CXKIT_THROW(invalid_argument, "feature codes are required when the state has " +
                                              std::to_string(features_.size()) + " features");
        const core::bin_table t = core::count_bins(answers, g, coder, threads);
        const std::size_t rows = codes.codes == nullptr ? 1 : features_.size();
        std::uint64_t bad = 0;
        for (std::size_t j = 0; j < rows; ++j) bad += t.count[t.row_offset(static_cast<std::int64_t>(j)) + 26];
        if (bad != 0 && policy == core::on_invalid::raise) throw_invalid(answers, g, coder, bad);
        for (std::size_t j = 0; j < rows; ++j) {
            const std::uint64_t* src = t.count.data() + t.row_offset(static_cast<std::int64_t>(j));
            for (std::size_t k = 0; k < 27; ++k) counts_[j][k] += src[k];
        }
        std::uint64_t no_feature = 0;
        if (codes.codes != nullptr)
            for (std::size_t k = 0; k < 27; ++k) no_feature += t.count[k];
        return no_feature;
    }

    /**
     * Merge by feature name: counts of a feature in both states add; features only in `other`
     * are appended in other's order. Counts are exact integers, so the merge is associative and
     * commutative up to the order of features, which `==` ignores.
     */
    kano_accumulator& operator+=(const kano_accumulator& other) {
        for (std::size_t j = 0; j < other.features_.size(); ++j) {
            auto& dst = counts_[feature_index(other.features_[j])];
            for (std::size_t k = 0; k < 27; ++k) dst[k] += other.counts_[j][k];
        }
        return *this;
    }
    kano_accumulator& merge(const kano_accumulator& other) { return *this += other; }
    friend kano_accumulator operator+(kano_accumulator a, const kano_accumulator& b) { return a += b; }

    /// Same features (in any order) with the same counts.
    bool operator==(const kano_accumulator& o) const {
        if (features_.size() != o.features_.size()) return false;
        for (std::size_t j = 0; j < features_.size(); ++j) {
            const std::int64_t k = o.find(features_[j]);
            if (k < 0 || counts_[j] != o.counts_[static_cast<std::size_t>(k)]) return false;
        }
        return true;
    }
    bool operator!=(const kano_accumulator& o) const { return !(*this == o); }

    /// One result per feature, in the state's feature order. Pure.
    std::vector<kano_result> result(const kano_options& options = {}) const {
        if (!(options.strength_threshold >= 0.0 && options.strength_threshold <= 1.0))
            CXKIT_THROW(invalid_argument, "strength_threshold must be in [0, 1], got " +
                                              core::format_value(options.strength_threshold));
        std::vector<kano_result> out;
        out.reserve(features_.size());
        for (std::size_t j = 0; j < features_.size(); ++j) {
            kano_result r = kano_classify(counts_[j].data(), options);
            r.feature = features_[j];
            r.n_missing = counts_[j][25];
            r.n_invalid = counts_[j][26];
            out.push_back(std::move(r));
        }
        return out;
    }

    /**
     * Payload (format version 1): u64 number of features F; then per feature: string name
     * (u64 length + UTF-8 bytes), 25 u64 pair counts (cell 5 (f − 1) + (d − 1)), u64 n_missing,
     * u64 n_invalid.
     */
    std::vector<std::uint8_t> serialize() const {
        core::archive_writer w(core::state_family::kano, format_version);
        w.write_u64(features_.size());
        for (std::size_t j = 0; j < features_.size(); ++j) {
            w.write_string(features_[j]);
            w.write_u64s(counts_[j].data(), 27);
        }
        return w.finish();
    }
    /// @throws corrupt_state for bad, truncated or inconsistent bytes (repeated feature names).
    static kano_accumulator deserialize(const std::uint8_t* data, std::size_t size) {
        core::archive_reader r(data, size, core::state_family::kano, format_version);
        const std::uint64_t nf = r.read_u64("n_features");
        // Each feature takes at least 8 (name length) + 27 * 8 bytes.
        if (nf > r.remaining() / (8 + 27 * 8))
            core::archive_reader::fail("n_features " + std::to_string(nf) + " does not fit in the " +
                                       std::to_string(r.remaining()) + " remaining bytes");
        kano_accumulator s;
        for (std::uint64_t j = 0; j < nf; ++j) {
            std::string name = r.read_string("feature name");
            if (s.index_.count(name) != 0) core::archive_reader::fail("feature \"" + name + "\" appears twice");
            const std::size_t k = s.add_feature(name);
            for (std::size_t c = 0; c < 27; ++c) s.counts_[k][c] = r.read_u64("pair counts");
        }
        r.finish();
        return s;
    }

private:
    using cells_t = std::array<std::uint64_t, 27>;  // 25 pairs, missing, invalid

    std::size_t add_feature(const std::string& f) {
        features_.push_back(f);
        counts_.push_back(cells_t{});
        index_.emplace(f, features_.size() - 1);
        return features_.size() - 1;
    }
    std::uint64_t total(std::size_t from, std::size_t to) const noexcept {
        std::uint64_t s = 0;
        for (const auto& c : counts_)
            for (std::size_t k = from; k < to; ++k) s += c[k];
        return s;
    }
    // Names the first invalid row among the rows with a feature (rows whose feature code is -1
    // are not counted, whatever their answers).
    template <class T, class C>
    [[noreturn]] static void throw_invalid(const core::pair_batch<T>& in, const core::group_codes<C>& g,
                                           const kano_pair_coder& coder, std::uint64_t bad) {
        std::size_t pos = 0;
        for (; pos < in.size; ++pos) {
            if (g.codes != nullptr && static_cast<std::int64_t>(g.codes[pos]) - g.offset < 0) continue;
            const bool miss = in.missing != nullptr && in.missing[pos] != 0;
            if (!miss && coder.combine(coder.first_code(in.first[pos]), coder.second_code(in.second[pos])) == 26) break;
        }
        std::string head = "invalid answer pair";
        if (pos < in.size)
            head += " at position " + std::to_string(pos) + ": (" + core::format_value(in.first[pos]) + ", " +
                    core::format_value(in.second[pos]) + ") (expected " + coder.expected() + ")";
        CXKIT_THROW(invalid_input, head + "; " + std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }

    std::vector<std::string> features_;
    std::vector<cells_t> counts_;
    std::map<std::string, std::size_t> index_;
};

/// Chi-square test of independence on a segments x categories table.
struct kano_chi2_result {
    double statistic = std::numeric_limits<double>::quiet_NaN();
    double df = 0;
    double p_value = std::numeric_limits<double>::quiet_NaN();
};

/**
 * Pearson's chi-square test that the category distribution (columns) does not differ between
 * segments (rows): X² = Σ (O − E)²/E with E = row total · column total / N, df = (r − 1)(c − 1)
 * over the rows and columns with non-zero totals, p = P(χ²_df > X²) (Boost.Math). No continuity
 * correction (scipy.stats.chi2_contingency(correction=False)). NaN statistic and p, df 0, when
 * fewer than two rows or two columns have counts.
 */
inline kano_chi2_result kano_chi_square(const std::vector<std::array<std::uint64_t, 6>>& table) {
    std::vector<double> rows;
    std::array<double, 6> cols{};
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < table.size(); ++i) {
        double t = 0;
        for (std::size_t k = 0; k < 6; ++k) t += static_cast<double>(table[i][k]);
        if (t > 0) {
            keep.push_back(i);
            rows.push_back(t);
            for (std::size_t k = 0; k < 6; ++k) cols[k] += static_cast<double>(table[i][k]);
        }
    }
    std::size_t nc = 0;
    double total = 0;
    for (double c : cols) {
        nc += c > 0 ? 1 : 0;
        total += c;
    }
    kano_chi2_result r;
    if (keep.size() < 2 || nc < 2) return r;
    double x2 = 0;
    for (std::size_t a = 0; a < keep.size(); ++a)
        for (std::size_t k = 0; k < 6; ++k) {
            if (cols[k] == 0) continue;
            const double e = rows[a] * cols[k] / total;
            const double d = static_cast<double>(table[keep[a]][k]) - e;
            x2 += d * d / e;
        }
    r.statistic = x2;
    r.df = static_cast<double>((keep.size() - 1) * (nc - 1));
    r.p_value = boost::math::cdf(
        boost::math::complement(boost::math::chi_squared_distribution<double, stats::math_policy>(r.df), x2));
    return r;
}

/// Replicates of Better and Worse: row-major n_boot x n_groups.
struct kano_bootstrap_result {
    std::size_t n_boot = 0, n_groups = 0;
    std::vector<double> better, worse;
};

/**
 * Respondent bootstrap of Better and Worse (stats/bootstrap.hpp): replicate b draws the
 * respondents with replacement (`resample_counts` with the engine of `replicate_seed(seed, b)`),
 * and every answer pair of a drawn respondent counts as often as the respondent was drawn.
 * Replicates are the same for any thread count.
 *
 * @param respondent  dense respondent codes 0..n_respondents-1, one per row
 * @param group       group (feature) code per row, 0..n_groups-1, or -1 (row not counted)
 * @param cell        answer-pair cell per row (0..24; anything else: not a classified pair)
 * @throws invalid_argument for a code out of range or bad options
 */
template <class G>
kano_bootstrap_result kano_bootstrap(const std::int64_t* respondent, const G* group, const std::int16_t* cell,
                                     std::size_t n, std::size_t n_respondents, std::size_t n_groups,
                                     const kano_table& table, const stats::bootstrap_options& options) {
    options.validate();
    // Rows ordered by respondent (counting sort): offsets[r]..offsets[r+1] are r's rows, each
    // stored as group * 4 + category for A, O, M, I (R and Q do not enter Better or Worse).
    std::vector<std::size_t> offsets(n_respondents + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        if (respondent[i] < 0 || static_cast<std::uint64_t>(respondent[i]) >= n_respondents)
            CXKIT_THROW(invalid_argument, "respondent code at position " + std::to_string(i) + " is " +
                                              std::to_string(respondent[i]) + ", outside 0.." +
                                              std::to_string(n_respondents) + "-1");
        if (group[i] < -1 || (group[i] >= 0 && static_cast<std::uint64_t>(group[i]) >= n_groups))
            CXKIT_THROW(invalid_argument, "group code at position " + std::to_string(i) + " is out of range");
        ++offsets[static_cast<std::size_t>(respondent[i]) + 1];
    }
    for (std::size_t r = 0; r < n_respondents; ++r) offsets[r + 1] += offsets[r];
    std::vector<std::uint32_t> slot(n);
    {
        std::vector<std::size_t> next(offsets.begin(), offsets.end() - 1);
        const std::uint32_t skip = std::numeric_limits<std::uint32_t>::max();
        for (std::size_t i = 0; i < n; ++i) {
            std::uint32_t v = skip;
            if (group[i] >= 0 && cell[i] >= 0 && cell[i] < 25) {
                const auto c = static_cast<std::uint32_t>(table.cells[static_cast<std::size_t>(cell[i])]);
                if (c < 4) v = static_cast<std::uint32_t>(group[i]) * 4u + c;
            }
            slot[next[static_cast<std::size_t>(respondent[i])]++] = v;
        }
    }
    kano_bootstrap_result out;
    out.n_boot = options.n_boot;
    out.n_groups = n_groups;
    out.better.assign(options.n_boot * n_groups, std::numeric_limits<double>::quiet_NaN());
    out.worse = out.better;
    unsigned threads = options.threads == 0 ? core::hardware_threads() : options.threads;
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, options.n_boot));
    core::parallel_chunks(options.n_boot, threads, [&](unsigned, std::size_t begin, std::size_t end) {
        std::vector<std::uint32_t> counts(n_respondents);
        std::vector<std::uint64_t> acc(n_groups * 4);
        for (std::size_t b = begin; b < end; ++b) {
            stats::bootstrap_engine engine(stats::replicate_seed(options.seed, b));
            stats::resample_counts(engine, core::span<std::uint32_t>(counts.data(), counts.size()));
            std::fill(acc.begin(), acc.end(), 0u);
            for (std::size_t r = 0; r < n_respondents; ++r) {
                const std::uint32_t w = counts[r];
                if (w == 0) continue;
                for (std::size_t i = offsets[r]; i < offsets[r + 1]; ++i)
                    if (slot[i] != std::numeric_limits<std::uint32_t>::max()) acc[slot[i]] += w;
            }
            for (std::size_t g = 0; g < n_groups; ++g) {
                const std::uint64_t* a = acc.data() + 4 * g;  // A, O, M, I
                const std::uint64_t np = a[0] + a[1] + a[2] + a[3];
                if (np == 0) continue;
                out.better[b * n_groups + g] = static_cast<double>(a[0] + a[1]) / static_cast<double>(np);
                out.worse[b * n_groups + g] = 0.0 - static_cast<double>(a[1] + a[2]) / static_cast<double>(np);
            }
        }
    });
    return out;
}

}  // namespace product

using product::kano_accumulator;
using product::kano_options;
using product::kano_result;
using product::kano_table;
CXKIT_NAMESPACE_END

#endif  // CXKIT_PRODUCT_KANO_HPP
