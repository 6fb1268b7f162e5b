#pragma once
/// @file error.hpp
/// Exception types thrown by the Soma framework and its plug-ins.
///
/// Every error a user can cause (a bad parameter, an unknown plug-in, an unstable run) is reported by
/// throwing one of these; the `soma` runner prints `what()` as one paragraph and exits non-zero.
/// They are marked visible, and their destructors are defined in libsoma (the key function), so that
/// their vtables and type_info live in the framework library: an exception thrown by a plug-in stays
/// valid after that plug-in is unloaded.

#include <boost/config.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace soma {

/// `message` with each control byte other than newline and tab (a NUL, an escape sequence copied from
/// a file or an option), and each byte that is not part of a well-formed UTF-8 character (a binary
/// file's bytes), written as `\xNN`: so that what() holds the whole message and prints as text.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string printable_message(const std::string& message);

/// Base of all Soma errors. `what()` is a complete, user-facing sentence, with control bytes escaped
/// (printable_message).
class BOOST_SYMBOL_VISIBLE Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(printable_message(message)) {}
    explicit Error(const char* message) : Error(std::string(message)) {}
    Error(const Error&) = default;
    Error& operator=(const Error&) = default;
    ~Error() override;
};

/// A parameter value or a run setting is invalid: unknown name, not a number, out of range,
/// or violating a constraint between parameters (e.g. stimulus onset after offset).
class BOOST_SYMBOL_VISIBLE ParameterError : public Error {
public:
    using Error::Error;
    ParameterError(const ParameterError&) = default;
    ParameterError& operator=(const ParameterError&) = default;
    ~ParameterError() override;
};

/// A plug-in could not be found, loaded or used: unknown name, not a Soma plug-in,
/// built against another API version, wrong kind, or a capability it lacks.
class BOOST_SYMBOL_VISIBLE PluginError : public Error {
public:
    using Error::Error;
    PluginError(const PluginError&) = default;
    PluginError& operator=(const PluginError&) = default;
    ~PluginError() override;
};

/// A run failed while it was going: the state became NaN or infinite, or an output could not be written.
class BOOST_SYMBOL_VISIBLE RunError : public Error {
public:
    using Error::Error;
    RunError(const RunError&) = default;
    RunError& operator=(const RunError&) = default;
    ~RunError() override;
};

/// A run failed because of one cell: its state became NaN or infinite, it crossed its threshold without
/// bound within one step (a reset that cannot hold it below threshold), or its integrator could not
/// advance it (no step size meets the tolerances, the step size underflowed, too many internal steps,
/// a CVODE failure). `cell` is its population index, so that a caller running many candidates at once (a
/// fit) can leave that cell out and run the others again. Under MPI only the rank that simulated the cell
/// sees this type; the others see a RunError.
class BOOST_SYMBOL_VISIBLE CellError : public RunError {
public:
    CellError(const std::string& message, std::size_t cell) : RunError(message), cell_(cell) {}
    CellError(const CellError&) = default;
    CellError& operator=(const CellError&) = default;
    ~CellError() override;
    [[nodiscard]] std::size_t cell() const { return cell_; }

private:
    std::size_t cell_;
};

/// A model file (read by a loader plug-in such as `equations`, see model_from_file.hpp) cannot be
/// read or is invalid: a syntax error, an unknown symbol, a missing or duplicate declaration, a unit
/// mismatch. `what()` starts with "FILE:LINE:COLUMN: " (LINE and COLUMN 1-based; "FILE: " alone when
/// the error concerns the whole file, e.g. it cannot be opened).
class BOOST_SYMBOL_VISIBLE ModelFileError : public Error {
public:
    using Error::Error;
    ModelFileError(const ModelFileError&) = default;
    ModelFileError& operator=(const ModelFileError&) = default;
    ~ModelFileError() override;
};

}  // namespace soma
