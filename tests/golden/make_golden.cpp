// Writes the golden serialized states tests/golden/nps_v1.bin and tests/golden/rating_v1.bin.
//
// NOT part of the build. The files were written once with format version 1 and are committed;
// tests/cpp/test_archive.cpp checks that every later build still reads them to the same state and
// still writes the same bytes. Never regenerate them to make a failing test pass: a difference
// means the format changed, which needs a new format version (and new golden files next to these).
//
// Build and run from the repository root (refuses to overwrite existing files without --force):
//   g++ -std=c++17 -Iinclude tests/golden/make_golden.cpp -o /tmp/make_golden && /tmp/make_golden tests/golden
//
// The inputs are documented in tests/golden/README.md and repeated in test_archive.cpp.
#include <cxkit/cxkit.hpp>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

namespace {

const double nan_v = std::numeric_limits<double>::quiet_NaN();

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
    const bool force = argc > 2 && std::string(argv[2]) == "--force";

    // nps_v1.bin: one weighted batch, on_invalid = drop.
    const std::vector<double> nps_scores = {0, 3, 6, 7, 8, 9, 10, 10, nan_v, 11};
    const std::vector<double> nps_weights = {1, 2, 1, 1, 0.5, 1, 1, 3, 1, 1};
    cxkit::nps_accumulator nps;
    nps.add(nps_scores, nps_weights, cxkit::core::on_invalid::drop);

    // rating_v1.bin: scale 1..5, one unweighted batch, on_invalid = drop.
    const std::vector<double> rating_scores = {5, 4, 4, 3, 1, 5, 2, 4, 5, nan_v, 0, 6, 4.5};
    cxkit::rating_accumulator rating(1, 5);
    rating.add(rating_scores, cxkit::core::on_invalid::drop);

    bool ok = write_file(dir + "/nps_v1.bin", nps.serialize(), force);
    ok = write_file(dir + "/rating_v1.bin", rating.serialize(), force) && ok;
    return ok ? 0 : 1;
}
