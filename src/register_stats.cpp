// Statistics bindings: comparison results and p-value adjustment.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <vector>

#include <cxkit/stats/adjust.hpp>
#include <cxkit/stats/comparison.hpp>

#include "bind/columns.hpp"
#include "bind/results.hpp"

namespace py = pybind11;

void register_stats(py::module_& m) {
    cxkit_py::bind_result<cxkit::stats::comparison_result>(
        m, "ComparisonResult", "A signed difference a - b with its standard error, z, two-sided p-value and interval.");

    m.def(
        "adjust_pvalues",
        [](py::handle p_values, const std::string& method) {
            const auto m_ = cxkit::stats::parse_adjust_method(method);
            const cxkit_py::column c = cxkit_py::as_column(p_values, "p_values");
            const auto cast = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(c.values);
            std::vector<double> p(cast.data(), cast.data() + c.size());
            if (c.has_mask)  // missing p-values (None, NA, null) are NaN: left NaN, not counted
                for (std::size_t i = 0; i < p.size(); ++i)
                    if (c.mask_data()[i]) p[i] = std::nan("");
            const auto out = cxkit::stats::adjust_pvalues(cxkit::core::span<const double>(p.data(), p.size()), m_);
            return py::array_t<double>(static_cast<py::ssize_t>(out.size()), out.data());
        },
        py::arg("p_values"), py::arg("method") = "holm");
}
