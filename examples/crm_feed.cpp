// cxkit in a CRM: survey responses arrive one at a time (web form) or in small batches (mobile
// app sync), from two ingestion threads. Each thread keeps its own NPS and CSAT state per customer
// segment; the partial states are merged, persisted as bytes (as a CRM would store them in its
// database), restored, extended with the next day's responses, and reported with intervals.
//
// Build: part of the top-level CMake build (target cxkit_example_crm_feed, binary examples/crm_feed).
// Stand-alone: g++ -std=c++17 -Iinclude examples/crm_feed.cpp -pthread -o crm_feed
#include <cxkit/cxkit.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

/// One survey response as the CRM hands it over.
struct response {
    std::string segment;  ///< customer segment of the respondent
    double nps_score;     ///< 0..10 "how likely are you to recommend us"
    double csat_score;    ///< 1..5 "how satisfied are you", NaN when the question was skipped
    double weight;        ///< survey weight (1 unless the segment is over-sampled)
    bool from_app;        ///< mobile-app responses arrive in batches, web responses one by one
};

/// The states of one segment: everything a report needs, mergeable and serializable.
struct segment_state {
    cxkit::nps_accumulator nps;
    cxkit::rating_accumulator csat{1, 5};

    segment_state& operator+=(const segment_state& other) {
        nps += other.nps;
        csat += other.csat;
        return *this;
    }
    bool operator==(const segment_state& other) const { return nps == other.nps && csat == other.csat; }
};

using segment_map = std::map<std::string, segment_state>;

/// A deterministic stand-in for the CRM's response stream, with the dirt real feeds have: a form
/// bug that sends 11, skipped CSAT questions (NaN).
std::vector<response> simulated_feed(std::size_t n, std::uint32_t seed) {
    const char* segments[] = {"enterprise", "mid-market", "smb", "consumer"};
    const double mean_nps[] = {8.2, 7.6, 7.0, 6.4};
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pick(0, 3), percent(0, 99);
    std::normal_distribution<double> noise(0.0, 2.0);
    std::vector<response> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        const int s = pick(rng);
        double nps = std::round(mean_nps[s] + noise(rng));
        nps = std::min(10.0, std::max(0.0, nps));
        if (percent(rng) == 0) nps = 11;  // the form bug
        double csat = std::round(1.0 + (nps / 10.0) * 4.0 + noise(rng) / 3.0);
        csat = std::min(5.0, std::max(1.0, csat));
        if (percent(rng) < 8) csat = std::numeric_limits<double>::quiet_NaN();  // skipped
        const double weight = s == 0 ? 0.5 : 1.0;  // enterprise is over-sampled 2x
        out.push_back({segments[s], nps, csat, weight, percent(rng) < 30});
    }
    return out;
}

/// One ingestion thread: web responses are added as they come; app responses are buffered and
/// added per batch of 16. Bad rows are dropped and counted (a live feed must not stop on them).
void ingest(const std::vector<response>& feed, std::size_t begin, std::size_t end, segment_map& states) {
    const auto drop = cxkit::core::on_invalid::drop;
    struct pending {
        std::vector<double> nps, csat, weight;
    };
    std::map<std::string, pending> app_batches;
    const auto flush = [&](const std::string& segment, pending& p) {
        segment_state& st = states[segment];
        st.nps.add(p.nps, p.weight, drop);
        st.csat.add(p.csat, p.weight, drop);
        p = pending{};
    };
    for (std::size_t i = begin; i < end; ++i) {
        const response& r = feed[i];
        if (!r.from_app) {
            segment_state& st = states[r.segment];
            st.nps.add(r.nps_score, r.weight, drop);
            st.csat.add(r.csat_score, r.weight, drop);
            continue;
        }
        pending& p = app_batches[r.segment];
        p.nps.push_back(r.nps_score);
        p.csat.push_back(r.csat_score);
        p.weight.push_back(r.weight);
        if (p.nps.size() == 16) flush(r.segment, p);
    }
    for (auto& kv : app_batches)
        if (!kv.second.nps.empty()) flush(kv.first, kv.second);
}

/// Two threads, one private segment_map each, merged afterwards: no locks, no shared writes.
segment_map ingest_in_parallel(const std::vector<response>& feed) {
    std::vector<segment_map> partial(2);
    const std::size_t half = feed.size() / 2;
    std::thread worker([&] { ingest(feed, half, feed.size(), partial[1]); });
    ingest(feed, 0, half, partial[0]);
    worker.join();
    segment_map total;
    for (const auto& part : partial)
        for (const auto& kv : part) total[kv.first] += kv.second;
    return total;
}

void print_report(const segment_map& states) {
    // n: NPS responses used; skip: CSAT questions skipped (missing); bad: NPS scores dropped as invalid.
    std::printf("%-11s %6s %5s %5s | %-22s | %-20s | %-18s\n", "segment", "n", "skip", "bad", "NPS [95% CI]",
                "CSAT % [95% CI]", "CSAT mean [95% CI]");
    for (const auto& kv : states) {
        const auto n = kv.second.nps.result();
        const auto c = kv.second.csat.result();
        std::printf("%-11s %6llu %5llu %5llu | %6.1f [%6.1f, %6.1f] | %5.1f [%5.1f, %5.1f] | %4.2f [%4.2f, %4.2f]\n",
                    kv.first.c_str(), static_cast<unsigned long long>(n.n),
                    static_cast<unsigned long long>(c.n_missing), static_cast<unsigned long long>(n.n_invalid),
                    n.nps, n.ci_low, n.ci_high, c.csat, c.ci_low, c.ci_high, c.mean, c.mean_ci_low, c.mean_ci_high);
    }
}

/// Each segment against all the others (merges only), Holm-adjusted across segments.
void print_segment_vs_rest(const segment_map& states) {
    std::vector<std::string> names;
    std::vector<cxkit::nps_accumulator> groups;
    for (const auto& kv : states) {
        names.push_back(kv.first);
        groups.push_back(kv.second.nps);
    }
    const auto cmp = cxkit::core::each_with_rest(groups, cxkit::nps_accumulator{},
                                                 [](const cxkit::nps_accumulator& g, const cxkit::nps_accumulator& rest) {
                                                     return cxkit::compare_nps(g, rest);
                                                 });
    std::vector<double> p;
    for (const auto& c : cmp) p.push_back(c.p_value);
    const auto adjusted = cxkit::stats::adjust_pvalues(p, cxkit::stats::adjust_method::holm);
    std::printf("\nNPS, segment vs rest (adjusted Wald, Holm-adjusted p):\n");
    for (std::size_t i = 0; i < cmp.size(); ++i)
        std::printf("  %-11s %+6.1f points [%+6.1f, %+6.1f]  p = %.3g\n", names[i].c_str(), cmp[i].difference,
                    cmp[i].ci_low, cmp[i].ci_high, adjusted[i]);
}

}  // namespace

int main() {
    // Day 1: ingest, merge, report.
    const auto day1 = simulated_feed(20000, 1);
    segment_map states = ingest_in_parallel(day1);
    std::printf("Day 1 (%zu responses)\n", day1.size());
    print_report(states);

    // Persist each segment's states as bytes, the way the CRM stores them between runs...
    std::map<std::string, std::vector<std::uint8_t>> database;
    for (const auto& kv : states) {
        database[kv.first + "/nps"] = kv.second.nps.serialize();
        database[kv.first + "/csat"] = kv.second.csat.serialize();
    }

    // ...and restore them the next day. deserialize() throws cxkit::corrupt_state on bad bytes.
    segment_map restored;
    try {
        for (const auto& kv : states) {
            const auto& nps_bytes = database.at(kv.first + "/nps");
            const auto& csat_bytes = database.at(kv.first + "/csat");
            restored[kv.first].nps = cxkit::nps_accumulator::deserialize(nps_bytes.data(), nps_bytes.size());
            restored[kv.first].csat = cxkit::rating_accumulator::deserialize(csat_bytes.data(), csat_bytes.size());
        }
    } catch (const cxkit::error& e) {
        std::fprintf(stderr, "cannot restore state (%s)\n", e.id());
        return 1;
    }
    if (restored != states) {
        std::fprintf(stderr, "restored state differs from the saved one\n");
        return 1;
    }

    // Day 2: new responses go straight into the restored states.
    const auto day2 = simulated_feed(5000, 2);
    const segment_map day2_states = ingest_in_parallel(day2);
    for (const auto& kv : day2_states) restored[kv.first] += kv.second;
    std::printf("\nDay 1 + day 2 (%zu responses, state restored from %zu stored blobs)\n", day1.size() + day2.size(),
                database.size());
    print_report(restored);
    print_segment_vs_rest(restored);

    // Every row is accounted for: used + missing + invalid == responses received.
    std::uint64_t rows = 0;
    for (const auto& kv : restored) {
        const auto r = kv.second.nps.result();
        rows += r.n + r.n_missing + r.n_invalid;
    }
    if (rows != day1.size() + day2.size()) {
        std::fprintf(stderr, "lost rows: %llu of %zu\n", static_cast<unsigned long long>(rows),
                     day1.size() + day2.size());
        return 1;
    }
    return 0;
}
