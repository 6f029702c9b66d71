// The one binding template every cxkit state goes through: `bind_accumulator` gives a C++ state
// +=, +, ==, merge, copy, repr, to_bytes/from_bytes and pickle (the pickle state is the
// serialize() bytes, so a pickle, a Dask task result and a blob in a CRM database are the same
// thing). `bind_groups` exposes the vector of per-group states that grouped kernels return.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include <cxkit/core/histogram.hpp>
#include <cxkit/core/segments.hpp>

#include "columns.hpp"
#include "results.hpp"

namespace cxkit_py {
namespace py = pybind11;

template <class State>
py::bytes state_bytes(const State& s) {
    const auto b = s.serialize();
    return py::bytes(reinterpret_cast<const char*>(b.data()), b.size());
}

template <class State>
State state_from_buffer(const py::buffer& data) {
    const py::buffer_info info = data.request();
    if (info.ndim != 1 || info.strides[0] != info.itemsize)
        throw cxkit::corrupt_state("corrupt state: expected a contiguous bytes-like object");
    const auto size = static_cast<std::size_t>(info.size * info.itemsize);
    return State::deserialize(static_cast<const std::uint8_t*>(info.ptr), size);
}

/// Binds the five state operations. `repr` gives the text inside "Name(...)".
template <class State, class Repr>
py::class_<State> bind_accumulator(py::module_& m, const char* name, const char* doc, Repr repr) {
    py::class_<State> cls(m, name, doc);
    cls.def(py::self += py::self, "Merge another state into this one (in place).")
        .def(py::self + py::self, "A new state: the merge of both.")
        .def(py::self == py::self)
        .def(py::self != py::self)
        .def(
            "merge", [](State& a, const State& b) -> State& { return a += b; }, py::arg("other"),
            py::return_value_policy::reference_internal, "Merge `other` into this state and return it.")
        .def("copy", [](const State& s) { return State(s); }, "An independent copy.")
        .def("__copy__", [](const State& s) { return State(s); })
        .def("__deepcopy__", [](const State& s, py::handle) { return State(s); }, py::arg("memo"))
        .def("to_bytes", &state_bytes<State>, "The serialized state (binary, versioned, checksummed).")
        .def_static("from_bytes", &state_from_buffer<State>, py::arg("data"),
                    "Rebuild a state from `to_bytes()` output; raises CorruptStateError for bad bytes.")
        .def(py::pickle(&state_bytes<State>, [](const py::bytes& b) { return state_from_buffer<State>(b); }))
        .def("__repr__", [name, repr](const State& s) { return std::string(name) + "(" + repr(s) + ")"; });
    cls.attr("__hash__") = py::none();
    return cls;
}

/// "n=.., n_missing=.., n_invalid=.." for states that count rows.
template <class State>
std::string row_counts_repr(const State& s) {
    return "n=" + std::to_string(s.n()) + ", n_missing=" + std::to_string(s.n_missing()) +
           ", n_invalid=" + std::to_string(s.n_invalid());
}

/// `add(values, weights=None, *, on_invalid="raise")` for the histogram states.
template <class State>
void def_score_add(py::class_<State>& cls) {
    cls.def(
        "add",
        [](State& s, py::handle values, py::handle weights, const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            const column c = as_column(values, "values");
            const auto w = as_weights(weights, c.size());
            dispatch_numeric(c.values, [&](const auto* p) {
                const auto b = make_batch(p, c, w);
                py::gil_scoped_release nogil;
                s.add(b, policy, 0);
            });
        },
        py::arg("values"), py::arg("weights") = py::none(), py::arg("on_invalid") = "raise",
        "Add scores (array-like or scalar; NaN/None = missing) with optional weights; invalid rows\n"
        "raise (on_invalid=\"raise\") or are dropped and counted (on_invalid=\"drop\").");
}

/// Grouped add: one state per group code; `codes` None = one group.
template <class State>
cxkit::core::grouped_states<State> count_groups(const State& empty, py::handle values, py::handle weights,
                                                py::handle codes, std::int64_t offset, std::size_t n_groups,
                                                const std::string& on_invalid, unsigned threads, py::handle mask) {
    using G = cxkit::core::grouped_states<State>;
    const auto policy = cxkit::core::parse_on_invalid(on_invalid);
    column c = as_column(values, "values");
    if (!mask.is_none()) {
        if (c.has_mask) throw cxkit::invalid_argument("values already carry a missing mask");
        c.set_mask(mask);
    }
    const auto w = as_weights(weights, c.size());
    return dispatch_numeric(c.values, [&](const auto* p) -> G {
        const auto b = make_batch(p, c, w);
        if (codes.is_none()) {
            py::gil_scoped_release nogil;
            return cxkit::core::group_states(empty, b, cxkit::core::group_codes<std::int32_t>{}, policy, threads);
        }
        const py::array ca = py::array::ensure(codes, py::array::c_style);
        if (!ca || ca.ndim() != 1 || static_cast<std::size_t>(ca.size()) != c.size())
            throw cxkit::invalid_argument("group codes must be a 1-D array with one code per row (" +
                                          std::to_string(c.size()) + ")");
        return dispatch_codes(ca, [&](const auto* cp) -> G {
            using C = std::remove_const_t<std::remove_pointer_t<decltype(cp)>>;
            py::gil_scoped_release nogil;
            return cxkit::core::group_states(empty, b, cxkit::core::group_codes<C>{cp, offset, n_groups}, policy,
                                             threads);
        });
    });
}

/// The per-group states returned by a grouped kernel: len, indexing, totals, row counts.
template <class State>
py::class_<cxkit::core::grouped_states<State>> bind_groups(py::module_& m, const char* name) {
    using G = cxkit::core::grouped_states<State>;
    py::class_<G> cls(m, name, "One state per group (from a grouped kernel), plus the rows whose key was missing.");
    cls.def("__len__", [](const G& g) { return g.groups.size(); })
        .def("__getitem__",
             [](const G& g, py::ssize_t i) {
                 const auto n = static_cast<py::ssize_t>(g.groups.size());
                 if (i < 0) i += n;
                 if (i < 0 || i >= n) throw cxkit::out_of_range("group index " + std::to_string(i) + " out of range");
                 return g.groups[static_cast<std::size_t>(i)];
             })
        .def_property_readonly("missing_key", [](const G& g) { return g.missing_key; },
                               "State of the rows whose group key was missing.")
        .def("rows",
             [](const G& g) {
                 py::array_t<std::int64_t> out(static_cast<py::ssize_t>(g.groups.size()));
                 auto* p = out.mutable_data();
                 for (std::size_t i = 0; i < g.groups.size(); ++i)
                     p[i] = static_cast<std::int64_t>(g.groups[i].n() + g.groups[i].n_missing() + g.groups[i].n_invalid());
                 return out;
             },
             "Input rows per group (n + n_missing + n_invalid).")
        .def("total", [](const G& g) { return cxkit::core::merge_all(g.groups, g.empty); },
             "Merge of every group's state (rows with a missing key excluded).");
    return cls;
}

/// Result columns of every group under `options`.
template <class State, class Options>
py::dict group_results(const cxkit::core::grouped_states<State>& g, const Options& options) {
    using R = decltype(g.groups.front().result(options));
    std::vector<R> rs;
    rs.reserve(g.groups.size());
    for (const auto& s : g.groups) rs.push_back(s.result(options));
    return results_to_columns(rs);
}

}  // namespace cxkit_py
