// Shared by the find_package and add_subdirectory consumer projects: the API.md example.
#include <cxkit/cxkit.hpp>
#include <cstdio>
int main() {
    cxkit::nps_accumulator a, b;
    a.add(10); a.add(9); a.add(3, /*weight=*/2.0);
    b.add(7);
    a += b;
    auto bytes = a.serialize();
    auto c = cxkit::nps_accumulator::deserialize(bytes.data(), bytes.size());
    double score = c.result().nps;   // (2 - 2) / 5 * 100 = 0
    std::printf("%g\n", score);
    return score == 0.0 ? 0 : 1;
}
