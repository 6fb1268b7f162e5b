#include "soma/experiments/figure.hpp"

#include "soma/error.hpp"

#include <boost/process.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace soma::experiments {

namespace bp = boost::process;

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    constexpr std::size_t max_chars = 2000;
    if (s.size() > max_chars) s = s.substr(0, max_chars) + " ...";
    return s;
}

}  // namespace

std::string gnuplot_quote(std::string_view text) {
    std::string quoted = "'";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\'') quoted += "''";
        else quoted += byte < 0x20 || byte == 0x7f ? ' ' : c;
    }
    return quoted + "'";
}

std::filesystem::path find_gnuplot() {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const auto colon = dirs.find(':');
        const std::filesystem::path dir(std::string(dirs.substr(0, colon)));
        if (dir.is_absolute()) {
            const auto candidate = dir / "gnuplot";
            std::error_code ec;
            if (std::filesystem::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
                return candidate;
            }
        }
        if (colon == std::string_view::npos) {
            throw RunError("the gnuplot program is not installed (or not on PATH); install Debian's gnuplot-nox "
                           "(apt-get install gnuplot-nox) to draw the figure");
        }
        dirs.remove_prefix(colon + 1);
    }
}

Figure::Figure(const std::filesystem::path& dir, const std::string& stem)
    : script_(dir / (stem + ".gp")), png_(dir / (stem + ".png")), svg_(dir / (stem + ".svg")) {}

void Figure::draw(const std::string& body, const std::vector<DataFile>& data, std::pair<int, int> size,
                  std::chrono::seconds limit) {
    std::string script = fmt::format("# Re-draw with: gnuplot {}\n", script_.final_path().string());
    for (const auto& d : data) {
        script += fmt::format("if (!exists('{0}')) {0} = {1}\n", d.variable, gnuplot_quote(d.final_path.string()));
    }
    script += fmt::format(
        "if (!exists('pngfile')) pngfile = {}\nif (!exists('svgfile')) svgfile = {}\n"
        "do for [format in 'png svg'] {{\n"
        "    if (format eq 'png') {{\n"
        "        set terminal pngcairo size {},{} noenhanced font 'Sans,11' background rgb 'white'\n"
        "        set output pngfile\n"
        "    }} else {{\n"
        "        set terminal svg size {},{} noenhanced font 'Sans,11' background rgb 'white'\n"
        "        set output svgfile\n"
        "    }}\n"
        "    reset\n"
        "{}"
        "}}\nunset output\n",
        gnuplot_quote(png_.final_path().string()), gnuplot_quote(svg_.final_path().string()), size.first,
        size.second, size.first, size.second, body);
    std::ofstream out(script_.temp_path());
    out << script;
    out.close();
    if (!out) throw RunError(fmt::format("cannot write '{}'", script_.final_path().string()));

    std::string commands;
    for (const auto& d : data) commands += fmt::format("{} = {}; ", d.variable, gnuplot_quote(d.temp_path.string()));
    commands += fmt::format("pngfile = {}; svgfile = {}", gnuplot_quote(png_.temp_path().string()),
                            gnuplot_quote(svg_.temp_path().string()));
    const auto program = find_gnuplot();
    StagedFile log(script_.final_path().parent_path() / (script_.final_path().stem().string() + ".gnuplot-stderr"));
    try {
        bp::child gnuplot(program.string(), "-e", commands, script_.temp_path().string(), bp::std_in < bp::null,
                          bp::std_out > bp::null, bp::std_err > log.temp_path().string());
        if (!gnuplot.wait_for(limit)) {
            gnuplot.terminate();
            throw RunError(fmt::format("gnuplot did not finish drawing '{}' within {} s and was stopped; no figure "
                                       "was written",
                                       png_.final_path().string(), limit.count()));
        }
    } catch (const bp::process_error& e) {
        throw RunError(fmt::format("cannot run {}: {}", program.string(), e.what()));
    }
    for (const StagedFile* figure : {&png_, &svg_}) {
        std::error_code ec;
        const auto bytes = std::filesystem::file_size(figure->temp_path(), ec);
        if (ec || bytes == 0) {
            const std::string said = read_text(log.temp_path());
            throw RunError(fmt::format("gnuplot did not draw '{}'; gnuplot said: {}", figure->final_path().string(),
                                       said.empty() ? "nothing" : said));
        }
    }
}

void Figure::commit() {
    script_.commit();
    png_.commit();
    svg_.commit();
}

std::vector<std::filesystem::path> Figure::outputs() const {
    return {script_.final_path(), png_.final_path(), svg_.final_path()};
}

}  // namespace soma::experiments
