// Tests of <cxkit/customer/survival.hpp>: Kaplan-Meier and the log-rank family (METRICS.md §4).
// - the aml "Maintained" arm (tests/data/aml.csv) by hand: exact fractions for S;
// - Greenwood SE, the three intervals and the median against a subject-by-subject implementation
//   of the definition written here (by_definition());
// - weights equal expanded rows; entry times; the counting and sorting paths and thread counts agree;
// - merge laws, serialization round trips, truncations, and tests/golden/survival_v1.bin against an
//   encoder written here from the documented layout;
// - bad input: every invalid class raises with position, value and count, or is dropped and counted;
// - log-rank (two groups) against the (O - E)^2 / V form written out.
#include <cxkit/customer/survival.hpp>

#include <boost/crc.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "oracles.hpp"

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using cxkit::survival_accumulator;
using cxkit::survival_columns;
using cxkit::survival_options;
using cxkit::customer::survival_ci;

const double nan_v = std::numeric_limits<double>::quiet_NaN();

struct ref_row {
    double time, at_risk, events, survival, sigma2;
};

// Subject by subject: at risk = Σ w over entry <= t <= duration; S and Greenwood's σ².
std::vector<ref_row> by_definition(const std::vector<double>& d, const std::vector<double>& o,
                                   const std::vector<double>& w, const std::vector<double>& e) {
    std::vector<double> times(d);
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    std::vector<ref_row> out;
    double s = 1.0, sig2 = 0.0;
    for (double t : times) {
        double n = 0.0, ev = 0.0;
        for (std::size_t i = 0; i < d.size(); ++i) {
            const double wi = w.empty() ? 1.0 : w[i], ei = e.empty() ? 0.0 : e[i];
            if (ei <= t && d[i] >= t) n += wi;
            if (d[i] == t && o[i] == 1.0) ev += wi;
        }
        if (ev > 0) {
            s *= 1.0 - ev / n;
            sig2 += n > ev ? ev / (n * (n - ev)) : std::numeric_limits<double>::infinity();
        }
        out.push_back({t, n, ev, s, sig2});
    }
    return out;
}

survival_accumulator make(const std::vector<double>& d, const std::vector<double>& o, const std::vector<double>& w = {},
                          const std::vector<double>& e = {}, unsigned threads = 1) {
    survival_accumulator a;
    a.add(survival_columns{d.data(), o.data(), w.empty() ? nullptr : w.data(), e.empty() ? nullptr : e.data(), d.size()},
          cxkit::on_invalid::drop, threads);
    return a;
}

// aml, x = "Maintained" (tests/data/aml.csv)
const std::vector<double> aml_t = {9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161};
const std::vector<double> aml_s = {1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0};

std::vector<std::uint8_t> read_golden(const char* name) {
    const std::string path = std::string(CXKIT_TEST_DATA_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

template <class T>
void put(std::vector<std::uint8_t>& b, T v) {
    std::uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));  // little-endian hosts only (as the CI machines)
    b.insert(b.end(), raw, raw + sizeof(T));
}

}  // namespace

TEST_CASE("survival: aml maintained arm - exact Kaplan-Meier fractions and the median") {
    const auto r = make(aml_t, aml_s).result();
    const std::vector<double> times = {9, 13, 18, 23, 28, 31, 34, 45, 48, 161};
    const std::vector<double> at_risk = {11, 10, 8, 7, 6, 5, 4, 3, 2, 1};
    double s = 1.0;
    const std::vector<double> factor = {10.0 / 11, 9.0 / 10, 7.0 / 8, 6.0 / 7, 1, 4.0 / 5, 3.0 / 4, 1, 1.0 / 2, 1};
    REQUIRE(r.time == times);
    CHECK(r.at_risk == at_risk);
    for (std::size_t i = 0; i < times.size(); ++i) {
        s *= factor[i];
        CHECK(r.survival[i] == doctest::Approx(s).epsilon(1e-14));
    }
    CHECK(r.median == 31.0);  // S(23) = 0.614 > 0.5, S(31) = 0.491
    CHECK(r.n == 11);
    CHECK(r.events[1] == 1.0);
    CHECK(r.censored[1] == 1.0);
}

TEST_CASE("survival: Greenwood SE, intervals and median interval follow the definition") {
    std::mt19937_64 rng(42);
    std::vector<double> d, o, w;
    for (int i = 0; i < 300; ++i) {
        d.push_back(static_cast<double>(rng() % 40));
        o.push_back(static_cast<double>(rng() % 3 != 0));
        w.push_back(static_cast<double>(1 + rng() % 3));
    }
    const auto ref = by_definition(d, o, w, {});
    const auto acc = make(d, o, w);
    for (double conf : {0.9, 0.95}) {
        const double z = cxkit::stats::z_critical(conf);
        for (auto ci : {survival_ci::log_log, survival_ci::log, survival_ci::plain}) {
            const auto r = acc.result(survival_options{conf, ci});
            REQUIRE(r.time.size() == ref.size());
            double med = nan_v, mlo = nan_v, mhi = nan_v;
            for (std::size_t i = 0; i < ref.size(); ++i) {
                const double s = ref[i].survival, sig = std::sqrt(ref[i].sigma2);
                CHECK(r.at_risk[i] == ref[i].at_risk);
                CHECK(r.survival[i] == doctest::Approx(s).epsilon(1e-13));
                double lo = s, hi = s;
                if (s == 0.0) {
                    CHECK(std::isnan(r.std_error[i]));
                    CHECK(std::isnan(r.ci_low[i]));
                    continue;
                }
                CHECK(r.std_error[i] == doctest::Approx(s * sig).epsilon(1e-12));
                if (sig > 0) {
                    if (ci == survival_ci::log_log) {
                        lo = std::pow(s, std::exp(-z * sig / std::log(s)));
                        hi = std::pow(s, std::exp(z * sig / std::log(s)));
                    } else if (ci == survival_ci::log) {
                        lo = s * std::exp(-z * sig);
                        hi = std::min(1.0, s * std::exp(z * sig));
                    } else {
                        lo = std::max(0.0, s - z * s * sig);
                        hi = std::min(1.0, s + z * s * sig);
                    }
                }
                CHECK(r.ci_low[i] == doctest::Approx(lo).epsilon(1e-12));
                CHECK(r.ci_high[i] == doctest::Approx(hi).epsilon(1e-12));
                if (std::isnan(med) && s <= 0.5) med = ref[i].time;
                if (std::isnan(mlo) && lo <= 0.5) mlo = ref[i].time;
                if (std::isnan(mhi) && hi <= 0.5) mhi = ref[i].time;
            }
            CHECK(r.median == med);
            CHECK((r.median_ci_low == mlo || (std::isnan(mlo) && std::isnan(r.median_ci_low))));
            CHECK((r.median_ci_high == mhi || (std::isnan(mhi) && std::isnan(r.median_ci_high))));
        }
    }
}

TEST_CASE("survival: weights equal expanded rows and entry times give left truncation") {
    const std::vector<double> d = {1, 2, 2, 3, 5, 5, 7}, o = {1, 0, 1, 1, 0, 1, 1}, w = {2, 1, 3, 1, 2, 1, 1};
    std::vector<double> de, oe;
    for (std::size_t i = 0; i < d.size(); ++i)
        for (int k = 0; k < static_cast<int>(w[i]); ++k) {
            de.push_back(d[i]);
            oe.push_back(o[i]);
        }
    const auto a = make(d, o, w).result(), b = make(de, oe).result();
    CHECK(a.survival == b.survival);
    CHECK(a.at_risk == b.at_risk);
    REQUIRE(a.std_error.size() == b.std_error.size());
    CHECK(std::isnan(a.std_error.back()));  // S = 0 at the last time: Greenwood's 0 · ∞
    for (std::size_t i = 0; i < a.std_error.size(); ++i)
        CHECK((a.std_error[i] == b.std_error[i] || (std::isnan(a.std_error[i]) && std::isnan(b.std_error[i]))));

    const std::vector<double> e = {0, 1, 2, 0, 3, 4, 5};
    const auto ref = by_definition(d, o, {}, e);
    const auto r = make(d, o, {}, e).result();
    REQUIRE(r.time.size() == ref.size());
    for (std::size_t i = 0; i < ref.size(); ++i) {
        CHECK(r.at_risk[i] == ref[i].at_risk);
        CHECK(r.survival[i] == doctest::Approx(ref[i].survival).epsilon(1e-14));
    }
}

TEST_CASE("survival: counting and sorting paths, thread counts, and split-merge agree") {
    std::mt19937_64 rng(7);
    const std::size_t n = 400000;  // above the one-thread threshold
    std::vector<double> d(n), o(n), w(n), e(n);
    for (std::size_t i = 0; i < n; ++i) {
        d[i] = static_cast<double>(rng() % 3651);
        o[i] = static_cast<double>(rng() % 2);
        w[i] = static_cast<double>(rng() % 3);
        e[i] = std::floor(d[i] * static_cast<double>(rng() % 100) / 100.0);
    }
    const auto one = make(d, o, w, e, 1);
    CHECK(make(d, o, w, e, 2) == one);
    survival_accumulator split;
    for (std::size_t b = 0; b < n; b += 70001) {
        const std::size_t end = std::min(n, b + 70001);
        std::vector<double> dd(d.begin() + b, d.begin() + end), oo(o.begin() + b, o.begin() + end),
            ww(w.begin() + b, w.begin() + end), ee(e.begin() + b, e.begin() + end);
        split += make(dd, oo, ww, ee);
    }
    CHECK(split == one);
    // shift by 0.5: not integers, so the sorting path; same table up to the shift
    std::vector<double> ds(d), es(e);
    for (auto& x : ds) x += 0.5;
    for (auto& x : es) x += 0.5;
    const auto sorted = make(ds, o, w, es, 2);
    REQUIRE(sorted.table().size() == one.table().size());
    for (std::size_t i = 0; i < one.table().size(); ++i) {
        CHECK(sorted.table()[i].time == one.table()[i].time + 0.5);
        CHECK(sorted.table()[i].events == one.table()[i].events);
        CHECK(sorted.table()[i].entered == one.table()[i].entered);
    }
    survival_accumulator a = make({1, 2}, {1, 0}), b = make({2, 3}, {1, 1}), c = make({0.5}, {0});
    CHECK((a + b) + c == a + (b + c));
    CHECK(a + b == b + a);
    CHECK(a + survival_accumulator() == a);
}

TEST_CASE("survival: the one-pass dense count equals the general paths") {
    std::mt19937_64 rng(3);
    const std::size_t n = 300000;
    std::vector<double> d(n), o(n), ones(n, 1.0);
    std::vector<std::int8_t> flags(n);
    for (std::size_t i = 0; i < n; ++i) {
        d[i] = static_cast<double>(rng() % 4000);
        flags[i] = static_cast<std::int8_t>(rng() % 2);
        o[i] = flags[i];
    }
    d[17] = nan_v;  // missing: stays on the dense path
    o[18] = nan_v;
    flags[18] = 0;
    const auto general = make(d, o, ones);  // weights given: the general counting path
    survival_accumulator dense;
    dense.add(survival_columns{d.data(), o.data(), nullptr, nullptr, n}, cxkit::on_invalid::raise, 2);
    CHECK(dense == general);
    CHECK(dense.n_missing() == 2);
    // int8 flags (row 18 is then an observed 0, not missing)
    survival_accumulator compact;
    compact.add(survival_columns{d.data(), nullptr, nullptr, nullptr, n, flags.data()});
    CHECK(compact.n() == n - 1);
    o[18] = 0;
    CHECK(compact == make(d, o, ones));
    // a duration beyond the dense range, or not whole: the general path, same table otherwise
    d[5] = 100000.5;
    const auto big = make(d, o);
    CHECK(big == make(d, o, ones));
    CHECK(big.table().back().time == 100000.5);
    // invalid rows inside a large batch: the one-pass count gives way to the general path, which raises
    flags[123456] = 2;
    survival_accumulator bad_flags;
    CHECK(what_of([&] { bad_flags.add(survival_columns{d.data(), nullptr, nullptr, nullptr, n, flags.data()}); })
              .find("invalid observed flag at position 123456: 2") != std::string::npos);
    d[200000] = -3;
    survival_accumulator bad_duration;
    CHECK(what_of([&] { bad_duration.add(survival_columns{d.data(), o.data(), nullptr, nullptr, n}); })
              .find("invalid duration at position 200000: -3") != std::string::npos);
    CHECK(bad_duration == survival_accumulator());
}

TEST_CASE("survival: 16-bit counting cells never wrap and both SIMD block steps agree with a scalar reference") {
    // one million rows of the same duration: every 16-bit cell is flushed before it can wrap
    const std::size_t n = 1000000;
    std::vector<double> d(n, 5.0);
    std::vector<std::int8_t> flags(n, 1);
    for (std::size_t i = 0; i < n; i += 3) flags[i] = 0;
    d[n - 1] = 65535.0;  // the largest dense duration
    survival_accumulator same;
    same.add(survival_columns{d.data(), nullptr, nullptr, nullptr, n, flags.data()}, cxkit::on_invalid::raise, 2);
    const auto& t = same.table();
    REQUIRE(t.size() == 3);  // time 0 (entry row), 5, 65535
    std::uint64_t censored_at_5 = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) censored_at_5 += flags[i] == 0;
    CHECK(t[1].time == 5.0);
    CHECK(t[1].censored == static_cast<double>(censored_at_5));
    CHECK(t[1].events == static_cast<double>(n - 1 - censored_at_5));
    CHECK(t[2].time == 65535.0);
    CHECK(t[2].censored + t[2].events == 1.0);
#ifdef CXKIT_SURVIVAL_SSE2
    // the block step, every width this build has, against the definition row by row
    using cxkit::customer::detail::dense_slots_sse2;
    const std::size_t m = 64;
    auto reference = [&](const std::vector<double>& dur, const std::vector<std::int8_t>& fl, std::vector<std::int32_t>& slots,
                         std::uint32_t& qb, std::uint32_t& fb) {
        bool exact = true;
        for (std::size_t i = 0; i < m; ++i) {
            const double x = dur[i];
            const bool fits = x > -2147483649.0 && x < 2147483648.0;  // NaN fails too
            const auto q = fits ? static_cast<std::int32_t>(x) : INT32_MIN;
            exact = exact && fits && static_cast<double>(q) == x;
            qb |= static_cast<std::uint32_t>(q);
            fb |= static_cast<std::uint8_t>(fl[i]);
            slots[i] = static_cast<std::int32_t>((static_cast<std::uint32_t>(q) << 1) | (static_cast<std::uint8_t>(fl[i]) & 1u));
        }
        return exact;
    };
    std::mt19937_64 rng(11);
    for (int round = 0; round < 8; ++round) {
        std::vector<double> dur(m);
        std::vector<std::int8_t> fl(m);
        for (std::size_t i = 0; i < m; ++i) {
            dur[i] = static_cast<double>(rng() % 70000);
            fl[i] = static_cast<std::int8_t>(rng() % 2);
        }
        switch (round) {  // one kind of trouble per round (round 0 and 7: clean)
            case 1: dur[13] = nan_v; break;
            case 2: dur[40] = 7.25; break;
            case 3: dur[3] = -1.0; break;
            case 4: dur[63] = 1e12; break;
            case 5: fl[9] = 2; break;
            case 6: fl[62] = -1; break;
            default: break;
        }
        std::vector<std::int32_t> want(m), got(m);
        std::uint32_t wq = 0, wf = 0;
        const bool wexact = reference(dur, fl, want, wq, wf);
        std::uint32_t gq = 0, gf = 0;
        CHECK(dense_slots_sse2(dur.data(), fl.data(), got.data(), m, gq, gf) == wexact);
        CHECK(gq == wq);
        CHECK(gf == wf);
        if (wexact) CHECK(got == want);
#ifdef CXKIT_SURVIVAL_AVX2
        if (cxkit::customer::detail::dense_slots_avx2_available()) {
            std::vector<std::int32_t> wide(m);
            std::uint32_t aq = 0, af = 0;
            CHECK(cxkit::customer::detail::dense_slots_avx2(dur.data(), fl.data(), wide.data(), m, aq, af) == wexact);
            CHECK(aq == wq);
            CHECK(af == wf);
            if (wexact) CHECK(wide == want);
        }
#endif
        // no flags: every row an event
        std::uint32_t nq = 0, nf = 0;
        if (dense_slots_sse2(dur.data(), nullptr, got.data(), m, nq, nf) && wexact)
            for (std::size_t i = 0; i < m; ++i) CHECK(got[i] == (want[i] | 1));
        CHECK(nf == 0u);
    }
#endif
}

TEST_CASE("survival: bad input raises with position, value and count, or is dropped and counted") {
    const std::vector<double> d = {1, -2, 3, std::numeric_limits<double>::infinity(), nan_v, 4, 5};
    const std::vector<double> o = {1, 1, 2, 1, 1, nan_v, 1};
    const std::vector<double> e = {0, 0, 0, 0, 0, 0, 6};
    survival_columns c{d.data(), o.data(), nullptr, e.data(), d.size()};
    survival_accumulator a;
    const std::string msg = what_of([&] { a.add(c); });
    CHECK(msg.find("invalid duration at position 1: -2") != std::string::npos);
    CHECK(msg.find("4 invalid rows in total") != std::string::npos);
    CHECK(a == survival_accumulator());  // refused as a whole
    a.add(c, cxkit::on_invalid::drop);
    CHECK(a.n() == 1);
    CHECK(a.n_missing() == 2);
    CHECK(a.n_invalid() == 4);
    const std::vector<double> d2 = {1, 2}, o2 = {1, 0.5};
    survival_accumulator b;
    CHECK(what_of([&] { b.add(survival_columns{d2.data(), o2.data(), nullptr, nullptr, 2}); })
              .find("invalid observed flag at position 1: 0.5 (expected 0 or 1)") != std::string::npos);
    const std::vector<double> w2 = {1, nan_v};
    CHECK(what_of([&] { b.add(survival_columns{d2.data(), nullptr, w2.data(), nullptr, 2}); })
              .find("invalid weight at position 1: nan") != std::string::npos);
    const auto empty = survival_accumulator().result();
    CHECK(empty.time.empty());
    CHECK(std::isnan(empty.median));
}

TEST_CASE("survival: serialization round trip, truncation and the golden file") {
    const auto a = make(aml_t, aml_s, {}, {0, 0, 1, 2, 0, 0, 3, 0, 0, 0, 5});
    const auto bytes = a.serialize();
    CHECK(survival_accumulator::deserialize(bytes.data(), bytes.size()) == a);
    for (std::size_t k = 0; k < bytes.size(); ++k) {
        const std::string msg = what_of([&] { survival_accumulator::deserialize(bytes.data(), k); });
        CHECK(msg.rfind("corrupt state: ", 0) == 0);
    }
    // Golden: the documented input and an encoder written here from the layout.
    const auto golden = read_golden("survival_v1.bin");
    const std::vector<double> d = {1, 2, 2, 4, nan_v}, o = {1, 0, 1, 1, 1}, w = {1, 2, 1, 0.5, 1};
    CHECK(make(d, o, w).serialize() == golden);
    std::vector<std::uint8_t> payload;
    for (std::uint64_t v : {4ull, 1ull, 0ull, 4ull}) put(payload, v);
    for (double v : {0.0, 4.5, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 0.0, 1.0, 2.0, 4.0, 0.0, 0.5, 0.0}) put(payload, v);
    boost::crc_32_type crc;
    crc.process_bytes(payload.data(), payload.size());
    std::vector<std::uint8_t> expected = {'C', 'X', 'K', '1'};
    put(expected, std::uint16_t{6});
    put(expected, std::uint16_t{1});
    put(expected, std::uint32_t{0});
    put(expected, static_cast<std::uint64_t>(payload.size()));
    put(expected, static_cast<std::uint32_t>(crc.checksum()));
    expected.insert(expected.end(), payload.begin(), payload.end());
    CHECK(golden == expected);
    const auto g = survival_accumulator::deserialize(golden.data(), golden.size());
    CHECK(g.n() == 4);
    CHECK(g.n_missing() == 1);
}

TEST_CASE("survival: log-rank two groups equals the (O - E)^2 over V form") {
    const std::vector<double> d1 = {6, 6, 6, 7, 10, 13, 16, 22, 23}, o1 = {1, 1, 1, 1, 0, 1, 1, 1, 1};
    const std::vector<double> d2 = {1, 1, 2, 2, 3, 4, 4, 5, 5, 8}, o2 = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
    std::vector<double> times(d1);
    times.insert(times.end(), d2.begin(), d2.end());
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    double u = 0, v = 0;
    for (double t : times) {
        double n1 = 0, n2 = 0, e1 = 0, e2 = 0;
        for (std::size_t i = 0; i < d1.size(); ++i) {
            n1 += d1[i] >= t;
            e1 += d1[i] == t && o1[i] == 1;
        }
        for (std::size_t i = 0; i < d2.size(); ++i) {
            n2 += d2[i] >= t;
            e2 += d2[i] == t && o2[i] == 1;
        }
        const double n = n1 + n2, dd = e1 + e2;
        if (dd == 0) continue;
        u += e1 - n1 * dd / n;
        if (n > 1) v += dd * (n - dd) / (n - 1) * (n1 / n) * (n2 / n);
    }
    const auto r = cxkit::logrank_test({make(d1, o1), make(d2, o2)});
    CHECK(r.df == 1.0);
    CHECK(r.statistic == doctest::Approx(u * u / v).epsilon(1e-12));
    // chi-square(1) tail = erfc(sqrt(x / 2))
    CHECK(r.p_value == doctest::Approx(std::erfc(std::sqrt(u * u / v / 2.0))).epsilon(1e-10));
    CHECK(std::isnan(cxkit::logrank_test({make(d1, o1)}).statistic));
}
