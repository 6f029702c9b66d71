// Bindings of include/cxkit/product/prioritize.hpp (placeholder: being written for issue 4).
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_prioritize(py::module_& m) { (void)m; }
