// BG/NBD, Gamma-Gamma and CLV (include/cxkit/customer/clv.hpp). Oracles:
// - the CDNOW sample summary (tests/data/cdnow_sample_summary.csv) against lifetimes 0.11.3's
//   BetaGeoFitter / GammaGammaFitter estimates and the published values of Fader, Hardie & Lee
//   (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4; p=6.25, q=3.74, gamma=15.44;
// - predictions for fixed parameters as lifetimes 0.11.3 (scipy) computes them (values below);
// - the BG/NBD log-likelihood written out with std::lgamma.
#include <cxkit/customer/clv.hpp>
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "clv_summary_data.hpp"
#include "oracles.hpp"

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using cdnow_data = clv_data::summary;

const cdnow_data& cdnow() {
    static const cdnow_data d = clv_data::read_cdnow_summary(std::string(CXKIT_TEST_DATA_DIR) + "/../data/cdnow_sample_summary.csv");
    return d;
}

// Per-customer BG/NBD likelihood of METRICS.md §4 written out as the sum of its two terms.
double bgnbd_ll_oracle(const cxkit::bgnbd_params& p, const cdnow_data& d) {
    auto lbeta = [](double u, double v) { return std::lgamma(u) + std::lgamma(v) - std::lgamma(u + v); };
    double s = 0;
    for (std::size_t i = 0; i < d.x.size(); ++i) {
        const double x = d.x[i];
        const double common = std::lgamma(p.r + x) - std::lgamma(p.r) + p.r * std::log(p.alpha);
        double L = std::exp(lbeta(p.a, p.b + x) - lbeta(p.a, p.b) + common - (p.r + x) * std::log(p.alpha + d.T[i]));
        if (x > 0)
            L += std::exp(lbeta(p.a + 1, p.b + x - 1) - lbeta(p.a, p.b) + common - (p.r + x) * std::log(p.alpha + d.tx[i]));
        s += std::log(L);
    }
    return s;
}

}  // namespace

TEST_CASE("clv: BG/NBD fit on CDNOW matches lifetimes and the paper") {
    const cdnow_data& d = cdnow();
    REQUIRE(d.x.size() == 2357);
    const cxkit::bgnbd_result r = cxkit::bgnbd_fit(d.columns());
    CHECK(r.converged);
    CHECK(r.message == "converged");
    CHECK(r.iterations < 30);
    CHECK(r.gradient_norm < 1e-8);
    // lifetimes 0.11.3 BetaGeoFitter().fit(x, t.x, T.cal)
    CHECK_REL(r.params.r, 0.24259454342106726, 1e-4);
    CHECK_REL(r.params.alpha, 4.413602716077378, 1e-4);
    CHECK_REL(r.params.a, 0.792921833347901, 1e-4);
    CHECK_REL(r.params.b, 2.4259057287218564, 1e-4);
    CHECK(std::round(r.params.r * 1000) / 1000 == doctest::Approx(0.243));
    CHECK(std::round(r.params.alpha * 1000) / 1000 == doctest::Approx(4.414));
    CHECK(std::round(r.log_likelihood * 10) / 10 == doctest::Approx(-9582.4));
    CHECK_REL(r.log_likelihood, bgnbd_ll_oracle(r.params, d), 1e-12);
    // lifetimes summary se(coef) (autograd Hessian)
    REQUIRE(r.standard_errors.size() == 4);
    CHECK_REL(r.standard_errors[0], 0.012557, 1e-3);
    CHECK_REL(r.standard_errors[1], 0.378224, 1e-3);
    CHECK_REL(r.standard_errors[2], 0.185734, 1e-3);
    CHECK_REL(r.standard_errors[3], 0.705414, 1e-3);
    CHECK(r.n == 2357);
    CHECK(r.n_unique == 1016);
    CHECK(r.n_missing == 0);
    CHECK(r.n_invalid == 0);
}

TEST_CASE("clv: BG/NBD predictions equal lifetimes for fixed parameters") {
    const cxkit::bgnbd_params p{0.25, 4.5, 0.8, 2.4};
    CHECK_REL(cxkit::bgnbd_expected(p, 1.0), 0.05375230828155211, 1e-10);
    CHECK_REL(cxkit::bgnbd_expected(p, 39.0), 1.2041659754167242, 1e-10);
    CHECK_REL(cxkit::bgnbd_expected(p, 100.0), 2.161855382459473, 1e-10);
    CHECK_REL(cxkit::bgnbd_conditional_expected(p, 39, 2, 30.43, 38.86), 1.219108461442664, 1e-10);
    CHECK_REL(cxkit::bgnbd_conditional_expected(p, 10, 0, 0, 38.86), 0.055719260072395936, 1e-10);
    CHECK_REL(cxkit::bgnbd_conditional_expected(p, 52, 7, 35.0, 38.0), 5.698740971618069, 1e-10);
    CHECK_REL(cxkit::bgnbd_conditional_expected(p, 52, 20, 100.0, 300.0), 3.427849922128655e-08, 1e-9);
    CHECK_REL(cxkit::bgnbd_probability_alive(p, 2, 30.43, 38.86), 0.7232196126589604, 1e-12);
    CHECK(cxkit::bgnbd_probability_alive(p, 0, 0, 38.86) == 1.0);
    CHECK_REL(cxkit::bgnbd_probability_alive(p, 7, 20.0, 38.0), 0.1621728338954531, 1e-12);
    CHECK_REL(cxkit::bgnbd_probability_of_purchases(p, 39, 0), 0.5671276403520978, 1e-10);
    CHECK_REL(cxkit::bgnbd_probability_of_purchases(p, 39, 1), 0.20355420186771603, 1e-10);
    CHECK_REL(cxkit::bgnbd_probability_of_purchases(p, 39, 3), 0.04651187731665672, 1e-10);
    CHECK_REL(cxkit::bgnbd_probability_of_purchases(p, 5, 2), 0.030548772635670365, 1e-10);
}

TEST_CASE("clv: predictions stay finite for large frequency, age and horizon") {
    const cxkit::bgnbd_params p{0.25, 4.5, 0.8, 2.4};
    for (double t : {1.0, 52.0, 1e3, 1e6}) {
        const double v = cxkit::bgnbd_conditional_expected(p, t, 1e4, 1e6 - 1, 1e6);
        CHECK(std::isfinite(v));
        CHECK(v >= 0);
    }
    CHECK(cxkit::bgnbd_probability_alive(p, 1e4, 5e5, 1e6) == 0.0);
    for (double t : {1e3, 1e6, 1e9}) CHECK(std::isfinite(cxkit::bgnbd_expected(p, t)));
    // E[X(t)] increases with t
    CHECK(cxkit::bgnbd_expected(p, 1e6) > cxkit::bgnbd_expected(p, 1e3));
    CHECK(std::isfinite(cxkit::bgnbd_probability_of_purchases(p, 1e6, 1e4)));
}

TEST_CASE("clv: Gamma-Gamma fit and conditional expected value") {
    const cdnow_data& d = cdnow();
    const cxkit::gamma_gamma_result g = cxkit::gamma_gamma_fit(d.columns());
    CHECK(g.converged);
    // lifetimes 0.11.3 GammaGammaFitter on the 946 customers with x > 0
    CHECK_REL(g.params.p, 6.24957227763583, 1e-4);
    CHECK_REL(g.params.q, 3.744224674758293, 1e-4);
    CHECK_REL(g.params.gamma, 15.443521018362361, 1e-4);
    CHECK(g.n == 946);
    CHECK(g.n_excluded_zero == 1411);
    CHECK(std::abs(g.frequency_spend_correlation) < 0.3);
    const cxkit::gamma_gamma_params q{6.25, 3.74, 15.44};
    CHECK_REL(cxkit::gamma_gamma_conditional_expected_value(q, 0, 0.0), 35.21897810218978, 1e-13);
    CHECK_REL(cxkit::gamma_gamma_conditional_expected_value(q, 1, 20.0), 24.6384872080089, 1e-13);
    CHECK_REL(cxkit::gamma_gamma_conditional_expected_value(q, 5, 35.5), 35.47734627831715, 1e-13);
}

TEST_CASE("clv: discounted CLV equals lifetimes with 4.345-week months") {
    const cxkit::bgnbd_params p{0.25, 4.5, 0.8, 2.4};
    const cxkit::gamma_gamma_params g{6.25, 3.74, 15.44};
    const std::vector<double> x{2, 0, 7}, tx{30.43, 0, 35.0}, T{38.86, 38.86, 38.0}, m{22.345, 0, 40.0};
    cxkit::clv_columns c;
    c.frequency = x.data();
    c.recency = tx.data();
    c.T = T.data();
    c.monetary = m.data();
    c.size = 3;
    std::vector<double> out(3);
    cxkit::customer_lifetime_value(p, g, c, 12, 0.01, 30.0 / 4.345, out.data());
    CHECK_REL(out[0], 36.060894799141046, 1e-10);
    CHECK_REL(out[1], 8.57170163158769, 1e-10);
    CHECK_REL(out[2], 213.87900905622627, 1e-10);
    // the definition with the conditional expectations of the header (independent of the
    // per-(x, T) caching inside customer_lifetime_value)
    cxkit::customer_lifetime_value(p, g, c, 6, 0.05, 7.0, out.data());
    for (std::size_t i = 0; i < 3; ++i) {
        double want = 0, prev = 0;
        const double em = cxkit::gamma_gamma_conditional_expected_value(g, x[i], m[i]);
        for (int k = 1; k <= 6; ++k) {
            const double cur = cxkit::bgnbd_conditional_expected(p, k * 30.0 / 7.0, x[i], tx[i], T[i]);
            want += em * (cur - prev) / std::pow(1.05, k);
            prev = cur;
        }
        CHECK_REL(out[i], want, 1e-12);
    }
}

TEST_CASE("clv: simple forms") {
    CHECK(cxkit::customer::clv_simple(120.0, 3.5) == 420.0);
    CHECK_REL(cxkit::customer::clv_retention(100.0, 0.8, 0.1), 100.0 * 0.8 / (1 + 0.1 - 0.8), 1e-15);
    CHECK(what_of([] { cxkit::customer::clv_retention(100.0, 1.0, 0.1); }).find("retention_rate must be in [0, 1), got 1") !=
          std::string::npos);
    CHECK_THROWS_AS(cxkit::customer::clv_retention(100.0, 0.5, -1.0), cxkit::invalid_input);
}

TEST_CASE("clv: bad input, weights and empty input") {
    const std::vector<double> x{1, 2, -1, 3}, tx{1, 2, 0, 40}, T{10, 10, 10, 30};
    cxkit::clv_columns c;
    c.frequency = x.data();
    c.recency = tx.data();
    c.T = T.data();
    c.size = 4;
    const std::string msg = what_of([&] { cxkit::bgnbd_fit(c); });
    CHECK(msg.find("row 2: frequency=-1") != std::string::npos);
    CHECK(msg.find("2 invalid rows") != std::string::npos);
    CHECK_THROWS_AS(cxkit::bgnbd_fit(c), cxkit::invalid_input);
    cxkit::fit_options drop;
    drop.policy = cxkit::core::on_invalid::drop;
    // two valid rows only: too few for a maximum, but the counts are right whatever the outcome
    try {
        const auto r = cxkit::bgnbd_fit(c, drop);
        CHECK(r.n_invalid == 2);
        CHECK(r.n == 2);
    } catch (const cxkit::numerical_error&) {
        CHECK(true);  // a fit that cannot produce finite estimates says so
    }
    const std::vector<double> nanv{std::numeric_limits<double>::quiet_NaN()};
    cxkit::clv_columns e;
    e.frequency = nanv.data();
    e.recency = nanv.data();
    e.T = nanv.data();
    e.size = 1;
    CHECK(what_of([&] { cxkit::bgnbd_fit(e); }).find("nothing to fit") != std::string::npos);
    e.size = 0;
    CHECK_THROWS_AS(cxkit::bgnbd_fit(e), cxkit::invalid_argument);

    // weights: a weight-2 row equals the row twice
    const cdnow_data& d = cdnow();
    std::vector<double> w(d.x.size(), 1.0), x2 = d.x, tx2 = d.tx, T2 = d.T;
    for (std::size_t i = 0; i < d.x.size(); i += 5) {
        w[i] = 2.0;
        x2.push_back(d.x[i]);
        tx2.push_back(d.tx[i]);
        T2.push_back(d.T[i]);
    }
    cxkit::clv_columns cw = d.columns();
    cw.weights = w.data();
    cxkit::clv_columns cd;
    cd.frequency = x2.data();
    cd.recency = tx2.data();
    cd.T = T2.data();
    cd.size = x2.size();
    const auto a = cxkit::bgnbd_fit(cw), b = cxkit::bgnbd_fit(cd);
    CHECK_REL(a.params.r, b.params.r, 1e-8);
    CHECK_REL(a.params.alpha, b.params.alpha, 1e-8);
    CHECK_REL(a.params.a, b.params.a, 1e-8);
    CHECK_REL(a.params.b, b.params.b, 1e-8);
    w[3] = -1.0;
    CHECK(what_of([&] { cxkit::bgnbd_fit(cw); }).find("row 3") != std::string::npos);
}

TEST_CASE("clv: a equal to 1 and data without repeat purchases") {
    // At a = 1 the closed forms are 0/0; the value lies between the neighbours on both sides
    // (E[X(t)] is monotone in a) and equals their mean to the curvature.
    cxkit::bgnbd_params one{0.25, 4.0, 1.0, 2.5}, lo{0.25, 4.0, 1.0 - 1e-3, 2.5}, hi{0.25, 4.0, 1.0 + 1e-3, 2.5};
    const double e1 = cxkit::bgnbd_expected(one, 10.0), el = cxkit::bgnbd_expected(lo, 10.0), eh = cxkit::bgnbd_expected(hi, 10.0);
    CHECK(std::isfinite(e1));
    CHECK(e1 == doctest::Approx(0.5 * (el + eh)).epsilon(1e-6));
    CHECK(std::isfinite(cxkit::bgnbd_conditional_expected(one, 10.0, 2, 5.0, 10.0)));
    const std::vector<double> zeros{0, 0, 0}, T{10, 20, 30};
    cxkit::clv_columns c;
    c.frequency = zeros.data();
    c.recency = zeros.data();
    c.T = T.data();
    c.size = 3;
    const auto r = cxkit::bgnbd_fit(c);
    CHECK_FALSE(r.converged);
    CHECK(r.message.find("not identified") != std::string::npos);
}
