// Core bindings: the exception hierarchy and the helpers the dataframe front needs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>

#include <cxkit/core/groupby.hpp>
#include <cxkit/core/parallel.hpp>
#include <cxkit/error.hpp>

#include "bind/columns.hpp"

namespace py = pybind11;

namespace {

// Key ranges for the dataframe front. Baseline x86-64 (SSE2) has no packed 32/64-bit min/max, so
// the loop is also compiled for AVX2 and picked at load time where the CPU has it (GCC ifunc).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define CXKIT_KEY_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CXKIT_KEY_CLONES
#endif
template <class C>
std::pair<std::int64_t, std::int64_t> range_of(const C* p, std::size_t n) {
    const auto r = cxkit::core::min_max(p, n);
    return {r.first, r.second};
}
CXKIT_KEY_CLONES std::pair<std::int64_t, std::int64_t> chunk_range(const std::int8_t* p, std::size_t n) { return range_of(p, n); }
CXKIT_KEY_CLONES std::pair<std::int64_t, std::int64_t> chunk_range(const std::int16_t* p, std::size_t n) { return range_of(p, n); }
CXKIT_KEY_CLONES std::pair<std::int64_t, std::int64_t> chunk_range(const std::int32_t* p, std::size_t n) { return range_of(p, n); }
CXKIT_KEY_CLONES std::pair<std::int64_t, std::int64_t> chunk_range(const std::int64_t* p, std::size_t n) { return range_of(p, n); }

// Smallest and largest key, one chunk per core (the state pattern again: partial ranges merge).
template <class C>
std::pair<std::int64_t, std::int64_t> key_range(const C* p, std::size_t n) {
    const unsigned t = cxkit::core::plan_threads(n, 0, 0);
    std::vector<std::pair<std::int64_t, std::int64_t>> parts(t, {INT64_MAX, INT64_MIN});
    cxkit::core::parallel_chunks(n, t, [&](unsigned j, std::size_t begin, std::size_t end) {
        if (end > begin) parts[j] = chunk_range(p + begin, end - begin);
    });
    std::pair<std::int64_t, std::int64_t> r = parts[0];
    for (const auto& q : parts) r = {std::min(r.first, q.first), std::max(r.second, q.second)};
    return r;
}

// Python classes for the C++ error types (see error.hpp for the mapping). Created once at import.
PyObject* error_base = nullptr;
PyObject* invalid_input_error = nullptr;
PyObject* invalid_argument_error = nullptr;
PyObject* corrupt_state_error = nullptr;
PyObject* unsupported_type_error = nullptr;
PyObject* out_of_range_error = nullptr;
PyObject* numerical_error = nullptr;

PyObject* make_error(py::module_& m, const char* name, PyObject* std_base, const char* doc) {
    const std::string full = std::string("cxkit.") + name;
    py::tuple bases = std_base ? py::tuple(py::make_tuple(py::handle(error_base), py::handle(std_base)))
                               : py::tuple(py::make_tuple(py::handle(PyExc_Exception)));
    PyObject* cls = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases.ptr(), nullptr);
    if (cls == nullptr) throw py::error_already_set();
    m.attr(name) = py::handle(cls);
    return cls;
}

}  // namespace

void register_core(py::module_& m) {
    error_base = make_error(m, "Error", nullptr, "Base class of every cxkit exception.");
    invalid_input_error = make_error(m, "InvalidInputError", PyExc_ValueError,
                                     "A data value is invalid (out of scale, bad weight...).");
    invalid_argument_error = make_error(m, "InvalidArgumentError", PyExc_ValueError,
                                        "An argument is invalid (lengths, options, columns...).");
    corrupt_state_error = make_error(m, "CorruptStateError", PyExc_ValueError,
                                     "Serialized bytes are truncated, corrupt or of an unknown version.");
    unsupported_type_error = make_error(m, "UnsupportedTypeError", PyExc_TypeError, "An input type is not supported.");
    out_of_range_error = make_error(m, "OutOfRangeError", PyExc_IndexError, "An index or code is out of range.");
    numerical_error = make_error(m, "NumericalError", PyExc_ArithmeticError, "A computation cannot be carried out.");

    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const cxkit::invalid_input& e) {
            PyErr_SetString(invalid_input_error, e.what());
        } catch (const cxkit::invalid_argument& e) {
            PyErr_SetString(invalid_argument_error, e.what());
        } catch (const cxkit::corrupt_state& e) {
            PyErr_SetString(corrupt_state_error, e.what());
        } catch (const cxkit::unsupported_type& e) {
            PyErr_SetString(unsupported_type_error, e.what());
        } catch (const cxkit::out_of_range& e) {
            PyErr_SetString(out_of_range_error, e.what());
        } catch (const cxkit::numerical_error& e) {
            PyErr_SetString(numerical_error, e.what());
        }
    });

    m.def(
        "min_max",
        [](py::array keys) -> py::object {
            const py::array a = py::array::ensure(keys, py::array::c_style);
            if (!a || a.ndim() != 1) throw cxkit::invalid_argument("min_max expects a 1-D array");
            if (a.size() == 0) return py::none();
            return cxkit_py::dispatch_codes(a, [&](const auto* p) -> py::object {
                std::pair<std::int64_t, std::int64_t> mm;
                {
                    py::gil_scoped_release nogil;
                    mm = key_range(p, static_cast<std::size_t>(a.size()));
                }
                return py::make_tuple(mm.first, mm.second);
            });
        },
        py::arg("keys"), "Smallest and largest of a signed integer array in one pass (None when empty).");
    m.def("hardware_threads", &cxkit::core::hardware_threads, "Number of hardware threads.");
}
