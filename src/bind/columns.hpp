// Binding helpers: turning Python inputs into typed views for the C++ kernels.
//
// Numeric 1-D numpy arrays are used in place (zero copy). Anything else (lists, pandas nullable
// arrays, Polars series, object arrays) goes through `cxkit._frame.as_numeric`, the single
// Python-side normaliser, which returns a numpy array and an optional missing mask.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <cxkit/core/validate.hpp>
#include <cxkit/error.hpp>

namespace cxkit_py {
namespace py = pybind11;

/// A numeric column: values (1-D, C-contiguous, numeric dtype) and an optional missing mask.
struct column {
    py::array values;
    py::array mask;  // uint8/bool; meaningful only when has_mask (a default py::array is not null)
    bool has_mask = false;
    std::size_t size() const { return static_cast<std::size_t>(values.size()); }
    const std::uint8_t* mask_data() const {
        return has_mask ? static_cast<const std::uint8_t*>(mask.data()) : nullptr;
    }
    void set_mask(py::handle m) {
        mask = py::array::ensure(m, py::array::c_style);
        has_mask = true;
        if (!mask || mask.ndim() != 1 || mask.size() != values.size() || mask.dtype().itemsize() != 1)
            throw cxkit::invalid_argument("missing mask must be a 1-D bool array with one entry per value");
    }
};

inline bool is_numeric_vector(py::handle obj) {
    if (!py::isinstance<py::array>(obj)) return false;
    auto a = py::reinterpret_borrow<py::array>(obj);
    const char kind = a.dtype().kind();
    const auto size = a.dtype().itemsize();
    // Non-native byte order ('>' here) goes through the Python normaliser, which swaps it.
    const char order = a.dtype().byteorder();
    const bool native = order == '=' || order == '|' || order == (PY_LITTLE_ENDIAN ? '<' : '>');
    return native && a.ndim() == 1 && (kind == 'i' || kind == 'u' || (kind == 'f' && (size == 4 || size == 8)));
}

/// Data of an optional 1-D argument with one entry per row, as T (converted when needed), or null
/// for None; `keep` holds a converted array alive for as long as the pointer is used.
/// @throws invalid_argument naming the argument when it is not 1-D or has another length.
template <class T>
const T* optional_array(const py::handle& obj, std::size_t n, const char* name, py::object& keep) {
    if (obj.is_none()) return nullptr;
    auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
    if (!a || a.ndim() != 1 || static_cast<std::size_t>(a.size()) != n)
        throw cxkit::invalid_argument(std::string(name) + " must be a 1-D array with one entry per row (" +
                                      std::to_string(n) + ")");
    keep = a;
    return a.data();
}

/// A vector as a new numpy array (element by element, so std::vector<bool> works too).
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
    py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
}

/// Values of argument `name` as a numeric column.
inline column as_column(py::handle obj, const char* name) {
    column c;
    if (is_numeric_vector(obj)) {
        c.values = py::array::ensure(obj, py::array::c_style);
        return c;
    }
    py::tuple t = py::module_::import("cxkit._frame").attr("as_numeric")(obj, name);
    c.values = py::array::ensure(t[0], py::array::c_style);
    if (!is_numeric_vector(c.values))
        throw cxkit::unsupported_type(std::string(name) + ": expected a 1-D numeric array");
    if (!t[1].is_none()) c.set_mask(t[1]);
    return c;
}

/// Weights as contiguous float64 of length n, or an empty array when `obj` is None.
inline py::array_t<double> as_weights(py::handle obj, std::size_t n, const char* name = "weights") {
    if (obj.is_none()) return py::array_t<double>();
    column c = as_column(obj, name);
    if (c.size() != n)
        throw cxkit::invalid_argument(std::string(name) + " has " + std::to_string(c.size()) +
                                      " values but the data has " + std::to_string(n));
    auto w = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(c.values);
    if (c.has_mask) {
        // A missing weight is an invalid weight (NaN): the row is refused or dropped per on_invalid.
        py::array_t<double> copy(static_cast<py::ssize_t>(n));
        const auto* m = c.mask_data();
        for (std::size_t i = 0; i < n; ++i) copy.mutable_data()[i] = m[i] ? std::nan("") : w.data()[i];
        return copy;
    }
    return w;
}

/// Calls f(const T*) with the array's element type.
template <class F>
decltype(auto) dispatch_numeric(const py::array& a, F&& f) {
    const char kind = a.dtype().kind();
    const auto size = a.dtype().itemsize();
    const void* p = a.data();
    if (kind == 'f') {
        if (size == 8) return f(static_cast<const double*>(p));
        if (size == 4) return f(static_cast<const float*>(p));
    } else if (kind == 'i') {
        switch (size) {
            case 1: return f(static_cast<const std::int8_t*>(p));
            case 2: return f(static_cast<const std::int16_t*>(p));
            case 4: return f(static_cast<const std::int32_t*>(p));
            case 8: return f(static_cast<const std::int64_t*>(p));
        }
    } else if (kind == 'u') {
        switch (size) {
            case 1: return f(static_cast<const std::uint8_t*>(p));
            case 2: return f(static_cast<const std::uint16_t*>(p));
            case 4: return f(static_cast<const std::uint32_t*>(p));
            case 8: return f(static_cast<const std::uint64_t*>(p));
        }
    }
    throw cxkit::unsupported_type("unsupported dtype " + std::string(py::str(a.dtype())));
}

/// Calls f(const C*) for group codes: signed integers of any width (int8/int16 are pandas
/// Categorical codes, used without a widening copy; int32/int64 are keys and factorized codes).
template <class F>
decltype(auto) dispatch_codes(const py::array& a, F&& f) {
    if (a.dtype().kind() == 'i') {
        switch (a.dtype().itemsize()) {
            case 1: return f(static_cast<const std::int8_t*>(a.data()));
            case 2: return f(static_cast<const std::int16_t*>(a.data()));
            case 4: return f(static_cast<const std::int32_t*>(a.data()));
            case 8: return f(static_cast<const std::int64_t*>(a.data()));
        }
    }
    throw cxkit::unsupported_type("group codes must be signed integers, got " + std::string(py::str(a.dtype())));
}

template <class T>
cxkit::core::batch<T> make_batch(const T* values, const column& c, const py::array_t<double>& w) {
    return {values, c.size(), w.size() ? w.data() : nullptr, c.mask_data()};
}

}  // namespace cxkit_py
