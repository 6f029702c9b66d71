// Google Benchmark: the DSR kernels (include/cxkit/survey/dsr.hpp).
//
// Workload (the shape, 10,000,000 rows by default): 10,000 sellers (int32 codes), 4
// dimensions (int8 codes), int8 ratings 1..5, int64 nanosecond time stamps uniform over 365 days,
// the 180-day window ending at the last day (about half the rows in the window).
//   - dsr_count, one core / two cores: the column kernel (counts per seller x dimension x class)
//   - dsr_count with the monthly cap: plus int64 buyers and the cap's sort of the candidate rows
//   - dsr_results: peer means, vs-peer figures and the Welch test for the 40,000 cells
// Times are wall-clock (UseRealTime); items_per_second is rows/s (cells/s for dsr_results).
// CXKIT_BENCH_ROWS=<n> overrides the row count.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <cxkit/core/time.hpp>
#include <cxkit/survey/dsr.hpp>

namespace {

constexpr std::int64_t n_sellers = 10000;
constexpr std::int64_t ns_per_day = cxkit::core::nanoseconds_per_day;
const std::int64_t first_day = cxkit::core::days_from_civil(2025, 1, 1);

std::size_t rows() {
    static const std::size_t n = [] {
        if (const char* s = std::getenv("CXKIT_BENCH_ROWS")) {
            const long long v = std::atoll(s);
            if (v > 0) return static_cast<std::size_t>(v);
        }
        return std::size_t{10000000};
    }();
    return n;
}

struct data {
    std::vector<std::int32_t> seller;
    std::vector<std::int8_t> dim, rating;
    std::vector<std::int64_t> time, buyer;
    std::vector<std::string> labels = cxkit::survey::default_dsr_dimensions();

    data() {
        const std::size_t n = rows();
        std::uint64_t s = 20261122;
        auto next = [&s] {  // splitmix64
            std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            return z ^ (z >> 31);
        };
        seller.resize(n), dim.resize(n), rating.resize(n), time.resize(n), buyer.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            seller[i] = static_cast<std::int32_t>(next() % n_sellers);
            dim[i] = static_cast<std::int8_t>(next() % 4);
            const std::uint64_t r = next() % 100;  // 3/2/5/20/70 % for 1..5 stars
            rating[i] = static_cast<std::int8_t>(r < 3 ? 1 : r < 5 ? 2 : r < 10 ? 3 : r < 30 ? 4 : 5);
            time[i] = first_day * ns_per_day + static_cast<std::int64_t>(next() % (365ull * 86400ull)) * 1000000000LL;
            buyer[i] = static_cast<std::int64_t>(next() % (n / 20 + 1));
        }
    }
    cxkit::survey::dsr_columns<std::int8_t, std::int32_t, std::int8_t> columns(bool with_buyer) const {
        cxkit::survey::dsr_columns<std::int8_t, std::int32_t, std::int8_t> c;
        c.size = seller.size();
        c.seller = seller.data();
        c.n_sellers = n_sellers;
        c.dimension = dim.data();
        c.dimension_labels = cxkit::core::span<const std::string>(labels.data(), labels.size());
        c.rating = rating.data();
        c.time = time.data();
        c.units_per_day = ns_per_day;
        if (with_buyer) c.buyer = buyer.data();
        return c;
    }
};

const data& shared() {
    static const data d;
    return d;
}

void count(benchmark::State& st, unsigned threads, bool cap) {
    const data& d = shared();
    const auto c = d.columns(cap);
    for (auto _ : st) {
        auto t = cxkit::survey::dsr_count(c, d.labels, first_day + 364, 180, cap ? 3 : 0, cxkit::on_invalid::raise,
                                          threads);
        benchmark::DoNotOptimize(t.cells.data());
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(d.seller.size()));
}

void BM_dsr_count_one_core(benchmark::State& st) { count(st, 1, false); }
void BM_dsr_count_two_cores(benchmark::State& st) { count(st, 2, false); }
void BM_dsr_count_monthly_cap(benchmark::State& st) { count(st, 1, true); }

void BM_dsr_results(benchmark::State& st) {
    const data& d = shared();
    const auto t = cxkit::survey::dsr_count(d.columns(false), d.labels, first_day + 364, 180, 0);
    const unsigned threads = static_cast<unsigned>(st.range(0));
    for (auto _ : st) {
        auto r = cxkit::survey::dsr_results(cxkit::core::span<const cxkit::dsr_cell>(t.cells.data(), t.cells.size()),
                                            t.n_dims, {}, {}, threads);
        benchmark::DoNotOptimize(r.data());
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()) * static_cast<std::int64_t>(t.cells.size()));
}

}  // namespace

BENCHMARK(BM_dsr_count_one_core)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_dsr_count_two_cores)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_dsr_count_monthly_cap)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_dsr_results)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
