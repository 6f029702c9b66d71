/**
 * @file histogram.hpp
 * @brief The weighted histogram over an integer scale that NPS, CSAT and CES states share, and
 *        the accumulator base that gives every histogram state the same add/merge/serialize API.
 *
 * The state keeps, per scale point, the number of rows and the sum of their weights, plus the sum
 * of squared weights (for Kish's n_eff = W² / Σw²) and the missing/invalid row counts. Keeping the
 * full histogram (not just "promoters" or "satisfied") makes category breaks and the CSAT
 * threshold options of `result()`, changeable after merging.
 *
 * Merge: every field is a sum over rows, so merging adds fields. Counts are integers and merge
 * exactly in any order; weight sums are floating point and merge to within rounding (1e-15
 * relative per addition), exactly when weights are integers, e.g. unweighted data.
 */
#ifndef CXKIT_CORE_HISTOGRAM_HPP
#define CXKIT_CORE_HISTOGRAM_HPP

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/groupby.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/// Weighted histogram of integer scores on low..high with missing/invalid row counts.
class score_histogram {
public:
    score_histogram() : score_histogram(integer_scale{}) {}
    explicit score_histogram(integer_scale scale)
        : scale_(scale), count_(scale.bins(), 0), weight_(scale.bins(), 0.0) {}

    const integer_scale& scale() const noexcept { return scale_; }
    /// Rows per scale point (index 0 = `scale().low()`).
    const std::vector<std::uint64_t>& counts() const noexcept { return count_; }
    /// Sum of weights per scale point.
    const std::vector<double>& weights() const noexcept { return weight_; }
    /// Sum of squared weights over the valid rows.
    double weight_sq() const noexcept { return weight_sq_; }
    std::uint64_t n_missing() const noexcept { return missing_; }
    std::uint64_t n_invalid() const noexcept { return invalid_; }
    /// Valid rows.
    std::uint64_t n() const noexcept {
        std::uint64_t s = 0;
        for (auto c : count_) s += c;
        return s;
    }
    /// W = Σw over valid rows.
    double total_weight() const noexcept {
        double s = 0.0;
        for (auto w : weight_) s += w;
        return s;
    }
    /// Kish effective sample size W² / Σw² (0 when W = 0; equals n when unweighted).
    double n_effective() const noexcept {
        const double w = total_weight();
        return w > 0.0 ? w * w / weight_sq_ : 0.0;
    }

    /// Adds one row. NaN is missing; an invalid score or weight raises or is counted per `policy`.
    template <class T>
    void add_one(T score, double weight, on_invalid policy, const char* what) {
        const std::uint32_t b = scale_.code(score);
        if (b == scale_.missing_bin()) {
            ++missing_;
            return;
        }
        if (b == scale_.invalid_bin() || !valid_weight(weight)) {
            if (policy == on_invalid::drop) {
                ++invalid_;
                return;
            }
            if (b == scale_.invalid_bin())
                CXKIT_THROW(invalid_input, std::string("invalid ") + what + " " + format_value(score) +
                                               " (expected " + scale_.expected() + ")");
            CXKIT_THROW(invalid_input, "invalid weight " + format_value(weight) + " (expected " +
                                           expected_weight() + ")");
        }
        ++count_[b];
        weight_[b] += weight;
        weight_sq_ += weight * weight;
    }

    /// Adds a batch in one pass. With `on_invalid::raise` an invalid row refuses the whole batch
    /// and leaves the state unchanged.
    template <class T>
    void add_batch(const batch<T>& in, on_invalid policy, const char* what, unsigned threads = 1) {
        const bin_table t = count_bins(in, group_codes<std::int32_t>{}, scale_, threads);
        const std::uint64_t bad = t.total(scale_.invalid_bin());
        if (bad != 0 && policy == on_invalid::raise) throw_invalid_rows(in, scale_, bad, what);
        add_table_row(t, 0);
    }

    /// Adds the cells of group `g` of a table built with this histogram's scale as coder.
    void add_table_row(const bin_table& t, std::int64_t g) {
        CXKIT_ASSERT(t.stride == scale_.stride());
        const std::size_t at = t.row_offset(g);
        const std::uint32_t k = scale_.bins();
        for (std::uint32_t b = 0; b < k; ++b) {
            const std::uint64_t c = t.count[at + b];
            count_[b] += c;
            if (t.weighted()) {
                weight_[b] += t.weight[at + b];
                weight_sq_ += t.weight_sq[at + b];
            } else {
                weight_[b] += static_cast<double>(c);
                weight_sq_ += static_cast<double>(c);
            }
        }
        missing_ += t.count[at + scale_.missing_bin()];
        invalid_ += t.count[at + scale_.invalid_bin()];
    }

    /// Merge: fieldwise sums (see the file comment). @throws invalid_argument if scales differ.
    void merge(const score_histogram& o) {
        if (scale_ != o.scale_)
            CXKIT_THROW(invalid_argument, "cannot merge states on different scales (" +
                                              std::to_string(scale_.low()) + ".." + std::to_string(scale_.high()) +
                                              " and " + std::to_string(o.scale_.low()) + ".." +
                                              std::to_string(o.scale_.high()) + ")");
        for (std::size_t b = 0; b < count_.size(); ++b) {
            count_[b] += o.count_[b];
            weight_[b] += o.weight_[b];
        }
        weight_sq_ += o.weight_sq_;
        missing_ += o.missing_;
        invalid_ += o.invalid_;
    }

    bool operator==(const score_histogram& o) const noexcept {
        return scale_ == o.scale_ && count_ == o.count_ && weight_ == o.weight_ &&
               weight_sq_ == o.weight_sq_ && missing_ == o.missing_ && invalid_ == o.invalid_;
    }
    bool operator!=(const score_histogram& o) const noexcept { return !(*this == o); }

    /// Payload: low, high, bins, counts[bins], weights[bins], weight_sq, missing, invalid.
    void write(archive_writer& w) const {
        w.write_i64(scale_.low());
        w.write_i64(scale_.high());
        w.write_u64(count_.size());
        w.write_u64s(count_.data(), count_.size());
        w.write_f64s(weight_.data(), weight_.size());
        w.write_f64(weight_sq_);
        w.write_u64(missing_);
        w.write_u64(invalid_);
    }

    /// Reads and checks a payload written by `write`. @throws corrupt_state
    static score_histogram read(archive_reader& r) {
        const std::int64_t low = r.read_i64("low"), high = r.read_i64("high");
        if (!integer_scale::valid_range(low, high))
            archive_reader::fail("scale " + std::to_string(low) + ".." + std::to_string(high) + " is not valid");
        score_histogram h(integer_scale(low, high));
        const std::uint64_t bins = r.read_u64("bins");
        if (bins != h.count_.size())
            archive_reader::fail("bins " + std::to_string(bins) + " does not match scale " +
                                 std::to_string(low) + ".." + std::to_string(high));
        for (auto& c : h.count_) c = r.read_u64("counts");
        for (std::size_t b = 0; b < h.weight_.size(); ++b) {
            h.weight_[b] = r.read_nonnegative_f64("weights");
            if (h.count_[b] == 0 && h.weight_[b] != 0.0)
                archive_reader::fail("weight " + format_value(h.weight_[b]) + " on an empty scale point");
        }
        h.weight_sq_ = r.read_nonnegative_f64("weight_sq");
        h.missing_ = r.read_u64("missing");
        h.invalid_ = r.read_u64("invalid");
        return h;
    }

private:
    integer_scale scale_;
    std::vector<std::uint64_t> count_;
    std::vector<double> weight_;
    double weight_sq_ = 0.0;
    std::uint64_t missing_ = 0;
    std::uint64_t invalid_ = 0;
};

namespace detail {
template <class C, class = void>
struct is_score_container : std::false_type {};
template <class C>
struct is_score_container<C, std::void_t<typename C::value_type, decltype(std::declval<const C&>().data()),
                                         decltype(std::declval<const C&>().size())>>
    : std::is_arithmetic<typename C::value_type> {};
}  // namespace detail

/**
 * Base of the accumulators whose state is one `score_histogram` (CRTP: `Derived` supplies
 * `family`, `format_version`, `value_name`, `check_scale(const integer_scale&)` and `result()`).
 * Gives them one add/merge/compare/serialize API.
 */
template <class Derived>
class histogram_state {
public:
    /// Adds one score with an optional weight; NaN counts as missing.
    /// @throws invalid_input for an invalid score or weight unless `policy` is drop.
    template <class T, class = std::enable_if_t<std::is_arithmetic<T>::value>>
    void add(T score, double weight = 1.0, on_invalid policy = on_invalid::raise) {
        hist_.add_one(score, weight, policy, Derived::value_name);
    }
    /// Adds a batch of scores (any contiguous container or span).
    template <class T>
    void add(span<const T> scores, on_invalid policy = on_invalid::raise) {
        add(batch<T>{scores.data(), scores.size(), nullptr, nullptr}, policy);
    }
    /// Adds a batch of scores with one weight per score.
    /// @throws invalid_argument if the lengths differ.
    template <class T>
    void add(span<const T> scores, span<const double> weights, on_invalid policy = on_invalid::raise) {
        if (weights.size() != scores.size())
            CXKIT_THROW(invalid_argument, "weights has " + std::to_string(weights.size()) +
                                              " values but scores has " + std::to_string(scores.size()));
        add(batch<T>{scores.data(), scores.size(), weights.data(), nullptr}, policy);
    }
    template <class Container, class = std::enable_if_t<detail::is_score_container<Container>::value>>
    void add(const Container& scores, on_invalid policy = on_invalid::raise) {
        add(span<const typename Container::value_type>(scores.data(), scores.size()), policy);
    }
    template <class Container, class Weights,
              class = std::enable_if_t<detail::is_score_container<Container>::value &&
                                       detail::is_score_container<Weights>::value>>
    void add(const Container& scores, const Weights& weights, on_invalid policy = on_invalid::raise) {
        add(span<const typename Container::value_type>(scores.data(), scores.size()),
            span<const double>(weights.data(), weights.size()), policy);
    }
    /// The general form: values, optional weights and missing mask; `threads` = 0 uses all cores.
    template <class T>
    void add(const batch<T>& in, on_invalid policy = on_invalid::raise, unsigned threads = 1) {
        hist_.add_batch(in, policy, Derived::value_name, threads);
    }

    /// Merge (see score_histogram::merge). @throws invalid_argument if the scales differ.
    Derived& operator+=(const Derived& other) {
        hist_.merge(other.hist_);
        return static_cast<Derived&>(*this);
    }
    Derived& merge(const Derived& other) { return *this += other; }
    friend Derived operator+(Derived a, const Derived& b) { return a += b; }
    friend bool operator==(const Derived& a, const Derived& b) noexcept { return a.hist_ == b.hist_; }
    friend bool operator!=(const Derived& a, const Derived& b) noexcept { return !(a == b); }

    /// Adds the cells of group `g` of a table counted with `coder()` (see `group_states`).
    void add_table_row(const bin_table& t, std::int64_t g) { hist_.add_table_row(t, g); }
    /// The value-to-bin coder of this state, for the counting kernel.
    const integer_scale& coder() const noexcept { return hist_.scale(); }

    std::uint64_t n() const noexcept { return hist_.n(); }
    std::uint64_t n_missing() const noexcept { return hist_.n_missing(); }
    std::uint64_t n_invalid() const noexcept { return hist_.n_invalid(); }
    const score_histogram& histogram() const noexcept { return hist_; }

    /// Serialized state (see archive.hpp for the preamble).
    std::vector<std::uint8_t> serialize() const {
        archive_writer w(Derived::family, Derived::format_version);
        hist_.write(w);
        return w.finish();
    }
    /// Inverse of serialize(). @throws corrupt_state for truncated, corrupt or foreign bytes.
    static Derived deserialize(const std::uint8_t* data, std::size_t size) {
        archive_reader r(data, size, Derived::family, Derived::format_version);
        score_histogram h = score_histogram::read(r);
        r.finish();
        if (!Derived::check_scale(h.scale()))
            archive_reader::fail("scale " + std::to_string(h.scale().low()) + ".." +
                                 std::to_string(h.scale().high()) + " is not valid for this state");
        return Derived(std::move(h));
    }

protected:
    explicit histogram_state(score_histogram h) : hist_(std::move(h)) {}
    score_histogram hist_;
};

/// One state per group, the state of the rows whose group key was missing, and the empty state
/// (the identity, carrying the parameters such as the scale) they were all built from.
template <class State>
struct grouped_states {
    std::vector<State> groups;
    State missing_key;
    State empty;
};

/**
 * Grouped add in one pass: row i goes to state `codes[i] - offset` (-1: `missing_key`).
 * Every state is a copy of `empty` (an empty state carrying the parameters, e.g. the scale)
 * plus its rows.
 * With `on_invalid::raise`, one invalid row anywhere refuses the whole batch.
 * @code
 * std::vector<std::int32_t> segment = {0, 1, 1, 0};
 * std::vector<int> score = {10, 3, 9, 7};
 * auto g = cxkit::core::group_states(cxkit::nps_accumulator{},
 *          cxkit::core::batch<int>{score.data(), score.size()},
 *          cxkit::core::group_codes<std::int32_t>{segment.data(), 0, 2});
 * double nps_of_segment_1 = g.groups[1].result().nps;  // 0
 * @endcode
 */
template <class State, class T, class C>
grouped_states<State> group_states(const State& empty, const batch<T>& in, const group_codes<C>& codes,
                                   on_invalid policy = on_invalid::raise, unsigned threads = 1) {
    const auto& coder = empty.coder();
    const bin_table t = count_bins(in, codes, coder, threads);
    const std::uint64_t bad = t.total(coder.invalid_bin());
    if (bad != 0 && policy == on_invalid::raise) throw_invalid_rows(in, coder, bad, State::value_name);
    grouped_states<State> out{std::vector<State>(t.n_groups, empty), empty, empty};
    for (std::size_t g = 0; g < t.n_groups; ++g) out.groups[g].add_table_row(t, static_cast<std::int64_t>(g));
    out.missing_key.add_table_row(t, -1);
    return out;
}

}  // namespace core
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_HISTOGRAM_HPP
