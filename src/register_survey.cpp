// Survey bindings: NPS and rating (CSAT/CES) states, results, grouped kernels and comparisons;
// the customer satisfaction index (CSI).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <cxkit/core/matrix.hpp>
#include <cxkit/core/segments.hpp>
#include <cxkit/survey/csi.hpp>
#include <cxkit/survey/nps.hpp>
#include <cxkit/survey/rating.hpp>

#include "bind/accumulator.hpp"
#include "bind/pairs.hpp"
#include "bind/results.hpp"

namespace py = pybind11;
using cxkit::survey::nps_accumulator;
using cxkit::survey::rating_accumulator;

namespace {

cxkit::survey::nps_options nps_opts(double confidence, const std::string& method, int promoter_min, int passive_min) {
    cxkit::survey::nps_options o;
    o.confidence = confidence;
    o.method = cxkit::survey::parse_nps_method(method);
    o.promoter_min = promoter_min;
    o.passive_min = passive_min;
    o.validate();
    return o;
}

cxkit::survey::rating_options rating_opts(double confidence, std::optional<std::int64_t> satisfied_min) {
    cxkit::survey::rating_options o;
    o.confidence = confidence;
    o.satisfied_min = satisfied_min;
    return o;
}

template <class V>
py::array_t<V> as_numpy(const std::vector<V>& v) {
    return py::array_t<V>(static_cast<py::ssize_t>(v.size()), v.data());
}

// Columns of "each group vs the rest": the comparison fields plus the metric of the rest.
template <class State, class Compare, class Metric>
py::dict compare_with_rest(const cxkit::core::grouped_states<State>& g, Compare compare, Metric metric) {
    std::vector<cxkit::stats::comparison_result> cmp;
    std::vector<double> rest_metric;
    cxkit::core::each_with_rest(g.groups, g.empty, [&](const State& group, const State& rest) {
        cmp.push_back(compare(group, rest));
        rest_metric.push_back(metric(rest));
        return 0;
    });
    py::dict cols = cxkit_py::results_to_columns(cmp);
    cols["rest"] = as_numpy(rest_metric);
    return cols;
}

// The two-sample test of a rating metric: the satisfied share (CSAT/CES) or the mean (DSR).
bool parse_rating_test(const std::string& test) {
    if (test == "proportion") return false;
    if (test == "mean") return true;
    throw cxkit::invalid_argument("test must be \"proportion\" or \"mean\", got \"" + test + "\"");
}

#define CXKIT_NPS_OPTION_ARGS                                                                   \
    py::kw_only(), py::arg("confidence") = 0.95, py::arg("method") = "adjusted_wald",          \
        py::arg("promoter_min") = 9, py::arg("passive_min") = 7
#define CXKIT_RATING_OPTION_ARGS py::kw_only(), py::arg("confidence") = 0.95, py::arg("satisfied_min") = py::none()

}  // namespace

void register_survey(py::module_& m) {
    using namespace cxkit_py;
    using cxkit::survey::nps_result;
    using cxkit::survey::rating_result;

    bind_result<nps_result>(m, "NpsResult", "Net Promoter Score of one sample (fields as in the API contract).");
    bind_result<rating_result>(m, "RatingResult", "CSAT/CES summary of one sample of ratings.");

    // ---- NpsAccumulator -------------------------------------------------------------------------
    auto nps_cls = bind_accumulator<nps_accumulator>(
        m, "NpsAccumulator",
        "Mergeable NPS state: the weighted 0..10 histogram.\n\n"
        "Example\n-------\n>>> acc = cx.NpsAccumulator()\n>>> acc.add([10, 9, 3])\n>>> round(acc.result().nps, 1)\n33.3",
        &row_counts_repr<nps_accumulator>);
    nps_cls.def(py::init<>());
    def_score_add(nps_cls);
    nps_cls
        .def("result",
             [](const nps_accumulator& a, double confidence, const std::string& method, int promoter_min,
                int passive_min) { return a.result(nps_opts(confidence, method, promoter_min, passive_min)); },
             CXKIT_NPS_OPTION_ARGS, "Finalize (does not change the state).")
        .def_property_readonly("n", &nps_accumulator::n)
        .def_property_readonly("n_missing", &nps_accumulator::n_missing)
        .def_property_readonly("n_invalid", &nps_accumulator::n_invalid)
        .def_property_readonly("counts", [](const nps_accumulator& a) { return as_numpy(a.histogram().counts()); },
                               "Rows per score 0..10.")
        .def_property_readonly("weights", [](const nps_accumulator& a) { return as_numpy(a.histogram().weights()); },
                               "Sum of weights per score 0..10.");

    // ---- RatingAccumulator ----------------------------------------------------------------------
    auto rating_cls = bind_accumulator<rating_accumulator>(
        m, "RatingAccumulator",
        "Mergeable state of ratings on an integer scale (CSAT 1..5, CES 1..7, ...).\n\n"
        "Example\n-------\n>>> acc = cx.RatingAccumulator(scale=(1, 5))\n>>> acc.add([5, 4, 2, 3])\n>>> acc.result().csat\n50.0",
        [](const rating_accumulator& a) {
            return "scale=(" + std::to_string(a.scale_low()) + ", " + std::to_string(a.scale_high()) + "), " +
                   row_counts_repr(a);
        });
    rating_cls
        .def(py::init([](std::pair<std::int64_t, std::int64_t> scale) {
                 return rating_accumulator(scale.first, scale.second);
             }),
             py::arg("scale") = std::make_pair(std::int64_t{1}, std::int64_t{5}));
    def_score_add(rating_cls);
    rating_cls
        .def("result",
             [](const rating_accumulator& a, double confidence, std::optional<std::int64_t> satisfied_min) {
                 return a.result(rating_opts(confidence, satisfied_min));
             },
             CXKIT_RATING_OPTION_ARGS, "Finalize (does not change the state). satisfied_min None = top-2-box.")
        .def_property_readonly("scale", [](const rating_accumulator& a) { return py::make_tuple(a.scale_low(), a.scale_high()); })
        .def_property_readonly("n", &rating_accumulator::n)
        .def_property_readonly("n_missing", &rating_accumulator::n_missing)
        .def_property_readonly("n_invalid", &rating_accumulator::n_invalid)
        .def_property_readonly("counts", [](const rating_accumulator& a) { return as_numpy(a.histogram().counts()); })
        .def_property_readonly("weights", [](const rating_accumulator& a) { return as_numpy(a.histogram().weights()); });

    // ---- grouped kernels ------------------------------------------------------------------------
    using nps_groups = cxkit::core::grouped_states<nps_accumulator>;
    using rating_groups = cxkit::core::grouped_states<rating_accumulator>;
    bind_groups<nps_accumulator>(m, "NpsGroups")
        .def("results",
             [](const nps_groups& g, double confidence, const std::string& method, int promoter_min, int passive_min) {
                 return group_results(g, nps_opts(confidence, method, promoter_min, passive_min));
             },
             CXKIT_NPS_OPTION_ARGS)
        .def("compare_with_rest",
             [](const nps_groups& g, double confidence, const std::string& method, int promoter_min, int passive_min) {
                 const auto o = nps_opts(confidence, method, promoter_min, passive_min);
                 return compare_with_rest(
                     g, [&](const nps_accumulator& a, const nps_accumulator& b) { return cxkit::survey::compare_nps(a, b, o); },
                     [&](const nps_accumulator& r) { return r.result(o).nps; });
             },
             CXKIT_NPS_OPTION_ARGS)
        .def("compare_pairs",
             [](const nps_groups& g, py::handle a, py::handle b, double confidence, const std::string& method,
                int promoter_min, int passive_min) {
                 const auto o = nps_opts(confidence, method, promoter_min, passive_min);
                 return compare_pairs(
                     g, a, b, [&](const nps_accumulator& s) { return s.sample(o); },
                     [&](const cxkit::survey::nps_sample& x, const cxkit::survey::nps_sample& y) {
                         return cxkit::survey::compare_nps(x, y, o.method, o.confidence);
                     });
             },
             py::arg("a"), py::arg("b"), CXKIT_NPS_OPTION_ARGS,
             "compare_nps(group a[i], group b[i]) for every i, as columns; index -1 = no group (NaN).");
    bind_groups<rating_accumulator>(m, "RatingGroups")
        .def("results",
             [](const rating_groups& g, double confidence, std::optional<std::int64_t> satisfied_min) {
                 return group_results(g, rating_opts(confidence, satisfied_min));
             },
             CXKIT_RATING_OPTION_ARGS)
        .def("compare_with_rest",
             [](const rating_groups& g, double confidence, std::optional<std::int64_t> satisfied_min,
                const std::string& test) {
                 const auto o = rating_opts(confidence, satisfied_min);
                 const bool means = parse_rating_test(test);
                 return compare_with_rest(
                     g,
                     [&](const rating_accumulator& a, const rating_accumulator& b) {
                         return means ? cxkit::survey::compare_means(a.result(o), b.result(o), o.confidence)
                                      : cxkit::survey::compare_csat(a, b, o);
                     },
                     [&](const rating_accumulator& r) { return means ? r.result(o).mean : r.result(o).csat; });
             },
             CXKIT_RATING_OPTION_ARGS, py::arg("test") = "proportion",
             "Each group vs the rest: test \"proportion\" (compare_csat) or \"mean\" (Welch).")
        .def("compare_pairs",
             [](const rating_groups& g, py::handle a, py::handle b, double confidence,
                std::optional<std::int64_t> satisfied_min, const std::string& test) {
                 const auto o = rating_opts(confidence, satisfied_min);
                 const bool means = parse_rating_test(test);
                 return compare_pairs(
                     g, a, b, [&](const rating_accumulator& s) { return s.result(o); },
                     [&](const rating_result& x, const rating_result& y) {
                         return means ? cxkit::survey::compare_means(x, y, o.confidence)
                                      : cxkit::survey::compare_csat(x, y, o.confidence);
                     });
             },
             py::arg("a"), py::arg("b"), CXKIT_RATING_OPTION_ARGS, py::arg("test") = "proportion",
             "compare_csat (test=\"proportion\") or compare_means (test=\"mean\", Welch) of group a[i] and\n"
             "group b[i] for every i, as columns; index -1 = no group (NaN).");

    m.def(
        "nps_groups",
        [](py::handle values, py::handle weights, py::handle codes, std::int64_t offset, std::size_t n_groups,
           const std::string& on_invalid, unsigned threads, py::handle mask) {
            return count_groups(nps_accumulator{}, values, weights, codes, offset, n_groups, on_invalid, threads, mask);
        },
        py::arg("values"), py::arg("weights") = py::none(), py::arg("codes") = py::none(), py::arg("offset") = 0,
        py::arg("n_groups") = 1, py::arg("on_invalid") = "raise", py::arg("threads") = 0, py::arg("mask") = py::none());
    m.def(
        "rating_groups",
        [](py::handle values, py::handle weights, py::handle codes, std::int64_t offset, std::size_t n_groups,
           std::pair<std::int64_t, std::int64_t> scale, const std::string& on_invalid, unsigned threads, py::handle mask) {
            return count_groups(rating_accumulator(scale.first, scale.second), values, weights, codes, offset, n_groups,
                                on_invalid, threads, mask);
        },
        py::arg("values"), py::arg("weights") = py::none(), py::arg("codes") = py::none(), py::arg("offset") = 0,
        py::arg("n_groups") = 1, py::arg("scale") = std::make_pair(std::int64_t{1}, std::int64_t{5}),
        py::arg("on_invalid") = "raise", py::arg("threads") = 0, py::arg("mask") = py::none());

    // ---- comparisons from finalized results ------------------------------------------------------
    m.def(
        "compare_nps_results",
        [](const nps_result& a, py::object b, const std::string& method, double confidence) {
            const auto mth = cxkit::survey::parse_nps_method(method);
            if (py::isinstance<nps_result>(b))
                return cxkit::survey::compare_nps(cxkit::survey::sample_of(a), cxkit::survey::sample_of(b.cast<nps_result>()),
                                                  mth, confidence);
            return cxkit::survey::compare_nps(cxkit::survey::sample_of(a), b.cast<double>(), mth, confidence);
        },
        py::arg("a"), py::arg("b"), py::arg("method") = "adjusted_wald", py::arg("confidence") = 0.95);
    m.def(
        "compare_csat_results",
        [](const rating_result& a, py::object b, double confidence) {
            if (py::isinstance<rating_result>(b)) return cxkit::survey::compare_csat(a, b.cast<rating_result>(), confidence);
            return cxkit::survey::compare_csat(a, b.cast<double>(), confidence);
        },
        py::arg("a"), py::arg("b"), py::arg("confidence") = 0.95);

    // ---- CSI ------------------------------------------------------------------------------------
    using cxkit::survey::csi_result;
    bind_result<csi_result>(m, "CsiResult", "Customer satisfaction index from per-respondent answers, with its interval.");
    m.def(
        "csi_means",
        [](py::handle means, py::handle weights, double low, double high) {
            using farray = py::array_t<double, py::array::c_style | py::array::forcecast>;
            const farray mv = farray::ensure(means);
            if (!mv || mv.ndim() != 1) throw cxkit::invalid_argument("means must be a 1-D array of numbers");
            farray wv;
            if (!weights.is_none()) {
                wv = farray::ensure(weights);
                if (!wv || wv.ndim() != 1) throw cxkit::invalid_argument("weights must be a 1-D array of numbers");
            }
            const cxkit::core::span<const double> w =
                weights.is_none() ? cxkit::core::span<const double>() : cxkit::core::span<const double>(wv.data(), wv.size());
            return cxkit::survey::csi(cxkit::core::span<const double>(mv.data(), mv.size()), w, low, high);
        },
        py::arg("means"), py::arg("weights") = py::none(), py::arg("low") = 1.0, py::arg("high") = 10.0);
    m.def(
        "csi_scores",
        [](py::handle scores, py::handle weights, double low, double high, std::vector<std::string> attributes,
           double confidence, const std::string& method, std::size_t n_boot, std::uint64_t seed,
           const std::string& on_invalid, unsigned threads) {
            auto x = py::array_t<double, py::array::forcecast>::ensure(scores);
            if (!x || x.ndim() != 2)
                throw cxkit::invalid_argument("scores must be a 2-D array (respondents x attributes)");
            constexpr auto item = static_cast<py::ssize_t>(sizeof(double));
            if (x.strides(0) % item != 0 || x.strides(1) % item != 0)
                x = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(x);
            const cxkit::core::matrix_view<double> view{x.data(), static_cast<std::size_t>(x.shape(0)),
                                                        static_cast<std::size_t>(x.shape(1)), x.strides(0) / item,
                                                        x.strides(1) / item};
            cxkit::survey::csi_options o;
            o.low = low;
            o.high = high;
            if (!weights.is_none()) {
                const auto w = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(weights);
                if (!w || w.ndim() != 1) throw cxkit::invalid_argument("weights must be a 1-D array of numbers");
                o.weights.assign(w.data(), w.data() + w.size());
            }
            o.attributes = std::move(attributes);
            o.confidence = confidence;
            o.method = cxkit::survey::parse_csi_method(method);
            o.n_boot = n_boot;
            o.seed = seed;
            o.threads = threads;
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            py::gil_scoped_release nogil;
            return cxkit::survey::csi(view, o, policy);
        },
        py::arg("scores"), py::arg("weights") = py::none(), py::arg("low") = 1.0, py::arg("high") = 10.0,
        py::arg("attributes") = std::vector<std::string>{}, py::arg("confidence") = 0.95, py::arg("method") = "delta",
        py::arg("n_boot") = 2000, py::arg("seed") = 0, py::arg("on_invalid") = "raise", py::arg("threads") = 0);
}
