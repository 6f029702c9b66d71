// Key drivers bindings: DriverAccumulator (weighted means and co-moments of target + drivers),
// DriverResult, and the one-call kernel behind cx.key_drivers (with the bootstrap). Frames are
// turned into a float64 matrix (NaN = missing) by cxkit/drivers.py; these bindings take 2-D arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include <cxkit/product/drivers.hpp>

#include "bind/accumulator.hpp"
#include "bind/columns.hpp"
#include "bind/results.hpp"

namespace py = pybind11;
using cxkit::product::driver_accumulator;
using cxkit::product::driver_options;
using cxkit::product::driver_result;

namespace {

// A float64 2-D view of `obj` (frames and lists go through cxkit.drivers._as_matrix); `keep`
// holds the array alive. Any strides that are whole elements are read in place.
cxkit::core::matrix_view<double> as_matrix(py::handle obj, py::object& keep, const char* name) {
    py::array a;
    if (py::isinstance<py::array>(obj) && py::reinterpret_borrow<py::array>(obj).ndim() == 2 &&
        py::reinterpret_borrow<py::array>(obj).dtype().is(py::dtype::of<double>())) {
        a = py::reinterpret_borrow<py::array>(obj);
    } else {
        a = py::module_::import("cxkit.drivers").attr("_as_matrix")(obj, name);
    }
    if (a.ndim() != 2 || !a.dtype().is(py::dtype::of<double>()))
        throw cxkit::invalid_argument(std::string(name) + ": expected a 2-D float64 array");
    if (a.strides(0) % static_cast<py::ssize_t>(sizeof(double)) != 0 ||
        a.strides(1) % static_cast<py::ssize_t>(sizeof(double)) != 0)
        a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
    keep = a;
    cxkit::core::matrix_view<double> v;
    v.data = static_cast<const double*>(a.data());
    v.rows = static_cast<std::size_t>(a.shape(0));
    v.cols = static_cast<std::size_t>(a.shape(1));
    v.row_stride = a.strides(0) / static_cast<py::ssize_t>(sizeof(double));
    v.col_stride = a.strides(1) / static_cast<py::ssize_t>(sizeof(double));
    return v;
}

std::vector<std::string> names_of(py::handle names) {
    std::vector<std::string> out;
    if (names.is_none()) return out;
    for (auto n : names) out.push_back(py::str(n));
    return out;
}

driver_options make_options(const std::string& method, py::handle names, unsigned threads) {
    driver_options o;
    o.method = cxkit::product::parse_driver_method(method);
    o.names = names_of(names);
    o.threads = threads;
    return o;
}

py::array_t<double> square(const std::vector<double>& v, std::size_t k) {
    py::array_t<double> out({static_cast<py::ssize_t>(k), static_cast<py::ssize_t>(k)});
    std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
}

}  // namespace

void register_drivers(py::module_& m) {
    cxkit_py::bind_result<driver_result>(
        m, "DriverResult",
        "Key drivers of one state: method, r_squared, n, n_missing, n_invalid, sum_weights, and per\n"
        "driver (arrays in driver order) weight (sums to R²), rescaled (percent, sums to 100), sign,\n"
        "beta (standardised OLS), correlation (with the target), weight_lo / weight_hi (bootstrap),\n"
        "n_boot_valid.");

    auto cls = cxkit_py::bind_accumulator<driver_accumulator>(
        m, "DriverAccumulator",
        "Mergeable state of key drivers analysis: total weight, weighted means and weighted co-moments\n"
        "of n_variables variables; variable 0 is the target, variables 1.. the drivers. Rows with a\n"
        "missing (NaN) value are dropped listwise and counted; rows with ±inf or a bad weight are invalid.\n\n"
        "Example\n-------\n>>> import numpy as np\n>>> acc = cx.DriverAccumulator(3)\n"
        ">>> acc.add(np.array([[3.0, 1, 0], [5, 2, 1], [4, 3, 3], [6, 4, 2]]))\n"
        ">>> round(acc.result(method=\"ols\").r_squared, 4)\n0.8",
        [](const driver_accumulator& a) {
            return "n_variables=" + std::to_string(a.n_variables()) + ", " + cxkit_py::row_counts_repr(a);
        });
    cls.def(py::init<std::size_t>(), py::arg("n_variables"))
        .def(
            "add",
            [](driver_accumulator& a, py::handle rows, py::handle weights, const std::string& on_invalid,
               unsigned threads) {
                const auto policy = cxkit::core::parse_on_invalid(on_invalid);
                py::object keep;
                const auto v = as_matrix(rows, keep, "rows");
                const auto w = cxkit_py::as_weights(weights, v.rows);
                const double* wp = w.size() ? w.data() : nullptr;
                py::gil_scoped_release nogil;
                a.add(v, wp, policy, threads);
            },
            py::arg("rows"), py::arg("weights") = py::none(), py::arg("on_invalid") = "raise", py::arg("threads") = 1,
            "Add rows: a 2-D array (or frame) with n_variables columns, target first; NaN = missing\n"
            "(the row is dropped listwise and counted); optional survey weights.")
        .def(
            "result",
            [](const driver_accumulator& a, const std::string& method, py::handle names, unsigned threads) {
                const auto o = make_options(method, names, threads);
                py::gil_scoped_release nogil;
                return a.result(o);
            },
            py::kw_only(), py::arg("method") = "relative_weights", py::arg("names") = py::none(),
            py::arg("threads") = 1,
            "Key drivers: method \"relative_weights\", \"shapley\" or \"ols\"; names (target first) are\n"
            "used in error messages.")
        .def_property_readonly("n_variables", &driver_accumulator::n_variables)
        .def_property_readonly("n", &driver_accumulator::n)
        .def_property_readonly("n_missing", &driver_accumulator::n_missing)
        .def_property_readonly("n_invalid", &driver_accumulator::n_invalid)
        .def_property_readonly("sum_weights", &driver_accumulator::sum_weights)
        .def_property_readonly(
            "means",
            [](const driver_accumulator& a) {
                return py::array_t<double>(static_cast<py::ssize_t>(a.means().size()), a.means().data());
            },
            "Weighted means (target first).")
        .def_property_readonly(
            "comoments", [](const driver_accumulator& a) { return square(a.comoments(), a.n_variables()); },
            "Weighted co-moments sum w (x_i - mean_i)(x_j - mean_j), k x k.")
        .def(
            "correlation", [](const driver_accumulator& a) { return square(a.correlation(), a.n_variables()); },
            "Weighted correlation matrix (NaN rows/columns for constant variables).")
        .def(
            "_subset_r_squared",
            [](const driver_accumulator& a, const std::vector<std::size_t>& subset) {
                return a.subset_r_squared(cxkit::core::span<const std::size_t>(subset.data(), subset.size()));
            },
            py::arg("subset"), "R² of the target on the drivers `subset` (variable numbers 1..p), by Cholesky.")
        .def(
            "_all_subset_r_squared",
            [](const driver_accumulator& a, unsigned threads) {
                driver_options o;
                o.threads = threads;
                std::vector<double> r;
                {
                    py::gil_scoped_release nogil;
                    r = a.all_subset_r_squared(o);
                }
                return py::array_t<double>(static_cast<py::ssize_t>(r.size()), r.data());
            },
            py::arg("threads") = 1, "R² of all 2^p driver subsets (bit j of the index = driver j + 1).");

    m.def(
        "key_drivers_matrix",
        [](py::handle rows, py::handle weights, py::handle names, const std::string& method,
           const std::string& on_invalid, std::size_t bootstrap, std::uint64_t seed, double confidence,
           unsigned threads) {
            cxkit::product::key_driver_options o;
            o.result = make_options(method, names, threads);
            o.policy = cxkit::core::parse_on_invalid(on_invalid);
            o.bootstrap = bootstrap;
            o.seed = seed;
            o.confidence = confidence;
            py::object keep;
            const auto v = as_matrix(rows, keep, "data");
            if (v.cols < 2) throw cxkit::invalid_argument("data: need the target and at least one driver column");
            const auto w = cxkit_py::as_weights(weights, v.rows);
            const double* wp = w.size() ? w.data() : nullptr;
            py::gil_scoped_release nogil;
            return cxkit::product::key_drivers(v, wp, o);
        },
        py::arg("rows"), py::arg("weights"), py::arg("names"), py::arg("method") = "relative_weights",
        py::arg("on_invalid") = "raise", py::arg("bootstrap") = 0, py::arg("seed") = 0, py::arg("confidence") = 0.95,
        py::arg("threads") = 1,
        "Key drivers of a 2-D float64 matrix (column 0 = target): the kernel behind cx.key_drivers.");
}
