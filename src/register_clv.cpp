// CLV bindings: BG/NBD and Gamma-Gamma fits (results as dicts that cxkit/clv.py turns into
// fitter attributes), their predictions over float64 columns, and the discounted CLV.
// Python-side normalisation (frames, nullable arrays, broadcasting) lives in cxkit/clv.py.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>
#include <vector>

#include <cxkit/customer/clv.hpp>

namespace py = pybind11;
using cxkit::customer::bgnbd_params;
using cxkit::customer::clv_columns;
using cxkit::customer::fit_options;
using cxkit::customer::gamma_gamma_params;

namespace {

using f64_array = py::array_t<double, py::array::c_style | py::array::forcecast>;

f64_array column(py::handle obj, const char* name, py::ssize_t n) {
    f64_array a = f64_array::ensure(obj);
    if (!a || a.ndim() != 1)
        throw cxkit::invalid_argument(std::string(name) + " must be a 1-D numeric array");
    if (n >= 0 && a.size() != n)
        throw cxkit::invalid_argument(std::string(name) + " has " + std::to_string(a.size()) + " values but frequency has " +
                                      std::to_string(n));
    return a;
}

template <class R>
py::dict fit_dict(const R& r) {
    py::dict d;
    d["log_likelihood"] = r.log_likelihood;
    d["converged"] = r.converged;
    d["iterations"] = r.iterations;
    d["gradient_norm"] = r.gradient_norm;
    d["message"] = r.message;
    d["covariance"] = r.covariance;
    d["standard_errors"] = r.standard_errors;
    d["n"] = r.n;
    d["n_missing"] = r.n_missing;
    d["n_invalid"] = r.n_invalid;
    d["n_unique"] = r.n_unique;
    d["n_excluded_zero"] = r.n_excluded_zero;
    d["weight_total"] = r.weight_total;
    d["frequency_spend_correlation"] = r.frequency_spend_correlation;
    return d;
}

fit_options make_options(double penalizer, const std::string& on_invalid, unsigned max_iterations, double tolerance) {
    if (!(penalizer >= 0.0) || !std::isfinite(penalizer))
        throw cxkit::invalid_argument("penalizer must be a finite number >= 0, got " + cxkit::core::format_value(penalizer));
    if (!(tolerance > 0.0)) throw cxkit::invalid_argument("tolerance must be > 0, got " + cxkit::core::format_value(tolerance));
    fit_options o;
    o.penalizer = penalizer;
    o.policy = cxkit::core::parse_on_invalid(on_invalid);
    o.max_iterations = max_iterations;
    o.tolerance = tolerance;
    return o;
}

bgnbd_params bg_params(const std::vector<double>& p) {
    if (p.size() != 4) throw cxkit::invalid_argument("BG/NBD parameters: expected (r, alpha, a, b)");
    bgnbd_params q{p[0], p[1], p[2], p[3]};
    cxkit::customer::detail::check_bgnbd_params(q);
    return q;
}

gamma_gamma_params gg_params(const std::vector<double>& p) {
    if (p.size() != 3) throw cxkit::invalid_argument("Gamma-Gamma parameters: expected (p, q, gamma)");
    if (!(p[0] > 0 && p[1] > 0 && p[2] > 0 && std::isfinite(p[0]) && std::isfinite(p[1]) && std::isfinite(p[2])))
        throw cxkit::invalid_argument("Gamma-Gamma parameters must be finite and > 0");
    return {p[0], p[1], p[2]};
}

// Checks one summary row of a prediction; NaN inputs give NaN, invalid ones raise.
bool row_ok(double x, double tx, double T, std::size_t i) {
    const char* why = "";
    const int c = cxkit::customer::detail::classify_summary_row(x, tx, T, why);
    if (c == 2) cxkit::customer::detail::throw_bad_row(i, cxkit::customer::detail::row_text(x, tx, T), why, 1);
    return c == 0;
}

}  // namespace

void register_clv(py::module_& m) {
    m.def(
        "bgnbd_fit",
        [](py::handle frequency, py::handle recency, py::handle T, py::handle weights, double penalizer,
           const std::string& on_invalid, unsigned max_iterations, double tolerance, py::object start) {
            const f64_array x = column(frequency, "frequency", -1);
            const f64_array tx = column(recency, "recency", x.size());
            const f64_array t = column(T, "T", x.size());
            f64_array w;
            if (!weights.is_none()) w = column(weights, "weights", x.size());
            const fit_options opt = make_options(penalizer, on_invalid, max_iterations, tolerance);
            bgnbd_params st;
            const bool has_start = !start.is_none();
            if (has_start) st = bg_params(start.cast<std::vector<double>>());
            clv_columns c;
            c.frequency = x.data();
            c.recency = tx.data();
            c.T = t.data();
            c.weights = weights.is_none() ? nullptr : w.data();
            c.size = static_cast<std::size_t>(x.size());
            cxkit::customer::bgnbd_result r;
            {
                py::gil_scoped_release nogil;
                r = cxkit::customer::bgnbd_fit(c, opt, has_start ? &st : nullptr);
            }
            py::dict d = fit_dict(r);
            d["params"] = std::vector<double>{r.params.r, r.params.alpha, r.params.a, r.params.b};
            return d;
        },
        py::arg("frequency"), py::arg("recency"), py::arg("T"), py::arg("weights") = py::none(), py::kw_only(),
        py::arg("penalizer") = 0.0, py::arg("on_invalid") = "raise", py::arg("max_iterations") = 200u,
        py::arg("tolerance") = 1e-10, py::arg("start") = py::none(),
        "BG/NBD maximum-likelihood fit (damped Newton on log-parameters); a dict of estimates and diagnostics.");

    m.def(
        "gamma_gamma_fit",
        [](py::handle frequency, py::handle monetary, py::handle weights, double penalizer, const std::string& on_invalid,
           unsigned max_iterations, double tolerance, py::object start) {
            const f64_array x = column(frequency, "frequency", -1);
            const f64_array mv = column(monetary, "monetary_value", x.size());
            f64_array w;
            if (!weights.is_none()) w = column(weights, "weights", x.size());
            const fit_options opt = make_options(penalizer, on_invalid, max_iterations, tolerance);
            gamma_gamma_params st;
            const bool has_start = !start.is_none();
            if (has_start) st = gg_params(start.cast<std::vector<double>>());
            clv_columns c;
            c.frequency = x.data();
            c.monetary = mv.data();
            c.weights = weights.is_none() ? nullptr : w.data();
            c.size = static_cast<std::size_t>(x.size());
            cxkit::customer::gamma_gamma_result r;
            {
                py::gil_scoped_release nogil;
                r = cxkit::customer::gamma_gamma_fit(c, opt, has_start ? &st : nullptr);
            }
            py::dict d = fit_dict(r);
            d["params"] = std::vector<double>{r.params.p, r.params.q, r.params.gamma};
            return d;
        },
        py::arg("frequency"), py::arg("monetary_value"), py::arg("weights") = py::none(), py::kw_only(),
        py::arg("penalizer") = 0.0, py::arg("on_invalid") = "raise", py::arg("max_iterations") = 200u,
        py::arg("tolerance") = 1e-10, py::arg("start") = py::none(),
        "Gamma-Gamma maximum-likelihood fit on the rows with frequency > 0; a dict of estimates and diagnostics.");

    m.def(
        "bgnbd_predict",
        [](const std::string& kind, const std::vector<double>& params, py::handle t, py::handle frequency,
           py::handle recency, py::handle T) {
            const bgnbd_params p = bg_params(params);
            const f64_array tt = column(t, "t", -1);
            const py::ssize_t n = tt.size();
            f64_array out(n);
            double* o = out.mutable_data();
            const double* tv = tt.data();
            const auto un = static_cast<std::size_t>(n);
            if (kind == "expected") {
                py::gil_scoped_release nogil;
                for (std::size_t i = 0; i < un; ++i) {
                    if (std::isnan(tv[i])) { o[i] = std::nan(""); continue; }
                    cxkit::customer::detail::check_horizon(tv[i], i);
                    o[i] = cxkit::customer::bgnbd_expected(p, tv[i]);
                }
                return out;
            }
            if (kind == "purchases") {
                const f64_array nn = column(frequency, "n", n);
                const double* nv = nn.data();
                py::gil_scoped_release nogil;
                for (std::size_t i = 0; i < un; ++i) {
                    if (std::isnan(tv[i]) || std::isnan(nv[i])) { o[i] = std::nan(""); continue; }
                    cxkit::customer::detail::check_horizon(tv[i], i);
                    if (!(nv[i] >= 0) || nv[i] != std::floor(nv[i]) || !std::isfinite(nv[i]))
                        throw cxkit::invalid_input("n at row " + std::to_string(i) + " is " +
                                                   cxkit::core::format_value(nv[i]) + " (expected a whole number >= 0)");
                    o[i] = cxkit::customer::bgnbd_probability_of_purchases(p, tv[i], nv[i]);
                }
                return out;
            }
            const f64_array x = column(frequency, "frequency", n);
            const f64_array tx = column(recency, "recency", n);
            const f64_array T_ = column(T, "T", n);
            const double *xv = x.data(), *rv = tx.data(), *Tv = T_.data();
            if (kind == "alive") {
                py::gil_scoped_release nogil;
                for (std::size_t i = 0; i < un; ++i)
                    o[i] = row_ok(xv[i], rv[i], Tv[i], i) ? cxkit::customer::bgnbd_probability_alive(p, xv[i], rv[i], Tv[i])
                                                         : std::nan("");
                return out;
            }
            if (kind == "conditional") {
                py::gil_scoped_release nogil;
                for (std::size_t i = 0; i < un; ++i) {
                    if (!row_ok(xv[i], rv[i], Tv[i], i) || std::isnan(tv[i])) { o[i] = std::nan(""); continue; }
                    cxkit::customer::detail::check_horizon(tv[i], i);
                    o[i] = cxkit::customer::bgnbd_conditional_expected(p, tv[i], xv[i], rv[i], Tv[i]);
                }
                return out;
            }
            throw cxkit::invalid_argument("unknown prediction \"" + kind + "\"");
        },
        py::arg("kind"), py::arg("params"), py::arg("t"), py::arg("frequency") = py::none(),
        py::arg("recency") = py::none(), py::arg("T") = py::none(),
        "BG/NBD predictions over float64 columns: kind \"expected\", \"conditional\", \"alive\" or \"purchases\".");

    m.def(
        "gamma_gamma_expected_value",
        [](const std::vector<double>& params, py::handle frequency, py::handle monetary) {
            const gamma_gamma_params g = gg_params(params);
            const f64_array x = column(frequency, "frequency", -1);
            const f64_array mv = column(monetary, "monetary_value", x.size());
            f64_array out(x.size());
            double* o = out.mutable_data();
            const double *xv = x.data(), *mvv = mv.data();
            for (std::size_t i = 0; i < static_cast<std::size_t>(x.size()); ++i) {
                if (std::isnan(xv[i]) || (xv[i] > 0 && std::isnan(mvv[i]))) { o[i] = std::nan(""); continue; }
                if (!(xv[i] >= 0) || xv[i] != std::floor(xv[i]) || !std::isfinite(xv[i]))
                    throw cxkit::invalid_input("row " + std::to_string(i) + ": frequency=" + cxkit::core::format_value(xv[i]) +
                                               " (expected a whole number >= 0)");
                if (xv[i] > 0 && (!(mvv[i] >= 0) || !std::isfinite(mvv[i])))
                    throw cxkit::invalid_input("row " + std::to_string(i) + ": monetary_value=" +
                                               cxkit::core::format_value(mvv[i]) + " (expected a finite number >= 0 when frequency > 0)");
                o[i] = cxkit::customer::gamma_gamma_conditional_expected_value(g, xv[i], mvv[i]);
            }
            return out;
        },
        py::arg("params"), py::arg("frequency"), py::arg("monetary_value"),
        "Gamma-Gamma E[M | x, m] per customer (population mean for x = 0).");

    m.def(
        "customer_lifetime_value",
        [](const std::vector<double>& bg, const std::vector<double>& gg, py::handle frequency, py::handle recency,
           py::handle T, py::handle monetary, unsigned months, double discount_rate, double period_days,
           unsigned threads) {
            const bgnbd_params b = bg_params(bg);
            const gamma_gamma_params g = gg_params(gg);
            const f64_array x = column(frequency, "frequency", -1);
            const f64_array tx = column(recency, "recency", x.size());
            const f64_array T_ = column(T, "T", x.size());
            const f64_array mv = column(monetary, "monetary_value", x.size());
            f64_array out(x.size());
            clv_columns c;
            c.frequency = x.data();
            c.recency = tx.data();
            c.T = T_.data();
            c.monetary = mv.data();
            c.size = static_cast<std::size_t>(x.size());
            double* o = out.mutable_data();
            {
                py::gil_scoped_release nogil;
                cxkit::customer::customer_lifetime_value(b, g, c, months, discount_rate, period_days, o, threads);
            }
            return out;
        },
        py::arg("bg_params"), py::arg("gg_params"), py::arg("frequency"), py::arg("recency"), py::arg("T"),
        py::arg("monetary_value"), py::arg("months"), py::arg("discount_rate"), py::arg("period_days"),
        py::arg("threads") = 1u, "Discounted CLV per customer from BG/NBD and Gamma-Gamma parameters (METRICS.md §4).");
}
