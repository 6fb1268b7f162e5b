/// @file test_plugin_loading.cpp
/// PluginRegistry: finding plug-ins by name, refusing files that are not (current) Soma plug-ins,
/// loading only the plug-ins asked for (the first directory still winning), and keeping a plug-in's
/// library loaded for as long as its objects live.
///
/// The refused plug-ins are built by tests/CMakeLists.txt into a test-only directory
/// (SOMA_TEST_PLUGIN_DIR), never into the real plug-in directory.

#define BOOST_TEST_MODULE soma_test_plugin_loading
#include "soma_test_support.hpp"

#include <boost/version.hpp>

#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <thread>

namespace {

using soma::PluginError;
using soma::PluginKind;
using soma::PluginRegistry;
using soma::test::message_of;
namespace fs = std::filesystem;

const fs::path test_plugin_dir = SOMA_TEST_PLUGIN_DIR;
const fs::path wrong_api_plugin = SOMA_TEST_WRONG_API_PLUGIN;
const fs::path other_build_plugin = SOMA_TEST_OTHER_BUILD_PLUGIN;
const fs::path debug_mode_plugin = SOMA_TEST_DEBUG_MODE_PLUGIN;
const fs::path not_a_plugin = SOMA_TEST_NOT_A_PLUGIN;

std::vector<std::string> names(const std::vector<soma::PluginInfo>& plugins) {
    std::vector<std::string> result;
    for (const auto& p : plugins) result.push_back(p.name);
    return result;
}

void write_file(const fs::path& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    BOOST_TEST_REQUIRE(out.good(), "cannot write " << file);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_loading)

// (a) An unknown name: the error lists the searched directories and the available names, and
// suggests the closest.
BOOST_AUTO_TEST_CASE(unknown_name_lists_directories_names_and_suggests_closest) {
    const PluginRegistry registry;
    const auto models = names(registry.plugins(PluginKind::model));
    for (const char* model : {"hh", "lif"}) {
        BOOST_TEST((std::find(models.begin(), models.end(), model) != models.end()), model << " not found");
    }

    const auto message = message_of<PluginError>([&] { (void)registry.create(PluginKind::model, "hhh"); });
    SOMA_CHECK_CONTAINS(message, "unknown model plug-in 'hhh'");
    SOMA_CHECK_CONTAINS(message, "did you mean 'hh'?");
    SOMA_CHECK_CONTAINS(message, fmt::format("Known: {}.", fmt::join(models, ", ")));
    SOMA_CHECK_CONTAINS(message, "Searched: ");
    BOOST_TEST_REQUIRE(!registry.search_path().empty());
    for (const auto& dir : registry.search_path()) SOMA_CHECK_CONTAINS(message, dir.string());
    SOMA_CHECK_CONTAINS(message, PluginRegistry::builtin_plugin_dir().string());

    const auto stimulus = message_of<PluginError>([&] { (void)registry.find(PluginKind::stimulus, "stepp"); });
    SOMA_CHECK_CONTAINS(stimulus, "did you mean 'step'?");
    SOMA_CHECK_CONTAINS(stimulus, "Known: dc, ou, pulse_train, ramp, sine, step, steps, waveform, white.");

    // Right name, wrong kind: not found among the integrators, and nothing close is suggested.
    const auto kind = message_of<PluginError>([&] { (void)registry.find(PluginKind::integrator, "hh"); });
    SOMA_CHECK_CONTAINS(kind, "unknown integrator plug-in 'hh'");
    BOOST_TEST(kind.find("did you mean") == std::string::npos, kind);
}

// A plug-in whose descriptor claims another compiler version is refused, naming the file and both builds.
BOOST_AUTO_TEST_CASE(plugin_from_another_cxx_build_is_refused) {
    BOOST_TEST_REQUIRE(fs::is_regular_file(other_build_plugin), other_build_plugin);
    const auto ours = soma::framework_build();
    const soma::BuildInfo theirs{ours.compiler,      ours.compiler_major + 1, ours.cxx11_abi,
                                 ours.glibcxx_debug, ours.boost_version,      ours.fmt_version};
    const auto message = message_of<PluginError>([] { (void)PluginRegistry::inspect(other_build_plugin); });
    SOMA_CHECK_CONTAINS(message, other_build_plugin.string());
    SOMA_CHECK_CONTAINS(message, "was built with " + theirs.to_string());
    SOMA_CHECK_CONTAINS(message, "but this Soma with " + ours.to_string());
    SOMA_CHECK_CONTAINS(message, fmt::format("Boost {}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000));
    SOMA_CHECK_CONTAINS(message, fmt::format("fmt {}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100));
}

// A plug-in compiled in libstdc++'s debug mode (-D_GLIBCXX_DEBUG: std::vector and std::string with another
// layout) is refused though compiler, ABI flag and library versions agree.
BOOST_AUTO_TEST_CASE(plugin_built_in_libstdcxx_debug_mode_is_refused) {
    BOOST_TEST_REQUIRE(fs::is_regular_file(debug_mode_plugin), debug_mode_plugin);
    const auto message = message_of<PluginError>([] { (void)PluginRegistry::inspect(debug_mode_plugin); });
    SOMA_CHECK_CONTAINS(message, debug_mode_plugin.string());
    SOMA_CHECK_CONTAINS(message, "was built with " + soma::framework_build().to_string() + ", _GLIBCXX_DEBUG");
}

// (b) A plug-in built in this test against the next API version is refused, by `inspect` and by a
// registry over its directory, naming the file and both versions.
BOOST_AUTO_TEST_CASE(plugin_with_other_api_version_is_refused) {
    BOOST_TEST_REQUIRE(fs::is_regular_file(wrong_api_plugin), wrong_api_plugin);
    const std::string found = fmt::format("API version {}", soma::api_version + 1);
    const std::string expected = fmt::format("expects version {}", soma::api_version);

    const auto message = message_of<PluginError>([] { (void)PluginRegistry::inspect(wrong_api_plugin); });
    SOMA_CHECK_CONTAINS(message, wrong_api_plugin.string());
    SOMA_CHECK_CONTAINS(message, found);
    SOMA_CHECK_CONTAINS(message, expected);

    const PluginRegistry registry({test_plugin_dir});
    BOOST_TEST(registry.plugins().empty());
    const auto& rejected = registry.rejected();
    const auto it = std::find_if(rejected.begin(), rejected.end(),
                                 [](const soma::RejectedFile& r) { return r.file == wrong_api_plugin; });
    BOOST_TEST_REQUIRE((it != rejected.end()), "not in rejected(): " << wrong_api_plugin);
    SOMA_CHECK_CONTAINS(it->reason, found);
    SOMA_CHECK_CONTAINS(it->reason, expected);
    // Looking it up by name says why it is missing.
    const auto lookup = message_of<PluginError>([&] { (void)registry.find(PluginKind::model, "future_model"); });
    SOMA_CHECK_CONTAINS(lookup, "Rejected: ");
    SOMA_CHECK_CONTAINS(lookup, wrong_api_plugin.string());

    // A refused file does not hide the good plug-ins of a later directory.
    const PluginRegistry both({test_plugin_dir, PluginRegistry::builtin_plugin_dir()});
    const PluginRegistry builtin({PluginRegistry::builtin_plugin_dir()});
    BOOST_TEST(names(both.plugins(PluginKind::model)) == names(builtin.plugins(PluginKind::model)),
               boost::test_tools::per_element());
    BOOST_TEST(both.rejected().size() == rejected.size());
}

// The test plug-ins stay out of the real plug-in directory.
BOOST_AUTO_TEST_CASE(test_plugins_are_not_in_the_real_plugin_dir) {
    BOOST_TEST(fs::weakly_canonical(test_plugin_dir) != fs::weakly_canonical(PluginRegistry::builtin_plugin_dir()));
    const PluginRegistry registry;
    for (const auto& p : registry.plugins()) BOOST_TEST(p.name != "future_model");
    for (const auto& r : registry.rejected()) {
        BOOST_TEST(r.file.filename() != wrong_api_plugin.filename(), r.reason);
        BOOST_TEST(r.file.filename() != not_a_plugin.filename(), r.reason);
    }
}

// (c) A working shared library without a descriptor: "is not a Soma plug-in", naming the file.
BOOST_AUTO_TEST_CASE(shared_library_without_descriptor_is_not_a_plugin) {
    BOOST_TEST_REQUIRE(fs::is_regular_file(not_a_plugin), not_a_plugin);
    {
        // It really is a loadable library that exports a function.
        boost::dll::shared_library library(boost::dll::fs::path(not_a_plugin.string()),
                                           boost::dll::load_mode::rtld_now);
        BOOST_TEST(library.get<int()>("soma_test_not_a_plugin_answer")() == 42);
    }
    const auto message = message_of<PluginError>([] { (void)PluginRegistry::inspect(not_a_plugin); });
    SOMA_CHECK_CONTAINS(message, "'" + not_a_plugin.string() + "' is not a Soma plug-in");
    SOMA_CHECK_CONTAINS(message, "soma_plugin_descriptor");

    const PluginRegistry registry({test_plugin_dir});
    const auto& rejected = registry.rejected();
    const auto it = std::find_if(rejected.begin(), rejected.end(),
                                 [](const soma::RejectedFile& r) { return r.file == not_a_plugin; });
    BOOST_TEST_REQUIRE((it != rejected.end()), "not in rejected(): " << not_a_plugin);
    SOMA_CHECK_CONTAINS(it->reason, "is not a Soma plug-in");
}

// (d) Files named *.so that are not shared libraries: a PluginError naming the file, no crash.
BOOST_AUTO_TEST_CASE(file_that_is_not_a_shared_library_is_refused) {
    const soma::test::TempDir dir("soma-test-garbage");
    const fs::path garbage = dir.path() / "garbage.so";
    const fs::path truncated = dir.path() / "truncated.so";
    const fs::path empty = dir.path() / "empty.so";
    std::string bytes;
    for (int k = 0; k < 4096; ++k) bytes += static_cast<char>((k * 131 + 7) % 256);
    write_file(garbage, bytes);
    write_file(truncated, std::string("\x7f" "ELF\x02\x01\x01", 7) + std::string(40, '\xff'));  // ELF magic, then junk
    write_file(empty, "");

    for (const auto& file : {garbage, truncated, empty}) {
        const auto message = message_of<PluginError>([&] { (void)PluginRegistry::inspect(file); });
        SOMA_CHECK_CONTAINS(message, "cannot load plug-in file '" + file.string() + "'");
        // The loader's reason alone: not Boost.DLL's wording, nor the errno text it appends (whatever errno
        // held, "Bad file descriptor" or "Success"), nor the file's name twice.
        BOOST_TEST(message.find("dlerror") == std::string::npos, message);
        BOOST_TEST(message.find(file.string()) == message.rfind(file.string()), message);
        BOOST_TEST(!message.ends_with(")"), message);
    }
    SOMA_CHECK_CONTAINS(message_of<PluginError>([&] { (void)PluginRegistry::inspect(garbage); }), "invalid ELF header");

    write_file(dir.path() / "notes.txt", "not a .so: ignored");
    const PluginRegistry registry({dir.path()});
    BOOST_TEST(registry.plugins().empty());
    BOOST_TEST(registry.rejected().size() == 3u);
    for (const auto& r : registry.rejected()) SOMA_CHECK_CONTAINS(r.reason, r.file.string());
}

// (e) Objects keep their plug-in's library loaded after the registry is gone: the objects created
// by the registry, and those of a Simulation that build_simulation wired through it.
BOOST_AUTO_TEST_CASE(a_constructor_that_throws_a_non_exception_gives_a_plugin_error) {
    const PluginRegistry registry({SOMA_TEST_THROWING_PLUGIN_DIR});
    const auto message = message_of<PluginError>([&] { (void)registry.create(PluginKind::model, "throws_int"); });
    SOMA_CHECK_CONTAINS(message, "model plug-in 'throws_int'");
    SOMA_CHECK_CONTAINS(message, "failed to construct: it threw an object that is not an exception");
}

BOOST_AUTO_TEST_CASE(objects_outlive_the_registry) {
    std::shared_ptr<soma::Model> model;
    std::shared_ptr<soma::Stimulus> stimulus;
    std::shared_ptr<soma::Integrator> integrator;
    auto recorder = std::make_shared<soma::test::CapturingRecorder>();
    std::optional<soma::Simulation> simulation;
    {
        const PluginRegistry registry;
        model = registry.create<soma::Model>(PluginKind::model, "hh");
        stimulus = registry.create<soma::Stimulus>(PluginKind::stimulus, "step");
        integrator = registry.create<soma::Integrator>(PluginKind::integrator, "euler");
        soma::RunSpec spec;  // the hh step of the course exercises
        spec.recorders = {};
        spec.settings = {100.0, 0.01, 0.0, 1, 1};
        simulation.emplace(soma::build_simulation(registry, spec, {recorder}));
    }
    // Virtual calls into all three libraries, including a throw from plug-in code.
    model->configure(std::map<std::string, std::string>{{"g_Na", "120"}});
    const auto message = message_of<soma::ParameterError>(
        [&] { stimulus->configure(std::map<std::string, std::string>{{"onset", "80"}}); });
    SOMA_CHECK_CONTAINS(message, "onset = 80");
    BOOST_TEST(model->state_variables().size() == 4u);
    BOOST_TEST(model->current().unit == "uA/cm^2");
    BOOST_TEST(integrator->schema().size() >= 1u);

    const auto summary = simulation->run();
    BOOST_TEST(summary.n_spikes == 3u);  // hh-step of the reference table
    BOOST_TEST(recorder->rows() == 10000u);
    BOOST_TEST(recorder->committed == 1);
}

// Nothing is loaded before it is asked for, and then only the plug-in asked for: a registry over a directory of
// files that crash when loaded (named for plug-ins the run does not use) wires a run of lif.
BOOST_AUTO_TEST_CASE(only_the_plugins_asked_for_are_loaded) {
    const fs::path crashing = SOMA_TEST_CRASHING_PLUGIN_DIR;
    BOOST_TEST_REQUIRE(fs::is_regular_file(crashing / "soma_model_segfaults.so"), crashing);
    const PluginRegistry registry({crashing, PluginRegistry::builtin_plugin_dir()});
    BOOST_TEST(registry.loaded().empty());
    BOOST_TEST(registry.search_path().size() == 2u);
    BOOST_TEST(registry.rejected().empty());  // the crashing files are named as plug-ins: not read
    BOOST_TEST(registry.loaded().empty());

    BOOST_TEST(registry.find(PluginKind::model, "lif").name == "lif");
    BOOST_TEST(names(registry.loaded()) == std::vector<std::string>{"lif"}, boost::test_tools::per_element());
    BOOST_TEST(registry.lookup(PluginKind::integrator, "no_such_integrator") == nullptr);
    BOOST_TEST(registry.lookup(PluginKind::model, "lif") == &registry.find(PluginKind::model, "lif"));

    soma::RunSpec spec;
    spec.model.name = "lif";
    spec.recorders = {};
    spec.settings = {10.0, 0.01, 0.0, 1, 1};
    const auto simulation = soma::build_simulation(registry, spec);
    auto loaded = names(registry.loaded());
    std::sort(loaded.begin(), loaded.end());
    BOOST_TEST(loaded == (std::vector<std::string>{"euler", "lif", "step"}), boost::test_tools::per_element());
    for (const auto& p : registry.loaded()) {
        BOOST_TEST(p.file.parent_path() == PluginRegistry::builtin_plugin_dir(), p.file);
    }
    BOOST_TEST(registry.rejected().empty());
}

// A file named soma_KIND_NAME.so must hold that plug-in: one that holds another is rejected, saying so, and the
// plug-in comes from the next directory; the one it does hold is not taken from it either.
BOOST_AUTO_TEST_CASE(a_file_that_holds_another_plugin_than_its_name_says_is_rejected) {
    const soma::test::TempDir dir("soma-test-misnamed");
    const fs::path misnamed = dir.path() / "soma_model_hh.so";
    fs::copy_file(PluginRegistry::builtin_plugin_dir() / "soma_model_lif.so", misnamed);
    const PluginRegistry registry({dir.path(), PluginRegistry::builtin_plugin_dir()});
    BOOST_TEST(registry.find(PluginKind::model, "hh").file == PluginRegistry::builtin_plugin_dir() / "soma_model_hh.so");
    const auto rejected = registry.rejected();
    BOOST_TEST_REQUIRE(rejected.size() == 1u);
    BOOST_TEST(rejected.front().file == misnamed);
    SOMA_CHECK_CONTAINS(rejected.front().reason, "'" + misnamed.string() + "' is named as model plug-in 'hh' but holds "
                                                 "model plug-in 'lif'; name the file soma_model_lif.so");
    BOOST_TEST(registry.find(PluginKind::model, "lif").file == PluginRegistry::builtin_plugin_dir() / "soma_model_lif.so");
    BOOST_TEST(registry.create<soma::Model>(PluginKind::model, "hh")->state_variables().size() == 4u);

    // Alone, the refused file is the reason the plug-in is missing.
    const PluginRegistry alone({dir.path()});
    const auto message = message_of<PluginError>([&] { (void)alone.find(PluginKind::model, "hh"); });
    SOMA_CHECK_CONTAINS(message, "model plug-in 'hh' cannot be used: '" + misnamed.string() + "' is named as model");
    BOOST_TEST(alone.plugins().empty());
}

// The first directory in the search path wins, whether a file is named for its plug-in or not; a later file
// named for a plug-in already found is rejected without being loaded, one with another name after loading.
BOOST_AUTO_TEST_CASE(the_first_directory_in_the_search_path_wins) {
    const soma::test::TempDir named("soma-test-named"), other("soma-test-other");
    const fs::path builtin_lif = PluginRegistry::builtin_plugin_dir() / "soma_model_lif.so";
    fs::copy_file(builtin_lif, named.path() / "soma_model_lif.so");
    fs::copy_file(builtin_lif, other.path() / "my_models.so");  // not named as a plug-in: read on first use

    const PluginRegistry named_first({named.path(), other.path(), PluginRegistry::builtin_plugin_dir()});
    BOOST_TEST(named_first.find(PluginKind::model, "lif").file == named.path() / "soma_model_lif.so");
    auto rejected = named_first.rejected();
    BOOST_TEST_REQUIRE(rejected.size() == 2u);
    BOOST_TEST(rejected[0].file == other.path() / "my_models.so");
    BOOST_TEST(rejected[1].file == builtin_lif);
    SOMA_CHECK_CONTAINS(rejected[1].reason, "model plug-in 'lif' is already provided by '" +
                                                (named.path() / "soma_model_lif.so").string() + "', which comes first");
    BOOST_TEST(names(named_first.loaded()) == std::vector<std::string>{"lif"}, boost::test_tools::per_element());

    const PluginRegistry other_first({other.path(), named.path(), PluginRegistry::builtin_plugin_dir()});
    BOOST_TEST(other_first.find(PluginKind::model, "lif").file == other.path() / "my_models.so");
    rejected = other_first.rejected();
    BOOST_TEST_REQUIRE(rejected.size() == 2u);
    BOOST_TEST(rejected[0].file == named.path() / "soma_model_lif.so");
    BOOST_TEST(rejected[1].file == builtin_lif);

    // Listing gives the same winner and loads every other plug-in.
    const PluginRegistry listed({other.path(), named.path(), PluginRegistry::builtin_plugin_dir()});
    const auto models = listed.plugins(PluginKind::model);
    const auto lif = std::find_if(models.begin(), models.end(), [](const auto& p) { return p.name == "lif"; });
    BOOST_TEST_REQUIRE((lif != models.end()));
    BOOST_TEST(lif->file == other.path() / "my_models.so");
    BOOST_TEST(listed.rejected().size() == 2u);
}

// Several threads creating plug-ins of one registry at once (as Python calls that release the GIL do) each get
// their object, and every plug-in is loaded once.
BOOST_AUTO_TEST_CASE(plugins_can_be_created_from_several_threads_at_once) {
    const PluginRegistry registry;
    const std::vector<std::pair<PluginKind, std::string>> wanted{
        {PluginKind::model, "hh"}, {PluginKind::model, "lif"}, {PluginKind::stimulus, "step"},
        {PluginKind::integrator, "rk4"}, {PluginKind::model, "adex"}, {PluginKind::stimulus, "sine"}};
    std::vector<std::string> failures(8);
    {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < failures.size(); ++t) {
            threads.emplace_back([&, t] {
                try {
                    for (std::size_t k = 0; k < 20; ++k) {
                        const auto& [kind, name] = wanted[(t + k) % wanted.size()];
                        if (registry.create(kind, name) == nullptr || registry.find(kind, name).name != name) {
                            failures[t] = "no object for " + name;
                        }
                    }
                } catch (const std::exception& e) {
                    failures[t] = e.what();
                }
            });
        }
    }
    for (const auto& f : failures) BOOST_TEST(f.empty(), f);
    BOOST_TEST(registry.loaded().size() == wanted.size());
}

BOOST_AUTO_TEST_SUITE_END()
