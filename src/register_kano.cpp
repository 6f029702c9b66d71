// Kano bindings: KanoAccumulator (the per-feature 5x5 answer-pair state), the chi-square test of
// segments and the respondent bootstrap. Python-side normalisation (words, wide form, feature
// codes, respondents) lives in cxkit/kano.py; these bindings take the normalised arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <array>
#include <string>
#include <vector>

#include <cxkit/product/kano.hpp>

#include "bind/accumulator.hpp"
#include "bind/columns.hpp"
#include "bind/results.hpp"

namespace py = pybind11;
using cxkit::product::kano_accumulator;
using cxkit::product::kano_options;
using cxkit::product::kano_table;

namespace {

kano_table parse_table(const std::string& t) {
    if (t == "standard") return kano_table::standard();
    if (t == "three_point") return kano_table::three_point();
    if (t.size() == 25) return kano_table::from_letters(t);
    throw cxkit::invalid_argument("table must be \"standard\", \"three_point\" or 25 category letters, got \"" + t + "\"");
}

kano_options make_options(const std::string& table, const std::string& rule, double strength_threshold) {
    kano_options o;
    o.table = parse_table(table);
    o.rule = cxkit::product::parse_kano_rule(rule);
    o.strength_threshold = strength_threshold;
    return o;
}

// Answers come as int8 (the compact survey dtype), int64 or float64 (NaN = missing); cxkit/kano.py
// converts anything else, which keeps the kernel's instantiations few.
template <class F>
decltype(auto) dispatch_answers(const py::array& a, F&& f) {
    if (a.dtype().is(py::dtype::of<std::int8_t>())) return f(static_cast<const std::int8_t*>(a.data()));
    if (a.dtype().is(py::dtype::of<std::int64_t>())) return f(static_cast<const std::int64_t*>(a.data()));
    if (a.dtype().is(py::dtype::of<double>())) return f(static_cast<const double*>(a.data()));
    throw cxkit::unsupported_type("answers: expected int8, int64 or float64 values, got " + std::string(py::str(a.dtype())));
}

py::array contiguous(py::handle h, const char* name, std::size_t n) {
    py::array a = py::array::ensure(h, py::array::c_style);
    if (!a || a.ndim() != 1 || static_cast<std::size_t>(a.size()) != n)
        throw cxkit::invalid_argument(std::string(name) + " must be a 1-D array with one entry per row (" +
                                      std::to_string(n) + ")");
    return a;
}

// Adds normalised columns: feature codes (signed ints; -1 = feature missing) or None (one
// feature), answers of one dtype, optional row mask. Returns the rows whose feature was missing.
std::uint64_t add_codes(kano_accumulator& s, py::handle codes, std::int64_t offset, py::handle functional,
                        py::handle dysfunctional, py::handle mask, const std::string& on_invalid, int scale,
                        unsigned threads) {
    const auto policy = cxkit::core::parse_on_invalid(on_invalid);
    const py::array f = py::array::ensure(functional, py::array::c_style);
    if (!f || f.ndim() != 1) throw cxkit::invalid_argument("functional must be a 1-D array");
    const std::size_t n = static_cast<std::size_t>(f.size());
    const py::array d = contiguous(dysfunctional, "dysfunctional", n);
    if (!f.dtype().is(d.dtype()))
        throw cxkit::invalid_argument("functional and dysfunctional must have the same dtype");
    py::array m;
    const std::uint8_t* mp = nullptr;
    if (!mask.is_none()) {
        m = contiguous(mask, "mask", n);
        if (m.dtype().itemsize() != 1) throw cxkit::invalid_argument("mask must be a bool or uint8 array");
        mp = static_cast<const std::uint8_t*>(m.data());
    }
    return dispatch_answers(f, [&](const auto* fp) -> std::uint64_t {
        using T = std::remove_const_t<std::remove_pointer_t<decltype(fp)>>;
        const cxkit::core::pair_batch<T> in{fp, static_cast<const T*>(d.data()), n, mp};
        if (codes.is_none()) {
            py::gil_scoped_release nogil;
            return s.add(in, cxkit::core::group_codes<std::int32_t>{}, policy, scale, threads);
        }
        const py::array ca = contiguous(codes, "feature codes", n);
        return cxkit_py::dispatch_codes(ca, [&](const auto* cp) -> std::uint64_t {
            using C = std::remove_const_t<std::remove_pointer_t<decltype(cp)>>;
            py::gil_scoped_release nogil;
            return s.add(in, cxkit::core::group_codes<C>{cp, offset, s.n_features()}, policy, scale, threads);
        });
    });
}

py::dict result_columns(const kano_accumulator& s, const std::string& table, const std::string& rule,
                        double strength_threshold) {
    const auto rs = s.result(make_options(table, rule, strength_threshold));
    return cxkit_py::results_to_columns(rs);
}

}  // namespace

void register_kano(py::module_& m) {
    using namespace cxkit_py;
    bind_result<cxkit::kano_result>(m, "KanoResult", "Kano classification of one feature (see cx.kano).");

    auto cls = bind_accumulator<kano_accumulator>(
        m, "KanoAccumulator",
        "Mergeable Kano state: per feature (by name) the 5x5 table of (functional, dysfunctional)\n"
        "answer-pair counts plus missing and invalid pairs. The evaluation table and the rule are\n"
        "options of result(), so they can be changed after merging. Merging matches features by name.\n\n"
        "Example\n-------\n>>> acc = cx.KanoAccumulator(features=[\"wifi\"])\n"
        ">>> acc.add(\"wifi\", [1, 1, 2], [5, 5, 5])\n"
        ">>> acc.result()[\"category\"].tolist()\n['O']",
        [](const kano_accumulator& a) {
            std::string fs;
            for (const auto& f : a.features()) fs += (fs.empty() ? "'" : ", '") + f + "'";
            return "features=[" + fs + "], " + row_counts_repr(a);
        });
    cls.def(py::init([](py::object features) {
                std::vector<std::string> fs;
                if (features.is_none()) return kano_accumulator();
                if (py::isinstance<py::str>(features))
                    throw cxkit::invalid_argument("features must be a list of names, not a single string");
                for (auto f : features) fs.push_back(py::str(f));
                return kano_accumulator(fs);
            }),
            py::arg("features") = py::none());
    cls.def(
           "add",
           [](py::object self, py::handle feature, py::handle functional, py::handle dysfunctional,
              const std::string& on_invalid, int scale) {
               py::module_::import("cxkit.kano").attr("_state_add")(self, feature, functional, dysfunctional,
                                                                    on_invalid, scale);
           },
           py::arg("feature"), py::arg("functional"), py::arg("dysfunctional"), py::kw_only(),
           py::arg("on_invalid") = "raise", py::arg("scale") = 5,
           "Add answer pairs: feature (one name for all rows, or one name per row; new names are added),\n"
           "functional and dysfunctional answers (1..scale, the words Like / Must-be / Neutral /\n"
           "Live-with / Dislike or their synonyms; NaN/None = missing; a pair with one answer missing is\n"
           "missing).")
        .def("_add_codes", &add_codes, py::arg("codes"), py::arg("offset"), py::arg("functional"),
             py::arg("dysfunctional"), py::arg("mask") = py::none(), py::arg("on_invalid") = "raise",
             py::arg("scale") = 5, py::arg("threads") = 1,
             "Add normalised columns (feature codes index `features`; -1 = missing feature). Returns the\n"
             "number of rows whose feature was missing.")
        .def("_feature_index", &kano_accumulator::feature_index, py::arg("feature"))
        .def_property_readonly("features", &kano_accumulator::features, "Feature names, in the state's order.")
        .def_property_readonly("n", py::overload_cast<>(&kano_accumulator::n, py::const_))
        .def_property_readonly("n_missing", py::overload_cast<>(&kano_accumulator::n_missing, py::const_))
        .def_property_readonly("n_invalid", py::overload_cast<>(&kano_accumulator::n_invalid, py::const_))
        .def("__len__", &kano_accumulator::n_features)
        .def(
            "cells",
            [](const kano_accumulator& a, const std::string& feature) {
                const std::int64_t j = a.find(feature);
                if (j < 0) throw cxkit::invalid_argument("feature: unknown feature \"" + feature + "\"");
                py::array_t<std::int64_t> out({5, 5});
                const std::uint64_t* c = a.cells(static_cast<std::size_t>(j));
                for (std::size_t k = 0; k < 25; ++k) out.mutable_data()[k] = static_cast<std::int64_t>(c[k]);
                return out;
            },
            py::arg("feature"),
            "The 5x5 answer-pair counts of a feature (rows: functional answer, columns: dysfunctional).")
        .def("_result_columns", &result_columns, py::arg("table") = "standard", py::arg("rule") = "mode",
             py::arg("strength_threshold") = 0.06)
        .def(
            "result",
            [](py::object self, py::object table, const std::string& rule, double strength_threshold) {
                return py::module_::import("cxkit.kano").attr("_state_result")(self, table, rule, strength_threshold);
            },
            py::kw_only(), py::arg("table") = "standard", py::arg("rule") = "mode",
            py::arg("strength_threshold") = 0.06,
            "Kano classification per feature: a frame like cx.kano's (table and rule as there).");

    m.def(
        "kano_chi_square",
        [](py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> table) {
            if (table.ndim() != 2 || table.shape(1) != 6)
                throw cxkit::invalid_argument("table must be a (segments, 6) array of category counts");
            std::vector<std::array<std::uint64_t, 6>> rows(static_cast<std::size_t>(table.shape(0)));
            for (std::size_t i = 0; i < rows.size(); ++i)
                for (std::size_t k = 0; k < 6; ++k) {
                    const std::int64_t v = table.data()[i * 6 + k];
                    if (v < 0) throw cxkit::invalid_argument("table: counts must be >= 0");
                    rows[i][k] = static_cast<std::uint64_t>(v);
                }
            const auto r = cxkit::product::kano_chi_square(rows);
            return py::make_tuple(r.statistic, r.df, r.p_value);
        },
        py::arg("table"),
        "Pearson chi-square test of independence of a segments x (A, O, M, I, R, Q) count table:\n"
        "(statistic, df, p_value); empty rows and columns are left out; no continuity correction.");

    m.def(
        "kano_bootstrap",
        [](py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> respondent,
           py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> group,
           py::array_t<std::int16_t, py::array::c_style | py::array::forcecast> cell, std::size_t n_respondents,
           std::size_t n_groups, const std::string& table, std::size_t n_boot, std::uint64_t seed,
           unsigned threads, double confidence) {
            const std::size_t n = static_cast<std::size_t>(respondent.size());
            if (static_cast<std::size_t>(group.size()) != n || static_cast<std::size_t>(cell.size()) != n)
                throw cxkit::invalid_argument("respondent, group and cell must have one entry per row");
            cxkit::stats::bootstrap_options o;
            o.n_boot = n_boot;
            o.seed = seed;
            o.threads = threads;
            o.confidence = confidence;
            const kano_table t = parse_table(table);
            cxkit::product::kano_bootstrap_result r;
            {
                py::gil_scoped_release nogil;
                r = cxkit::product::kano_bootstrap(respondent.data(), group.data(), cell.data(), n, n_respondents,
                                                   n_groups, t, o);
            }
            py::array_t<double> b({r.n_boot, r.n_groups}), w({r.n_boot, r.n_groups});
            std::copy(r.better.begin(), r.better.end(), b.mutable_data());
            std::copy(r.worse.begin(), r.worse.end(), w.mutable_data());
            // Percentile intervals per group (stats::summarize_replicates: type-7 quantiles of the
            // non-NaN replicates; NaN when fewer than 2 are valid).
            py::array_t<double> lo_b(static_cast<py::ssize_t>(r.n_groups)), hi_b(static_cast<py::ssize_t>(r.n_groups));
            py::array_t<double> lo_w(static_cast<py::ssize_t>(r.n_groups)), hi_w(static_cast<py::ssize_t>(r.n_groups));
            std::vector<double> col(r.n_boot);
            for (std::size_t g = 0; g < r.n_groups; ++g) {
                for (std::size_t k = 0; k < r.n_boot; ++k) col[k] = r.better[k * r.n_groups + g];
                auto sb = cxkit::stats::summarize_replicates(cxkit::core::span<const double>(col.data(), col.size()), confidence);
                for (std::size_t k = 0; k < r.n_boot; ++k) col[k] = r.worse[k * r.n_groups + g];
                auto sw = cxkit::stats::summarize_replicates(cxkit::core::span<const double>(col.data(), col.size()), confidence);
                lo_b.mutable_data()[g] = sb.ci.low, hi_b.mutable_data()[g] = sb.ci.high;
                lo_w.mutable_data()[g] = sw.ci.low, hi_w.mutable_data()[g] = sw.ci.high;
            }
            return py::make_tuple(b, w, lo_b, hi_b, lo_w, hi_w);
        },
        py::arg("respondent"), py::arg("group"), py::arg("cell"), py::arg("n_respondents"), py::arg("n_groups"),
        py::arg("table") = "standard", py::arg("n_boot") = 1000, py::arg("seed") = 0, py::arg("threads") = 0,
        py::arg("confidence") = 0.95,
        "Respondent bootstrap of Better and Worse: (better, worse) replicate arrays of shape (n_boot,\n"
        "n_groups) and the percentile intervals (better_lo, better_hi, worse_lo, worse_hi) per group.");
}
