// Google Benchmark: the Kano answer-pair kernel (include/cxkit/product/kano.hpp).
//
// Workload: 2^24 = 16,777,216 answer pairs (fixed seed, built once per process): int8 functional and
// dysfunctional answers 1..5 (about 1 % out of scale, dropped), int8 feature codes 0..19 (the codes
// of a pandas Categorical), as cx.kano hands them to kano_accumulator::add(pair_batch, group_codes).
//   - int8 answers, one thread and two threads (wall-clock, so the two are comparable);
//   - float64 answers (NaN = missing), one thread: the non-byte path of the pair coder;
//   - result(): classifying 20 features under the standard table (the rest of cx.kano's C++ work).
// items_per_second is pairs/s. CXKIT_BENCH_ROWS=<n> overrides the number of pairs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include <cxkit/product/kano.hpp>

namespace {

namespace core = cxkit::core;
using cxkit::kano_accumulator;

constexpr std::size_t n_features = 20;

std::size_t rows() {
    static const std::size_t n = [] {
        if (const char* s = std::getenv("CXKIT_BENCH_ROWS")) {
            const long long v = std::atoll(s);
            if (v > 0) return static_cast<std::size_t>(v);
        }
        return std::size_t{1} << 24;
    }();
    return n;
}

struct data {
    std::vector<std::int8_t> f, d, codes;
    std::vector<double> fd, dd;
    std::vector<std::string> names;
};

const data& input() {
    static const data x = [] {
        data r;
        const std::size_t n = rows();
        r.f.resize(n), r.d.resize(n), r.codes.resize(n), r.fd.resize(n), r.dd.resize(n);
        std::uint64_t s = 42;
        auto next = [&s] {  // splitmix64
            std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            return z ^ (z >> 31);
        };
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t z = next();
            r.f[i] = static_cast<std::int8_t>(1 + (z % 5));
            r.d[i] = static_cast<std::int8_t>(1 + ((z >> 8) % 5));
            if (((z >> 16) % 100) == 0) r.f[i] = 9;  // out of scale
            r.codes[i] = static_cast<std::int8_t>(i % n_features);
            r.fd[i] = ((z >> 24) % 100) == 0 ? std::numeric_limits<double>::quiet_NaN() : r.f[i];
            r.dd[i] = r.d[i];
        }
        for (std::size_t j = 0; j < n_features; ++j) r.names.push_back("feature_" + std::to_string(j));
        return r;
    }();
    return x;
}

void BM_kano_pairs_int8(benchmark::State& state) {
    const data& x = input();
    const unsigned threads = static_cast<unsigned>(state.range(0));
    for (auto _ : state) {
        kano_accumulator acc(x.names);
        acc.add(core::pair_batch<std::int8_t>{x.f.data(), x.d.data(), x.f.size(), nullptr},
                core::group_codes<std::int8_t>{x.codes.data(), 0, n_features}, cxkit::on_invalid::drop, 5, threads);
        benchmark::DoNotOptimize(acc.n());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.f.size()));
}
BENCHMARK(BM_kano_pairs_int8)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_kano_pairs_double(benchmark::State& state) {
    const data& x = input();
    for (auto _ : state) {
        kano_accumulator acc(x.names);
        acc.add(core::pair_batch<double>{x.fd.data(), x.dd.data(), x.fd.size(), nullptr},
                core::group_codes<std::int8_t>{x.codes.data(), 0, n_features}, cxkit::on_invalid::drop, 5, 1);
        benchmark::DoNotOptimize(acc.n());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * x.fd.size()));
}
BENCHMARK(BM_kano_pairs_double)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_kano_result(benchmark::State& state) {
    const data& x = input();
    kano_accumulator acc(x.names);
    acc.add(core::pair_batch<std::int8_t>{x.f.data(), x.d.data(), x.f.size(), nullptr},
            core::group_codes<std::int8_t>{x.codes.data(), 0, n_features}, cxkit::on_invalid::drop);
    for (auto _ : state) benchmark::DoNotOptimize(acc.result());
}
BENCHMARK(BM_kano_result)->Unit(benchmark::kMicrosecond);

}  // namespace
