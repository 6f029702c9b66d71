// DSR bindings: the column kernel behind cx.dsr, its table of cells, and DsrAccumulator.
// Python-side normalisation (keys, times, buyers, peers) lives in cxkit/dsr.py; these bindings
// take the normalised arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include <cxkit/survey/dsr.hpp>

#include "bind/accumulator.hpp"
#include "bind/columns.hpp"
#include "bind/results.hpp"

namespace py = pybind11;
using cxkit::survey::dsr_accumulator;
using cxkit::survey::dsr_table;

namespace {

// Normalised columns of one call, with the Python objects kept alive for the views.
struct dsr_inputs {
    std::vector<std::string> dimension_labels;
    py::object keep_rating_mask, keep_time, keep_time_flags, keep_buyer, keep_buyer_mask;
    cxkit_py::column rating;
    py::array dim;  // int8 (categorical codes, read in place) or int64
    const std::uint8_t* rating_mask = nullptr;
    const std::int64_t* time = nullptr;
    const std::uint8_t* time_flags = nullptr;
    const std::int64_t* buyer = nullptr;
    const std::uint8_t* buyer_mask = nullptr;
    std::size_t n = 0;

    dsr_inputs(py::handle dim_codes, std::vector<std::string> labels, py::handle ratings, py::handle rating_mask_,
               py::handle times, py::handle time_flags_, py::handle buyers, py::handle buyer_mask_)
        : dimension_labels(std::move(labels)) {
        rating = cxkit_py::as_column(ratings, "rating");
        n = rating.size();
        if (!rating_mask_.is_none()) {
            if (rating.has_mask) throw cxkit::invalid_argument("rating already carries a missing mask");
            rating.set_mask(rating_mask_);
        }
        rating_mask = rating.mask_data();
        dim = py::array::ensure(dim_codes, py::array::c_style);
        if (!dim || dim.ndim() != 1 || static_cast<std::size_t>(dim.size()) != n ||
            !(dim.dtype().is(py::dtype::of<std::int8_t>()) || dim.dtype().is(py::dtype::of<std::int64_t>())))
            throw cxkit::invalid_argument("dimension codes must be a 1-D int8 or int64 array with one code per row (" +
                                          std::to_string(n) + ")");
        time = cxkit_py::optional_array<std::int64_t>(times, n, "time", keep_time);
        time_flags = cxkit_py::optional_array<std::uint8_t>(time_flags_, n, "time flags", keep_time_flags);
        buyer = cxkit_py::optional_array<std::int64_t>(buyers, n, "buyer", keep_buyer);
        buyer_mask = cxkit_py::optional_array<std::uint8_t>(buyer_mask_, n, "buyer mask", keep_buyer_mask);
        if (time == nullptr) throw cxkit::invalid_argument("times are required");
    }

    /// Calls f(const D*) with the dimension codes' type.
    template <class F>
    decltype(auto) with_dims(F&& f) const {
        if (dim.dtype().itemsize() == 1) return f(static_cast<const std::int8_t*>(dim.data()));
        return f(static_cast<const std::int64_t*>(dim.data()));
    }

    template <class R, class S, class D>
    cxkit::survey::dsr_columns<R, S, D> columns(const R* r, const S* seller, const D* dims, std::int64_t offset,
                                                std::size_t n_sellers, std::int64_t units_per_day) const {
        cxkit::survey::dsr_columns<R, S, D> c;
        c.size = n;
        c.seller = seller;
        c.seller_offset = offset;
        c.n_sellers = n_sellers;
        c.dimension = dims;
        c.dimension_labels = cxkit::core::span<const std::string>(dimension_labels.data(), dimension_labels.size());
        c.rating = r;
        c.rating_missing = rating_mask;
        c.time = time;
        c.time_flags = time_flags;
        c.units_per_day = units_per_day;
        c.buyer = buyer;
        c.buyer_missing = buyer_mask;
        return c;
    }
};

// Ratings come as int8 (the compact survey dtype), int64 (pandas' default) or float64 (NaN for
// missing); cxkit/dsr.py converts anything else, which keeps the kernel's instantiations few.
template <class F>
decltype(auto) dispatch_rating(const py::array& a, F&& f) {
    if (a.dtype().is(py::dtype::of<std::int8_t>())) return f(static_cast<const std::int8_t*>(a.data()));
    if (a.dtype().is(py::dtype::of<std::int64_t>())) return f(static_cast<const std::int64_t*>(a.data()));
    if (a.dtype().is(py::dtype::of<double>())) return f(static_cast<const double*>(a.data()));
    throw cxkit::unsupported_type("rating: expected int8, int64 or float64 values, got " + std::string(py::str(a.dtype())));
}

std::vector<std::int64_t> peer_codes(py::handle peer_group, std::size_t n_sellers) {
    std::vector<std::int64_t> out;
    if (peer_group.is_none()) return out;
    auto a = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(peer_group);
    if (!a || a.ndim() != 1 || static_cast<std::size_t>(a.size()) != n_sellers)
        throw cxkit::invalid_argument("peer groups: expected one code per seller (" + std::to_string(n_sellers) + ")");
    out.assign(a.data(), a.data() + a.size());
    for (auto g : out)
        if (g < -1) throw cxkit::invalid_argument("peer group codes must be >= -1, got " + std::to_string(g));
    return out;
}

py::dict result_columns(const std::vector<cxkit::dsr_cell>& cells, std::size_t n_dims, py::handle peer_group,
                        const std::string& peer_mean, bool test, unsigned threads) {
    cxkit::survey::dsr_options o;
    o.peer_mean = cxkit::survey::parse_dsr_peer_mean(peer_mean);
    o.test = test;
    const auto peers = peer_codes(peer_group, n_dims ? cells.size() / n_dims : 0);
    std::vector<cxkit::dsr_result> rs;
    {
        py::gil_scoped_release nogil;
        rs = cxkit::survey::dsr_results(cxkit::core::span<const cxkit::dsr_cell>(cells.data(), cells.size()), n_dims,
                                        cxkit::core::span<const std::int64_t>(peers.data(), peers.size()), o, threads);
    }
    py::dict cols = cxkit_py::results_to_columns(rs);
    py::array_t<std::int64_t> rows(static_cast<py::ssize_t>(cells.size()));
    for (std::size_t i = 0; i < cells.size(); ++i) rows.mutable_data()[i] = static_cast<std::int64_t>(cells[i].rows());
    cols["_rows"] = rows;
    return cols;
}

}  // namespace

void register_dsr(py::module_& m) {
    using namespace cxkit_py;

    // ---- the table of one cx.dsr call ------------------------------------------------------------
    py::class_<dsr_table>(m, "DsrTable", "Counts per seller code x dimension from one pass (cx.dsr's kernel).")
        .def_readonly("n_sellers", &dsr_table::n_sellers)
        .def_readonly("n_dims", &dsr_table::n_dims)
        .def_readonly("n_missing_key", &dsr_table::missing_key)
        .def_readonly("n_invalid_key", &dsr_table::invalid_key)
        .def_readonly("as_of", &dsr_table::as_of)
        .def(
            "results",
            [](const dsr_table& t, py::handle peer_group, const std::string& peer_mean, bool test, unsigned threads) {
                return result_columns(t.cells, t.n_dims, peer_group, peer_mean, test, threads);
            },
            py::arg("peer_group") = py::none(), py::arg("peer_mean") = "ratings", py::arg("test") = true,
            py::arg("threads") = 0,
            "Result columns per cell (seller-major), plus '_rows': input rows per cell.");

    m.def(
        "dsr_count",
        [](py::handle seller_codes, std::int64_t seller_offset, std::size_t n_sellers, py::handle dim_codes,
           std::vector<std::string> dim_labels, std::vector<std::string> dimensions, py::handle ratings,
           py::handle rating_mask, py::handle times, py::handle time_flags, std::int64_t units_per_day,
           py::handle buyers, py::handle buyer_mask, std::int64_t as_of, std::int64_t window_days,
           std::int64_t monthly_cap, const std::string& on_invalid, unsigned threads) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            const dsr_inputs in(dim_codes, std::move(dim_labels), ratings, rating_mask, times, time_flags, buyers,
                                buyer_mask);
            const py::array codes = py::array::ensure(seller_codes, py::array::c_style);
            if (!codes || codes.ndim() != 1 || static_cast<std::size_t>(codes.size()) != in.n)
                throw cxkit::invalid_argument("seller codes must be a 1-D array with one code per row (" +
                                              std::to_string(in.n) + ")");
            return dispatch_rating(in.rating.values, [&](const auto* r) {
                return dispatch_codes(codes, [&](const auto* s) {
                    return in.with_dims([&](const auto* d) {
                        const auto c = in.columns(r, s, d, seller_offset, n_sellers, units_per_day);
                        py::gil_scoped_release nogil;
                        return cxkit::survey::dsr_count(c, dimensions, as_of, window_days, monthly_cap, policy, threads);
                    });
                });
            });
        },
        py::arg("seller_codes"), py::arg("seller_offset"), py::arg("n_sellers"), py::arg("dim_codes"),
        py::arg("dim_labels"), py::arg("dimensions"), py::arg("ratings"), py::arg("rating_mask"), py::arg("times"),
        py::arg("time_flags"), py::arg("units_per_day"), py::arg("buyers"), py::arg("buyer_mask"), py::arg("as_of"),
        py::arg("window_days") = 180, py::arg("monthly_cap") = 3, py::arg("on_invalid") = "raise",
        py::arg("threads") = 0);

    // ---- DsrAccumulator --------------------------------------------------------------------------
    auto cls = bind_accumulator<dsr_accumulator>(
        m, "DsrAccumulator",
        "Mergeable DSR state: per seller x dimension a ring of daily 1..5 histograms over the window,\n"
        "the monthly per-buyer cap records, and row counts. The as-of day follows the newest rating\n"
        "(or advance()); days leaving the window are dropped and their ratings counted as expired.\n\n"
        "Example\n-------\n>>> acc = cx.DsrAccumulator(dimensions=[\"shipping\"], window_days=180)\n"
        ">>> acc.add([\"s1\", \"s1\"], \"shipping\", [5, 4], [\"2026-05-01\", \"2026-05-02\"])\n"
        ">>> float(acc.result()[\"dsr\"].iloc[0])\n4.5",
        [](const dsr_accumulator& a) {
            std::string dims;
            for (const auto& d : a.dimensions()) dims += (dims.empty() ? "'" : ", '") + d + "'";
            return "dimensions=[" + dims + "], window_days=" + std::to_string(a.window_days()) +
                   ", monthly_cap=" + std::to_string(a.monthly_cap()) + ", sellers=" + std::to_string(a.n_sellers()) +
                   ", as_of=" + (a.as_of() ? cxkit::core::iso_date(*a.as_of()) : std::string("None")) +
                   ", rows=" + std::to_string(a.rows());
        });
    cls.def(py::init([](py::object dimensions, std::int64_t window_days, std::int64_t monthly_cap) {
                std::vector<std::string> dims;
                if (dimensions.is_none()) dims = cxkit::survey::default_dsr_dimensions();
                else if (py::isinstance<py::str>(dimensions))
                    throw cxkit::invalid_argument("dimensions must be a list of names, not a single string");
                else
                    for (auto d : dimensions) dims.push_back(py::str(d));
                return dsr_accumulator(std::move(dims), window_days, monthly_cap);
            }),
            py::arg("dimensions") = py::none(), py::arg("window_days") = 180, py::arg("monthly_cap") = 3);
    cls.def(
           "add",
           [](dsr_accumulator& a, py::handle seller, py::handle dimension, py::handle rating, py::handle time,
              py::handle buyer, const std::string& on_invalid) {
               const auto policy = cxkit::core::parse_on_invalid(on_invalid);
               py::dict c = py::module_::import("cxkit.dsr").attr("_state_columns")(a.dimensions(), seller, dimension,
                                                                                    rating, time, buyer);
               const auto labels = c["seller_labels"].cast<std::vector<std::string>>();
               const dsr_inputs in(c["dim_codes"], c["dim_labels"].cast<std::vector<std::string>>(), c["rating"],
                                   c["rating_mask"], c["time"], c["time_flags"], c["buyer"], c["buyer_mask"]);
               py::object keep;
               const std::int64_t* s = cxkit_py::optional_array<std::int64_t>(c["seller_codes"], in.n, "seller codes", keep);
               dispatch_rating(in.rating.values, [&](const auto* r) {
                   const auto cols = in.columns(r, s, static_cast<const std::int64_t*>(in.dim.data()), 0, labels.size(),
                                                cxkit::core::seconds_per_day);
                   py::gil_scoped_release nogil;
                   a.add(cols, cxkit::core::span<const std::string>(labels.data(), labels.size()), policy);
               });
           },
           py::arg("seller"), py::arg("dimension"), py::arg("rating"), py::arg("time"), py::arg("buyer") = py::none(),
           py::arg("on_invalid") = "raise",
           "Add ratings: seller, dimension, rating (1..5; NaN/None = missing), time (datetime-like or ISO\n"
           "string; numbers are days since 1970-01-01) and optional buyer ids; arrays or scalars.")
        .def(
            "advance",
            [](dsr_accumulator& a, py::handle as_of) {
                a.advance(py::module_::import("cxkit.dsr").attr("_day_number")(as_of, "as_of").cast<std::int64_t>());
            },
            py::arg("as_of"), "Move the as-of day forward; days leaving the window are dropped (counted as expired).")
        .def_property_readonly(
            "as_of",
            [](const dsr_accumulator& a) -> py::object {
                if (!a.as_of()) return py::none();
                return py::module_::import("numpy").attr("datetime64")(*a.as_of(), "D");
            },
            "The as-of day (numpy.datetime64[D]) or None before any rating.")
        .def_property_readonly("_as_of_day", [](const dsr_accumulator& a) { return a.as_of(); })
        .def_property_readonly("dimensions", &dsr_accumulator::dimensions)
        .def_property_readonly("window_days", &dsr_accumulator::window_days)
        .def_property_readonly("monthly_cap", &dsr_accumulator::monthly_cap)
        .def_property_readonly("sellers", &dsr_accumulator::sellers, "Seller keys (sorted).")
        .def_property_readonly("n_missing_key", &dsr_accumulator::n_missing_key)
        .def_property_readonly("n_invalid_key", &dsr_accumulator::n_invalid_key)
        .def_property_readonly("rows", &dsr_accumulator::rows, "Every row added, whatever its class.")
        .def("__len__", &dsr_accumulator::n_sellers)
        .def(
            "_result_columns",
            [](const dsr_accumulator& a, py::handle peer_group, const std::string& peer_mean, bool test) {
                return result_columns(a.cells(), a.dimensions().size(), peer_group, peer_mean, test, 0);
            },
            py::arg("peer_group") = py::none(), py::arg("peer_mean") = "ratings", py::arg("test") = true)
        .def(
            "result",
            [](py::object self, py::handle peers, const std::string& peer_mean, bool test) {
                return py::module_::import("cxkit.dsr").attr("_state_result")(self, peers, peer_mean, test);
            },
            py::kw_only(), py::arg("peers") = py::none(), py::arg("peer_mean") = "ratings", py::arg("test") = true,
            "DSR per seller x dimension at the as-of day: a frame like cx.dsr's.");
}
