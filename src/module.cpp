// The compiled module cxkit._core: one register_<area>() per area of the library.
#include <pybind11/pybind11.h>

#include <cxkit/version.hpp>

namespace py = pybind11;

void register_core(py::module_& m);
void register_stats(py::module_& m);
void register_survey(py::module_& m);
void register_dsr(py::module_& m);
void register_feedback(py::module_& m);
void register_kano(py::module_& m);
void register_drivers(py::module_& m);
void register_prioritize(py::module_& m);
void register_cohort(py::module_& m);
void register_survival(py::module_& m);
void register_clv(py::module_& m);
void register_rfm(py::module_& m);
void register_transactions(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "cxkit compiled core (private: use the `cxkit` package)";
    m.attr("__version__") = CXKIT_VERSION_STRING;
    register_core(m);
    register_stats(m);
    register_survey(m);
    register_dsr(m);
    register_feedback(m);
    register_kano(m);
    register_drivers(m);
    register_prioritize(m);
    register_cohort(m);
    register_survival(m);
    register_clv(m);
    register_rfm(m);
    register_transactions(m);
}
