/**
 * @file parallel.hpp
 * @brief Splitting one pass over rows across threads, one state per thread, merged after.
 *
 * This is the state pattern applied to cores: each thread fills its own partial state from a
 * contiguous chunk, and the caller merges the partial states. No locks, no shared writes.
 */
#ifndef CXKIT_CORE_PARALLEL_HPP
#define CXKIT_CORE_PARALLEL_HPP

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

#include "cxkit/config.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/// Number of hardware threads (at least 1).
inline unsigned hardware_threads() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1u : n;
}

/**
 * Threads worth using for `rows` rows when each thread needs a private table of `table_bytes`:
 * at most `requested` (0 = all hardware threads), one below 256k rows (thread start-up would
 * dominate), and never so many that zeroing and merging the private tables costs more than a
 * fraction of reading the rows.
 */
inline unsigned plan_threads(std::size_t rows, std::size_t table_bytes, unsigned requested) noexcept {
    unsigned t = requested == 0 ? hardware_threads() : requested;
    if (rows < (std::size_t{1} << 18)) return 1;
    while (t > 1 && table_bytes * t > rows) --t;
    return std::max(1u, t);
}

/**
 * Calls `body(thread_index, begin, end)` on `threads` contiguous chunks of [0, n), the first on
 * the calling thread. Exceptions thrown by a chunk are rethrown here after all threads joined.
 */
template <class Body>
void parallel_chunks(std::size_t n, unsigned threads, Body&& body) {
    threads = std::max(1u, threads);
    if (threads == 1 || n == 0) {
        body(0u, std::size_t{0}, n);
        return;
    }
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    const std::size_t chunk = (n + threads - 1) / threads;
    for (unsigned t = 1; t < threads; ++t) {
        const std::size_t begin = std::min(n, chunk * t), end = std::min(n, begin + chunk);
        pool.emplace_back([&, t, begin, end] {
            try {
                body(t, begin, end);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    }
    try {
        body(0u, std::size_t{0}, std::min(n, chunk));
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& th : pool) th.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace core
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_PARALLEL_HPP
