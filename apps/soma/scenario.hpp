#pragma once
/// @file scenario.hpp
/// A run as the user describes it, read from a scenario file (INI) and the command line with
/// Boost.Program_options (the command line wins), as the soma::RunSpec that build_simulation wires.

#include "soma/run_spec.hpp"

#include <boost/program_options/options_description.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace soma::app {

/// Everything `soma run` needs: the run, with the built-in defaults (the course exercises' HH step)
/// filled in, and what the user should be told about how the inputs were combined.
struct Scenario {
    RunSpec spec;
    std::vector<std::string> notes;  ///< things the user should know (printed, not errors)
    /// The scenario file's sections for a recorder when the command line gives the recorders (ignored,
    /// with a note): section name and FILE:LINE. check_plugins (session.hpp) refuses a name that is no
    /// recorder (a misspelled [simulation]).
    std::vector<std::pair<std::string, std::string>> unselected_recorder_sections;
    /// The values of a command's own options (ExtraOption), by option name, in the order given (the
    /// command line's, else the scenario file's); absent when not given.
    std::map<std::string, std::vector<std::string>> extra;
    std::vector<std::string> command_line;  ///< `soma`, the command and its arguments, for the metadata
    bool recorders_given = false;  ///< --recorder (or the file's `recorder`) was given
    bool force = false;            ///< --force: replace a different run's outputs of the same name
    bool stimulus_given = false;   ///< --stimulus (or the file's `stimulus`) was given
    bool title_given = false;      ///< --title (or the file's `title`) was given
    bool t_stop_given = false;     ///< --t-stop (or the file's `t_stop`) was given
    /// Where the scenario file set the values the run takes from it: "FILE:LINE" by key ("t_stop",
    /// "model.g_Na", "csv.precision"); values the command line gives are not in it.
    std::map<std::string, std::string> origins;
};

/// `message` (of an error) with "FILE:LINE: " in front when it is about a value that came from the
/// scenario file that parse_run_arguments read last in this process: a parameter (`parameter 'NAME'` of
/// "model 'M': ..." and the like, or a stimulus window's "stimulus onset = ..."), a setting ("dt = 0 ms
/// ..."), or an option's check ("--record-cells: ...", then shown with the file's key, record_cells);
/// a message that mentions "dt = " while the file sets dt also says where. Else `message` unchanged.
[[nodiscard]] std::string with_scenario_origin(const std::string& message);

/// An option that a command (`soma sweep`, `soma rheobase`) adds to those of `soma run`, taking a text
/// value; in scenario files its key is the name with '_' for '-'.
struct ExtraOption {
    std::string name;        ///< e.g. "vary"
    std::string value_name;  ///< e.g. "KIND.PARAM=VALUES"
    std::string help;
    bool repeatable = false;
};

/// How a command other than `soma run` takes `soma run`'s options (e.g. `soma compare`, whose run lasts
/// as long as its recording). An option in `refused` is refused on the command line with its reason
/// ("--t-stop does not apply to soma compare: REASON") and, as a scenario file's key, ignored with a note
/// giving the reason; the help leaves it out. An option in `help` is shown with that text instead of
/// soma run's (the command's own default).
struct RunOptionUse {
    std::map<std::string, std::string> refused;  ///< command-line name (e.g. "t-stop") -> why it does not apply
    std::map<std::string, std::string> help;     ///< command-line name -> the command's own help text
};

/// Parses the arguments that follow `soma run`; nullopt when they ask for --help. Per-cell values
/// (`--set KIND.PARAM=` lists, linspace, normal, uniform; `--cells-from`) go to the spec as typed and
/// are checked by build_simulation, as are recorded names and cells against the model and population.
/// @throws ParameterError (or boost::program_options::error) with a message naming the option or
///         key, the value and what is allowed: among others --cells or --threads of 0 or not a whole
///         number, a --seed that is not a whole number from 0 to 2^64 - 1, an empty name in --record,
///         and a --record-cells entry that is neither an index nor a non-empty range a:b.
/// `command` (e.g. "sweep") names the command in messages; `extra` are its own options.
/// `use`: the options of `soma run` that do not apply to `command`, or apply with other defaults.
/// @throws ParameterError also for an option that `use` refuses, naming it and the reason.
std::optional<Scenario> parse_run_arguments(const std::vector<std::string>& args, std::string_view command = "run",
                                            std::span<const ExtraOption> extra = {}, const RunOptionUse& use = {});

/// Refuses a command line `args` in which an option of `options` that takes a value is followed by another
/// of its options (`--output --force`, `-o --force`), which Boost.Program_options would take as the value (a directory
/// named "--force"). A value that merely starts with '-' (`--set model.V_init=-65`, `--dt -1`) is left to
/// the option's own checks.
/// @throws boost::program_options::invalid_command_line_syntax (missing_parameter) naming the option.
void refuse_option_as_value(const boost::program_options::options_description& options,
                            const std::vector<std::string>& args);

/// For a command line `args` of `soma COMMAND` (options `options`) that names more than one scenario file.
/// @throws ParameterError naming the files and what to do instead.
[[noreturn]] void refuse_several_scenarios(std::string_view command,
                                           const boost::program_options::options_description& options,
                                           const std::vector<std::string>& args);

/// The command-line options of `soma run` (without the positional scenario file), for commands that
/// accept some of them and hand them on to parse_run_arguments.
boost::program_options::options_description run_options();

/// Text of `soma run --help`, with the options `extra` that soma run has besides the run description.
std::string run_help(std::span<const ExtraOption> extra = {});

/// The options of `soma run` and `extra`, as `--help` shows them, under the heading "soma COMMAND options":
/// without those `use` refuses, with its help texts.
std::string options_help(std::string_view command, std::span<const ExtraOption> extra, const RunOptionUse& use = {});

}  // namespace soma::app
