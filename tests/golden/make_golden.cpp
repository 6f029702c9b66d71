// Writes the golden serialized states tests/golden/nps_v1.bin, tests/golden/rating_v1.bin and
// tests/golden/dsr_v1.bin.
//
// NOT part of the build. The files were written once with format version 1 and are committed;
// tests/cpp/test_archive.cpp checks that every later build still reads them to the same state and
// still writes the same bytes. Never regenerate them to make a failing test pass: a difference
// means the format changed, which needs a new format version (and new golden files next to these).
//
// Build and run from the repository root (refuses to overwrite existing files without --force;
// name files after the directory to write only those, e.g. `/tmp/make_golden tests/golden dsr_v1.bin`):
//   g++ -std=c++17 -Iinclude tests/golden/make_golden.cpp -o /tmp/make_golden && /tmp/make_golden tests/golden
//
// The inputs are documented in tests/golden/README.md and repeated in test_archive.cpp (NPS,
// rating) and test_dsr.cpp (DSR).
#include <cxkit/cxkit.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

const double nan_v = std::numeric_limits<double>::quiet_NaN();

// Seconds since the epoch of y-m-d h:00:00 UTC.
std::int64_t at(std::int64_t y, unsigned m, unsigned d, int h = 12) {
    return cxkit::core::days_from_civil(y, m, d) * 86400 + h * 3600;
}

bool write_file(const std::string& path, const std::vector<std::uint8_t>& bytes, bool force) {
    if (!force && std::ifstream(path, std::ios::binary).good()) {
        std::fprintf(stderr, "%s exists; not overwritten (pass --force to replace it)\n", path.c_str());
        return false;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        return false;
    }
    std::printf("wrote %s (%zu bytes)\n", path.c_str(), bytes.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <output dir> [--force]\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    bool force = false;
    std::vector<std::string> only;
    for (int i = 2; i < argc; ++i) {
        if (std::string(argv[i]) == "--force") force = true;
        else only.push_back(argv[i]);
    }
    auto wanted = [&](const std::string& name) {
        if (only.empty()) return true;
        for (const auto& o : only)
            if (o == name) return true;
        return false;
    };

    // nps_v1.bin: one weighted batch, on_invalid = drop.
    const std::vector<double> nps_scores = {0, 3, 6, 7, 8, 9, 10, 10, nan_v, 11};
    const std::vector<double> nps_weights = {1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1};
    cxkit::nps_accumulator nps;
    nps.add(nps_scores, nps_weights, cxkit::core::on_invalid::drop);

    // rating_v1.bin: scale 1..5, one unweighted batch, on_invalid = drop.
    const std::vector<double> rating_scores = {5, 4, 4, 3, 1, 5, 2, 4, 5, nan_v, 0, 6, 4.5};
    cxkit::rating_accumulator rating(1, 5);
    rating.add(rating_scores, cxkit::core::on_invalid::drop);

    // dsr_v1.bin: dimensions described, shipping; window 30 days; monthly cap 2; one batch of 14
    // rows, on_invalid = drop. Seller codes 0 = shopA, 1 = shopB, -1 = missing; dimension codes
    // 0 = described, 1 = shipping, 2 = price (not a dimension of the state: unknown).
    const std::vector<std::string> dsr_sellers = {"shopA", "shopB"};
    const std::vector<std::string> dsr_labels = {"described", "shipping", "price"};
    const std::vector<std::int64_t> seller = {0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, -1};
    const std::vector<std::int64_t> dimension = {0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 2, 0, 1, 0};
    const std::vector<double> stars = {5, 4, 3, 5, nan_v, 6, 2, 4, 3, 1, 5, 5, 2, 4};
    const std::vector<std::int64_t> time = {
        at(2024, 3, 10, 9), at(2024, 3, 2, 10), at(2024, 3, 5, 11), at(2024, 3, 2, 10), at(2024, 3, 3),
        at(2024, 3, 4),     at(2024, 1, 20),    at(2024, 2, 5),     at(2024, 2, 20),    at(2024, 2, 25),
        at(2024, 3, 1),     at(2024, 3, 8),     0,                  at(2024, 3, 9)};
    const std::vector<std::uint8_t> time_flags = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0};  // row 12: missing
    const std::vector<std::int64_t> buyer = {7, 7, 7, 7, 8, 9, 9, 9, 9, 9, 1, 0, 7, 7};
    const std::vector<std::uint8_t> no_buyer = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0};  // row 11
    cxkit::survey::dsr_columns<double> columns;
    columns.size = seller.size();
    columns.seller = seller.data();
    columns.n_sellers = dsr_sellers.size();
    columns.dimension = dimension.data();
    columns.dimension_labels = cxkit::core::span<const std::string>(dsr_labels.data(), dsr_labels.size());
    columns.rating = stars.data();
    columns.time = time.data();
    columns.time_flags = time_flags.data();
    columns.buyer = buyer.data();
    columns.buyer_missing = no_buyer.data();
    cxkit::dsr_accumulator dsr({"described", "shipping"}, 30, 2);
    dsr.add(columns, cxkit::core::span<const std::string>(dsr_sellers.data(), dsr_sellers.size()),
            cxkit::core::on_invalid::drop);

    // driver_v1.bin: driver_accumulator of 3 variables (overall, x1, x2), one weighted batch of 9
    // rows, on_invalid = drop: row 6 missing (NaN), row 7 invalid (inf), row 8 invalid (weight -1);
    // row 3 has weight 0 (counted, no weight). Every mean and co-moment is exact in binary.
    const std::vector<double> driver_rows = {3, 1, 0, 5, 2, 1, 4, 3, 2, 6, 4, 2, 2, 0, 3,
                                             4, 2, 1, nan_v, 1, 1, 1, std::numeric_limits<double>::infinity(), 1, 1, 1, 1};
    const std::vector<double> driver_weights = {1, 1, 4, 0, 1, 1, 1, 1, -1};
    cxkit::driver_accumulator driver(3);
    driver.add(cxkit::matrix_view<double>::row_major(driver_rows.data(), 9, 3), driver_weights.data(),
               cxkit::core::on_invalid::drop);

    // kano_v1.bin: features wifi, tv; one batch of 8 pairs, on_invalid = drop. Feature codes
    // 0 = wifi, 1 = tv, -1 = missing (not counted).
    const std::vector<double> kano_f = {1, 2, 1, 5, nan_v, 7, 3, 1};
    const std::vector<double> kano_d = {5, 5, 4, 5, 3, 1, 3, 1};
    const std::vector<std::int32_t> kano_codes = {0, 0, 1, 1, 0, 1, 1, -1};
    cxkit::kano_accumulator kano({"wifi", "tv"});
    kano.add(cxkit::core::pair_batch<double>{kano_f.data(), kano_d.data(), kano_f.size(), nullptr},
             cxkit::core::group_codes<std::int32_t>{kano_codes.data(), 0, 2}, cxkit::core::on_invalid::drop);

    // survival_v1.bin: survival_accumulator, one weighted batch of 5 rows, on_invalid = drop:
    // durations {1, 2, 2, 4, NaN}, observed {1, 0, 1, 1, 1}, weights {1, 2, 1, 0.5, 1}; row 4 missing.
    const std::vector<double> surv_d = {1, 2, 2, 4, nan_v}, surv_o = {1, 0, 1, 1, 1}, surv_w = {1, 2, 1, 0.5, 1};
    cxkit::survival_accumulator survival;
    survival.add(cxkit::survival_columns{surv_d.data(), surv_o.data(), surv_w.data(), nullptr, surv_d.size()},
                 cxkit::core::on_invalid::drop);

    bool ok = true;
    // cohort_v1.bin: cohort_accumulator, monthly periods with revenue, one batch of 7 rows, on_invalid =
    // drop: customers {7, 7, 9, 7, 9, 5, 9}; times (seconds) 2024-01-05, 2024-01-20, 2024-02-29,
    // 2024-03-02 (12:00), missing (NaT), 2024-03-09, 2024-02-01 flagged not-a-time; revenue {10.5, 2,
    // 4.25, 1, 3, NaN, 1}: 2 missing (time, revenue), 1 invalid, 4 counted.
    const std::vector<std::int64_t> coh_c = {7, 7, 9, 7, 9, 5, 9};
    const std::vector<std::int64_t> coh_t = {at(2024, 1, 5), at(2024, 1, 20), at(2024, 2, 29), at(2024, 3, 2),
                                             std::numeric_limits<std::int64_t>::min(), at(2024, 3, 9), at(2024, 2, 1)};
    const std::vector<double> coh_r = {10.5, 2.0, 4.25, 1.0, 3.0, nan_v, 1.0};
    const std::vector<std::uint8_t> coh_f = {0, 0, 0, 0, 0, 0, 2};
    cxkit::cohort_accumulator cohort(cxkit::cohort_spec{cxkit::cohort_period::month, 0}, true);
    {
        cxkit::cohort_columns<std::int64_t> cc;
        cc.size = coh_c.size();
        cc.customer = coh_c.data();
        cc.time = coh_t.data();
        cc.time_flags = coh_f.data();
        cc.revenue = coh_r.data();
        cohort.add(cc, cxkit::core::on_invalid::drop);
    }
    // transactions_v1.bin: transaction_accumulator with amounts, one batch of 8 rows, on_invalid = drop:
    // customers {7, 7, 9, 7, 9, 5, 9, 7}; times (seconds, 12:00 UTC) 2024-01-05, 2024-01-05 (18:00),
    // 2024-02-29, 2024-03-02, missing (NaT), 2024-03-09, 2024-02-01 flagged not-a-time, 2024-01-06;
    // amounts {10.5, 2, 4.25, 1, 3, NaN, 1, -1}: 2 missing (time, amount), 2 invalid (not a time,
    // negative amount), 4 counted.
    const std::vector<std::int64_t> tx_c = {7, 7, 9, 7, 9, 5, 9, 7};
    const std::vector<std::int64_t> tx_t = {at(2024, 1, 5), at(2024, 1, 5, 18), at(2024, 2, 29), at(2024, 3, 2),
                                            std::numeric_limits<std::int64_t>::min(), at(2024, 3, 9), at(2024, 2, 1),
                                            at(2024, 1, 6)};
    const std::vector<double> tx_a = {10.5, 2.0, 4.25, 1.0, 3.0, nan_v, 1.0, -1.0};
    const std::vector<std::uint8_t> tx_f = {0, 0, 0, 0, 0, 0, 2, 0};
    cxkit::transaction_accumulator transactions(true);
    {
        cxkit::transaction_columns<std::int64_t> tc;
        tc.size = tx_c.size();
        tc.customer = tx_c.data();
        tc.time = tx_t.data();
        tc.time_flags = tx_f.data();
        tc.amount = tx_a.data();
        transactions.add(tc, cxkit::core::on_invalid::drop);
    }
    if (wanted("nps_v1.bin")) ok = write_file(dir + "/nps_v1.bin", nps.serialize(), force) && ok;
    if (wanted("rating_v1.bin")) ok = write_file(dir + "/rating_v1.bin", rating.serialize(), force) && ok;
    if (wanted("dsr_v1.bin")) ok = write_file(dir + "/dsr_v1.bin", dsr.serialize(), force) && ok;
    if (wanted("driver_v1.bin")) ok = write_file(dir + "/driver_v1.bin", driver.serialize(), force) && ok;
    if (wanted("kano_v1.bin")) ok = write_file(dir + "/kano_v1.bin", kano.serialize(), force) && ok;
    if (wanted("cohort_v1.bin")) ok = write_file(dir + "/cohort_v1.bin", cohort.serialize(), force) && ok;
    if (wanted("transactions_v1.bin"))
        ok = write_file(dir + "/transactions_v1.bin", transactions.serialize(), force) && ok;
    if (wanted("survival_v1.bin")) ok = write_file(dir + "/survival_v1.bin", survival.serialize(), force) && ok;
    return ok ? 0 : 1;
}
