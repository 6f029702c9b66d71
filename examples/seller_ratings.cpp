// cxkit in a marketplace back office: Detailed Seller Ratings fed as orders are reviewed.
//
// Reviews arrive all day on two ingestion servers; each keeps its own dsr_accumulator. Every night
// the two states are merged and stored as bytes (a blob in the database); the next morning the
// state is restored, the as-of day advances (days older than 180 days leave the window), and the
// day's reviews are added. At the end the report gives each seller's DSR on the four dimensions,
// compared with its category, and shows the monthly per-buyer cap at work.
//
// Build: part of the top-level CMake build (binary examples/seller_ratings).
// Stand-alone: g++ -std=c++17 -Iinclude examples/seller_ratings.cpp -pthread -o seller_ratings
#include <cxkit/cxkit.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t seconds_per_day = 86400;

/// One review as the order system hands it over: four ratings for one order.
struct review {
    std::string seller;
    std::int64_t buyer;
    std::int64_t time;   ///< seconds since 1970-01-01 UTC
    double ratings[4];   ///< described, shipping, service, communication; NaN = not answered
};

std::vector<review> reviews_of_day(std::int64_t day, std::mt19937_64& rng) {
    std::vector<review> out;
    std::uniform_int_distribution<int> seller(0, 5), buyer(0, 400), second(0, 86399), count(20, 40);
    std::normal_distribution<double> noise(0.0, 0.7);
    const int n = count(rng);
    for (int i = 0; i < n; ++i) {
        review r;
        const int s = seller(rng);
        r.seller = "shop-" + std::to_string(s);
        r.buyer = s == 0 && i % 3 == 0 ? 7 : buyer(rng);  // buyer 7 reviews shop-0 very often
        r.time = day * seconds_per_day + second(rng);
        for (int k = 0; k < 4; ++k) {
            const double base = 4.4 - 0.25 * s - (s == 4 && k == 1 ? 0.8 : 0.0);  // shop-4 ships slowly
            r.ratings[k] = std::fmin(5.0, std::fmax(1.0, std::round(base + noise(rng))));
        }
        if (i % 17 == 0) r.ratings[3] = std::nan("");  // communication not answered
        out.push_back(r);
    }
    return out;
}

}  // namespace

int main() {
    const std::vector<std::string> dims = cxkit::survey::default_dsr_dimensions();
    const std::map<std::string, std::int64_t> category = {{"shop-0", 0}, {"shop-1", 0}, {"shop-2", 0},
                                                          {"shop-3", 1}, {"shop-4", 1}, {"shop-5", 1}};
    const std::int64_t first_day = cxkit::core::days_from_civil(2026, 1, 1);
    std::mt19937_64 rng(20261122);

    std::vector<std::uint8_t> blob = cxkit::dsr_accumulator(dims, 180, 3).serialize();  // empty state in the "database"
    std::uint64_t fed = 0;
    for (std::int64_t day = first_day; day < first_day + 365; ++day) {
        // Morning: restore yesterday's state and move the window.
        cxkit::dsr_accumulator state = cxkit::dsr_accumulator::deserialize(blob.data(), blob.size());
        state.advance(day);
        // During the day: two servers, each with its own state.
        cxkit::dsr_accumulator server[2] = {cxkit::dsr_accumulator(dims, 180, 3), cxkit::dsr_accumulator(dims, 180, 3)};
        const std::vector<review> today = reviews_of_day(day, rng);
        for (std::size_t i = 0; i < today.size(); ++i) {
            const review& r = today[i];
            for (std::size_t k = 0; k < dims.size(); ++k)
                server[i % 2].add(r.seller, dims[k], r.ratings[k], r.time, r.buyer);
            fed += dims.size();
        }
        // Night: merge and store.
        state += server[0];
        state += server[1];
        blob = state.serialize();
    }

    const cxkit::dsr_accumulator state = cxkit::dsr_accumulator::deserialize(blob.data(), blob.size());
    const std::vector<std::string> sellers = state.sellers();
    std::vector<std::int64_t> peer_group;
    for (const auto& s : sellers) peer_group.push_back(category.at(s));
    const auto results = state.result({}, cxkit::core::span<const std::int64_t>(peer_group.data(), peer_group.size()));
    const auto d = cxkit::core::civil_from_days(*state.as_of());
    std::printf("DSR over the 180 days to %04lld-%02u-%02u (%llu ratings fed, state %zu bytes)\n",
                static_cast<long long>(d.year), d.month, d.day, static_cast<unsigned long long>(fed), blob.size());
    std::printf("%-8s %-14s %6s %6s %7s %9s %10s %9s\n", "seller", "dimension", "dsr", "n", "capped", "peer", "vs peer %",
                "p");
    std::uint64_t accounted = state.n_missing_key() + state.n_invalid_key();
    for (std::size_t s = 0; s < sellers.size(); ++s)
        for (std::size_t k = 0; k < dims.size(); ++k) {
            const cxkit::dsr_result& r = results[s * dims.size() + k];
            accounted += r.n + r.n_capped + r.n_expired + r.n_missing + r.n_invalid;
            std::printf("%-8s %-14s %6.3f %6llu %7llu %9.3f %10.2f %9.2g\n", sellers[s].c_str(), dims[k].c_str(), r.dsr,
                        static_cast<unsigned long long>(r.n), static_cast<unsigned long long>(r.n_capped), r.peer_mean,
                        r.vs_peer_pct, r.p_value);
        }
    std::printf("every rating accounted for: %s\n", accounted == fed ? "yes" : "NO");
    return accounted == fed ? 0 : 1;
}
