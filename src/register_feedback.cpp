// Feedback and trend bindings: Pareto tables, control charts, the rate ratio test, Mann-Kendall with
// Sen's slope, and target tracking. The Python layer (cxkit/feedback.py) resolves frames, factorizes
// categories and converts datetimes; everything counted or sorted happens here, without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include <cxkit/feedback/control_chart.hpp>
#include <cxkit/feedback/pareto.hpp>
#include <cxkit/feedback/target.hpp>
#include <cxkit/stats/mann_kendall.hpp>
#include <cxkit/stats/rate_ratio.hpp>

#include "bind/columns.hpp"
#include "bind/results.hpp"

namespace py = pybind11;

namespace {

py::array_t<double> as_float64(py::handle obj) {
    return py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(obj);
}

/// Optional float64 times of length n (None: positions) and optional uint8 flags of length n.
struct time_column {
    py::array_t<double> values;
    py::array flags;
    bool has_values = false, has_flags = false;
    const double* data() const { return has_values ? values.data() : nullptr; }
    const std::uint8_t* flag_data() const {
        return has_flags ? static_cast<const std::uint8_t*>(flags.data()) : nullptr;
    }
};

time_column as_time_column(py::handle times, py::handle flags, std::size_t n) {
    time_column c;
    if (!times.is_none()) {
        c.values = as_float64(times);
        if (!c.values || c.values.ndim() != 1)
            throw cxkit::invalid_argument("times: expected a 1-D array of numbers");
        if (static_cast<std::size_t>(c.values.size()) != n)
            throw cxkit::invalid_argument("times has " + std::to_string(c.values.size()) + " values but values has " +
                                          std::to_string(n));
        c.has_values = true;
    }
    if (!flags.is_none()) {
        c.flags = py::array::ensure(flags, py::array::c_style);
        if (!c.flags || c.flags.ndim() != 1 || c.flags.dtype().itemsize() != 1 ||
            static_cast<std::size_t>(c.flags.size()) != n)
            throw cxkit::invalid_argument("time_flags must be a 1-D uint8 array with one entry per value");
        c.has_flags = true;
    }
    return c;
}

template <class F>
decltype(auto) dispatch_key(const py::array& a, const char* name, F&& f) {
    if (a.ndim() != 1) throw cxkit::invalid_argument(std::string(name) + ": codes must be 1-D");
    return cxkit_py::dispatch_codes(a, std::forward<F>(f));
}

}  // namespace

void register_feedback(py::module_& m) {
    using namespace cxkit_py;
    using cxkit::feedback::target_result;
    using cxkit::stats::trend_result;

    bind_result<trend_result>(m, "TrendResult",
                              "Mann-Kendall trend test with Sen's slope (fields as in the API contract).");
    bind_result<target_result>(m, "TargetResult", "Progress towards a target with its Sen-slope projection.");

    m.def(
        "rate_ratio_test",
        [](double count_a, double exposure_a, double count_b, double exposure_b, double confidence) {
            return cxkit::stats::rate_ratio_test(count_a, exposure_a, count_b, exposure_b, confidence);
        },
        py::arg("count_a"), py::arg("exposure_a"), py::arg("count_b"), py::arg("exposure_b"),
        py::arg("confidence") = 0.95, "Exact conditional binomial test of two Poisson rates.");

    m.def(
        "mann_kendall",
        [](py::handle values, py::handle times, py::handle time_flags, double time_origin, double confidence,
           const std::string& on_invalid, std::int64_t max_direct_pairs, std::uint64_t window_pairs) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            cxkit::core::check_confidence(confidence);
            const column v = as_column(values, "values");
            const time_column t = as_time_column(times, time_flags, v.size());
            cxkit::stats::mann_kendall_options o;
            o.confidence = confidence;
            o.time_origin = time_origin;
            if (max_direct_pairs >= 0) o.sen.max_direct_pairs = static_cast<std::uint64_t>(max_direct_pairs);
            o.sen.window_pairs = window_pairs;
            return dispatch_numeric(v.values, [&](auto p) {
                py::gil_scoped_release release;
                const auto clean =
                    cxkit::stats::clean_time_series(p, v.size(), v.mask_data(), t.data(), t.flag_data(), policy);
                return cxkit::stats::mann_kendall(clean, o);
            });
        },
        py::arg("values"), py::arg("times") = py::none(), py::arg("time_flags") = py::none(),
        py::arg("time_origin") = 0.0, py::arg("confidence") = 0.95, py::arg("on_invalid") = "raise",
        py::arg("max_direct_pairs") = -1, py::arg("window_pairs") = 0,
        "Mann-Kendall test and Sen's slope. times: float64 or None (positions); time_flags: uint8, "
        "1 = missing, 2 = invalid. max_direct_pairs/window_pairs tune the slope selection (-1/0: automatic).");

    m.def(
        "target_progress",
        [](py::handle times, py::handle values, py::handle time_flags, double baseline, double target, double deadline,
           double time_origin, const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            cxkit::feedback::target_options goal;
            goal.baseline = baseline;
            goal.target = target;
            goal.deadline = deadline;
            goal.time_origin = time_origin;
            goal.validate();
            const column v = as_column(values, "values");
            const time_column t = as_time_column(times, time_flags, v.size());
            return dispatch_numeric(v.values, [&](auto p) {
                py::gil_scoped_release release;
                const auto clean =
                    cxkit::stats::clean_time_series(p, v.size(), v.mask_data(), t.data(), t.flag_data(), policy);
                return cxkit::feedback::target_progress(clean, goal);
            });
        },
        py::arg("times"), py::arg("values"), py::arg("time_flags") = py::none(), py::kw_only(), py::arg("baseline"),
        py::arg("target"), py::arg("deadline"), py::arg("time_origin") = 0.0, py::arg("on_invalid") = "raise",
        "Progress towards a target and the Sen-slope projection at the deadline.");

    m.def(
        "control_chart",
        [](py::handle counts, py::handle exposure, const std::string& kind, double sigma, const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            cxkit::feedback::control_chart_options o;
            o.kind = cxkit::feedback::parse_chart_kind(kind);
            o.sigma = sigma;
            o.validate();
            const column c = as_column(counts, "counts");
            const column e = as_column(exposure, "exposure");
            if (e.size() != c.size())
                throw cxkit::invalid_argument("exposure has " + std::to_string(e.size()) + " values but counts has " +
                                              std::to_string(c.size()));
            const auto cf = as_float64(c.values), ef = as_float64(e.values);
            cxkit::feedback::control_chart_result r;
            {
                py::gil_scoped_release release;
                r = cxkit::feedback::control_chart(cxkit::core::span<const double>(cf.data(), c.size()),
                                                   cxkit::core::span<const double>(ef.data(), e.size()), o, policy,
                                                   c.mask_data(), e.mask_data());
            }
            py::dict out;
            out["rate"] = cxkit_py::to_numpy(r.rate);
            out["center"] = cxkit_py::to_numpy(r.center);
            out["lower"] = cxkit_py::to_numpy(r.lower);
            out["upper"] = cxkit_py::to_numpy(r.upper);
            out["out_of_control"] = cxkit_py::to_numpy(r.out_of_control).attr("astype")("bool");
            out["center_line"] = r.center_line;
            out["n"] = r.n;
            out["n_missing"] = r.n_missing;
            out["n_invalid"] = r.n_invalid;
            return out;
        },
        py::arg("counts"), py::arg("exposure"), py::arg("kind") = "u", py::arg("sigma") = 3.0,
        py::arg("on_invalid") = "raise", "u or p control chart: columns rate, center, lower, upper, out_of_control.");

    m.def(
        "pareto",
        [](const py::array& codes, std::int64_t offset, std::size_t n_categories, py::handle period_codes,
           std::int64_t period_offset, std::size_t n_periods, py::handle weights, double threshold,
           const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            cxkit::feedback::pareto_options o;
            o.threshold = threshold;
            o.validate();
            const std::size_t size = static_cast<std::size_t>(codes.size());
            const auto w = as_weights(weights, size);
            const double* wp = w.size() ? w.data() : nullptr;
            py::array periods;
            if (!period_codes.is_none()) {
                periods = py::array::ensure(period_codes, py::array::c_style);
                if (!periods || static_cast<std::size_t>(periods.size()) != size)
                    throw cxkit::invalid_argument("period has " + std::to_string(periods ? periods.size() : 0) +
                                                  " values but the data has " + std::to_string(size));
            }
            const py::array cat = py::array::ensure(codes, py::array::c_style);
            cxkit::feedback::pareto_table t = dispatch_key(cat, "category", [&](auto cp) {
                using C = std::remove_cv_t<std::remove_pointer_t<decltype(cp)>>;
                const cxkit::feedback::coded_column<C> cc{cp, offset, n_categories};
                if (period_codes.is_none()) {
                    py::gil_scoped_release release;
                    return cxkit::feedback::pareto(cc, cxkit::feedback::coded_column<std::int32_t>{}, size, wp, o,
                                                   policy);
                }
                return dispatch_key(periods, "period", [&](auto pp) {
                    using P = std::remove_cv_t<std::remove_pointer_t<decltype(pp)>>;
                    const cxkit::feedback::coded_column<P> pc{pp, period_offset, n_periods};
                    py::gil_scoped_release release;
                    return cxkit::feedback::pareto(cc, pc, size, wp, o, policy);
                });
            });
            py::dict out;
            out["period"] = cxkit_py::to_numpy(t.period);
            out["category"] = cxkit_py::to_numpy(t.category);
            out["count"] = cxkit_py::to_numpy(t.count);
            out["rows"] = cxkit_py::to_numpy(t.rows);
            out["share"] = cxkit_py::to_numpy(t.share);
            out["cumulative_share"] = cxkit_py::to_numpy(t.cumulative_share);
            out["vital_few"] = cxkit_py::to_numpy(t.vital_few).attr("astype")("bool");
            out["n"] = t.n;
            out["n_missing"] = t.n_missing;
            out["n_invalid"] = t.n_invalid;
            return out;
        },
        py::arg("codes"), py::arg("offset") = 0, py::arg("n_categories") = 0, py::arg("period_codes") = py::none(),
        py::arg("period_offset") = 0, py::arg("n_periods") = 1, py::arg("weights") = py::none(),
        py::arg("threshold") = 0.8, py::arg("on_invalid") = "raise",
        "Pareto table of category codes (value - offset; negative = missing), optionally per period.");
}
