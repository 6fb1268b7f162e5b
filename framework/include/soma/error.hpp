#pragma once
/// @file error.hpp
/// Exception types thrown by the Soma framework and its plug-ins.
///
/// Every error a user can cause (a bad parameter, an unknown plug-in, an unstable run) is reported by
/// throwing one of these; the `soma` runner prints `what()` as one paragraph and exits non-zero.
/// They are marked visible so that one type identity is shared by the framework and every plug-in.

#include <boost/config.hpp>

#include <stdexcept>
#include <string>

namespace soma {

/// Base of all Soma errors. `what()` is a complete, user-facing sentence.
class BOOST_SYMBOL_VISIBLE Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A parameter value or a run setting is invalid: unknown name, not a number, out of range,
/// or violating a constraint between parameters (e.g. stimulus onset after offset).
class BOOST_SYMBOL_VISIBLE ParameterError : public Error {
public:
    using Error::Error;
};

/// A plug-in could not be found, loaded or used: unknown name, not a Soma plug-in,
/// built against another API version, wrong kind, or a capability it lacks.
class BOOST_SYMBOL_VISIBLE PluginError : public Error {
public:
    using Error::Error;
};

/// A run failed while it was going: the state became NaN or infinite, or an output could not be written.
class BOOST_SYMBOL_VISIBLE RunError : public Error {
public:
    using Error::Error;
};

}  // namespace soma
