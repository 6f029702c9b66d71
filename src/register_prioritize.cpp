// Bindings of include/cxkit/product/prioritize.hpp: the prioritisation table behind cx.prioritize
// (with optional bootstrap stability), the exact knapsack, the frontier and the Kano-based impact.
// cxkit/prioritize.py resolves frames, item labels and replicate matrices; everything sorted,
// searched or counted happens here, without the GIL.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <cxkit/product/prioritize.hpp>

#include "bind/columns.hpp"

namespace py = pybind11;

namespace {

using cxkit::product::knapsack_options;

py::array as_bool(const std::vector<std::uint8_t>& v) { return cxkit_py::to_numpy(v).attr("astype")("bool"); }

/// A numeric column as contiguous float64 plus its missing mask (kept alive by the struct).
struct float_column {
    cxkit_py::column col;
    py::array_t<double> values;
    std::size_t size() const { return col.size(); }
    const double* data() const { return values.data(); }
    cxkit::core::span<const double> span() const { return {values.data(), col.size()}; }
};

float_column as_float_column(py::handle obj, const char* name) {
    float_column f;
    f.col = cxkit_py::as_column(obj, name);
    f.values = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(f.col.values);
    if (!f.values) throw cxkit::unsupported_type(std::string(name) + ": expected numbers");
    return f;
}

knapsack_options make_knapsack_options(std::int64_t max_nodes) {
    if (max_nodes <= 0)
        throw cxkit::invalid_argument("max_nodes must be a positive integer, got " + std::to_string(max_nodes));
    knapsack_options o;
    o.max_nodes = static_cast<std::uint64_t>(max_nodes);
    return o;
}

double optional_number(py::handle obj, const char* name) {
    if (obj.is_none()) return std::numeric_limits<double>::quiet_NaN();
    const double v = obj.cast<double>();
    if (std::isnan(v)) throw cxkit::invalid_argument(std::string(name) + " must be a number, got nan");
    return v;
}

}  // namespace

void register_prioritize(py::module_& m) {
    m.def(
        "prioritize",
        [](py::handle impact, py::handle cost, py::handle budget, py::handle impact_threshold,
           py::handle cost_threshold, const std::string& on_invalid, std::int64_t max_nodes,
           py::handle impact_replicates, unsigned threads) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            cxkit::product::prioritize_options o;
            o.budget = optional_number(budget, "budget");
            o.impact_threshold = optional_number(impact_threshold, "impact_threshold");
            o.cost_threshold = optional_number(cost_threshold, "cost_threshold");
            o.knapsack = make_knapsack_options(max_nodes);
            o.validate();
            const float_column a = as_float_column(impact, "impact");
            const float_column c = as_float_column(cost, "cost");
            if (a.size() != c.size())
                throw cxkit::invalid_argument("cost has " + std::to_string(c.size()) + " values but impact has " +
                                              std::to_string(a.size()));
            py::array_t<double> reps;
            const bool has_reps = !impact_replicates.is_none();
            if (has_reps) {
                reps = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(impact_replicates);
                if (!reps || reps.ndim() != 2 || static_cast<std::size_t>(reps.shape(1)) != a.size())
                    throw cxkit::invalid_argument(
                        "impact_replicates must be a 2-D array of shape (replicates, " + std::to_string(a.size()) +
                        ") (one column per item)");
            }
            cxkit::product::priority_table t;
            cxkit::product::stability_result s;
            {
                py::gil_scoped_release release;
                t = cxkit::product::prioritize(a.span(), c.span(), o, policy, a.col.mask_data(), c.col.mask_data());
                if (has_reps) {
                    const auto view = cxkit::core::matrix_view<double>::row_major(
                        reps.data(), static_cast<std::size_t>(reps.shape(0)), static_cast<std::size_t>(reps.shape(1)));
                    s = cxkit::product::replicate_stability(t, view, o.knapsack, threads);
                }
            }
            py::dict out;
            out["row"] = cxkit_py::to_numpy(t.row);
            out["impact"] = cxkit_py::to_numpy(t.impact);
            out["cost"] = cxkit_py::to_numpy(t.cost);
            out["ratio"] = cxkit_py::to_numpy(t.ratio);
            out["rank"] = cxkit_py::to_numpy(t.rank);
            py::list q;
            for (auto v : t.quadrant_of) q.append(py::str(cxkit::product::to_string(v)));
            out["quadrant"] = q;
            out["on_frontier"] = as_bool(t.on_frontier);
            out["selected"] = as_bool(t.selected);
            out["impact_threshold"] = t.impact_threshold;
            out["cost_threshold"] = t.cost_threshold;
            out["has_budget"] = t.has_budget;
            out["total_impact"] = t.total_impact;
            out["total_cost"] = t.total_cost;
            out["nodes"] = t.nodes;
            out["n"] = t.n;
            out["n_missing"] = t.n_missing;
            out["n_invalid"] = t.n_invalid;
            if (has_reps) {
                out["frontier_share"] = cxkit_py::to_numpy(s.frontier_share);
                if (t.has_budget) out["selected_share"] = cxkit_py::to_numpy(s.selected_share);
                out["n_replicates"] = s.n_replicates;
                out["n_replicates_dropped"] = s.n_dropped;
            }
            return out;
        },
        py::arg("impact"), py::arg("cost"), py::kw_only(), py::arg("budget") = py::none(),
        py::arg("impact_threshold") = py::none(), py::arg("cost_threshold") = py::none(),
        py::arg("on_invalid") = "raise", py::arg("max_nodes") = 20'000'000, py::arg("impact_replicates") = py::none(),
        py::arg("threads") = 1u,
        "Impact-cost prioritisation table (METRICS.md §3): columns row, impact, cost, ratio, rank, quadrant, "
        "on_frontier, selected, and with impact_replicates (replicates x rows) frontier_share / selected_share.");

    m.def(
        "knapsack",
        [](py::handle impacts, py::handle costs, double budget, std::int64_t max_nodes) {
            const auto o = make_knapsack_options(max_nodes);
            const float_column a = as_float_column(impacts, "impacts");
            const float_column c = as_float_column(costs, "costs");
            if (a.col.has_mask || c.col.has_mask) throw cxkit::invalid_argument("knapsack: missing values are not allowed");
            cxkit::product::knapsack_result r;
            {
                py::gil_scoped_release release;
                r = cxkit::product::knapsack(a.span(), c.span(), budget, o);
            }
            py::dict out;
            out["chosen"] = cxkit_py::to_numpy(r.chosen);
            out["total_impact"] = r.total_impact;
            out["total_cost"] = r.total_cost;
            out["nodes"] = r.nodes;
            out["n_free"] = r.n_free;
            return out;
        },
        py::arg("impacts"), py::arg("costs"), py::arg("budget"), py::arg("max_nodes") = 20'000'000,
        "Exact 0/1 knapsack on real impacts and costs: chosen positions (ascending) and exact totals.");

    m.def(
        "pareto_frontier",
        [](py::handle impacts, py::handle costs) {
            const float_column a = as_float_column(impacts, "impacts");
            const float_column c = as_float_column(costs, "costs");
            if (a.col.has_mask || c.col.has_mask)
                throw cxkit::invalid_argument("pareto_frontier: missing values are not allowed");
            std::vector<std::uint8_t> on;
            {
                py::gil_scoped_release release;
                on = cxkit::product::pareto_frontier(a.span(), c.span());
            }
            return as_bool(on);
        },
        py::arg("impacts"), py::arg("costs"), "Frontier flags: not dominated in (impact higher, cost lower).");

    m.def(
        "kano_impact",
        [](py::handle better, py::handle worse, double better_weight, double worse_weight) {
            const float_column b = as_float_column(better, "better");
            const float_column w = as_float_column(worse, "worse");
            std::vector<double> bv(b.data(), b.data() + b.size()), wv(w.data(), w.data() + w.size());
            const double nan = std::numeric_limits<double>::quiet_NaN();
            if (b.col.has_mask)
                for (std::size_t i = 0; i < bv.size(); ++i)
                    if (b.col.mask_data()[i]) bv[i] = nan;
            if (w.col.has_mask)
                for (std::size_t i = 0; i < wv.size(); ++i)
                    if (w.col.mask_data()[i]) wv[i] = nan;
            return cxkit_py::to_numpy(cxkit::product::kano_impact(bv, wv, better_weight, worse_weight));
        },
        py::arg("better"), py::arg("worse"), py::arg("better_weight") = 1.0, py::arg("worse_weight") = 1.0,
        "Kano-based impact: better_weight * Better + worse_weight * |Worse| (NaN stays NaN).");
}
