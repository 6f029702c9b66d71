// Google Benchmark: the survey counting kernels (ARCHITECTURE.md §4, "Performance model").
//
// Workloads (all on 2^24 = 16,777,216 rows, fixed seed, data built once per process and shared):
//   - NPS ungrouped:      nps_accumulator::add(batch<int8>) on scores 0..10
//   - NPS grouped:        core::group_states(nps_accumulator{}, int8 scores, int32|int64 codes) over
//                         1000 groups, codes random or sorted (same multiset of codes)
//   - NPS kernel only:    core::count_bins(int8 scores, int32 codes, integer_scale(0, 10)): the table,
//                         without building the 1000 per-group states
//   - rating (1..5):      rating_accumulator::add and group_states (int32 random codes)
//   - weighted grouped:   NPS grouped with float64 weights
//   - 2 threads:          NPS grouped, int32 random codes, the kernel's threads = 2
// Everything else runs with the kernel's threads = 1 (one core). Times are wall-clock (UseRealTime)
// so the 2-thread variant is comparable; items_per_second is rows/s.
//
// Smoke runs (CI: --benchmark_min_time=0.01) stay cheap: each array is generated once, lazily, on
// first use (about 0.1 s per array), and one iteration of a 16M-row benchmark takes ~10-50 ms.
// CXKIT_BENCH_ROWS=<n> in the environment overrides the row count (e.g. for a quicker local run).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <cxkit/core/groupby.hpp>
#include <cxkit/core/histogram.hpp>
#include <cxkit/survey/nps.hpp>
#include <cxkit/survey/rating.hpp>

namespace {

namespace core = cxkit::core;
using cxkit::survey::nps_accumulator;
using cxkit::survey::rating_accumulator;

constexpr std::size_t default_rows = std::size_t{1} << 24;  // 16,777,216
constexpr std::size_t n_groups = 1000;

std::size_t rows() {
    static const std::size_t n = [] {
        if (const char* s = std::getenv("CXKIT_BENCH_ROWS")) {
            const long long v = std::atoll(s);
            if (v > 0) return static_cast<std::size_t>(v);
        }
        return default_rows;
    }();
    return n;
}

// splitmix64: fast, good enough for benchmark data, identical on every platform.
struct rng {
    std::uint64_t s;
    std::uint64_t next() noexcept {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in 0..k-1 (multiply-high: no modulo bias worth mentioning, no division).
    std::uint32_t below(std::uint32_t k) noexcept {
        return static_cast<std::uint32_t>(((next() >> 32) * k) >> 32);
    }
};

template <class T>
std::vector<T> uniform(std::uint64_t seed, std::uint32_t k, T low) {
    rng r{seed};
    std::vector<T> v(rows());
    for (auto& x : v) x = static_cast<T>(static_cast<std::int64_t>(low) + r.below(k));
    return v;
}

// Same multiset of codes as `random`, sorted (counting sort).
template <class C>
std::vector<C> sorted_codes(const std::vector<C>& random) {
    std::vector<std::size_t> count(n_groups, 0);
    for (C c : random) ++count[static_cast<std::size_t>(c)];
    std::vector<C> v;
    v.reserve(random.size());
    for (std::size_t g = 0; g < n_groups; ++g) v.insert(v.end(), count[g], static_cast<C>(g));
    return v;
}

// Shared data, each built on first use.
const std::vector<std::int8_t>& scores() {  // NPS 0..10, uniform
    static const auto v = uniform<std::int8_t>(42, 11, 0);
    return v;
}
const std::vector<std::int8_t>& ratings() {  // 1..5, uniform
    static const auto v = uniform<std::int8_t>(43, 5, 1);
    return v;
}
const std::vector<std::int32_t>& codes32() {
    static const auto v = uniform<std::int32_t>(44, n_groups, 0);
    return v;
}
const std::vector<std::int32_t>& codes32_sorted() {
    static const auto v = sorted_codes(codes32());
    return v;
}
const std::vector<std::int64_t>& codes64() {
    static const std::vector<std::int64_t> v(codes32().begin(), codes32().end());
    return v;
}
const std::vector<std::int64_t>& codes64_sorted() {
    static const std::vector<std::int64_t> v(codes32_sorted().begin(), codes32_sorted().end());
    return v;
}
const std::vector<double>& weights() {  // 0.5 .. 2.0
    static const std::vector<double> v = [] {
        rng r{45};
        std::vector<double> w(rows());
        for (auto& x : w) x = 0.5 + 1.5 * static_cast<double>(r.next() >> 11) * 0x1.0p-53;
        return w;
    }();
    return v;
}

template <class T>
core::batch<T> batch_of(const std::vector<T>& v, const double* w = nullptr) {
    return core::batch<T>{v.data(), v.size(), w, nullptr};
}

void finish(benchmark::State& state) {
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(rows()));
    state.counters["rows"] = static_cast<double>(rows());
}

// ---- NPS -------------------------------------------------------------------------------------------

void BM_nps_ungrouped_int8(benchmark::State& state) {
    const auto in = batch_of(scores());
    for (auto _ : state) {
        nps_accumulator acc;
        acc.add(in, core::on_invalid::raise, 1);
        benchmark::DoNotOptimize(acc);
    }
    finish(state);
}

template <class C>
void grouped_nps(benchmark::State& state, const std::vector<C>& codes, const double* w, unsigned threads) {
    const auto in = batch_of(scores(), w);
    const core::group_codes<C> g{codes.data(), 0, n_groups};
    for (auto _ : state) {
        auto out = core::group_states(nps_accumulator{}, in, g, core::on_invalid::raise, threads);
        benchmark::DoNotOptimize(out.groups.data());
        benchmark::ClobberMemory();
    }
    finish(state);
    state.counters["groups"] = static_cast<double>(n_groups);
}

void BM_nps_grouped_int8_int32_random(benchmark::State& s) { grouped_nps(s, codes32(), nullptr, 1); }
void BM_nps_grouped_int8_int32_sorted(benchmark::State& s) { grouped_nps(s, codes32_sorted(), nullptr, 1); }
void BM_nps_grouped_int8_int64_random(benchmark::State& s) { grouped_nps(s, codes64(), nullptr, 1); }
void BM_nps_grouped_int8_int64_sorted(benchmark::State& s) { grouped_nps(s, codes64_sorted(), nullptr, 1); }
void BM_nps_grouped_weighted_int32_random(benchmark::State& s) { grouped_nps(s, codes32(), weights().data(), 1); }
void BM_nps_grouped_int8_int32_random_2threads(benchmark::State& s) { grouped_nps(s, codes32(), nullptr, 2); }

// The counting kernel alone: the (groups + 1) x 13 table, no per-group states.
template <class C>
void kernel_nps(benchmark::State& state, const std::vector<C>& codes) {
    const auto in = batch_of(scores());
    const core::group_codes<C> g{codes.data(), 0, n_groups};
    const core::integer_scale scale(0, 10);
    for (auto _ : state) {
        auto t = core::count_bins(in, g, scale, 1);
        benchmark::DoNotOptimize(t.count.data());
        benchmark::ClobberMemory();
    }
    finish(state);
}
void BM_kernel_count_bins_int8_int32_random(benchmark::State& s) { kernel_nps(s, codes32()); }
void BM_kernel_count_bins_int8_int32_sorted(benchmark::State& s) { kernel_nps(s, codes32_sorted()); }

// ---- rating (CSAT 1..5) ----------------------------------------------------------------------------

void BM_rating_ungrouped_int8(benchmark::State& state) {
    const auto in = batch_of(ratings());
    for (auto _ : state) {
        rating_accumulator acc(1, 5);
        acc.add(in, core::on_invalid::raise, 1);
        benchmark::DoNotOptimize(acc);
    }
    finish(state);
}

void BM_rating_grouped_int8_int32_random(benchmark::State& state) {
    const auto in = batch_of(ratings());
    const core::group_codes<std::int32_t> g{codes32().data(), 0, n_groups};
    for (auto _ : state) {
        auto out = core::group_states(rating_accumulator(1, 5), in, g, core::on_invalid::raise, 1);
        benchmark::DoNotOptimize(out.groups.data());
        benchmark::ClobberMemory();
    }
    finish(state);
    state.counters["groups"] = static_cast<double>(n_groups);
}

#define CXKIT_BENCH(fn) BENCHMARK(fn)->Unit(benchmark::kMillisecond)->UseRealTime()

CXKIT_BENCH(BM_nps_ungrouped_int8);
CXKIT_BENCH(BM_nps_grouped_int8_int32_random);
CXKIT_BENCH(BM_nps_grouped_int8_int32_sorted);
CXKIT_BENCH(BM_nps_grouped_int8_int64_random);
CXKIT_BENCH(BM_nps_grouped_int8_int64_sorted);
CXKIT_BENCH(BM_kernel_count_bins_int8_int32_random);
CXKIT_BENCH(BM_kernel_count_bins_int8_int32_sorted);
CXKIT_BENCH(BM_nps_grouped_weighted_int32_random);
CXKIT_BENCH(BM_nps_grouped_int8_int32_random_2threads);
CXKIT_BENCH(BM_rating_ungrouped_int8);
CXKIT_BENCH(BM_rating_grouped_int8_int32_random);

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::AddCustomContext("cxkit_rows", std::to_string(rows()));
    benchmark::AddCustomContext("cxkit_groups", std::to_string(n_groups));
    benchmark::AddCustomContext("cxkit_target", "grouped kernel (int8 scores, int32 codes, 1 thread) >= 1e9 rows/s");
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
