#pragma once
/// @file fitting.hpp
/// soma._soma's compare and fit, over libsoma_fitting (what `soma compare` and `soma fit` use).

#include <pybind11/pybind11.h>

namespace soma::python {

/// Adds `compare` and `fit` to the extension module `m`.
void bind_fitting(pybind11::module_& m);

}  // namespace soma::python
