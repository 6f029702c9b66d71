// Survival bindings: SurvivalAccumulator (the Kaplan-Meier event table state), the grouped
// kernel behind cx.kaplan_meier(by=...) and the log-rank family. Python-side normalisation
// (frames, column names, group keys) lives in cxkit/survival.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>
#include <vector>

#include <cxkit/customer/survival.hpp>

#include "bind/accumulator.hpp"
#include "bind/columns.hpp"
#include "bind/results.hpp"

namespace py = pybind11;
using cxkit::customer::logrank_result;
using cxkit::customer::survival_accumulator;
using cxkit::customer::survival_columns;
using cxkit::customer::survival_result;

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

// A numeric column as contiguous float64 with missing entries (mask, None, null) as NaN; None
// stays an empty array. `n` = expected length (0 = any, for the durations themselves).
f64_array float_column(py::handle obj, const char* name, std::size_t n, bool first) {
    if (obj.is_none()) return f64_array();
    cxkit_py::column c = cxkit_py::as_column(obj, name);
    if (!first && c.size() != n)
        throw cxkit::invalid_argument(std::string(name) + " has " + std::to_string(c.size()) +
                                      " values but durations has " + std::to_string(n));
    f64_array a = f64_array::ensure(c.values);
    if (c.has_mask) {
        f64_array copy(static_cast<py::ssize_t>(c.size()));
        const auto* m = c.mask_data();
        for (std::size_t i = 0; i < c.size(); ++i) copy.mutable_data()[i] = m[i] ? std::nan("") : a.data()[i];
        return copy;
    }
    return a;
}

struct survival_arrays {
    f64_array durations, observed, weights, entry;
    py::array_t<std::int8_t> flags;  // bool / int8 observed flags, zero-copy
    survival_columns view() const {
        survival_columns c;
        c.observed_flags = flags.size() ? flags.data() : nullptr;
        c.durations = durations.data();
        c.size = static_cast<std::size_t>(durations.size());
        c.observed = observed.size() ? observed.data() : nullptr;
        c.weights = weights.size() ? weights.data() : nullptr;
        c.entry = entry.size() ? entry.data() : nullptr;
        return c;
    }
};

// Observed flags stay compact (zero-copy int8 view) when they are a numpy bool or int8 array.
bool compact_flags(py::handle observed) {
    if (!py::isinstance<py::array>(observed)) return false;
    auto o = py::reinterpret_borrow<py::array>(observed);
    const char kind = o.dtype().kind();
    return o.ndim() == 1 && (kind == 'b' || (kind == 'i' && o.dtype().itemsize() == 1));
}

survival_arrays arrays(py::handle durations, py::handle observed, py::handle weights, py::handle entry) {
    survival_arrays a;
    a.durations = float_column(durations, "durations", 0, true);
    const auto n = static_cast<std::size_t>(a.durations.size());
    if (compact_flags(observed)) {
        auto o = py::reinterpret_borrow<py::array>(observed);
        if (static_cast<std::size_t>(o.size()) != n)
            throw cxkit::invalid_argument("observed has " + std::to_string(o.size()) + " values but durations has " +
                                          std::to_string(n));
        a.flags = py::array_t<std::int8_t, py::array::c_style>::ensure(o.dtype().kind() == 'b' ? o.attr("view")("int8") : o);
    } else {
        a.observed = float_column(observed, "observed", n, false);
    }
    a.weights = float_column(weights, "weights", n, false);
    a.entry = float_column(entry, "entry", n, false);
    return a;
}

cxkit::customer::survival_options options(double confidence, const std::string& ci) {
    cxkit::core::check_confidence(confidence);
    return {confidence, cxkit::customer::parse_survival_ci(ci)};
}

}  // namespace

void register_survival(py::module_& m) {
    cxkit_py::bind_result<survival_result>(
        m, "SurvivalResultCore",
        "Kaplan-Meier result as columns (time, at_risk, events, censored, survival, std_error, ci_low,\n"
        "ci_high) and the median with its interval; cxkit.kaplan_meier wraps it as SurvivalResult.");
    cxkit_py::bind_result<logrank_result>(m, "LogrankResult",
                                          "Log-rank family test: statistic, df, p_value, n_groups, weighting.");

    auto cls = cxkit_py::bind_accumulator<survival_accumulator>(
        m, "SurvivalAccumulator",
        "Mergeable Kaplan-Meier state: the event table per distinct time (weighted entries, events,\n"
        "censored) and the row counts. METRICS.md §4 \"Survival\".",
        [](const survival_accumulator& s) {
            return cxkit_py::row_counts_repr(s) + ", times=" + std::to_string(s.table().size());
        });
    cls.def(py::init<>())
        .def(
            "add",
            [](survival_accumulator& s, py::handle durations, py::handle observed, py::handle weights,
               py::handle entry, const std::string& on_invalid, unsigned threads) {
                const auto policy = cxkit::core::parse_on_invalid(on_invalid);
                const survival_arrays a = arrays(durations, observed, weights, entry);
                const survival_columns c = a.view();
                py::gil_scoped_release nogil;
                s.add(c, policy, threads);
            },
            py::arg("durations"), py::arg("observed") = py::none(), py::arg("weights") = py::none(),
            py::arg("entry") = py::none(), py::arg("on_invalid") = "raise", py::arg("threads") = 1,
            "Add subjects: durations (>= 0), observed flags (0/1; None = all events), weights, entry\n"
            "times (left truncation; None = 0). NaN/None = missing; invalid rows raise or are dropped.")
        .def(
            "result",
            [](const survival_accumulator& s, double confidence, const std::string& ci) {
                return s.result(options(confidence, ci));
            },
            py::arg("confidence") = 0.95, py::arg("ci") = "log-log",
            "Kaplan-Meier estimate with Greenwood errors and intervals (\"log-log\", \"log\", \"plain\").")
        .def_property_readonly("n", &survival_accumulator::n)
        .def_property_readonly("n_missing", &survival_accumulator::n_missing)
        .def_property_readonly("n_invalid", &survival_accumulator::n_invalid)
        .def(
            "event_table",
            [](const survival_accumulator& s) {
                const auto& t = s.table();
                const auto n = static_cast<py::ssize_t>(t.size());
                py::array_t<double> time(n), entered(n), events(n), censored(n);
                for (py::ssize_t i = 0; i < n; ++i) {
                    const auto& r = t[static_cast<std::size_t>(i)];
                    time.mutable_data()[i] = r.time;
                    entered.mutable_data()[i] = r.entered;
                    events.mutable_data()[i] = r.events;
                    censored.mutable_data()[i] = r.censored;
                }
                py::dict d;
                d["time"] = time;
                d["entered"] = entered;
                d["events"] = events;
                d["censored"] = censored;
                return d;
            },
            "The state's event table as columns: time, entered, events, censored.");

    m.def(
        "survival_groups",
        [](py::handle durations, py::handle observed, py::handle weights, py::handle entry, py::handle codes,
           std::int64_t offset, std::size_t n_groups, const std::string& on_invalid, unsigned threads) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            const survival_arrays a = arrays(durations, observed, weights, entry);
            const survival_columns c = a.view();
            const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> k =
                py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(codes);
            if (!k || k.ndim() != 1 || static_cast<std::size_t>(k.size()) != c.size)
                throw cxkit::invalid_argument("group codes must be a 1-D array with one code per row (" +
                                              std::to_string(c.size) + ")");
            std::vector<survival_accumulator> groups(n_groups);
            survival_accumulator missing_key;
            {
                py::gil_scoped_release nogil;
                // Validate the whole batch first so an error names the position in the input.
                if (policy == cxkit::core::on_invalid::raise) survival_accumulator().add(c, policy, threads);
                // Counting sort of the row indices by group (slot n_groups = missing key).
                std::vector<std::size_t> start(n_groups + 2, 0);
                const auto* kp = k.data();
                auto slot = [&](std::size_t i) {
                    const std::int64_t g = kp[i] - offset;
                    if (g < 0) return n_groups;
                    if (static_cast<std::size_t>(g) >= n_groups)
                        throw cxkit::invalid_argument("group code " + std::to_string(kp[i]) + " out of range");
                    return static_cast<std::size_t>(g);
                };
                for (std::size_t i = 0; i < c.size; ++i) ++start[slot(i) + 1];
                for (std::size_t g = 0; g <= n_groups; ++g) start[g + 1] += start[g];
                std::vector<std::size_t> fill(start.begin(), start.end() - 1);
                const std::size_t n = c.size;
                std::vector<double> d(n), o(c.observed ? n : 0), w(c.weights ? n : 0), e(c.entry ? n : 0);
                for (std::size_t i = 0; i < n; ++i) {
                    const std::size_t p = fill[slot(i)]++;
                    d[p] = c.durations[i];
                    if (c.observed) o[p] = c.observed[i];
                    if (c.weights) w[p] = c.weights[i];
                    if (c.entry) e[p] = c.entry[i];
                }
                for (std::size_t g = 0; g <= n_groups; ++g) {
                    survival_columns part;
                    part.durations = d.data() + start[g];
                    part.observed = c.observed ? o.data() + start[g] : nullptr;
                    part.weights = c.weights ? w.data() + start[g] : nullptr;
                    part.entry = c.entry ? e.data() + start[g] : nullptr;
                    part.size = start[g + 1] - start[g];
                    (g < n_groups ? groups[g] : missing_key).add(part, cxkit::core::on_invalid::drop, threads);
                }
            }
            return py::make_tuple(groups, missing_key);
        },
        py::arg("durations"), py::arg("observed"), py::arg("weights"), py::arg("entry"), py::arg("codes"),
        py::arg("offset"), py::arg("n_groups"), py::arg("on_invalid") = "raise", py::arg("threads") = 1,
        "One SurvivalAccumulator per group code 0..n_groups-1 (codes minus offset; negative = missing\n"
        "key), and the state of the rows whose key was missing.");

    m.def(
        "logrank_test",
        [](const std::vector<survival_accumulator>& groups, const std::string& weighting) {
            const auto wt = cxkit::customer::parse_logrank_weighting(weighting);
            py::gil_scoped_release nogil;
            return cxkit::customer::logrank_test(groups, wt);
        },
        py::arg("groups"), py::arg("weighting") = "logrank",
        "Weighted log-rank test of k groups (one SurvivalAccumulator each), chi-square with k - 1 df.");
}
