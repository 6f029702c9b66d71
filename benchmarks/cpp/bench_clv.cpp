// Google Benchmark: BG/NBD and Gamma-Gamma fits and the CLV kernel (include/cxkit/customer/clv.hpp).
//
// Workloads:
//   - BM_bgnbd_fit_cdnow: the BG/NBD fit on the CDNOW sample summary (2,357 customers, 1,016
//     distinct (x, t_x, T) rows; tests/data/cdnow_sample_summary.csv): aggregation, Newton
//     iterations, standard errors; the whole of cx.BetaGeoFitter().fit's C++ work;
//   - BM_gamma_gamma_fit_cdnow: the Gamma-Gamma fit on the same file (946 customers with x > 0);
//   - BM_bgnbd_fit_population / BM_clv_population: a synthetic population of CXKIT_BENCH_ROWS
//     customers (default 1,000,000; weekly summary of daily purchase times, BG/NBD process with
//     r=0.25, alpha=4, a=0.8, b=2.5, seeded) and the 12-month CLV of all of them.
// items_per_second is customers/s.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <cxkit/customer/clv.hpp>

#include "../../tests/cpp/clv_summary_data.hpp"

namespace {

using clv_data::summary;

const summary& cdnow() {
    static const summary s = [] {
        const std::string here = __FILE__;  // .../benchmarks/cpp/bench_clv.cpp
        return clv_data::read_cdnow_summary(here.substr(0, here.find_last_of('/')) + "/../../tests/data/cdnow_sample_summary.csv");
    }();
    return s;
}

std::size_t rows() {
    if (const char* s = std::getenv("CXKIT_BENCH_ROWS")) {
        const long long v = std::atoll(s);
        if (v > 0) return static_cast<std::size_t>(v);
    }
    return 1000000;
}

// The BG/NBD story per customer: exponential gaps at rate λ ~ Gamma(r, α) until the age T, a
// dropout with probability p ~ Beta(a, b) after each repeat purchase; purchase days kept.
const summary& population() {
    static const summary s = [] {
        summary out;
        const std::size_t n = rows();
        std::mt19937_64 rng(7);
        std::gamma_distribution<double> lam_d(0.25, 1.0 / 4.0), pa(0.8, 1.0), pb(2.5, 1.0), nu_d(4.0, 1.0 / 15.0);
        std::uniform_int_distribution<int> age(26 * 7, 78 * 7);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        std::exponential_distribution<double> e(1.0);
        for (std::size_t i = 0; i < n; ++i) {
            const double T = age(rng) / 7.0, lam = lam_d(rng);
            const double ga = pa(rng), gb = pb(rng), p = ga / (ga + gb);
            double now = 0, tx = 0, x = 0;
            for (;;) {
                now += e(rng) / lam;
                if (now > T) break;
                x += 1;
                tx = now;
                if (u(rng) < p) break;
            }
            double m = 0;
            if (x > 0) {
                const double nu = nu_d(rng);
                std::gamma_distribution<double> mean_spend(6.0 * x, 1.0 / (x * nu));
                m = mean_spend(rng);
            }
            out.x.push_back(x);
            out.tx.push_back(std::floor(tx * 7.0) / 7.0);
            out.T.push_back(T);
            out.m.push_back(m);
        }
        return out;
    }();
    return s;
}

void BM_bgnbd_fit_cdnow(benchmark::State& st) {
    const auto c = cdnow().columns();
    for (auto _ : st) benchmark::DoNotOptimize(cxkit::bgnbd_fit(c));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(c.size));
}
BENCHMARK(BM_bgnbd_fit_cdnow)->Unit(benchmark::kMicrosecond);

void BM_gamma_gamma_fit_cdnow(benchmark::State& st) {
    const auto c = cdnow().columns();
    for (auto _ : st) benchmark::DoNotOptimize(cxkit::gamma_gamma_fit(c));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(c.size));
}
BENCHMARK(BM_gamma_gamma_fit_cdnow)->Unit(benchmark::kMicrosecond);

void BM_bgnbd_fit_population(benchmark::State& st) {
    const auto c = population().columns();
    for (auto _ : st) benchmark::DoNotOptimize(cxkit::bgnbd_fit(c));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(c.size));
}
BENCHMARK(BM_bgnbd_fit_population)->Unit(benchmark::kMillisecond);

void BM_clv_population(benchmark::State& st) {
    const auto c = population().columns();
    const auto bg = cxkit::bgnbd_fit(c);
    const auto gg = cxkit::gamma_gamma_fit(c);
    std::vector<double> out(c.size);
    for (auto _ : st) {
        cxkit::customer_lifetime_value(bg.params, gg.params, c, 12, 0.01, 7.0, out.data());
        benchmark::DoNotOptimize(out.data());
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(c.size));
}
BENCHMARK(BM_clv_population)->Unit(benchmark::kMillisecond);

}  // namespace
