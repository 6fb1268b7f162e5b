/// @file main.cpp
/// The `soma` runner: reads a run from a scenario file and the command line (scenario.hpp), has
/// build_simulation (run_spec.hpp) load and wire the plug-ins, and runs it.
///   soma run [SCENARIO.ini] [options]   run a simulation (see `soma run --help`)
///   soma list                           plug-ins by kind
///   soma describe NAME                  a plug-in's parameters and, for a model, its state variables
/// Wherever a model plug-in is named, the path of a model file (containing '/' or '.', e.g.
/// examples/models/hh.eq) may be given instead; the `equations` plug-in reads it (model_from_file.hpp).
/// Exit status: 0 on success, 1 on an error in the run or its inputs, 2 on a malformed command line.

#include "report.hpp"
#include "commands.hpp"
#include "phase_command.hpp"
#include "scenario.hpp"
#include "session.hpp"
#include "parallel.hpp"

#include "soma/error.hpp"
#include "soma/readable_number.hpp"
#include "soma/model.hpp"
#include "soma/model_from_file.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"
#include "soma/version.hpp"

#include <boost/program_options/errors.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <unistd.h>
#include <fcntl.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <new>
#include <memory>
#include <optional>
#include <set>
#include <streambuf>

namespace soma::app {
namespace {

constexpr const char* usage =
    "usage: soma <command> [arguments]\n\n"
    "commands:\n"
    "  run [SCENARIO.ini] [options]   run a simulation (default: the course exercises' HH step)\n"
    "  sweep [SCENARIO.ini] --vary KIND.PARAM=VALUES [options]\n"
    "                                 a parameter sweep as one population: table and figure (f-I curves)\n"
    "  fi [SCENARIO.ini] [options]    an f-I curve: 'sweep' over the stimulus amplitude\n"
    "  rheobase [SCENARIO.ini] [options]\n"
    "                                 the smallest stimulus amplitude that makes each cell fire\n"
    "  compare --recording FILES [options]\n"
    "                                 a model run against recordings of the same input (Gamma, RMSE, figure)\n"
    "  fit --fit model.PARAM=LOW:HIGH --train FILES [options]\n"
    "                                 fit model parameters to recordings (spike timing, subthreshold V)\n"
    "  phase [SCENARIO.ini] [options] phase plane of a 2-variable model (see 'soma phase --help')\n"
    "  list                           list the plug-ins by kind\n"
    "  describe NAME                  show a plug-in's parameters (unit, default, range) and state variables\n"
    "                                 (NAME may be a model file, e.g. examples/models/hh.eq)\n"
    "  --version                      print Soma's version\n\n"
    "'soma COMMAND --help' lists a command's options. Plug-ins are searched in $SOMA_PLUGIN_PATH, then in\n"
    "Soma's own plug-in directory.\n";

constexpr PluginKind all_kinds[] = {PluginKind::model, PluginKind::stimulus, PluginKind::integrator,
                                    PluginKind::recorder};

int list_plugins(const PluginRegistry& registry) {
    for (const auto kind : all_kinds) {
        say("{}:\n", kind == PluginKind::stimulus ? "stimuli" : fmt::format("{}s", to_string(kind)));
        for (const auto& p : registry.plugins(kind)) say("  {:<16} {}\n", p.name, p.description);
    }
    warn_rejected(registry);
    return 0;
}

/// Parameters, presets and, for a model, state variables and current of `object`.
void print_component(const Component& object) {
    const auto* model = dynamic_cast<const Model*>(&object);
    const std::string current_unit = model ? model->current().unit : std::string(model_current_unit);
    say("\nparameters:\n");
    if (object.schema().empty()) say("  (none)\n");
    else say("  {:<14} {:<16} {:>10}  {:<18} {}\n", "name", "unit", "default", "range", "description");
    // Units for people: a stimulus's current in the unit of the model it drives, an integrator's
    // tolerance in each state variable's, "dimensionless" for 1 (each explained below the table).
    std::set<std::string> notes;
    for (const auto& s : object.schema()) {
        std::string unit = resolve_unit(s.unit, current_unit);
        if (unit.find(model_current_unit) != std::string::npos) {
            unit = resolve_unit(s.unit, "model current");
            notes.insert("model current: the unit of the current of the model driven (uA/cm^2 for hh, nA for lif, "
                         "pA for adex; 'soma describe MODEL' shows it)");
        } else if (unit == "<state unit>") {
            unit = "state unit";
            notes.insert("state unit: the unit of each state variable ('soma describe MODEL' lists them)");
        } else if (unit == "1") {
            unit = "dimensionless";
        }
        say("  {:<14} {:<16} {:>10}  {:<18} {}\n", s.name, unit, readable(s.default_value), s.range.to_string(),
            s.description);
    }
    for (const auto& note : notes) say("  ({})\n", note);
    if (!object.presets().empty()) {
        say("\npresets (--preset NAME):\n");
        for (const auto& preset : object.presets()) {
            std::vector<std::string> values;
            for (const auto& [key, value] : preset.values) values.push_back(fmt::format("{}={}", key, value));
            say("  {:<20} {}\n  {:<20} {}\n", preset.name, preset.description, "",
                       fmt::join(values, " "));
        }
    }
    if (dynamic_cast<const ModelFromFile*>(&object) != nullptr) {
        // A loader (the `equations` plug-in): its models are the files it reads.
        say("\nThis plug-in reads models from files: give the file's path instead of its name, e.g.\n"
                   "'soma describe examples/models/hh.eq' or 'soma run --model examples/models/hh.eq'.\n");
    } else if (model) {
        // A dimensionless quantity's unit "1" (as in the parameter table) said in words where it stands alone.
        const auto unit = [](const std::string& u) { return u == "1" ? std::string("dimensionless") : u; };
        say("\nstate variables:\n");
        for (const auto& v : model->state_variables()) {
            say("  {:<10} {:<16} {}\n", v.name, unit(v.unit), v.description);
        }
        const auto& i = model->current();
        say("\ninjected current: {}{} ({})\n", i.name, i.unit == "1" ? ", dimensionless" : " in " + i.unit,
            i.description);
    }
}

int describe(const PluginRegistry& registry, const std::string& name) {
    if (is_model_file(name)) {
        // A model file: what the `equations` plug-in reads from it.
        (void)registry.lookup(PluginKind::model, model_file_plugin);
        warn_rejected(registry);  // a rejected file may be the user's own build of the plug-in described
        const auto model = create_model(registry, name);
        const auto& p = registry.find(PluginKind::model, model_file_plugin);
        say("{} (model file, read by the '{}' plug-in, version {})\n  file: {}\n", name, p.name, p.version,
                   std::filesystem::absolute(name).lexically_normal().string());
        guard_plugin_call(PluginKind::model, p.name, p.file, "failed to describe the model file",
                          [&] { print_component(*model); });
        return 0;
    }
    // Each kind's plug-in of that name: only the files that may hold it are loaded.
    std::vector<const PluginInfo*> found;
    for (const auto kind : all_kinds) {
        if (const PluginInfo* p = registry.lookup(kind, name)) found.push_back(p);
    }
    if (found.empty()) {
        const std::string message = registry.unknown_plugin_message(name);  // lists them all: loads every file
        warn_rejected(registry);
        throw PluginError(message);
    }
    warn_rejected(registry);  // a rejected file may be the user's own build of the plug-in described
    for (const PluginInfo* p : found) {
        const auto object = registry.create(p->kind, name);
        say("{} ({} plug-in, version {})\n  {}\n  file: {}\n", p->name, to_string(p->kind), p->version,
                   p->description, p->file.string());
        guard_plugin_call(p->kind, p->name, p->file, "failed to describe itself", [&] { print_component(*object); });
    }
    return 0;
}

int main_impl(const PluginRegistry& registry, const std::vector<std::string>& args, const Parallel& parallel) {
    if (args.empty()) {
        std::cerr << usage;
        return 2;
    }
    const std::string& command = args.front();
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (command == "--version") {
        say("soma {} ({})\n", version, Parallel::build_description());
        return 0;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        std::cout << usage;
        return 0;
    }
    const auto distribution = parallel.distribution();  // under mpirun: this rank's share of the cells
    if (command == "run") return run_command(registry, rest, distribution);
    if (command == "sweep") return sweep_command(registry, rest, distribution);
    if (command == "fi") return fi_command(registry, rest, distribution);
    if (command == "rheobase") return rheobase_command(registry, rest, distribution);
    if (command == "fit") return fit_command(registry, rest, distribution);
    if (command == "compare") return compare_command(registry, rest, distribution);
    if (command == "phase") {
        if (distribution && distribution->size() > 1) {
            throw ParameterError("soma phase simulates one cell; run it without mpirun");
        }
        return phase(registry, rest);
    }
    if (command == "list") {
        if (!rest.empty()) {
            std::cerr << "soma: error: 'soma list' takes no arguments; 'soma describe NAME' shows one plug-in\n";
            return 2;
        }
        return list_plugins(registry);
    }
    if (command == "describe") {
        if (std::ranges::any_of(rest, [](const std::string& a) { return a == "--help" || a == "-h"; })) {
            std::cout << "usage: soma describe NAME\n\nShows a plug-in's parameters (unit, default, range, "
                         "description), its presets and, for a model,\nits state variables and injected current. "
                         "NAME is a plug-in ('soma list' shows them) or a model\nfile, e.g. examples/models/hh.eq.\n";
            return 0;
        }
        if (rest.size() != 1) {
            std::cerr << "soma: error: 'soma describe' takes one plug-in name, e.g. 'soma describe hh'\n";
            return 2;
        }
        return describe(registry, rest.front());
    }
    const std::vector<std::string> commands{"run", "sweep", "fi", "rheobase", "compare", "fit", "phase", "list", "describe"};
    std::cerr << "soma: error: " << unknown_name_message("command", command, commands) << "\n\n" << usage;
    return 2;
}

/// Under mpirun, ranks other than 0 print nothing: rank 0 prints the run's lines and its errors, which are
/// every rank's (the ranks agree on failures, distribution.hpp). C's stdout goes to /dev/null (std::cout
/// with it); std::cerr is diverted while the object lives (so that its buffer outlives every use, also at
/// exit); C's stderr stays, for MPI's own messages.
class QuietOutput {
public:
    QuietOutput() : previous_(std::cerr.rdbuf(&discard_)) {
        [[maybe_unused]] const std::FILE* null = std::freopen("/dev/null", "w", stdout);
    }
    ~QuietOutput() { std::cerr.rdbuf(previous_); }
    QuietOutput(const QuietOutput&) = delete;
    QuietOutput& operator=(const QuietOutput&) = delete;

private:
    struct Discard : std::streambuf {
        int overflow(int c) override { return traits_type::not_eof(c); }
    } discard_;
    std::streambuf* previous_;
};

}  // namespace
}  // namespace soma::app

int main(int argc, char** argv) {
    // A standard stream that is closed (`soma run 1>&-`) would be reused by the first file opened, and the
    // report written into an output: each gets /dev/null, and a closed stdout is a failed report (exit 1).
    for (const int fd : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) {
        if (::fcntl(fd, F_GETFD) == -1 && errno == EBADF) {
            if (::open("/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY) != fd) return 1;  // the lowest free fd
            if (fd == STDOUT_FILENO) soma::app::report_failed = true;
        }
    }
    // Line-buffered even into a pipe or a file, so that whoever reads the output sees each line as it comes.
    std::setvbuf(stdout, nullptr, _IOLBF, BUFSIZ);
    // A closed pipe on stdout (`soma run | head -1`) is a failed write, reported below once the command has
    // committed its files, not a SIGPIPE that kills it between two of them.
    std::signal(SIGPIPE, SIG_IGN);
    // A file-size limit (ulimit -f) is a failed write (EFBIG) that names the file and leaves no partial
    // output, not a SIGXFSZ that kills the process with no message.
    std::signal(SIGXFSZ, SIG_IGN);
    // Declared outside the try block: the registry keeps every plug-in library it loaded until the
    // handlers below have used (and destroyed) an exception that plug-in code threw; MPI, if started,
    // ends after that.
    std::optional<soma::app::QuietOutput> quiet;  // destroyed last: std::cerr is restored before exit
    std::optional<soma::app::Parallel> parallel;
    std::optional<soma::PluginRegistry> registry;
    try {
        parallel.emplace(argc, argv);
        if (parallel->rank() != 0) quiet.emplace();
        registry.emplace();
        // 'soma list' loads every plug-in: one whose library crashes as it loads is tried in a child process
        // first and reported, instead of ending this one (without mpirun only, where forking is safe).
        if (argc == 2 && std::string_view(argv[1]) == "list" && !parallel->distribution()) {
            registry->load_in_child_first(true);
        }
        const int status =
            soma::app::main_impl(*registry, std::vector<std::string>(argv + 1, argv + argc), *parallel);
        std::cout.flush();
        if (std::fflush(stdout) != 0 || !std::cout || soma::app::report_failed) {
            // The files are complete (report.hpp): only the report of them is lost.
            std::cerr << "soma: error: cannot write to standard output; the command completed (and wrote its files, "
                         "if it writes any), but not all of its report was printed\n";
            return 1;
        }
        return status;
    } catch (const boost::program_options::error& e) {
        const std::string command = argc > 1 && argv[1][0] != '-' ? argv[1] : "run";
        std::cerr << "soma: error: " << e.what() << " (see 'soma " << command << " --help')\n";
        return 2;
    } catch (const soma::Error& e) {
        std::cerr << "soma: error: " << soma::app::with_scenario_origin(e.what()) << '\n';
        // 128 + the signal (130 for SIGINT, 143 for SIGTERM), as shells report a program it ended.
        const int signal = soma::app::interrupting_signal.load();
        return soma::app::interrupted ? 128 + (signal != 0 ? signal : SIGINT) : 1;
    } catch (const std::bad_alloc&) {
        // The memory estimate (check_population_memory) is of the machine's memory: a limit (ulimit -v, a
        // container's) or other programs can leave less.
        std::cerr << "soma: error: out of memory (std::bad_alloc): the command needed more memory than this process "
                     "could get; use fewer cells or record less, or raise the process's memory limit\n";
        return 1;
    } catch (const std::exception& e) {
        if (parallel && parallel->rank() != 0) {
            std::fprintf(stderr, "soma: error on rank %zu: %s\n", parallel->rank(), e.what());  // not agreed on
        }
        std::cerr << "soma: error: " << e.what() << '\n';
        return 1;
    } catch (...) {
        // Only plug-in code can throw something that is not an exception (e.g. `throw 1`) into a kernel.
        std::cerr << "soma: error: a plug-in threw an object that is not an exception; nothing was written\n";
        return 1;
    }
}
