// Tests of <cxkit/core/archive.hpp>: the binary format every state serializes to, checked against
// an encoder written here from the documented layout (archive.hpp, tests/golden/README.md), the
// golden files in tests/golden, and corrupt, truncated and foreign input.
#include <cxkit/core/archive.hpp>

#include <cxkit/survey/nps.hpp>
#include <cxkit/survey/rating.hpp>

#include <boost/crc.hpp>
#include <doctest/doctest.h>

#include "oracles.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#ifndef CXKIT_TEST_DATA_DIR
#error "CXKIT_TEST_DATA_DIR must name the tests/golden directory"
#endif

namespace {

using bytes = std::vector<std::uint8_t>;
constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
constexpr double inf_v = std::numeric_limits<double>::infinity();

// ---- An independent little-endian encoder of the documented layout ------------------------------

struct le_writer {
    bytes out;
    template <class U>
    void put(U v) {
        for (std::size_t i = 0; i < sizeof(U); ++i) out.push_back(static_cast<std::uint8_t>((v >> (8 * i)) & 0xFF));
    }
    void u16(std::uint16_t v) { put(v); }
    void u32(std::uint32_t v) { put(v); }
    void u64(std::uint64_t v) { put(v); }
    void i64(std::int64_t v) { put(static_cast<std::uint64_t>(v)); }
    void f64(double v) {
        std::uint64_t b;
        std::memcpy(&b, &v, sizeof b);
        put(b);
    }
};

std::uint32_t crc32_of(const bytes& payload) {
    boost::crc_32_type crc;
    crc.process_bytes(payload.data(), payload.size());
    return crc.checksum();
}

// Preamble (24 bytes): magic "CXK1", family u16, version u16, flags u32, payload size u64,
// CRC-32 of the payload u32; then the payload. Size and CRC are computed unless overridden.
struct preamble {
    std::uint16_t family = 1;
    std::uint16_t version = 1;
    std::uint32_t flags = 0;
    const char* magic = "CXK1";
    bool override_size = false;
    std::uint64_t size = 0;
    bool override_crc = false;
    std::uint32_t crc = 0;
};

bytes make_blob(const preamble& p, const bytes& payload) {
    le_writer w;
    w.out.insert(w.out.end(), p.magic, p.magic + 4);
    w.u16(p.family);
    w.u16(p.version);
    w.u32(p.flags);
    w.u64(p.override_size ? p.size : payload.size());
    w.u32(p.override_crc ? p.crc : crc32_of(payload));
    w.out.insert(w.out.end(), payload.begin(), payload.end());
    return w.out;
}

// Histogram payload: low i64, high i64, bins u64, counts u64[bins], weights f64[bins],
// weight_sq f64, missing u64, invalid u64.
bytes histogram_payload(std::int64_t low, std::int64_t high, const std::vector<std::uint64_t>& counts,
                        const std::vector<double>& weights, double weight_sq, std::uint64_t missing,
                        std::uint64_t invalid, std::uint64_t bins_field = ~std::uint64_t{0}) {
    le_writer w;
    w.i64(low);
    w.i64(high);
    w.u64(bins_field == ~std::uint64_t{0} ? counts.size() : bins_field);
    for (auto c : counts) w.u64(c);
    for (auto x : weights) w.f64(x);
    w.f64(weight_sq);
    w.u64(missing);
    w.u64(invalid);
    return w.out;
}

// ---- Helpers --------------------------------------------------------------------------------

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

#define CHECK_CORRUPT(State, data, part)                                                           \
    do {                                                                                           \
        const std::string msg_ = corrupt_message<State>(data);                                     \
        CAPTURE(msg_);                                                                             \
        CHECK(starts_with(msg_, "corrupt state: "));                                               \
        CHECK(contains(msg_, part));                                                               \
    } while (false)

bytes read_golden(const char* name) {
    const std::string path = std::string(CXKIT_TEST_DATA_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << path);
    return bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

cxkit::nps_accumulator sample_nps() {
    cxkit::nps_accumulator a;
    a.add(std::vector<double>{10, 9, 7, 3, nan_v, 12, 0}, std::vector<double>{1.5, 1, 0.25, 2, 1, 1, 0},
          cxkit::core::on_invalid::drop);
    return a;
}

cxkit::rating_accumulator sample_rating() {
    cxkit::rating_accumulator a(1, 7);
    a.add(std::vector<int>{7, 6, 6, 1, 3});
    return a;
}

// The documented golden inputs (tests/golden/README.md).
const std::vector<double> golden_nps_scores = {0, 3, 6, 7, 8, 9, 10, 10, nan_v, 11};
const std::vector<double> golden_nps_weights = {1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1};
const std::vector<double> golden_rating_scores = {5, 4, 4, 3, 1, 5, 2, 4, 5, nan_v, 0, 6, 4.5};

}  // namespace

// ------------------------------------------------------------------------------------------------
// Writer and reader
// ------------------------------------------------------------------------------------------------

TEST_CASE("archive: CRC-32 is the IEEE polynomial - check value of 123456789") {
    const std::string check = "123456789";
    CHECK(crc32_of(bytes(check.begin(), check.end())) == 0xCBF43926u);
    // The writer stores exactly that CRC for that payload.
    cxkit::core::archive_writer w(cxkit::core::state_family::nps, 1);
    for (char c : check) w.write_u8(static_cast<std::uint8_t>(c));
    const bytes b = w.finish();
    REQUIRE(b.size() == 24 + 9);
    CHECK(b[20] == 0x26);
    CHECK(b[21] == 0x39);
    CHECK(b[22] == 0xF4);
    CHECK(b[23] == 0xCB);
}

TEST_CASE("archive: archive_writer lays out preamble and fields as documented") {
    cxkit::core::archive_writer w(cxkit::core::state_family::kano, 3, 0x5u);
    w.write_u8(0xAB);
    w.write_u32(0xDEADBEEFu);
    w.write_u64(0x0102030405060708ull);
    w.write_i64(-2);
    w.write_f64(1.5);
    const std::uint64_t u64s[2] = {1, 2};
    w.write_u64s(u64s, 2);
    const double f64s[1] = {-0.0};
    w.write_f64s(f64s, 1);
    const bytes got = w.finish();

    le_writer payload;
    payload.out.push_back(0xAB);
    payload.u32(0xDEADBEEFu);
    payload.u64(0x0102030405060708ull);
    payload.i64(-2);
    payload.f64(1.5);
    payload.u64(1);
    payload.u64(2);
    payload.f64(-0.0);
    preamble p;
    p.family = 4;
    p.version = 3;
    p.flags = 0x5u;
    CHECK(got == make_blob(p, payload.out));
    CHECK(cxkit::core::archive_preamble_size == 24);
    // Spot checks of the little-endian layout.
    CHECK(std::memcmp(got.data(), "CXK1", 4) == 0);
    CHECK(got[4] == 4);
    CHECK(got[5] == 0);
    CHECK(got[6] == 3);
    CHECK(got[8] == 5);
    CHECK(got[12] == payload.out.size());
    CHECK(got[24] == 0xAB);
    CHECK(got[25] == 0xEF);
    CHECK(got[28] == 0xDE);
}

TEST_CASE("archive: archive_reader reads back every field type and checks bounds") {
    cxkit::core::archive_writer w(cxkit::core::state_family::driver, 2, 0x3u);
    w.write_u8(7);
    w.write_u32(123456u);
    w.write_u64(~std::uint64_t{0});
    w.write_i64(std::numeric_limits<std::int64_t>::min());
    w.write_f64(-2.75);
    w.write_f64(0.5);
    const bytes b = w.finish();

    cxkit::core::archive_reader r(b.data(), b.size(), cxkit::core::state_family::driver, 2, 0x3u);
    CHECK(r.version() == 2);
    CHECK(r.flags() == 0x3u);
    CHECK(r.remaining() == 1 + 4 + 8 + 8 + 8 + 8);
    CHECK(r.read_u8("a") == 7);
    CHECK(r.read_u32("b") == 123456u);
    CHECK(r.read_u64("c") == ~std::uint64_t{0});
    CHECK(r.read_i64("d") == std::numeric_limits<std::int64_t>::min());
    CHECK(r.read_f64("e") == -2.75);
    CHECK_NOTHROW(r.expect_remaining_at_least(8, "f"));
    CHECK_THROWS_WITH_AS(r.expect_remaining_at_least(9, "f"), "corrupt state: field 'f' declares 9 bytes but only 8 remain",
                         cxkit::corrupt_state);
    CHECK_THROWS_WITH_AS(r.finish(), "corrupt state: 8 unexpected trailing bytes", cxkit::corrupt_state);
    CHECK(r.read_nonnegative_f64("f") == 0.5);
    CHECK(r.remaining() == 0);
    CHECK_NOTHROW(r.finish());
    CHECK_THROWS_WITH_AS(r.read_u32("g"), "corrupt state: truncated while reading 'g' at byte 61 (need 4, have 0)",
                         cxkit::corrupt_state);
}

TEST_CASE("archive: a reader accepts every version from 1 to the newest it knows") {
    for (std::uint16_t v = 1; v <= 3; ++v) {
        cxkit::core::archive_writer w(cxkit::core::state_family::cohort, v);
        const bytes b = w.finish();
        CHECK_NOTHROW(cxkit::core::archive_reader(b.data(), b.size(), cxkit::core::state_family::cohort, 3));
    }
    cxkit::core::archive_writer w(cxkit::core::state_family::cohort, 4);
    const bytes b = w.finish();
    CHECK_THROWS_WITH_AS(cxkit::core::archive_reader(b.data(), b.size(), cxkit::core::state_family::cohort, 3),
                         "corrupt state: unsupported format version 4 of the cohort state (this build reads versions 1 "
                         "to 3)",
                         cxkit::corrupt_state);
}

TEST_CASE("archive: read_nonnegative_f64 refuses negative, NaN and infinite values") {
    for (double bad : {-1.0, nan_v, inf_v, -inf_v}) {
        cxkit::core::archive_writer w(cxkit::core::state_family::nps, 1);
        w.write_f64(bad);
        const bytes b = w.finish();
        cxkit::core::archive_reader r(b.data(), b.size(), cxkit::core::state_family::nps, 1);
        CHECK_THROWS_AS(r.read_nonnegative_f64("w"), cxkit::corrupt_state);
    }
}

TEST_CASE("archive: family names and ids are part of the format") {
    CHECK(static_cast<int>(cxkit::core::state_family::nps) == 1);
    CHECK(static_cast<int>(cxkit::core::state_family::rating) == 2);
    CHECK(static_cast<int>(cxkit::core::state_family::dsr) == 3);
    CHECK(static_cast<int>(cxkit::core::state_family::kano) == 4);
    CHECK(static_cast<int>(cxkit::core::state_family::driver) == 5);
    CHECK(static_cast<int>(cxkit::core::state_family::survival) == 6);
    CHECK(static_cast<int>(cxkit::core::state_family::cohort) == 7);
    CHECK(static_cast<int>(cxkit::core::state_family::transactions) == 8);
    CHECK(std::string(cxkit::core::family_name(1)) == "nps");
    CHECK(std::string(cxkit::core::family_name(2)) == "rating");
    CHECK(std::string(cxkit::core::family_name(7)) == "cohort");
    CHECK(std::string(cxkit::core::family_name(0)) == "unknown");
    CHECK(std::string(cxkit::core::family_name(8)) == "transactions");
    CHECK(std::string(cxkit::core::family_name(9)) == "unknown");
}

// ------------------------------------------------------------------------------------------------
// State round trips
// ------------------------------------------------------------------------------------------------

TEST_CASE("archive: NPS state round trip is the identity") {
    std::mt19937_64 rng(77);
    std::uniform_int_distribution<int> score(-1, 11), kind(0, 9);
    std::uniform_real_distribution<double> weight(0.0, 5.0);
    for (int trial = 0; trial < 25; ++trial) {
        cxkit::nps_accumulator a;
        for (int i = 0; i < trial * 7; ++i) {
            const double s = kind(rng) == 0 ? nan_v : score(rng);
            a.add(s, weight(rng), cxkit::core::on_invalid::drop);
        }
        const bytes b = a.serialize();
        CHECK(b.size() == 24 + 8 * (3 + 11 + 11 + 3));
        const auto c = cxkit::nps_accumulator::deserialize(b.data(), b.size());
        CHECK(c == a);
        CHECK(c.serialize() == b);
        const auto ra = a.result(), rc = c.result();
        CHECK(rc.n == ra.n);
        CHECK((std::isnan(ra.nps) ? std::isnan(rc.nps) : rc.nps == ra.nps));
    }
    const cxkit::nps_accumulator empty;
    const bytes e = empty.serialize();
    CHECK(cxkit::nps_accumulator::deserialize(e.data(), e.size()) == empty);
}

TEST_CASE("archive: rating state round trip keeps the scale") {
    const std::vector<std::pair<std::int64_t, std::int64_t>> scales = {{1, 5}, {1, 7}, {0, 10}, {-3, 3}, {0, 1000}, {4, 4}};
    for (const auto& scale : scales) {
        cxkit::rating_accumulator a(scale.first, scale.second);
        a.add(scale.first);
        a.add(scale.second, 2.5);
        a.add(nan_v);
        a.add(scale.second + 1, 1.0, cxkit::core::on_invalid::drop);
        const bytes b = a.serialize();
        const auto c = cxkit::rating_accumulator::deserialize(b.data(), b.size());
        CAPTURE(scale.first);
        CAPTURE(scale.second);
        CHECK(c == a);
        CHECK(c.scale_low() == scale.first);
        CHECK(c.scale_high() == scale.second);
        CHECK(c.n_missing() == 1);
        CHECK(c.n_invalid() == 1);
    }
}

TEST_CASE("archive: a serialized state is the documented byte layout") {
    cxkit::nps_accumulator a;
    a.add(9, 2.0);
    a.add(0);
    a.add(nan_v);
    std::vector<std::uint64_t> counts(11, 0);
    std::vector<double> weights(11, 0.0);
    counts[9] = 1;
    weights[9] = 2.0;
    counts[0] = 1;
    weights[0] = 1.0;
    CHECK(a.serialize() == make_blob(preamble{}, histogram_payload(0, 10, counts, weights, 5.0, 1, 0)));
}

// ------------------------------------------------------------------------------------------------
// Corrupt input
// ------------------------------------------------------------------------------------------------

TEST_CASE("archive: every truncation of a valid blob throws corrupt_state") {
    const bytes n = sample_nps().serialize();
    for (std::size_t len = 0; len < n.size(); ++len) {
        CAPTURE(len);
        CHECK_CORRUPT(cxkit::nps_accumulator, bytes(n.begin(), n.begin() + static_cast<std::ptrdiff_t>(len)),
                      len < 24 ? "shorter than the 24-byte preamble" : "does not match");
    }
    const bytes r = sample_rating().serialize();
    for (std::size_t len = 0; len < r.size(); ++len) {
        CAPTURE(len);
        CHECK_CORRUPT(cxkit::rating_accumulator, bytes(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(len)), "");
    }
}

TEST_CASE("archive: every truncation of the payload behind a consistent preamble throws corrupt_state") {
    // Size field and CRC recomputed for the shortened payload, so only the payload reader can notice.
    const bytes full = sample_nps().serialize();
    const bytes payload(full.begin() + 24, full.end());
    for (std::size_t len = 0; len < payload.size(); ++len) {
        CAPTURE(len);
        CHECK_CORRUPT(cxkit::nps_accumulator,
                      make_blob(preamble{}, bytes(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(len))),
                      "truncated while reading");
    }
}

TEST_CASE("archive: a flipped payload byte is a checksum error, and any flipped byte is refused") {
    const bytes good = sample_nps().serialize();
    for (std::size_t i = 0; i < good.size(); ++i) {
        bytes bad = good;
        bad[i] ^= 0xFF;
        CAPTURE(i);
        CHECK_CORRUPT(cxkit::nps_accumulator, bad, i >= 20 ? "checksum mismatch" : "");
    }
    // A single flipped bit too.
    bytes bit = good;
    bit[24 + 8 * 3 + 8 * 9] ^= 0x01;  // the count of score 9
    CHECK_CORRUPT(cxkit::nps_accumulator, bit, "checksum mismatch (stored 0x");
}

TEST_CASE("archive: wrong magic is refused") {
    const bytes good = sample_nps().serialize();
    preamble p;
    p.magic = "CXK2";
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(p, bytes(good.begin() + 24, good.end())),
                  "bad magic (expected \"CXK1\")");
    bytes zeros(good.size(), 0);
    CHECK_CORRUPT(cxkit::nps_accumulator, zeros, "bad magic");
}

TEST_CASE("archive: bytes of another state family are refused") {
    const bytes nps_bytes = sample_nps().serialize();
    CHECK_CORRUPT(cxkit::rating_accumulator, nps_bytes, "expected a rating state (family 2), got family 1 (nps)");
    const bytes rating_bytes = sample_rating().serialize();
    CHECK_CORRUPT(cxkit::nps_accumulator, rating_bytes, "expected a nps state (family 1), got family 2 (rating)");
    preamble p;
    p.family = 99;
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(p, bytes(nps_bytes.begin() + 24, nps_bytes.end())),
                  "got family 99 (unknown)");
}

TEST_CASE("archive: format versions 0 and 2 are refused with their number") {
    const bytes good = sample_nps().serialize();
    const bytes payload(good.begin() + 24, good.end());
    // Rebuilt by hand with the right family, flags, size and CRC: only the version is wrong.
    preamble v1;
    REQUIRE(make_blob(v1, payload) == good);
    preamble v0 = v1, v2 = v1;
    v0.version = 0;
    v2.version = 2;
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(v0, payload),
                  "unsupported format version 0 of the nps state (this build reads versions 1 to 1)");
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(v2, payload),
                  "unsupported format version 2 of the nps state (this build reads versions 1 to 1)");
    const bytes rgood = sample_rating().serialize();
    preamble r2;
    r2.family = 2;
    r2.version = 2;
    CHECK_CORRUPT(cxkit::rating_accumulator, make_blob(r2, bytes(rgood.begin() + 24, rgood.end())),
                  "unsupported format version 2 of the rating state");
}

TEST_CASE("archive: trailing bytes are refused") {
    const bytes good = sample_nps().serialize();
    // Appended to a valid blob: the payload size no longer matches.
    bytes appended = good;
    appended.push_back(0);
    CHECK_CORRUPT(cxkit::nps_accumulator, appended, "payload size 224 does not match the 225 bytes after the preamble");
    // Part of a consistent payload (size and CRC include it): the reader's finish() refuses it.
    bytes payload(good.begin() + 24, good.end());
    payload.push_back(0x2A);
    payload.push_back(0x2A);
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(preamble{}, payload), "2 unexpected trailing bytes");
}

TEST_CASE("archive: unknown flags are refused") {
    const bytes good = sample_nps().serialize();
    const bytes payload(good.begin() + 24, good.end());
    preamble p;
    p.flags = 0x1u;
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(p, payload), "unknown flags 0x00000001");
    p.flags = 0x80000000u;
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(p, payload), "unknown flags 0x80000000");
}

TEST_CASE("archive: a declared payload size that disagrees with the buffer is refused") {
    const bytes good = sample_nps().serialize();
    const bytes payload(good.begin() + 24, good.end());
    preamble p;
    p.override_size = true;
    p.size = ~std::uint64_t{0};
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(p, payload), "payload size 18446744073709551615 does not match");
    p.size = 0;
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(p, payload), "payload size 0 does not match");
}

TEST_CASE("archive: null and empty buffers are refused") {
    CHECK_THROWS_WITH_AS(cxkit::nps_accumulator::deserialize(nullptr, 10),
                         "corrupt state: null buffer with non-zero size", cxkit::corrupt_state);
    CHECK_THROWS_WITH_AS(cxkit::nps_accumulator::deserialize(nullptr, 0),
                         "corrupt state: buffer of 0 bytes is shorter than the 24-byte preamble", cxkit::corrupt_state);
    // corrupt_state is an invalid_argument and a cxkit::error.
    CHECK_THROWS_AS(cxkit::nps_accumulator::deserialize(nullptr, 0), std::invalid_argument);
    CHECK_THROWS_AS(cxkit::nps_accumulator::deserialize(nullptr, 0), cxkit::error);
}

TEST_CASE("archive: payloads that parse but describe an impossible state are refused") {
    std::vector<std::uint64_t> c5 = {1, 0, 2, 0, 1};
    std::vector<double> w5 = {1, 0, 2, 0, 1};
    preamble rating;
    rating.family = 2;
    // Sanity: the valid version is accepted.
    CHECK(corrupt_message<cxkit::rating_accumulator>(make_blob(rating, histogram_payload(1, 5, c5, w5, 4, 0, 0))) == "");

    CHECK_CORRUPT(cxkit::rating_accumulator, make_blob(rating, histogram_payload(5, 1, c5, w5, 4, 0, 0)),
                  "scale 5..1 is not valid");
    CHECK_CORRUPT(cxkit::rating_accumulator,
                  make_blob(rating, histogram_payload(0, 1001, {}, {}, 0, 0, 0, 1002)), "scale 0..1001 is not valid");
    CHECK_CORRUPT(cxkit::rating_accumulator, make_blob(rating, histogram_payload(1, 5, c5, w5, 4, 0, 0, 6)),
                  "bins 6 does not match scale 1..5");
    CHECK_CORRUPT(cxkit::rating_accumulator,
                  make_blob(rating, histogram_payload(1, 5, c5, {1, 0, -2, 0, 1}, 4, 0, 0)),
                  "field 'weights' holds");
    CHECK_CORRUPT(cxkit::rating_accumulator,
                  make_blob(rating, histogram_payload(1, 5, c5, {1, 0, nan_v, 0, 1}, 4, 0, 0)), "expected a finite value >= 0");
    CHECK_CORRUPT(cxkit::rating_accumulator,
                  make_blob(rating, histogram_payload(1, 5, c5, {1, 0.5, 2, 0, 1}, 4, 0, 0)),
                  "weight 0.5 on an empty scale point");
    CHECK_CORRUPT(cxkit::rating_accumulator, make_blob(rating, histogram_payload(1, 5, c5, w5, inf_v, 0, 0)),
                  "field 'weight_sq' holds");
    // An NPS blob must hold the 0..10 scale.
    CHECK_CORRUPT(cxkit::nps_accumulator, make_blob(preamble{}, histogram_payload(1, 5, c5, w5, 4, 0, 0)),
                  "scale 1..5 is not valid for this state");
}

// Regression: the scale check of the payload reader computed `high - low + 1` in std::int64_t,
// which overflowed for a blob declaring a scale wider than INT64_MAX; (INT64_MIN, INT64_MAX)
// wrapped to 0 points and was accepted as a rating state with bins() == 0.
TEST_CASE("archive: a blob declaring a scale wider than int64 is refused") {
    using lim = std::numeric_limits<std::int64_t>;
    preamble rating;
    rating.family = 2;
    CHECK_CORRUPT(cxkit::rating_accumulator, make_blob(rating, histogram_payload(lim::min(), lim::max(), {}, {}, 0, 0, 0)),
                  "is not valid");
    CHECK_CORRUPT(cxkit::rating_accumulator, make_blob(rating, histogram_payload(-1, lim::max(), {1}, {1.0}, 1, 0, 0)),
                  "is not valid");
}

// ------------------------------------------------------------------------------------------------
// Golden files (tests/golden/README.md): format version 1 stays readable and is written unchanged
// ------------------------------------------------------------------------------------------------

TEST_CASE("archive: golden nps_v1.bin decodes to the documented state and is reproduced byte for byte") {
    const bytes file = read_golden("nps_v1.bin");
    REQUIRE(file.size() == 248);

    // By hand from the documented input (scores 0,3,6,7,8,9,10,10 with weights 1,2,1,1,0.5,1,1,3,
    // plus NaN -> missing and 11 -> invalid, dropped):
    const std::vector<std::uint64_t> counts = {1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 2};
    const std::vector<double> weights = {1, 0, 0, 2, 0, 0, 1, 1, 0.5, 1, 4};
    const double weight_sq = 1 + 4 + 1 + 1 + 0.25 + 1 + 1 + 9;  // 18.25
    // 1. The file is exactly the documented layout of that state.
    CHECK(file == make_blob(preamble{}, histogram_payload(0, 10, counts, weights, weight_sq, 1, 1)));

    // 2. It decodes to that state.
    const auto decoded = cxkit::nps_accumulator::deserialize(file.data(), file.size());
    CHECK(decoded.histogram().counts() == counts);
    CHECK(decoded.histogram().weights() == weights);
    CHECK(decoded.histogram().weight_sq() == 18.25);
    CHECK(decoded.n() == 8);
    CHECK(decoded.n_missing() == 1);
    CHECK(decoded.n_invalid() == 1);
    const auto r = decoded.result();
    // promoters 1 + 1 + 3 = 5, passives 1 + 0.5 = 1.5, detractors 1 + 2 + 1 = 4, W = 10.5
    CHECK(r.promoters == 5.0);
    CHECK(r.passives == 1.5);
    CHECK(r.detractors == 4.0);
    CHECK(r.nps == doctest::Approx(100.0 * (5.0 - 4.0) / 10.5).epsilon(1e-14));
    CHECK(r.n_effective == doctest::Approx(10.5 * 10.5 / 18.25).epsilon(1e-14));

    // 3. The same input added today serializes to the same bytes (format stability).
    cxkit::nps_accumulator rebuilt;
    rebuilt.add(golden_nps_scores, golden_nps_weights, cxkit::core::on_invalid::drop);
    CHECK(rebuilt == decoded);
    CHECK(rebuilt.serialize() == file);
    // ...row by row as well.
    cxkit::nps_accumulator one_by_one;
    for (std::size_t i = 0; i < golden_nps_scores.size(); ++i)
        one_by_one.add(golden_nps_scores[i], golden_nps_weights[i], cxkit::core::on_invalid::drop);
    CHECK(one_by_one.serialize() == file);
}

TEST_CASE("archive: golden rating_v1.bin decodes to the documented state and is reproduced byte for byte") {
    const bytes file = read_golden("rating_v1.bin");
    REQUIRE(file.size() == 152);

    // By hand from the documented input (1..5; 5,4,4,3,1,5,2,4,5 valid, NaN missing, 0, 6 and 4.5
    // invalid, dropped; unweighted):
    const std::vector<std::uint64_t> counts = {1, 1, 1, 3, 3};
    const std::vector<double> weights = {1, 1, 1, 3, 3};
    preamble rating;
    rating.family = 2;
    CHECK(file == make_blob(rating, histogram_payload(1, 5, counts, weights, 9.0, 1, 3)));

    const auto decoded = cxkit::rating_accumulator::deserialize(file.data(), file.size());
    CHECK(decoded.scale_low() == 1);
    CHECK(decoded.scale_high() == 5);
    CHECK(decoded.histogram().counts() == counts);
    CHECK(decoded.histogram().weight_sq() == 9.0);
    CHECK(decoded.n() == 9);
    CHECK(decoded.n_missing() == 1);
    CHECK(decoded.n_invalid() == 3);
    const auto r = decoded.result();
    CHECK(r.csat == doctest::Approx(100.0 * 6.0 / 9.0).epsilon(1e-14));      // 4s and 5s
    CHECK(r.mean == doctest::Approx((1 + 2 + 3 + 12 + 15) / 9.0).epsilon(1e-14));  // 33 / 9

    cxkit::rating_accumulator rebuilt(1, 5);
    rebuilt.add(golden_rating_scores, cxkit::core::on_invalid::drop);
    CHECK(rebuilt == decoded);
    CHECK(rebuilt.serialize() == file);
}
