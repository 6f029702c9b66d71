// TransactionAccumulator: the mergeable state behind cx.rfm and cx.clv_summary. Python-side
// normalisation (customer keys as CohortAccumulator keeps them, times, amounts, options) lives in
// cxkit/transactions.py and cxkit/rfm.py; the results return the same dicts as the one-pass
// functions (rfm_table_dict / clv_summary_table_dict in register_rfm.cpp), so rfm.py builds the
// frames of both with the same code.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <cxkit/customer/transactions.hpp>

#include "bind/accumulator.hpp"
#include "bind/columns.hpp"

namespace py = pybind11;
using cxkit::customer::transaction_accumulator;

// Defined in register_rfm.cpp.
cxkit::customer::rfm_options make_rfm_options(std::optional<std::int64_t> as_of_day, unsigned bins,
                                              const std::vector<std::vector<double>>& thresholds,
                                              const std::vector<std::tuple<std::string, int, int, int, int, int, int>>& segments);
py::dict rfm_table_dict(cxkit::customer::rfm_table&& t);
py::dict clv_summary_table_dict(cxkit::customer::clv_summary_table&& t);

void register_transactions(py::module_& m);

void register_transactions(py::module_& m) {
    using namespace cxkit_py;
    using rule_tuple = std::tuple<std::string, int, int, int, int, int, int>;

    auto cls = bind_accumulator<transaction_accumulator>(
        m, "TransactionAccumulator",
        "Mergeable transaction state behind cx.rfm and cx.clv_summary: per customer key the sorted\n"
        "distinct purchase days with the transactions and the amount sum per day, and the row counts.\n"
        "Period, as-of date, observation end, multiplier and the calibration/holdout split are options\n"
        "of the results, not of the state. Merging unites the day sets (exact even when one customer's\n"
        "rows are split across parts; amount sums agree to floating rounding). Integer customer ids are\n"
        "kept as they are; other ids as a 64-bit hash of their text (pandas.util.hash_array), as in\n"
        "CohortAccumulator.\n\n"
        "Example\n-------\n>>> acc = cx.TransactionAccumulator()\n"
        ">>> acc.add([1, 1, 2], [\"2024-01-03\", \"2024-02-10\", \"2024-01-20\"], [10.0, 5.0, 7.5])\n"
        ">>> acc.rfm(bins=2)[\"frequency\"].tolist()\n[2, 1]",
        [](const transaction_accumulator& a) {
            return std::string("amount=") + (a.has_amount() ? "True" : "False") +
                   ", customers=" + std::to_string(a.n_customers()) + ", " + row_counts_repr(a);
        });
    cls.def(py::init([](bool amount) { return transaction_accumulator(amount); }), py::kw_only(),
            py::arg("amount") = true);
    cls.def(
           "_add",
           [](transaction_accumulator& a, py::handle keys, py::handle key_mask, py::handle times, py::handle time_flags,
              std::int64_t units_per_day, py::handle amount, const std::string& on_invalid) {
               const auto policy = cxkit::core::parse_on_invalid(on_invalid);
               py::object keep_k, keep_m, keep_t, keep_f, keep_a;
               const auto n = static_cast<std::size_t>(py::len(keys));
               cxkit::customer::transaction_columns<std::int64_t> c;
               c.size = n;
               c.customer = optional_array<std::int64_t>(keys, n, "customer", keep_k);
               c.customer_missing = optional_array<std::uint8_t>(key_mask, n, "customer mask", keep_m);
               c.time = optional_array<std::int64_t>(times, n, "time", keep_t);
               if (c.time == nullptr) throw cxkit::invalid_argument("times are required");
               c.time_flags = optional_array<std::uint8_t>(time_flags, n, "time flags", keep_f);
               c.units_per_day = units_per_day;
               c.amount = optional_array<double>(amount, n, "amount", keep_a);
               py::gil_scoped_release nogil;
               a.add(c, policy);
           },
           py::arg("keys"), py::arg("key_mask"), py::arg("times"), py::arg("time_flags"), py::arg("units_per_day"),
           py::arg("amount"), py::arg("on_invalid") = "raise")
        .def(
            "add",
            [](py::object self, py::handle customer, py::handle time, py::handle amount, const std::string& time_unit,
               const std::string& on_invalid) {
                py::module_::import("cxkit.transactions").attr("_state_add")(self, customer, time, amount, time_unit,
                                                                             on_invalid);
            },
            py::arg("customer"), py::arg("time"), py::arg("amount") = py::none(), py::kw_only(),
            py::arg("time_unit") = "s", py::arg("on_invalid") = "raise",
            "Add transactions: customer ids (integers or strings; None = missing), times (datetime-like,\n"
            "ISO strings, or integer epoch values in `time_unit`; NaT/None = missing) and amounts when the\n"
            "state keeps them (NaN = missing; negative or infinite = invalid). Arrays or scalars.")
        .def(
            "_rfm",
            [](const transaction_accumulator& a, std::optional<std::int64_t> as_of_day, unsigned bins,
               const std::vector<std::vector<double>>& thresholds, const std::vector<rule_tuple>& segments) {
                const auto opt = make_rfm_options(as_of_day, bins, thresholds, segments);
                auto t = [&] {
                    py::gil_scoped_release nogil;
                    return a.rfm(opt);
                }();
                return rfm_table_dict(std::move(t));
            },
            py::arg("as_of_day"), py::arg("bins"), py::arg("thresholds"), py::arg("segments"))
        .def(
            "_clv_summary",
            [](const transaction_accumulator& a, const std::string& period, double multiplier,
               std::optional<std::int64_t> end_day, std::optional<std::int64_t> calibration_day,
               std::optional<std::int64_t> holdout_day) {
                cxkit::customer::clv_summary_options opt;
                opt.period = cxkit::customer::parse_summary_period(period);
                opt.multiplier = multiplier;
                opt.end_stamp = end_day;
                opt.calibration_end = calibration_day;
                opt.holdout_end = holdout_day;
                auto t = [&] {
                    py::gil_scoped_release nogil;
                    return a.clv_summary(opt);
                }();
                return clv_summary_table_dict(std::move(t));
            },
            py::arg("period"), py::arg("multiplier"), py::arg("end_day") = py::none(),
            py::arg("calibration_day") = py::none(), py::arg("holdout_day") = py::none())
        .def(
            "rfm",
            [](py::object self, py::handle as_of, py::handle bins, py::handle segments, py::handle thresholds,
               py::handle default_segment, py::handle tiers, py::handle tier_period, py::handle default_tier) {
                return py::module_::import("cxkit.transactions")
                    .attr("_state_rfm")(self, as_of, bins, segments, thresholds, default_segment, tiers, tier_period,
                                        default_tier);
            },
            py::kw_only(), py::arg("as_of") = py::none(), py::arg("bins") = 5, py::arg("segments") = py::none(),
            py::arg("thresholds") = py::none(), py::arg("default_segment") = "other", py::arg("tiers") = py::none(),
            py::arg("tier_period") = "M", py::arg("default_tier") = "other",
            "RFM table (see cx.rfm) of the transactions added so far; `as_of` a date (numbers are day numbers).")
        .def(
            "clv_summary",
            [](py::object self, py::handle period, py::handle observation_end, py::handle multiplier,
               py::handle calibration_end, py::handle holdout_end) {
                return py::module_::import("cxkit.transactions")
                    .attr("_state_clv_summary")(self, period, observation_end, multiplier, calibration_end, holdout_end);
            },
            py::kw_only(), py::arg("period") = "W", py::arg("observation_end") = py::none(), py::arg("multiplier") = 1,
            py::arg("calibration_end") = py::none(), py::arg("holdout_end") = py::none(),
            "Transaction summary (see cx.clv_summary) of the transactions added so far. The state keeps\n"
            "days: calibration_end / holdout_end are days, rows on that day are before the end.")
        .def_property_readonly("has_amount", &transaction_accumulator::has_amount)
        .def_property_readonly("n", &transaction_accumulator::n, "Transactions counted.")
        .def_property_readonly("n_missing", &transaction_accumulator::n_missing)
        .def_property_readonly("n_invalid", &transaction_accumulator::n_invalid)
        .def_property_readonly("n_customers", &transaction_accumulator::n_customers)
        .def_property_readonly("n_entries", &transaction_accumulator::n_entries, "(customer, day) entries kept.")
        .def("__len__", &transaction_accumulator::n_customers);
}
