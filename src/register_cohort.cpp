// Cohort retention and churn bindings: the one-pass kernels behind cx.retention and
// cx.churn_durations, and CohortAccumulator. Python-side normalisation (customer keys, times,
// revenue) lives in cxkit/cohort.py; these bindings take the normalised arrays and return dicts of
// numpy arrays that cohort.py turns into frames.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include <cxkit/customer/cohort.hpp>

#include "bind/accumulator.hpp"
#include "bind/columns.hpp"

namespace py = pybind11;
using cxkit::customer::cohort_accumulator;
using cxkit::customer::cohort_columns;
using cxkit::customer::cohort_spec;
using cxkit::customer::cohort_table;

namespace {

template <class T>
py::array_t<T> to_matrix(const std::vector<T>& v, std::size_t rows, std::size_t cols) {
    py::array_t<T> a({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
}

cohort_spec make_spec(const std::string& period, std::int64_t rolling_days) {
    cohort_spec s;
    s.period = cxkit::customer::parse_cohort_period(period);
    s.rolling_days = rolling_days;
    cxkit::customer::check_cohort_spec(s);
    return s;
}

py::dict table_dict(const cohort_table& t) {
    py::dict d;
    const std::size_t rows = t.cohorts.size();
    std::vector<std::int64_t> starts;
    for (auto c : t.cohorts) starts.push_back(t.spec.period_start(c));
    d["cohort_start_day"] = cxkit_py::to_numpy(starts);
    d["exact"] = to_matrix(t.exact, rows, t.n_ages);
    d["unbounded"] = to_matrix(t.unbounded, rows, t.n_ages);
    d["observed"] = to_matrix(t.observed, rows, t.n_ages);
    d["partial"] = to_matrix(t.partial, rows, t.n_ages);
    d["revenue"] = t.revenue.empty() ? py::object(py::none()) : py::object(to_matrix(t.revenue, rows, t.n_ages));
    d["curve_exact"] = cxkit_py::to_numpy(t.curve(cxkit::customer::retention_kind::exact));
    d["curve_unbounded"] = cxkit_py::to_numpy(t.curve(cxkit::customer::retention_kind::unbounded));
    d["end_day"] = t.end_day;
    d["has_data"] = t.has_data;
    d["n_customers"] = t.n_customers;
    d["n_events"] = t.n_events;
    d["n_missing"] = t.n_missing;
    d["n_invalid"] = t.n_invalid;
    return d;
}

py::dict churn_dict(const cxkit::customer::churn_table& t, const cohort_spec& s) {
    py::dict d;
    std::vector<std::int64_t> starts;
    for (auto p : t.periods) starts.push_back(s.period_start(p));
    d["period_start_day"] = cxkit_py::to_numpy(starts);
    d["active_start"] = cxkit_py::to_numpy(t.active_start);
    d["lost"] = cxkit_py::to_numpy(t.lost);
    d["churn_rate"] = cxkit_py::to_numpy(t.churn_rate());
    d["partial"] = cxkit_py::to_numpy(t.partial);
    d["n_missing"] = t.n_missing;
    d["n_invalid"] = t.n_invalid;
    return d;
}

struct time_inputs {
    py::object keep_time, keep_flags, keep_revenue, keep_mask;
    const std::int64_t* time = nullptr;
    const std::uint8_t* flags = nullptr;
    const double* revenue = nullptr;
    const std::uint8_t* mask = nullptr;
    time_inputs(std::size_t n, py::handle times, py::handle time_flags, py::handle revenue_, py::handle mask_) {
        time = cxkit_py::optional_array<std::int64_t>(times, n, "time", keep_time);
        if (time == nullptr) throw cxkit::invalid_argument("times are required");
        flags = cxkit_py::optional_array<std::uint8_t>(time_flags, n, "time flags", keep_flags);
        revenue = cxkit_py::optional_array<double>(revenue_, n, "revenue", keep_revenue);
        mask = cxkit_py::optional_array<std::uint8_t>(mask_, n, "customer mask", keep_mask);
    }
    template <class C>
    cohort_columns<C> columns(const C* codes, std::size_t n, std::int64_t offset, std::int64_t units_per_day) const {
        cohort_columns<C> c;
        c.size = n;
        c.customer = codes;
        c.customer_missing = mask;
        c.customer_offset = offset;
        c.time = time;
        c.time_flags = flags;
        c.units_per_day = units_per_day;
        c.revenue = revenue;
        return c;
    }
};

py::array code_array(py::handle codes) {
    py::array a = py::array::ensure(codes, py::array::c_style);
    if (!a || a.ndim() != 1) throw cxkit::invalid_argument("customer codes must be a 1-D integer array");
    return a;
}

}  // namespace

void register_cohort(py::module_& m) {
    using namespace cxkit_py;

    m.def(
        "retention_count",
        [](py::handle codes, std::int64_t offset, std::size_t n_customers, py::handle times, py::handle time_flags,
           std::int64_t units_per_day, py::handle revenue, const std::string& period, std::int64_t rolling_days,
           std::optional<std::int64_t> end_day, const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            const cohort_spec spec = make_spec(period, rolling_days);
            const py::array ca = code_array(codes);
            const auto n = static_cast<std::size_t>(ca.size());
            const time_inputs in(n, times, time_flags, revenue, py::none());
            const cohort_table t = dispatch_codes(ca, [&](const auto* c) {
                const auto cols = in.columns(c, n, offset, units_per_day);
                py::gil_scoped_release nogil;
                return cxkit::customer::retention_count(cols, n_customers, spec, end_day, policy);
            });
            return table_dict(t);
        },
        py::arg("codes"), py::arg("offset"), py::arg("n_customers"), py::arg("times"), py::arg("time_flags"),
        py::arg("units_per_day"), py::arg("revenue") = py::none(), py::arg("period") = "M",
        py::arg("rolling_days") = 0, py::arg("end_day") = py::none(), py::arg("on_invalid") = "raise",
        "Retention matrices from dense customer codes (code - offset; -1 = missing) in one pass.");

    m.def(
        "churn_durations_count",
        [](py::handle codes, std::int64_t offset, std::size_t n_customers, py::handle times, py::handle time_flags,
           std::int64_t units_per_day, std::int64_t threshold_days, std::optional<std::int64_t> end_day,
           const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            const py::array ca = code_array(codes);
            const auto n = static_cast<std::size_t>(ca.size());
            const time_inputs in(n, times, time_flags, py::none(), py::none());
            const auto t = dispatch_codes(ca, [&](const auto* c) {
                const auto cols = in.columns(c, n, offset, units_per_day);
                py::gil_scoped_release nogil;
                return cxkit::customer::churn_durations(cols, n_customers, threshold_days, end_day, policy);
            });
            py::dict d;
            d["first_day"] = cxkit_py::to_numpy(t.first_day);
            d["last_day"] = cxkit_py::to_numpy(t.last_day);
            d["duration"] = cxkit_py::to_numpy(t.duration);
            d["observed"] = cxkit_py::to_numpy(t.observed);
            d["end_day"] = t.end_day;
            d["n_missing"] = t.n_missing;
            d["n_invalid"] = t.n_invalid;
            return d;
        },
        py::arg("codes"), py::arg("offset"), py::arg("n_customers"), py::arg("times"), py::arg("time_flags"),
        py::arg("units_per_day"), py::arg("threshold_days"), py::arg("end_day") = py::none(),
        py::arg("on_invalid") = "raise", "Per-customer first/last activity day, duration and observed flag.");

    auto cls = bind_accumulator<cohort_accumulator>(
        m, "CohortAccumulator",
        "Mergeable cohort state: per customer key the sorted set of active periods (or days, with\n"
        "rolling ages) and the revenue per period, the row counts and the last event day. Merging is\n"
        "the union of the entries, exact even when one customer's events are split across parts.\n"
        "Integer customer ids are kept as they are; other ids as a 64-bit hash of their text\n"
        "(pandas.util.hash_array), the same in every process.\n\n"
        "Example\n-------\n>>> acc = cx.CohortAccumulator(period=\"M\")\n"
        ">>> acc.add([1, 1, 2], [\"2024-01-03\", \"2024-02-10\", \"2024-01-20\"])\n"
        ">>> acc.result().counts.iloc[0].tolist()\n[2.0, 1.0]",
        [](const cohort_accumulator& a) {
            static const char* names[] = {"D", "W", "M", "Q"};
            return std::string("period='") + names[static_cast<int>(a.spec().period)] +
                   "', rolling_days=" + std::to_string(a.spec().rolling_days) +
                   ", revenue=" + (a.has_revenue() ? "True" : "False") +
                   ", customers=" + std::to_string(a.n_customers()) + ", n=" + std::to_string(a.n_events()) +
                   ", n_missing=" + std::to_string(a.n_missing()) + ", n_invalid=" + std::to_string(a.n_invalid()) +
                   ", last_day=" + (a.last_day() ? cxkit::core::iso_date(*a.last_day()) : std::string("None"));
        });
    cls.def(py::init([](const std::string& period, py::object rolling_days, bool revenue) {
                const std::int64_t r = rolling_days.is_none() ? 0 : rolling_days.cast<std::int64_t>();
                if (!rolling_days.is_none() && r <= 0)
                    throw cxkit::invalid_argument("rolling_days must be a positive number of days or None");
                return cohort_accumulator(make_spec(period, r), revenue);
            }),
            py::arg("period") = "M", py::kw_only(), py::arg("rolling_days") = py::none(), py::arg("revenue") = false);
    cls.def(
           "_add",
           [](cohort_accumulator& a, py::handle keys, py::handle key_mask, py::handle times, py::handle time_flags,
              std::int64_t units_per_day, py::handle revenue, const std::string& on_invalid) {
               const auto policy = cxkit::core::parse_on_invalid(on_invalid);
               py::object keep;
               const auto n = static_cast<std::size_t>(py::len(keys));
               const std::int64_t* k = cxkit_py::optional_array<std::int64_t>(keys, n, "customer", keep);
               const time_inputs in(n, times, time_flags, revenue, key_mask);
               const auto cols = in.columns(k, n, 0, units_per_day);
               py::gil_scoped_release nogil;
               a.add(cols, policy);
           },
           py::arg("keys"), py::arg("key_mask"), py::arg("times"), py::arg("time_flags"), py::arg("units_per_day"),
           py::arg("revenue"), py::arg("on_invalid") = "raise")
        .def(
            "add",
            [](py::object self, py::handle customer, py::handle time, py::handle revenue, const std::string& time_unit,
               const std::string& on_invalid) {
                py::module_::import("cxkit.cohort").attr("_state_add")(self, customer, time, revenue, time_unit,
                                                                       on_invalid);
            },
            py::arg("customer"), py::arg("time"), py::arg("revenue") = py::none(), py::kw_only(),
            py::arg("time_unit") = "s", py::arg("on_invalid") = "raise",
            "Add events: customer ids (integers or strings; None = missing), times (datetime-like, ISO\n"
            "strings, or integer epoch values in `time_unit`; NaT/None = missing) and revenue when the\n"
            "state keeps it (NaN = missing). Arrays or scalars.")
        .def("_table", [](const cohort_accumulator& a, std::optional<std::int64_t> end_day) { return table_dict(a.result(end_day)); },
             py::arg("end_day") = py::none())
        .def("_churn",
             [](const cohort_accumulator& a, std::optional<std::int64_t> end_day) {
                 return churn_dict(a.churn(end_day), a.spec());
             },
             py::arg("end_day") = py::none())
        .def(
            "result",
            [](py::object self, const std::string& kind, py::handle observation_end) {
                return py::module_::import("cxkit.cohort").attr("_state_result")(self, kind, observation_end);
            },
            py::kw_only(), py::arg("kind") = "exact", py::arg("observation_end") = py::none(),
            "Retention (see cx.retention) of the events added so far.")
        .def(
            "churn_rate",
            [](py::object self, py::handle observation_end) {
                return py::module_::import("cxkit.cohort").attr("_state_churn")(self, observation_end);
            },
            py::kw_only(), py::arg("observation_end") = py::none(),
            "Churn per period (see cx.churn_rate) of the events added so far.")
        .def_property_readonly("period", [](const cohort_accumulator& a) {
            static const char* names[] = {"D", "W", "M", "Q"};
            return std::string(names[static_cast<int>(a.spec().period)]);
        })
        .def_property_readonly("rolling_days", [](const cohort_accumulator& a) -> py::object {
            if (!a.spec().rolling()) return py::none();
            return py::int_(a.spec().rolling_days);
        })
        .def_property_readonly("has_revenue", &cohort_accumulator::has_revenue)
        .def_property_readonly("n", &cohort_accumulator::n_events, "Events counted.")
        .def_property_readonly("n_missing", &cohort_accumulator::n_missing)
        .def_property_readonly("n_invalid", &cohort_accumulator::n_invalid)
        .def_property_readonly("n_customers", &cohort_accumulator::n_customers)
        .def_property_readonly("_last_day", [](const cohort_accumulator& a) { return a.last_day(); })
        .def("__len__", &cohort_accumulator::n_customers);
}
