/**
 * @file drivers.hpp
 * @brief Key drivers analysis (METRICS.md §3 "Key drivers"): a mergeable state of weighted means
 *        and co-moments of (target, drivers), and from it OLS standardised coefficients and R²,
 *        Johnson's relative weights and exact Shapley / LMG weights.
 *
 * Variables: variable 0 is the target (e.g. overall satisfaction), variables 1..p the drivers.
 * The state holds the total weight W, the weighted means and the weighted co-moment matrix
 * C_ij = Σ w (x_i − x̄_i)(x_j − x̄_j). Everything is computed from the correlation matrix
 * R_ij = C_ij / √(C_ii C_jj), so the results are scale invariant (a driver in cents or in euros,
 * any survey-weight normalisation, give the same weights). Partition R into R_xx (drivers) and
 * r_xy (driver-target correlations):
 * - OLS (standardised): β = R_xx⁻¹ r_xy, R² = r_xyᵀ β. Its decomposition of R² for
 *   method "ols" is Pratt's product measure ε_j = β_j r_jy (Hoffman 1960; Pratt 1987), which sums
 *   to R² (it can be negative under suppression; it is reported as given).
 * - Relative weights (Johnson 2000): R_xx = V Λ Vᵀ, L = V Λ^{1/2} Vᵀ, β* = L⁻¹ r_xy,
 *   ε_j = Σ_k L_jk² β*_k²; Σ ε_j = R².
 * - Shapley / LMG (Lipovetsky & Conklin 2001; Grömping 2006): φ_j = Σ_{S ⊆ P∖{j}}
 *   |S|!(p − |S| − 1)!/p! [R²(S ∪ {j}) − R²(S)] with R²(S) = r_Sᵀ R_SS⁻¹ r_S, exact for p ≤ 20.
 *   The R² of all 2^p subsets come from one depth-first walk of the subset tree in which each
 *   child's Cholesky factor extends its parent's by one row (O(|S|²) per subset), in parallel
 *   over the top-level branches.
 * - rescaled = 100 ε_j / R² (percent, sums to 100); sign = sign of the OLS β_j.
 *
 * Decompositions use Eigen (SelfAdjointEigenSolver, LLT); no inverse of raw cross-products is
 * ever formed.
 *
 * Bad input (ARCHITECTURE.md §3): a row with a NaN in any variable is missing (listwise deletion,
 * counted in n_missing); a row with ±inf in any variable or an invalid weight (NaN, negative, or
 * outside [1e-150, 1e150] other than 0) is invalid (raise, or drop and count in n_invalid).
 * A constant target or driver, or drivers whose correlation matrix is (numerically) singular,
 * make `result()` throw `numerical_error` naming them.
 *
 * Importance-performance analysis (`cx.ipa`, python/cxkit/drivers.py) derives importance from
 * this state too: `correlation()` row 0 (Pearson correlation with the overall score) or the
 * relative weights of `result()`.
 */
#ifndef CXKIT_PRODUCT_DRIVERS_HPP
#define CXKIT_PRODUCT_DRIVERS_HPP

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Dense>

#include "cxkit/config.hpp"
#include "cxkit/core/archive.hpp"
#include "cxkit/core/matrix.hpp"
#include "cxkit/core/parallel.hpp"
#include "cxkit/core/span.hpp"
#include "cxkit/core/validate.hpp"
#include "cxkit/error.hpp"
#include "cxkit/stats/bootstrap.hpp"

CXKIT_NAMESPACE_BEGIN
namespace product {

/// Most variables (target + drivers) a driver state holds: keeps a state at most ~4 MB.
constexpr std::size_t driver_max_variables = 1001;
/// Most drivers for exact Shapley weights: 2^20 subsets (8 MB of R² values).
constexpr std::size_t shapley_max_drivers = 20;
/// Drivers are collinear when the smallest eigenvalue of their correlation matrix is below this
/// (the eigenvalues sum to p; 1e-12 means coefficients would lose about 12 of 16 digits).
constexpr double driver_collinearity_tolerance = 1e-12;
/// A variable is constant when its weighted standard deviation is at most this times |mean|
/// (or exactly 0): below that its variation is rounding noise of the mean.
constexpr double driver_constant_tolerance = 1e-12;

/// How the R² is divided among the drivers.
enum class driver_method {
    relative_weights,  ///< Johnson (2000) relative weights (default)
    shapley,           ///< exact Shapley value / LMG (p ≤ 20)
    ols,               ///< Pratt's product measure β_j r_jy
};

/// Parses "relative_weights" / "shapley" / "ols". @throws invalid_argument naming the value.
inline driver_method parse_driver_method(const std::string& text) {
    if (text == "relative_weights") return driver_method::relative_weights;
    if (text == "shapley") return driver_method::shapley;
    if (text == "ols") return driver_method::ols;
    CXKIT_THROW(invalid_argument,
                "method must be \"relative_weights\", \"shapley\" or \"ols\", got \"" + text + "\"");
}

inline const char* to_string(driver_method m) noexcept {
    switch (m) {
        case driver_method::shapley: return "shapley";
        case driver_method::ols: return "ols";
        default: return "relative_weights";
    }
}

/// Options of `driver_accumulator::result`.
struct driver_options {
    driver_method method = driver_method::relative_weights;
    /// Names of the variables (target first) used in error messages; empty: "target",
    /// "driver 1", "driver 2", ...
    std::vector<std::string> names;
    unsigned threads = 1;  ///< for Shapley's subset walk (0 = all cores); never changes the result
};

/// Key drivers of one state (API.md "Product"). Per-driver vectors are in driver order.
struct driver_result {
    std::string method;
    double r_squared = std::numeric_limits<double>::quiet_NaN();  ///< OLS R² of target on all drivers
    std::uint64_t n = 0;                                          ///< rows used (listwise complete, valid)
    std::uint64_t n_missing = 0;
    std::uint64_t n_invalid = 0;
    double sum_weights = 0.0;
    std::vector<double> weight;       ///< raw importance, sums to R²
    std::vector<double> rescaled;     ///< 100 weight / R², sums to 100
    std::vector<double> sign;         ///< sign of the OLS coefficient (+1, −1, 0)
    std::vector<double> beta;         ///< standardised OLS coefficient
    std::vector<double> correlation;  ///< Pearson correlation of each driver with the target
    std::vector<double> weight_lo;    ///< bootstrap percentile interval of `weight` (NaN without bootstrap)
    std::vector<double> weight_hi;
    std::uint64_t n_boot_valid = 0;   ///< bootstrap replicates on which the weights were defined

    template <class F>
    static void fields(F&& f) {
        f("method", &driver_result::method);
        f("r_squared", &driver_result::r_squared);
        f("n", &driver_result::n);
        f("n_missing", &driver_result::n_missing);
        f("n_invalid", &driver_result::n_invalid);
        f("sum_weights", &driver_result::sum_weights);
        f("weight", &driver_result::weight);
        f("rescaled", &driver_result::rescaled);
        f("sign", &driver_result::sign);
        f("beta", &driver_result::beta);
        f("correlation", &driver_result::correlation);
        f("weight_lo", &driver_result::weight_lo);
        f("weight_hi", &driver_result::weight_hi);
        f("n_boot_valid", &driver_result::n_boot_valid);
    }
};

namespace detail {

inline std::string variable_name(const std::vector<std::string>& names, std::size_t i) {
    if (i < names.size()) return "'" + names[i] + "'";
    return i == 0 ? std::string("target") : "driver " + std::to_string(i);
}

/**
 * R² of every subset of the drivers: out[mask] = r_Sᵀ R_SS⁻¹ r_S with S the set bits of mask
 * (bit j = driver j), out[0] = 0. Depth-first over the subset tree where the children of S add
 * one driver above max(S): with R_SS = L Lᵀ and z = L⁻¹ r_S (so R²(S) = ‖z‖²), adding driver j
 * appends the row l = L⁻¹ R_Sj, d = √(1 − ‖l‖²) to L and z_j = (r_j − l·z)/d to z, hence
 * R²(S ∪ {j}) = R²(S) + z_j². O(|S|²) per subset; the p top-level branches are shared among
 * threads (largest first, taken from an atomic counter).
 * Precondition: R_xx positive definite (checked by the caller).
 */
inline std::vector<double> all_subset_r_squared(const Eigen::MatrixXd& rxx, const Eigen::VectorXd& rxy,
                                                unsigned threads) {
    const std::size_t p = static_cast<std::size_t>(rxx.rows());
    std::vector<double> out(std::size_t{1} << p, 0.0);
    if (p == 0) return out;
    std::atomic<std::size_t> next{0};
    unsigned t = threads == 0 ? core::hardware_threads() : threads;
    if (p < 12) t = 1;  // under 4096 subsets, thread start-up costs more than the walk
    t = std::min<unsigned>(t, static_cast<unsigned>(p));
    core::parallel_chunks(t, t, [&](unsigned, std::size_t, std::size_t) {
        // L row-major p x p (rows of the current chain), z, and the chain's driver indices.
        std::vector<double> L(p * p, 0.0), z(p, 0.0), l(p, 0.0);
        std::vector<std::size_t> idx(p, 0);
        struct walker {
            const Eigen::MatrixXd& rxx;
            const Eigen::VectorXd& rxy;
            std::vector<double>& out;
            std::vector<double>& L;
            std::vector<double>& z;
            std::vector<std::size_t>& idx;
            std::size_t p;
            // Adds driver j to the chain of length `depth` (subset `mask`, R² `r2`), records it and
            // walks its children.
            void extend(std::size_t depth, std::size_t mask, double r2, std::size_t j) {
                double* row = &L[depth * p];
                double ll = 0.0, lz = 0.0;
                for (std::size_t a = 0; a < depth; ++a) {
                    double s = rxx(static_cast<Eigen::Index>(idx[a]), static_cast<Eigen::Index>(j));
                    const double* la = &L[a * p];
                    for (std::size_t b = 0; b < a; ++b) s -= la[b] * row[b];
                    row[a] = s / la[a];
                    ll += row[a] * row[a];
                    lz += row[a] * z[a];
                }
                const double d = std::sqrt(std::max(1.0 - ll, std::numeric_limits<double>::min()));
                row[depth] = d;
                z[depth] = (rxy(static_cast<Eigen::Index>(j)) - lz) / d;
                idx[depth] = j;
                const std::size_t child = mask | (std::size_t{1} << j);
                const double r2_child = r2 + z[depth] * z[depth];
                out[child] = r2_child;
                for (std::size_t k = j + 1; k < p; ++k) extend(depth + 1, child, r2_child, k);
            }
        } w{rxx, rxy, out, L, z, idx, p};
        for (;;) {
            const std::size_t j = next.fetch_add(1);
            if (j >= p) break;
            w.extend(0, 0, 0.0, j);
        }
    });
    return out;
}

/// Shapley values from the R² of all subsets (p · 2^(p−1) differences, parallel over drivers).
inline std::vector<double> shapley_from_subsets(const std::vector<double>& r2, std::size_t p, unsigned threads) {
    // weight(s) = s!(p − s − 1)!/p! = 1 / (p · C(p − 1, s)), C by the multiplicative recurrence.
    std::vector<double> weight(p, 0.0);
    double c = 1.0;  // C(p − 1, s)
    for (std::size_t s = 0; s < p; ++s) {
        weight[s] = 1.0 / (static_cast<double>(p) * c);
        c = c * static_cast<double>(p - 1 - s) / static_cast<double>(s + 1);
    }
    std::vector<double> phi(p, 0.0);
    unsigned t = threads == 0 ? core::hardware_threads() : threads;
    if (p < 12) t = 1;
    core::parallel_chunks(p, t, [&](unsigned, std::size_t begin, std::size_t end) {
        const std::size_t full = std::size_t{1} << p;
        for (std::size_t j = begin; j < end; ++j) {
            const std::size_t bit = std::size_t{1} << j;
            double sum = 0.0;
            for (std::size_t mask = 0; mask < full; ++mask) {
                if (mask & bit) continue;
                const auto s = static_cast<std::size_t>(__builtin_popcountll(static_cast<unsigned long long>(mask)));
                sum += weight[s] * (r2[mask | bit] - r2[mask]);
            }
            phi[j] = sum;
        }
    });
    return phi;
}

}  // namespace detail

/**
 * Mergeable state of key drivers analysis: total weight W, weighted means and weighted
 * co-moments of `n_variables` variables (variable 0 = target, 1.. = drivers), and the row counts.
 * Regular value type; `==` compares every field exactly.
 */
class driver_accumulator {
public:
    /// Serialization format version written by this build.
    static constexpr std::uint16_t format_version = 1;

    /// A state with no variables (only useful as a target of assignment).
    driver_accumulator() = default;

    /// @throws invalid_argument unless 2 <= n_variables <= driver_max_variables.
    explicit driver_accumulator(std::size_t n_variables) : k_(n_variables) {
        if (n_variables < 2 || n_variables > driver_max_variables)
            CXKIT_THROW(invalid_argument, "n_variables must be in 2.." + std::to_string(driver_max_variables) +
                                              " (the target and at least one driver), got " +
                                              std::to_string(n_variables));
        mean_.assign(k_, 0.0);
        com_.assign(k_ * k_, 0.0);
    }

    std::size_t n_variables() const noexcept { return k_; }
    std::size_t n_drivers() const noexcept { return k_ == 0 ? 0 : k_ - 1; }
    std::uint64_t n() const noexcept { return n_; }
    std::uint64_t n_missing() const noexcept { return n_missing_; }
    std::uint64_t n_invalid() const noexcept { return n_invalid_; }
    double sum_weights() const noexcept { return w_; }
    /// Weighted mean of variable i (0 when W = 0).
    double mean(std::size_t i) const { return mean_.at(i); }
    /// Weighted co-moment Σ w (x_i − x̄_i)(x_j − x̄_j).
    double comoment(std::size_t i, std::size_t j) const { return com_.at(i * k_ + j); }
    const std::vector<double>& means() const noexcept { return mean_; }
    /// The co-moment matrix, row-major k × k (symmetric).
    const std::vector<double>& comoments() const noexcept { return com_; }

    /**
     * Adds rows: element (r, c) of `rows` is variable c of row r (rows.cols must equal
     * n_variables()); `weights` one per row or null (all 1). Rows are processed in fixed
     * segments of 65,536 rows (blocks of 2,048 inside), each by a two-pass weighted mean and
     * co-moment, merged in order, so the result does not depend on `threads`.
     * @param names  variable names for the error message (may be empty).
     * @throws invalid_argument for a column count mismatch; invalid_input for invalid rows under
     *         on_invalid::raise (the state is then unchanged).
     */
    template <class T>
    void add(core::matrix_view<T> rows, const double* weights = nullptr, core::on_invalid policy = core::on_invalid::raise,
             unsigned threads = 1, const std::vector<std::string>& names = {}) {
        if (rows.cols != k_)
            CXKIT_THROW(invalid_argument, "rows have " + std::to_string(rows.cols) + " columns but the state has " +
                                              std::to_string(k_) + " variables");
        const std::size_t n = rows.rows;
        if (n == 0) return;
        constexpr std::size_t segment = 65536;
        const std::size_t n_seg = (n + segment - 1) / segment;
        std::vector<driver_accumulator> parts(n_seg, driver_accumulator(k_));
        const unsigned t = core::plan_threads(n, k_ * k_ * sizeof(double) * 64, threads);
        std::atomic<std::size_t> next{0};
        core::parallel_chunks(t, t, [&](unsigned, std::size_t, std::size_t) {
            for (;;) {
                const std::size_t s = next.fetch_add(1);
                if (s >= n_seg) break;
                parts[s].add_segment(rows, weights, s * segment, std::min(n, (s + 1) * segment));
            }
        });
        std::uint64_t bad = 0;
        for (const auto& part : parts) bad += part.n_invalid_;
        if (bad > 0 && policy == core::on_invalid::raise) throw_invalid(rows, weights, bad, names);
        for (const auto& part : parts) *this += part;
    }

    /// Adds one row of n_variables() values with weight `weight`.
    void add_row(core::span<const double> row, double weight = 1.0, core::on_invalid policy = core::on_invalid::raise) {
        add(core::matrix_view<double>::row_major(row.data(), 1, row.size()), &weight, policy);
    }

    /**
     * Merge (Chan, Golub & LeVeque 1979, weighted form). For parts a and b with total weights
     * W_a, W_b, means m_a, m_b and co-moments C_a, C_b, let W = W_a + W_b and δ = m_b − m_a.
     * The merged mean is m = (W_a m_a + W_b m_b)/W = m_a + δ W_b/W; it is evaluated as
     * (W_a/W) m_a + (W_b/W) m_b, which cannot overflow, keeps the relative error of each mean at a
     * few ulps (m_a + δ W_b/W cancels when W_a ≪ W_b) and is exactly symmetric in a and b, so
     * a + b == b + a bit for bit. Writing x − m = (x − m_a) −
     * δ W_b/W for the rows of a, Σ_a w (x − m)(x − m)ᵀ = C_a + W_a (W_b/W)² δδᵀ (the cross terms
     * vanish because Σ_a w (x − m_a) = 0); likewise for b with x − m = (x − m_b) + δ W_a/W:
     * C_b + W_b (W_a/W)² δδᵀ. Summing, W_a W_b (W_b + W_a)/W² = W_a W_b / W, so
     * C = C_a + C_b + δδᵀ W_a W_b / W. With W_a = 0 (or W_b = 0) the other part is taken as is.
     * @throws invalid_argument if the states have different numbers of variables.
     */
    driver_accumulator& operator+=(const driver_accumulator& o) {
        if (o.k_ != k_)
            CXKIT_THROW(invalid_argument, "cannot merge driver states of " + std::to_string(k_) + " and " +
                                              std::to_string(o.k_) + " variables");
        n_ += o.n_;
        n_missing_ += o.n_missing_;
        n_invalid_ += o.n_invalid_;
        if (o.w_ == 0.0) return *this;
        if (w_ == 0.0) {
            w_ = o.w_;
            mean_ = o.mean_;
            com_ = o.com_;
            return *this;
        }
        const double w = w_ + o.w_;
        const double fa = w_ / w, fb = o.w_ / w, cross = fa * fb * w;  // W_a W_b / W, symmetric, no overflow
        std::vector<double> delta(k_);
        for (std::size_t i = 0; i < k_; ++i) delta[i] = o.mean_[i] - mean_[i];
        for (std::size_t i = 0; i < k_; ++i) mean_[i] = fa * mean_[i] + fb * o.mean_[i];
        for (std::size_t i = 0; i < k_; ++i)
            for (std::size_t j = 0; j < k_; ++j)
                com_[i * k_ + j] = (com_[i * k_ + j] + o.com_[i * k_ + j]) + delta[i] * delta[j] * cross;
        w_ = w;
        return *this;
    }
    driver_accumulator& merge(const driver_accumulator& o) { return *this += o; }
    friend driver_accumulator operator+(driver_accumulator a, const driver_accumulator& b) { return a += b; }

    bool operator==(const driver_accumulator& o) const noexcept {
        return k_ == o.k_ && n_ == o.n_ && n_missing_ == o.n_missing_ && n_invalid_ == o.n_invalid_ && w_ == o.w_ &&
               mean_ == o.mean_ && com_ == o.com_;
    }
    bool operator!=(const driver_accumulator& o) const noexcept { return !(*this == o); }

    /// The weighted correlation matrix (k × k, row-major); NaN rows/columns for constant variables.
    std::vector<double> correlation() const {
        std::vector<double> r(k_ * k_, std::numeric_limits<double>::quiet_NaN());
        for (std::size_t i = 0; i < k_; ++i)
            for (std::size_t j = 0; j < k_; ++j) {
                const double d = std::sqrt(com_[i * k_ + i] * com_[j * k_ + j]);
                if (d > 0.0 && !is_constant(i) && !is_constant(j))
                    r[i * k_ + j] = i == j ? 1.0 : com_[i * k_ + j] / d;
            }
        return r;
    }

    /**
     * R²(S) = r_Sᵀ R_SS⁻¹ r_S of the target on the drivers `subset` (driver numbers 1..p, i.e.
     * variable indices; empty: 0), by a Cholesky factorisation of R_SS.
     * @throws numerical_error for constant or collinear variables (see result()),
     *         invalid_argument for a driver number out of range or given twice.
     */
    double subset_r_squared(core::span<const std::size_t> subset, const driver_options& options = {}) const {
        const auto m = checked_correlation(options.names);
        std::vector<bool> seen(k_, false);
        for (std::size_t v : subset) {
            if (v < 1 || v >= k_ || seen[v])
                CXKIT_THROW(invalid_argument, "subset: driver number " + std::to_string(v) +
                                                  " is out of range 1.." + std::to_string(k_ - 1) + " or repeated");
            seen[v] = true;
        }
        const auto s = static_cast<Eigen::Index>(subset.size());
        if (s == 0) return 0.0;
        Eigen::MatrixXd rss(s, s);
        Eigen::VectorXd rs(s);
        for (Eigen::Index a = 0; a < s; ++a) {
            rs(a) = m.rxy(static_cast<Eigen::Index>(subset[static_cast<std::size_t>(a)] - 1));
            for (Eigen::Index b = 0; b < s; ++b)
                rss(a, b) = m.rxx(static_cast<Eigen::Index>(subset[static_cast<std::size_t>(a)] - 1),
                                  static_cast<Eigen::Index>(subset[static_cast<std::size_t>(b)] - 1));
        }
        Eigen::LLT<Eigen::MatrixXd> llt(rss);
        const Eigen::VectorXd z = llt.matrixL().solve(rs);
        return z.squaredNorm();
    }

    /**
     * R² of all 2^p driver subsets (element `mask`: bit j set = driver j + 1 in the subset),
     * the input of the Shapley weights.
     * @throws invalid_argument for more than shapley_max_drivers drivers; numerical_error as result().
     */
    std::vector<double> all_subset_r_squared(const driver_options& options = {}) const {
        check_shapley_size();
        const auto m = checked_correlation(options.names);
        return detail::all_subset_r_squared(m.rxx, m.rxy, options.threads);
    }

    /**
     * The key drivers (see the file comment for the formulas). Empty state (W = 0): NaN
     * estimates and zero counts, no exception.
     * @throws numerical_error naming the variables for a constant target or driver, or collinear
     *         drivers; invalid_argument for Shapley with more than 20 drivers.
     */
    driver_result result(const driver_options& options = {}) const {
        driver_result r;
        r.method = to_string(options.method);
        r.n = n_;
        r.n_missing = n_missing_;
        r.n_invalid = n_invalid_;
        r.sum_weights = w_;
        const std::size_t p = n_drivers();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        for (auto* v : {&r.weight, &r.rescaled, &r.sign, &r.beta, &r.correlation, &r.weight_lo, &r.weight_hi})
            v->assign(p, nan);
        if (options.method == driver_method::shapley) check_shapley_size();
        if (w_ == 0.0 || k_ == 0) return r;
        const auto m = checked_correlation(options.names);
        const auto pi = static_cast<Eigen::Index>(p);
        // β = V Λ⁻¹ Vᵀ r_xy and L = V Λ^{1/2} Vᵀ from one eigen-decomposition of R_xx.
        const Eigen::VectorXd vt_r = m.eig.eigenvectors().transpose() * m.rxy;
        const Eigen::VectorXd& lambda = m.eig.eigenvalues();
        const Eigen::VectorXd beta = m.eig.eigenvectors() * (vt_r.array() / lambda.array()).matrix();
        const double r2 = m.rxy.dot(beta);
        r.r_squared = r2;
        Eigen::VectorXd eps(pi);
        if (options.method == driver_method::ols) {
            eps = beta.cwiseProduct(m.rxy);
        } else if (options.method == driver_method::relative_weights) {
            const Eigen::MatrixXd& V = m.eig.eigenvectors();
            const Eigen::MatrixXd L = V * lambda.cwiseSqrt().asDiagonal() * V.transpose();
            const Eigen::VectorXd beta_star = V * (vt_r.array() / lambda.array().sqrt()).matrix();  // L⁻¹ r_xy
            eps = L.cwiseAbs2() * beta_star.cwiseAbs2();
        } else {
            const auto r2s = detail::all_subset_r_squared(m.rxx, m.rxy, options.threads);
            const auto phi = detail::shapley_from_subsets(r2s, p, options.threads);
            for (std::size_t j = 0; j < p; ++j) eps(static_cast<Eigen::Index>(j)) = phi[j];
        }
        for (std::size_t j = 0; j < p; ++j) {
            const auto e = static_cast<Eigen::Index>(j);
            r.weight[j] = eps(e);
            r.rescaled[j] = r2 > 0.0 ? 100.0 * eps(e) / r2 : nan;
            r.beta[j] = beta(e);
            r.sign[j] = beta(e) > 0.0 ? 1.0 : (beta(e) < 0.0 ? -1.0 : 0.0);
            r.correlation[j] = m.rxy(e);
        }
        return r;
    }

    /**
     * Serialized state, format version 1 (family `driver`), payload:
     * u64 k (n_variables), u64 n, u64 n_missing, u64 n_invalid, f64 W, f64 × k means,
     * f64 × k(k + 1)/2 co-moments (upper triangle, row by row: (0,0), (0,1), .., (0,k−1), (1,1), ..).
     */
    std::vector<std::uint8_t> serialize() const {
        core::archive_writer w(core::state_family::driver, format_version);
        w.write_u64(k_);
        w.write_u64(n_);
        w.write_u64(n_missing_);
        w.write_u64(n_invalid_);
        w.write_f64(w_);
        w.write_f64s(mean_.data(), mean_.size());
        for (std::size_t i = 0; i < k_; ++i)
            for (std::size_t j = i; j < k_; ++j) w.write_f64(com_[i * k_ + j]);
        return w.finish();
    }

    /// @throws corrupt_state ("corrupt state: ...") for truncated, corrupt or impossible bytes.
    static driver_accumulator deserialize(const std::uint8_t* data, std::size_t size) {
        core::archive_reader r(data, size, core::state_family::driver, format_version);
        const std::uint64_t k = r.read_u64("n_variables");
        if (k != 0 && (k < 2 || k > driver_max_variables))
            core::archive_reader::fail("n_variables " + std::to_string(k) + " outside 2.." +
                                       std::to_string(driver_max_variables));
        driver_accumulator s;
        if (k != 0) s = driver_accumulator(static_cast<std::size_t>(k));
        s.n_ = r.read_u64("n");
        s.n_missing_ = r.read_u64("n_missing");
        s.n_invalid_ = r.read_u64("n_invalid");
        s.w_ = r.read_nonnegative_f64("sum_weights");
        r.expect_remaining_at_least(8 * (k + k * (k + 1) / 2), "means and co-moments");
        for (std::size_t i = 0; i < s.k_; ++i) {
            s.mean_[i] = r.read_f64("means");
            if (!std::isfinite(s.mean_[i])) core::archive_reader::fail("mean " + std::to_string(i) + " is not finite");
        }
        for (std::size_t i = 0; i < s.k_; ++i)
            for (std::size_t j = i; j < s.k_; ++j) {
                const double c = r.read_f64("co-moments");
                if (!std::isfinite(c) || (i == j && c < 0.0))
                    core::archive_reader::fail("co-moment (" + std::to_string(i) + ", " + std::to_string(j) +
                                               ") holds " + core::format_value(c) +
                                               ", expected a finite value (>= 0 on the diagonal)");
                s.com_[i * s.k_ + j] = s.com_[j * s.k_ + i] = c;
            }
        r.finish();
        if (s.n_ == 0 && s.w_ != 0.0) core::archive_reader::fail("a total weight without rows");
        if (s.w_ == 0.0) {
            for (double v : s.mean_)
                if (v != 0.0) core::archive_reader::fail("means of a state without weight must be 0");
            for (double v : s.com_)
                if (v != 0.0) core::archive_reader::fail("co-moments of a state without weight must be 0");
        }
        return s;
    }

private:
    struct corr_parts {
        Eigen::MatrixXd rxx;
        Eigen::VectorXd rxy;
        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig;
    };

    bool is_constant(std::size_t i) const noexcept {
        const double c = com_[i * k_ + i];
        if (!(c > 0.0) || w_ == 0.0) return true;
        return std::sqrt(c / w_) <= driver_constant_tolerance * std::abs(mean_[i]);
    }

    void check_shapley_size() const {
        const std::size_t p = n_drivers();
        if (p > shapley_max_drivers)
            CXKIT_THROW(invalid_argument,
                        "Shapley weights are exact and need the R² of all 2^p subsets of the drivers: " +
                            std::to_string(p) + " drivers would be 2^" + std::to_string(p) +
                            " subsets; the limit is " + std::to_string(shapley_max_drivers) +
                            " drivers (2^20 = 1,048,576 subsets). Use method \"relative_weights\" for more drivers.");
    }

    /// R_xx, r_xy and the eigen-decomposition of R_xx, after the constant and collinearity checks.
    corr_parts checked_correlation(const std::vector<std::string>& names) const {
        if (w_ == 0.0)
            CXKIT_THROW(numerical_error, "key drivers: no rows with positive weight");
        if (is_constant(0))
            CXKIT_THROW(numerical_error, "key drivers: the target " + detail::variable_name(names, 0) +
                                             " is constant (zero variance), there is nothing to explain");
        std::string constant;
        std::size_t n_constant = 0;
        for (std::size_t i = 1; i < k_; ++i)
            if (is_constant(i)) {
                constant += (n_constant++ ? ", " : "") + detail::variable_name(names, i);
            }
        if (n_constant > 0)
            CXKIT_THROW(numerical_error, "key drivers: constant driver" + std::string(n_constant > 1 ? "s " : " ") +
                                             constant + " (zero variance among the rows used): drop " +
                                             (n_constant > 1 ? "them" : "it"));
        const auto p = static_cast<Eigen::Index>(k_ - 1);
        const auto cor = correlation();
        corr_parts m;
        m.rxx.resize(p, p);
        m.rxy.resize(p);
        for (Eigen::Index a = 0; a < p; ++a) {
            m.rxy(a) = cor[static_cast<std::size_t>(a + 1)];
            for (Eigen::Index b = 0; b < p; ++b)
                m.rxx(a, b) = cor[static_cast<std::size_t>(a + 1) * k_ + static_cast<std::size_t>(b + 1)];
        }
        m.eig.compute(m.rxx);
        if (m.eig.info() != Eigen::Success)
            CXKIT_THROW(numerical_error, "key drivers: eigen-decomposition of the drivers' correlation matrix failed");
        const Eigen::VectorXd& lambda = m.eig.eigenvalues();  // ascending
        if (lambda(0) < driver_collinearity_tolerance) {
            // Drivers with a visible loading on the (near-)null eigenvectors are the collinear ones.
            std::vector<bool> involved(static_cast<std::size_t>(p), false);
            for (Eigen::Index e = 0; e < p && lambda(e) < driver_collinearity_tolerance; ++e)
                for (Eigen::Index a = 0; a < p; ++a)
                    if (std::abs(m.eig.eigenvectors()(a, e)) > 1e-4) involved[static_cast<std::size_t>(a)] = true;
            std::string list;
            std::size_t count = 0;
            for (std::size_t a = 0; a < involved.size(); ++a)
                if (involved[a]) list += (count++ ? ", " : "") + detail::variable_name(names, a + 1);
            CXKIT_THROW(numerical_error, "key drivers: drivers " + list +
                                             " are collinear (a linear combination of them is constant; smallest "
                                             "eigenvalue of the drivers' correlation matrix " +
                                             core::format_value(lambda(0)) + " < " +
                                             core::format_value(driver_collinearity_tolerance) +
                                             "): drop one of them or combine them");
        }
        return m;
    }

    template <class T>
    static int classify(core::matrix_view<T> rows, const double* weights, std::size_t r) noexcept {
        // 0 valid, 1 missing (a NaN anywhere), 2 invalid (±inf, or a bad weight).
        bool inf = false;
        for (std::size_t c = 0; c < rows.cols; ++c) {
            if constexpr (std::is_floating_point<T>::value) {
                const T v = rows(r, c);
                if (v != v) return 1;
                if (!std::isfinite(v)) inf = true;
            }
        }
        if (inf) return 2;
        if (weights != nullptr && !core::valid_weight(weights[r])) return 2;
        return 0;
    }

    /// One segment [begin, end) into this (empty) state: blocks of 2,048 rows by two passes
    /// (mean, then the symmetric rank update of the centred rows: Eigen's SYRK), merged in order.
    template <class T>
    void add_segment(core::matrix_view<T> rows, const double* weights, std::size_t begin, std::size_t end) {
        constexpr std::size_t block = 2048;
        const auto k = static_cast<Eigen::Index>(k_);
        // 8 rows of padding: columns 2,056 doubles apart, not a multiple of 4 KiB, so writing one
        // row does not hit one cache set 16 times (4K aliasing).
        Eigen::MatrixXd x(static_cast<Eigen::Index>(block + 8), k);
        Eigen::VectorXd w(static_cast<Eigen::Index>(block));
        Eigen::MatrixXd com(k, k);
        std::vector<std::uint8_t> flag(block);
        for (std::size_t b = begin; b < end; b += block) {
            const std::size_t e = std::min(end, b + block), len = e - b;
            driver_accumulator part(k_);
            // Gather the block (column by column when the columns are contiguous), flagging rows
            // with a NaN (bit 1: missing) or ±inf (bit 2) in sweeps over the gathered columns.
            std::fill(flag.begin(), flag.begin() + static_cast<std::ptrdiff_t>(len), std::uint8_t{0});
            if (rows.row_stride == 1) {
                for (Eigen::Index c = 0; c < k; ++c) {
                    double* out = x.col(c).data();
                    const T* in = &rows(b, static_cast<std::size_t>(c));
                    for (std::size_t i = 0; i < len; ++i) out[i] = static_cast<double>(in[i]);
                }
            } else {
                for (std::size_t i = 0; i < len; ++i)
                    for (Eigen::Index c = 0; c < k; ++c)
                        x(static_cast<Eigen::Index>(i), c) = static_cast<double>(rows(b + i, static_cast<std::size_t>(c)));
            }
            // x − x is 0 for finite values and NaN for NaN/±inf: one vectorised reduction tells
            // whether the block needs the per-row sweep at all.
            const auto gathered = x.topRows(static_cast<Eigen::Index>(len)).array();
            if (std::is_floating_point<T>::value && (gathered - gathered).sum() != 0.0) {
                for (Eigen::Index c = 0; c < k; ++c) {
                    const double* col = x.col(c).data();
                    for (std::size_t i = 0; i < len; ++i) {
                        const double v = col[i];
                        flag[i] |= static_cast<std::uint8_t>((v != v ? 1 : 0) | (v - v != 0.0 ? 2 : 0));
                    }
                }
            }
            std::size_t m = 0;
            for (std::size_t i = 0; i < len; ++i) {
                // Same classes as classify(): any NaN = missing, else ±inf or a bad weight = invalid.
                int cls = (flag[i] & 1) ? 1 : (flag[i] ? 2 : 0);
                if (cls == 0 && weights != nullptr && !core::valid_weight(weights[b + i])) cls = 2;
                if (cls == 1) { ++part.n_missing_; continue; }
                if (cls == 2) { ++part.n_invalid_; continue; }
                if (m != i) {
                    for (Eigen::Index c = 0; c < k; ++c) x(static_cast<Eigen::Index>(m), c) = x(static_cast<Eigen::Index>(i), c);
                }
                if (weights != nullptr) w(static_cast<Eigen::Index>(m)) = weights[b + i];
                ++m;
            }
            part.n_ = m;
            if (m > 0) {
                const auto mi = static_cast<Eigen::Index>(m);
                auto xs = x.topRows(mi);
                double wsum;
                Eigen::RowVectorXd mean, sum;
                if (weights != nullptr) {
                    const auto ws = w.head(mi);
                    wsum = ws.sum();
                    if (wsum > 0.0) {
                        mean = (ws.transpose() * xs) / wsum;
                        xs.rowwise() -= mean;
                        sum = ws.transpose() * xs;
                        xs.array().colwise() *= ws.array().sqrt();
                    }
                } else {
                    wsum = static_cast<double>(m);
                    mean = xs.colwise().sum() / wsum;
                    xs.rowwise() -= mean;
                    sum = xs.colwise().sum();
                }
                if (wsum > 0.0) {
                    // Corrected two-pass: C = Σ w (x − m)(x − m)ᵀ − s sᵀ / W with s = Σ w (x − m),
                    // which removes the rounding error of the first pass's mean.
                    com.setZero();
                    com.selfadjointView<Eigen::Lower>().rankUpdate(xs.transpose());
                    part.w_ = wsum;
                    for (Eigen::Index i = 0; i < k; ++i) {
                        part.mean_[static_cast<std::size_t>(i)] = mean(i) + sum(i) / wsum;
                        for (Eigen::Index j = 0; j <= i; ++j) {
                            const double c = com(i, j) - sum(i) * sum(j) / wsum;
                            part.com_[static_cast<std::size_t>(i * k + j)] = part.com_[static_cast<std::size_t>(j * k + i)] = c;
                        }
                        // The correction can take a zero variance (equal values) a rounding error below 0.
                        double& diag = part.com_[static_cast<std::size_t>(i * k + i)];
                        diag = std::max(diag, 0.0);
                    }
                }
            }
            *this += part;
        }
    }

    template <class T>
    [[noreturn]] void throw_invalid(core::matrix_view<T> rows, const double* weights, std::uint64_t bad,
                                    const std::vector<std::string>& names) const {
        std::size_t r = 0;
        while (r < rows.rows && classify(rows, weights, r) != 2) ++r;
        std::string head = "invalid row";
        if (r < rows.rows) {
            head.clear();
            for (std::size_t c = 0; c < rows.cols && head.empty(); ++c) {
                const double v = static_cast<double>(rows(r, c));
                if (!std::isfinite(v))
                    head = "invalid value at row " + std::to_string(r) + " of " + detail::variable_name(names, c) +
                           " (column " + std::to_string(c) + "): " + core::format_value(v) +
                           " (expected a finite number)";
            }
            if (head.empty())
                head = "invalid weight at row " + std::to_string(r) + ": " + core::format_value(weights[r]) +
                       " (expected " + core::expected_weight() + ")";
        }
        CXKIT_THROW(invalid_input, head + "; " + std::to_string(bad) + " invalid row" + (bad == 1 ? "" : "s") +
                                       " in total (pass on_invalid=\"drop\" to skip and count them)");
    }

    std::size_t k_ = 0;
    std::uint64_t n_ = 0, n_missing_ = 0, n_invalid_ = 0;
    double w_ = 0.0;
    std::vector<double> mean_;
    std::vector<double> com_;  // k × k row-major, symmetric
};

/// Options of `key_drivers`: the result options plus the data-level ones.
struct key_driver_options {
    driver_options result;
    core::on_invalid policy = core::on_invalid::raise;
    std::size_t bootstrap = 0;  ///< replicates for weight_lo / weight_hi (0 = none, else >= 2)
    std::uint64_t seed = 0;
    double confidence = 0.95;
};

/**
 * Key drivers of a data matrix (variable 0 = target): one `driver_accumulator` pass, its result,
 * and with `bootstrap` > 0 percentile intervals of the weights from resampling the rows used
 * (units = complete valid rows; each replicate is the state of the resampled rows, weights times
 * multiplicities, drawn by stats/bootstrap.hpp's seeded, thread-independent scheme). Replicates on
 * which a driver is constant or the drivers are collinear are left out (n_boot_valid counts the rest).
 * @throws as driver_accumulator::add and ::result; invalid_argument for bad bootstrap options.
 */
template <class T>
driver_result key_drivers(core::matrix_view<T> rows, const double* weights, const key_driver_options& options) {
    driver_accumulator acc(rows.cols);
    stats::bootstrap_options boot;
    if (options.bootstrap > 0) {
        boot.n_boot = options.bootstrap;
        boot.seed = options.seed;
        boot.confidence = options.confidence;
        boot.threads = options.result.threads;
        boot.validate();
    } else {
        core::check_confidence(options.confidence);
    }
    acc.add(rows, weights, options.policy, options.result.threads, options.result.names);
    driver_result r = acc.result(options.result);
    if (options.bootstrap == 0 || acc.sum_weights() == 0.0) return r;

    // The complete valid rows, compacted once.
    const std::size_t k = rows.cols, p = k - 1;
    std::vector<double> data;
    std::vector<double> w;
    data.reserve(static_cast<std::size_t>(acc.n()) * k);
    w.reserve(static_cast<std::size_t>(acc.n()));
    for (std::size_t i = 0; i < rows.rows; ++i) {
        bool ok = weights == nullptr || core::valid_weight(weights[i]);
        for (std::size_t c = 0; c < k && ok; ++c) ok = std::isfinite(static_cast<double>(rows(i, c)));
        if (!ok) continue;
        for (std::size_t c = 0; c < k; ++c) data.push_back(static_cast<double>(rows(i, c)));
        w.push_back(weights != nullptr ? weights[i] : 1.0);
    }
    const std::size_t units = w.size();
    std::vector<double> reps(boot.n_boot * p, std::numeric_limits<double>::quiet_NaN());
    driver_options inner = options.result;
    inner.threads = 1;
    // The replicate loop of stats::bootstrap_replicates, with a vector-valued statistic: the
    // engine of replicate b is seeded by replicate_seed(seed, b), so replicate b does not depend
    // on the thread count.
    unsigned threads = boot.threads == 0 ? core::hardware_threads() : boot.threads;
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, boot.n_boot));
    core::parallel_chunks(boot.n_boot, threads, [&](unsigned, std::size_t begin, std::size_t end) {
        std::vector<std::uint32_t> counts(units);
        std::vector<double> wb(units);
        for (std::size_t b = begin; b < end; ++b) {
            stats::bootstrap_engine engine(stats::replicate_seed(boot.seed, b));
            stats::resample_counts(engine, core::span<std::uint32_t>(counts.data(), counts.size()));
            for (std::size_t i = 0; i < units; ++i) wb[i] = w[i] * counts[i];
            driver_accumulator rep(k);
            rep.add(core::matrix_view<double>::row_major(data.data(), units, k), wb.data());
            try {
                const driver_result rr = rep.result(inner);
                for (std::size_t j = 0; j < p; ++j) reps[b * p + j] = rr.weight[j];
            } catch (const numerical_error&) {
                // left NaN: the weights are undefined on this resample
            }
        }
    });
    std::vector<double> col(boot.n_boot);
    for (std::size_t b = 0; b < boot.n_boot; ++b) r.n_boot_valid += std::isnan(reps[b * p]) ? 0 : 1;
    for (std::size_t j = 0; j < p; ++j) {
        for (std::size_t b = 0; b < boot.n_boot; ++b) col[b] = reps[b * p + j];
        const auto s = stats::summarize_replicates(core::span<const double>(col.data(), col.size()), boot.confidence);
        r.weight_lo[j] = s.ci.low;
        r.weight_hi[j] = s.ci.high;
    }
    return r;
}

}  // namespace product

using product::driver_accumulator;
using product::driver_method;
using product::driver_options;
using product::driver_result;
using product::key_driver_options;
using product::key_drivers;
CXKIT_NAMESPACE_END

#endif  // CXKIT_PRODUCT_DRIVERS_HPP
