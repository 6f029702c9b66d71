// Customer summaries (x, t_x, T, m) as columns for the CLV fits, and the reader of the CDNOW
// sample's calibration summary (tests/data/cdnow_sample_summary.csv: "id","x","t.x","T.cal",
// "x.star","m.x"; attribution in tests/data/README.md). Shared by tests/cpp/test_clv.cpp and
// benchmarks/cpp/bench_clv.cpp.
#pragma once

#include <cxkit/customer/clv.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace clv_data {

struct summary {
    std::vector<double> x, tx, T, m;
    cxkit::clv_columns columns() const {
        cxkit::clv_columns c;
        c.frequency = x.data();
        c.recency = tx.data();
        c.T = T.data();
        c.monetary = m.data();
        c.size = x.size();
        return c;
    }
};

/// @throws std::runtime_error when the file cannot be read or holds no customer.
inline summary read_cdnow_summary(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    summary out;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::string cell;
        std::vector<std::string> cells;
        while (std::getline(ss, cell, ',')) cells.push_back(cell);
        if (cells.size() < 6) throw std::runtime_error("malformed line in " + path + ": " + line);
        out.x.push_back(std::stod(cells[1]));
        out.tx.push_back(std::stod(cells[2]));
        out.T.push_back(std::stod(cells[3]));
        out.m.push_back(std::stod(cells[5]));
    }
    if (out.x.empty()) throw std::runtime_error("no customer in " + path);
    return out;
}

}  // namespace clv_data
