// Tests of <cxkit/core/parallel.hpp>: thread planning and the chunked parallel loop, plus the
// pattern it exists for (one partial state per thread, merged after).
#include <cxkit/core/parallel.hpp>

#include <cxkit/survey/nps.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

TEST_CASE("parallel: hardware_threads is at least 1") { CHECK(cxkit::core::hardware_threads() >= 1); }

TEST_CASE("parallel: plan_threads uses one thread below 2^18 rows") {
    CHECK(cxkit::core::plan_threads(0, 0, 8) == 1);
    CHECK(cxkit::core::plan_threads((std::size_t{1} << 18) - 1, 0, 8) == 1);
    CHECK(cxkit::core::plan_threads(std::size_t{1} << 18, 0, 8) == 8);
    CHECK(cxkit::core::plan_threads(std::size_t{1} << 20, 100, 2) == 2);
    CHECK(cxkit::core::plan_threads(std::size_t{1} << 20, 100, 1) == 1);
}

TEST_CASE("parallel: plan_threads never lets private tables outweigh the rows") {
    const std::size_t rows = std::size_t{1} << 20;
    // t threads are kept while table_bytes * t <= rows.
    CHECK(cxkit::core::plan_threads(rows, rows / 4, 8) == 4);
    CHECK(cxkit::core::plan_threads(rows, rows / 3, 8) == 3);
    CHECK(cxkit::core::plan_threads(rows, rows, 8) == 1);
    CHECK(cxkit::core::plan_threads(rows, rows * 10, 8) == 1);
    // 0 = all hardware threads (at most).
    const unsigned all = cxkit::core::plan_threads(rows, 1, 0);
    CHECK(all >= 1);
    CHECK(all <= cxkit::core::hardware_threads());
}

TEST_CASE("parallel: parallel_chunks covers 0..n-1 exactly once with contiguous chunks") {
    for (unsigned threads : {1u, 2u, 3u, 4u, 7u}) {
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{1000},
                              std::size_t{1001}}) {
            CAPTURE(threads);
            CAPTURE(n);
            std::vector<int> hits(n, 0);
            std::mutex m;
            std::vector<std::pair<std::size_t, std::size_t>> ranges(threads, {0, 0});
            std::vector<int> called(threads, 0);
            bool bad_index = false;
            cxkit::core::parallel_chunks(n, threads, [&](unsigned t, std::size_t begin, std::size_t end) {
                std::lock_guard<std::mutex> lock(m);
                for (std::size_t i = begin; i < end; ++i) ++hits[i];
                if (t >= threads) {
                    bad_index = true;
                    return;
                }
                ranges[t] = {begin, end};
                ++called[t];
            });
            CHECK_FALSE(bad_index);
            for (std::size_t i = 0; i < n; ++i) CHECK(hits[i] == 1);
            // Chunk t starts where chunk t-1 ended (for the threads that were started).
            for (unsigned t = 1; t < threads; ++t)
                if (called[t] != 0 && called[t - 1] != 0) CHECK(ranges[t].first == ranges[t - 1].second);
            CHECK(called[0] == 1);  // the calling thread always takes the first chunk
            for (int c : called) CHECK(c <= 1);
        }
    }
}

TEST_CASE("parallel: parallel_chunks with threads=0 behaves as one thread") {
    int calls = 0;
    cxkit::core::parallel_chunks(10, 0, [&](unsigned t, std::size_t begin, std::size_t end) {
        ++calls;
        CHECK(t == 0);
        CHECK(begin == 0);
        CHECK(end == 10);
    });
    CHECK(calls == 1);
}

TEST_CASE("parallel: an exception in any chunk is rethrown after all threads joined") {
    std::atomic<int> finished{0};
    CHECK_THROWS_WITH_AS(cxkit::core::parallel_chunks(100, 4,
                                                      [&](unsigned t, std::size_t, std::size_t) {
                                                          if (t == 2) throw std::runtime_error("chunk 2 failed");
                                                          finished.fetch_add(1);
                                                      }),
                         "chunk 2 failed", std::runtime_error);
    CHECK(finished.load() == 3);  // the other chunks ran to completion
    CHECK_THROWS_AS(cxkit::core::parallel_chunks(
                        100, 4, [&](unsigned t, std::size_t, std::size_t) {
                            if (t == 0) throw cxkit::invalid_input("first chunk");
                        }),
                    cxkit::invalid_input);
}

TEST_CASE("parallel: one state per thread, merged after, equals one pass") {
    std::mt19937_64 rng(5);
    std::uniform_int_distribution<int> score(0, 10);
    std::vector<int> scores(100000);
    for (auto& s : scores) s = score(rng);
    cxkit::nps_accumulator one_pass;
    one_pass.add(scores);

    const unsigned threads = 4;
    std::vector<cxkit::nps_accumulator> partial(threads);
    cxkit::core::parallel_chunks(scores.size(), threads, [&](unsigned t, std::size_t begin, std::size_t end) {
        partial[t].add(cxkit::span<const int>(scores.data() + begin, end - begin));
    });
    cxkit::nps_accumulator merged;
    for (const auto& p : partial) merged += p;
    CHECK(merged == one_pass);
}
