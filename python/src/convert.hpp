#pragma once
/// @file convert.hpp
/// Between the arguments of soma.run (already checked for their Python types by the package's
/// _spec.py) and the framework's RunSpec, and from the framework's metadata to Python objects.

#include "soma/run_info.hpp"
#include "soma/run_spec.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soma::python {

/// The run description as soma.run takes it: the options of `soma run`, one field each.
struct RunArguments {
    std::string model = "hh";
    std::string preset;
    std::string stimulus = "step";  ///< several summed: joined with '+', as repeated --stimulus
    /// stimulus=None: the default drive, the step at the amplitude the model suggests (as `soma run` without
    /// --stimulus, apply_suggested_drive); false for a stimulus the user named.
    bool default_stimulus = false;
    std::string integrator = "euler";
    /// KIND.PARAM -> the text as typed after --set (numbers, lists and the forms of cell_values.hpp).
    std::map<std::string, std::string> text_parameters;
    /// KIND.PARAM -> one value per cell (a NumPy array), model and stimulus parameters only.
    std::map<std::string, std::vector<double>> array_parameters;
    std::vector<std::string> recorders;  ///< plug-ins that write files into output_dir; none by default
    double t_stop = 100.0;
    bool t_stop_given = true;  ///< false: t_stop=None, the default length (apply_stimulus_duration)
    double dt = 0.01;
    double record_interval = 0.0;
    std::size_t cells = 0;    ///< 0: as many as the per-cell values fix
    std::size_t threads = 0;  ///< 0: the cores
    std::uint64_t seed = 0;
    std::optional<std::vector<std::string>> record;
    std::optional<std::vector<std::size_t>> record_cells;
    std::optional<std::string> cells_from;
    std::string name = "run";
    std::string output_dir = "soma-output";
    std::string title;
    bool force = false;  ///< replace the outputs of a different run of the same name (as --force)
};

/// `message` (of the framework, worded for the `soma` command) with the command's options named as the
/// Python functions' keywords: "--record-cells" -> "record_cells", "--high 25" -> "high=25",
/// "--firing 'x'" -> "firing='x'", "--set model.g_Na=100" -> "params['model.g_Na']=100", "--force" ->
/// "force=True"; options without a Python keyword are left as they are. Applied to every soma exception
/// that reaches Python.
[[nodiscard]] std::string python_names(std::string_view message);

/// `message` with every value longer than 80 characters (a quoted 'TEXT', or a word) abbreviated to its first
/// 60 characters and "…(N characters)", so that a huge argument does not fill the screen. Applied to every
/// soma exception that reaches Python, after python_names.
[[nodiscard]] std::string readable_message(std::string_view message);

/// The RunSpec of `args`; `origin` names the argument in messages (e.g. "params").
/// @throws ParameterError for a KIND.PARAM key without a '.' or naming no component of the run, with
///         the message of `soma run --set` (only the option's name differs), and for per-cell values of
///         an integrator or recorder.
[[nodiscard]] RunSpec to_run_spec(const RunArguments& args);

/// The metadata of a run as a dict (docs/python.md lists the keys).
[[nodiscard]] pybind11::dict info_dict(const RunInfo& info);

/// Each per-cell parameter of `info` that differs between cells, "KIND.PARAM" -> array [n_cells].
void add_cell_parameters(pybind11::dict& table, const RunInfo& info);

/// `values` copied into a new 1-D NumPy array.
template <class T>
[[nodiscard]] pybind11::array_t<T> to_array(const std::vector<T>& values) {
    pybind11::array_t<T> a(static_cast<pybind11::ssize_t>(values.size()));
    std::copy(values.begin(), values.end(), a.mutable_data());
    return a;
}

}  // namespace soma::python
