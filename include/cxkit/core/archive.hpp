/**
 * @file archive.hpp
 * @brief The binary format every cxkit state serializes to.
 *
 * Layout (all integers little-endian, independent of the host):
 *
 * | offset | size | field                                              |
 * |--------|------|----------------------------------------------------|
 * | 0      | 4    | magic "CXK1"                                       |
 * | 4      | 2    | state family id (`state_family`)                   |
 * | 6      | 2    | format version of that family's payload            |
 * | 8      | 4    | flags (family-specific; unknown bits are refused)  |
 * | 12     | 8    | payload size in bytes                              |
 * | 20     | 4    | CRC-32 (IEEE) of the payload                       |
 * | 24     | ...  | payload                                            |
 *
 * The format version is independent of the library version; a reader accepts every version from
 * 1 to the newest it knows, so old blobs stay readable (golden files in tests/golden pin this).
 * Every read is bounds-checked; any inconsistency throws `cxkit::corrupt_state` with a message
 * beginning "corrupt state:". The checksum catches bit flips that would otherwise parse into a
 * plausible but wrong state. Design after the versioned preambles of Apache DataSketches.
 */
#ifndef CXKIT_CORE_ARCHIVE_HPP
#define CXKIT_CORE_ARCHIVE_HPP

#include <boost/crc.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cxkit/config.hpp"
#include "cxkit/error.hpp"

CXKIT_NAMESPACE_BEGIN
namespace core {

/// Identifies which state type a serialized blob holds. Values are part of the format: never reuse.
enum class state_family : std::uint16_t {
    nps = 1,
    rating = 2,
    dsr = 3,
    kano = 4,
    driver = 5,
    survival = 6,
    cohort = 7,
    transactions = 8,
};

/// Human-readable name of a family id (for error messages); "unknown" for ids this build lacks.
inline const char* family_name(std::uint16_t id) noexcept {
    switch (id) {
        case 1: return "nps";
        case 2: return "rating";
        case 3: return "dsr";
        case 4: return "kano";
        case 5: return "driver";
        case 6: return "survival";
        case 7: return "cohort";
        case 8: return "transactions";
        default: return "unknown";
    }
}

/// Size of the preamble that precedes every payload.
constexpr std::size_t archive_preamble_size = 24;

namespace detail {
inline std::uint32_t crc32(const std::uint8_t* data, std::size_t size) {
    boost::crc_32_type crc;
    crc.process_bytes(data, size);
    return crc.checksum();
}
}  // namespace detail

/**
 * Writes one state: construct with the family and version, write fields, then `finish()`.
 */
class archive_writer {
public:
    archive_writer(state_family family, std::uint16_t version, std::uint32_t flags = 0) {
        buffer_.reserve(128);
        const char magic[4] = {'C', 'X', 'K', '1'};
        buffer_.insert(buffer_.end(), magic, magic + 4);
        put_le(static_cast<std::uint16_t>(family));
        put_le(version);
        put_le(flags);
        put_le(std::uint64_t{0});  // payload size, patched by finish()
        put_le(std::uint32_t{0});  // checksum, patched by finish()
    }

    /// Room for `payload_bytes` more bytes: large states that know their size avoid regrowing
    /// (and re-faulting) the buffer.
    void reserve(std::size_t payload_bytes) { buffer_.reserve(buffer_.size() + payload_bytes); }

    void write_u8(std::uint8_t v) { buffer_.push_back(v); }
    void write_u32(std::uint32_t v) { put_le(v); }
    void write_u64(std::uint64_t v) { put_le(v); }
    void write_i64(std::int64_t v) { put_le(static_cast<std::uint64_t>(v)); }
    void write_f64(double v) {
        std::uint64_t bits;
        std::memcpy(&bits, &v, sizeof bits);
        put_le(bits);
    }
    /// A string: u64 byte length, then the bytes (UTF-8 by convention; not interpreted).
    void write_string(const std::string& v) {
        write_u64(v.size());
        buffer_.insert(buffer_.end(), v.begin(), v.end());
    }
    void write_u64s(const std::uint64_t* v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) write_u64(v[i]);
    }
    void write_f64s(const double* v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) write_f64(v[i]);
    }

    /// Patches payload size and checksum into the preamble and returns the bytes.
    std::vector<std::uint8_t> finish() {
        const std::uint64_t payload = buffer_.size() - archive_preamble_size;
        patch_le(12, payload);
        patch_le(20, detail::crc32(buffer_.data() + archive_preamble_size,
                                   static_cast<std::size_t>(payload)));
        return std::move(buffer_);
    }

private:
    // Little-endian on every host; the byte loop compiles to one store on little-endian machines,
    // and one insert per field (not one push_back per byte) keeps large states at memory speed.
    template <class U>
    void put_le(U v) {
        std::uint8_t bytes[sizeof(U)];
        for (std::size_t i = 0; i < sizeof(U); ++i) bytes[i] = static_cast<std::uint8_t>((v >> (8 * i)) & 0xFFu);
        buffer_.insert(buffer_.end(), bytes, bytes + sizeof(U));
    }
    template <class U>
    void patch_le(std::size_t at, U v) {
        for (std::size_t i = 0; i < sizeof(U); ++i)
            buffer_[at + i] = static_cast<std::uint8_t>((v >> (8 * i)) & 0xFFu);
    }
    std::vector<std::uint8_t> buffer_;
};

/**
 * Reads one state. The constructor checks the preamble (magic, family, version range, payload
 * size, checksum); the `read_*` calls check bounds; `finish()` refuses trailing bytes.
 * @throws corrupt_state on any inconsistency, naming what was expected and what was found.
 */
class archive_reader {
public:
    archive_reader(const std::uint8_t* data, std::size_t size, state_family expected,
                   std::uint16_t newest_version, std::uint32_t known_flags = 0)
        : data_(data), size_(size) {
        if (data == nullptr && size != 0) fail("null buffer with non-zero size");
        if (size < archive_preamble_size)
            fail("buffer of " + std::to_string(size) + " bytes is shorter than the " +
                 std::to_string(archive_preamble_size) + "-byte preamble");
        if (std::memcmp(data, "CXK1", 4) != 0) fail("bad magic (expected \"CXK1\")");
        pos_ = 4;
        const auto family = get_le<std::uint16_t>();
        if (family != static_cast<std::uint16_t>(expected))
            fail(std::string("expected a ") + family_name(static_cast<std::uint16_t>(expected)) +
                 " state (family " + std::to_string(static_cast<unsigned>(expected)) +
                 "), got family " + std::to_string(family) + " (" + family_name(family) + ")");
        version_ = get_le<std::uint16_t>();
        if (version_ == 0 || version_ > newest_version)
            fail("unsupported format version " + std::to_string(version_) + " of the " +
                 family_name(family) + " state (this build reads versions 1 to " +
                 std::to_string(newest_version) + ")");
        flags_ = get_le<std::uint32_t>();
        if ((flags_ & ~known_flags) != 0)
            fail("unknown flags 0x" + to_hex(flags_ & ~known_flags));
        const auto payload = get_le<std::uint64_t>();
        if (payload != size - archive_preamble_size)
            fail("payload size " + std::to_string(payload) + " does not match the " +
                 std::to_string(size - archive_preamble_size) + " bytes after the preamble");
        const auto expected_crc = get_le<std::uint32_t>();
        const auto actual_crc = detail::crc32(data + archive_preamble_size, size - archive_preamble_size);
        if (expected_crc != actual_crc)
            fail("checksum mismatch (stored 0x" + to_hex(expected_crc) + ", computed 0x" +
                 to_hex(actual_crc) + ")");
    }

    std::uint16_t version() const noexcept { return version_; }
    std::uint32_t flags() const noexcept { return flags_; }

    std::uint8_t read_u8(const char* field) { need(1, field); return data_[pos_++]; }
    std::uint32_t read_u32(const char* field) { need(4, field); return get_le<std::uint32_t>(); }
    std::uint64_t read_u64(const char* field) { need(8, field); return get_le<std::uint64_t>(); }
    std::int64_t read_i64(const char* field) {
        return static_cast<std::int64_t>(read_u64(field));
    }
    double read_f64(const char* field) {
        const std::uint64_t bits = read_u64(field);
        double v;
        std::memcpy(&v, &bits, sizeof v);
        return v;
    }
    /// Reads a string written by archive_writer::write_string (length checked before allocating).
    std::string read_string(const char* field) {
        const std::uint64_t n = read_u64(field);
        expect_remaining_at_least(n, field);
        std::string v(reinterpret_cast<const char*>(data_ + pos_), static_cast<std::size_t>(n));
        pos_ += static_cast<std::size_t>(n);
        return v;
    }
    /// Reads a weight-like value: finite and >= 0, or the state is corrupt.
    double read_nonnegative_f64(const char* field) {
        const double v = read_f64(field);
        if (!(v >= 0.0) || !std::isfinite(v)) fail(std::string("field '") + field + "' holds " +
                                                   std::to_string(v) + ", expected a finite value >= 0");
        return v;
    }
    /// Bytes left in the payload: lets a reader check a declared element count before allocating.
    std::size_t remaining() const noexcept { return size_ - pos_; }
    void expect_remaining_at_least(std::uint64_t bytes, const char* field) {
        if (bytes > remaining())
            fail(std::string("field '") + field + "' declares " + std::to_string(bytes) +
                 " bytes but only " + std::to_string(remaining()) + " remain");
    }
    /// Every byte must have been consumed.
    void finish() const {
        if (pos_ != size_)
            fail(std::to_string(size_ - pos_) + " unexpected trailing bytes");
    }

    [[noreturn]] static void fail(const std::string& what) {
        CXKIT_THROW(corrupt_state, "corrupt state: " + what);
    }

private:
    void need(std::size_t n, const char* field) const {
        if (size_ - pos_ < n)
            fail(std::string("truncated while reading '") + field + "' at byte " +
                 std::to_string(pos_) + " (need " + std::to_string(n) + ", have " +
                 std::to_string(size_ - pos_) + ")");
    }
    template <class U>
    U get_le() {
        U v = 0;
        for (std::size_t i = 0; i < sizeof(U); ++i) v |= static_cast<U>(U{data_[pos_ + i]} << (8 * i));
        pos_ += sizeof(U);
        return v;
    }
    static std::string to_hex(std::uint32_t v) {
        const char* digits = "0123456789abcdef";
        std::string s(8, '0');
        for (int i = 7; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = digits[v & 0xF];
        return s;
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::uint16_t version_ = 0;
    std::uint32_t flags_ = 0;
};

}  // namespace core
CXKIT_NAMESPACE_END

#endif  // CXKIT_CORE_ARCHIVE_HPP
