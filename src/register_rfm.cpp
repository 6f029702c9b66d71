// RFM and transaction-summary bindings: the one-pass kernels behind cx.rfm and cx.clv_summary.
// Python-side normalisation (customer keys, times, amounts, rules) lives in cxkit/rfm.py; these
// bindings take the normalised arrays and return dicts of numpy arrays that rfm.py turns into frames.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <cxkit/customer/clv_summary.hpp>
#include <cxkit/customer/rfm.hpp>

#include "bind/columns.hpp"

namespace py = pybind11;
using cxkit::customer::transaction_columns;

namespace {

struct inputs {
    py::object keep_time, keep_flags, keep_amount;
    const std::int64_t* time = nullptr;
    const std::uint8_t* flags = nullptr;
    const double* amount = nullptr;
    inputs(std::size_t n, py::handle times, py::handle time_flags, py::handle amount_) {
        time = cxkit_py::optional_array<std::int64_t>(times, n, "time", keep_time);
        if (time == nullptr) throw cxkit::invalid_argument("times are required");
        flags = cxkit_py::optional_array<std::uint8_t>(time_flags, n, "time flags", keep_flags);
        amount = cxkit_py::optional_array<double>(amount_, n, "amount", keep_amount);
    }
    template <class C>
    transaction_columns<C> columns(const C* codes, std::size_t n, std::int64_t offset, std::int64_t units_per_day) const {
        transaction_columns<C> c;
        c.size = n;
        c.customer = codes;
        c.customer_offset = offset;
        c.time = time;
        c.time_flags = flags;
        c.units_per_day = units_per_day;
        c.amount = amount;
        return c;
    }
};

py::array code_array(py::handle codes) {
    py::array a = py::array::ensure(codes, py::array::c_style);
    if (!a || a.ndim() != 1) throw cxkit::invalid_argument("customer codes must be a 1-D integer array");
    return a;
}

/// A vector handed to numpy without a copy: the array owns it through a capsule (per-customer
/// columns of millions of customers would otherwise be copied once more).
template <class T>
py::array_t<T> move_to_numpy(std::vector<T>&& v) {
    auto* owned = new std::vector<T>(std::move(v));
    py::capsule owner(owned, [](void* q) { delete static_cast<std::vector<T>*>(q); });
    return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(), owner);
}

using rule_tuple = std::tuple<std::string, int, int, int, int, int, int>;

std::vector<cxkit::customer::segment_rule> make_rules(const std::vector<rule_tuple>& rules) {
    std::vector<cxkit::customer::segment_rule> out;
    for (const auto& r : rules) {
        cxkit::customer::segment_rule s;
        s.name = std::get<0>(r);
        const int v[6] = {std::get<1>(r), std::get<2>(r), std::get<3>(r), std::get<4>(r), std::get<5>(r), std::get<6>(r)};
        for (int d = 0; d < 3; ++d) {
            if (v[2 * d] < 0 || v[2 * d] > 254 || v[2 * d + 1] < 0 || v[2 * d + 1] > 254)
                throw cxkit::invalid_argument("segment rule \"" + s.name + "\": score bounds must be in 1..9");
            s.lo[d] = static_cast<std::uint8_t>(v[2 * d]);
            s.hi[d] = static_cast<std::uint8_t>(v[2 * d + 1]);
        }
        out.push_back(s);
    }
    return out;
}

}  // namespace

cxkit::customer::rfm_options make_rfm_options(std::optional<std::int64_t> as_of_day, unsigned bins,
                                              const std::vector<std::vector<double>>& thresholds,
                                              const std::vector<rule_tuple>& segments);
py::dict rfm_table_dict(cxkit::customer::rfm_table&& t);
py::dict clv_summary_table_dict(cxkit::customer::clv_summary_table&& t);

/// Checked RFM options from the arguments rfm.py normalises (shared with TransactionAccumulator).
cxkit::customer::rfm_options make_rfm_options(std::optional<std::int64_t> as_of_day, unsigned bins,
                                              const std::vector<std::vector<double>>& thresholds,
                                              const std::vector<rule_tuple>& segments) {
    cxkit::customer::rfm_options opt;
    opt.as_of_day = as_of_day;
    opt.bins = bins;
    if (thresholds.size() != 3) throw cxkit::invalid_argument("thresholds: expected three lists (r, f, m)");
    for (int d = 0; d < 3; ++d) opt.thresholds[d] = thresholds[static_cast<std::size_t>(d)];
    opt.segments = make_rules(segments);
    cxkit::customer::check_rfm_options(opt);
    return opt;
}

// The result dicts that rfm.py turns into frames; shared with TransactionAccumulator
// (register_transactions.cpp), whose results go through the same frame building.
py::dict rfm_table_dict(cxkit::customer::rfm_table&& t) {
    using cxkit_py::to_numpy;
    py::dict d;
    d["customer"] = move_to_numpy(std::move(t.customer));
    d["recency"] = move_to_numpy(std::move(t.recency));
    d["frequency"] = move_to_numpy(std::move(t.frequency));
    d["monetary"] = move_to_numpy(std::move(t.monetary));
    d["first_day"] = move_to_numpy(std::move(t.first_day));
    d["r_score"] = move_to_numpy(std::move(t.score[0]));
    d["f_score"] = move_to_numpy(std::move(t.score[1]));
    d["m_score"] = move_to_numpy(std::move(t.score[2]));
    d["segment"] = move_to_numpy(std::move(t.segment));
    d["cuts"] = py::make_tuple(to_numpy(t.cuts[0]), to_numpy(t.cuts[1]), to_numpy(t.cuts[2]));
    d["n_scores"] = py::make_tuple(t.n_scores[0], t.n_scores[1], t.n_scores[2]);
    d["as_of_day"] = t.as_of_day;
    d["has_data"] = t.has_data;
    d["n"] = t.n;
    d["n_missing"] = t.n_missing;
    d["n_invalid"] = t.n_invalid;
    d["n_after_end"] = t.n_after_end;
    return d;
}

py::dict clv_summary_table_dict(cxkit::customer::clv_summary_table&& t) {
    py::dict d;
    d["customer"] = move_to_numpy(std::move(t.customer));
    d["frequency"] = move_to_numpy(std::move(t.frequency));
    d["recency"] = move_to_numpy(std::move(t.recency));
    d["T"] = move_to_numpy(std::move(t.T));
    d["monetary_value"] = move_to_numpy(std::move(t.monetary_value));
    d["frequency_holdout"] = move_to_numpy(std::move(t.frequency_holdout));
    d["monetary_value_holdout"] = move_to_numpy(std::move(t.monetary_value_holdout));
    d["duration_holdout"] = t.duration_holdout;
    d["split"] = t.split;
    d["end_day"] = t.end_day;
    d["n"] = t.n;
    d["n_holdout"] = t.n_holdout;
    d["n_missing"] = t.n_missing;
    d["n_invalid"] = t.n_invalid;
    d["n_after_end"] = t.n_after_end;
    return d;
}

void register_rfm(py::module_& m) {
    using namespace cxkit_py;

    m.def(
        "rfm_count",
        [](py::handle codes, std::int64_t offset, std::size_t n_customers, py::handle times, py::handle time_flags,
           std::int64_t units_per_day, py::handle amount, std::optional<std::int64_t> as_of_day, unsigned bins,
           std::vector<std::vector<double>> thresholds, const std::vector<rule_tuple>& segments,
           const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            const cxkit::customer::rfm_options opt = make_rfm_options(as_of_day, bins, thresholds, segments);
            const py::array ca = code_array(codes);
            const auto n = static_cast<std::size_t>(ca.size());
            const inputs in(n, times, time_flags, amount);
            if (in.amount == nullptr) throw cxkit::invalid_argument("rfm needs amounts");
            auto t = dispatch_codes(ca, [&](const auto* c) {
                const auto cols = in.columns(c, n, offset, units_per_day);
                py::gil_scoped_release nogil;
                return cxkit::customer::rfm(cols, n_customers, opt, policy);
            });
            return rfm_table_dict(std::move(t));
        },
        py::arg("codes"), py::arg("offset"), py::arg("n_customers"), py::arg("times"), py::arg("time_flags"),
        py::arg("units_per_day"), py::arg("amount"), py::arg("as_of_day"), py::arg("bins"), py::arg("thresholds"),
        py::arg("segments"), py::arg("on_invalid") = "raise",
        "RFM table from dense customer codes (code - offset; -1 = missing) in one pass.");

    m.def(
        "rfm_standard_segments",
        [] {
            py::list out;
            for (const auto& r : cxkit::customer::standard_segments()) {
                py::dict ranges;
                ranges["r"] = py::make_tuple(r.lo[0], r.hi[0]);
                ranges["f"] = py::make_tuple(r.lo[1], r.hi[1]);
                out.append(py::make_tuple(r.name, ranges));
            }
            return out;
        },
        "The standard RFM segment table for 5 bins: (name, {dimension: (lo, hi)}) in order, first match wins.");

    m.def(
        "clv_summary_count",
        [](py::handle codes, std::int64_t offset, std::size_t n_customers, py::handle times, py::handle time_flags,
           std::int64_t units_per_day, py::handle amount, const std::string& period, double multiplier,
           std::optional<std::int64_t> end_stamp, std::optional<std::int64_t> calibration_end,
           std::optional<std::int64_t> holdout_end, const std::string& on_invalid) {
            const auto policy = cxkit::core::parse_on_invalid(on_invalid);
            cxkit::customer::clv_summary_options opt;
            opt.period = cxkit::customer::parse_summary_period(period);
            opt.multiplier = multiplier;
            opt.end_stamp = end_stamp;
            opt.calibration_end = calibration_end;
            opt.holdout_end = holdout_end;
            const py::array ca = code_array(codes);
            const auto n = static_cast<std::size_t>(ca.size());
            const inputs in(n, times, time_flags, amount);
            auto t = dispatch_codes(ca, [&](const auto* c) {
                const auto cols = in.columns(c, n, offset, units_per_day);
                py::gil_scoped_release nogil;
                return cxkit::customer::clv_summary(cols, n_customers, opt, policy);
            });
            return clv_summary_table_dict(std::move(t));
        },
        py::arg("codes"), py::arg("offset"), py::arg("n_customers"), py::arg("times"), py::arg("time_flags"),
        py::arg("units_per_day"), py::arg("amount"), py::arg("period"), py::arg("multiplier"),
        py::arg("end_stamp") = py::none(), py::arg("calibration_end") = py::none(),
        py::arg("holdout_end") = py::none(), py::arg("on_invalid") = "raise",
        "Per-customer frequency, recency, T and monetary value (lifetimes conventions) in one pass.");
}
