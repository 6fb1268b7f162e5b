#include "soma/experiments/figure.hpp"

#include "soma/error.hpp"
#include "soma/gnuplot.hpp"

#include <fmt/format.h>

#include <fstream>

namespace soma::experiments {

Figure::Figure(const std::filesystem::path& dir, const std::string& stem)
    : script_(dir / (stem + ".gp")), png_(dir / (stem + ".png")), svg_(dir / (stem + ".svg")) {}

void Figure::draw(const std::string& body, const std::vector<DataFile>& data, std::pair<int, int> size,
                  std::chrono::seconds limit) {
    // Paths as seen from the script's directory, where it is re-drawn from: a file beside it by its name,
    // another (a recording) by its absolute path.
    const std::filesystem::path here = script_.final_path().parent_path();
    const auto seen = [&](const std::filesystem::path& file) {
        std::error_code ec;
        return gnuplot::quote(file.parent_path() == here ? file.filename().string()
                                                         : std::filesystem::absolute(file, ec).string());
    };
    std::string script = fmt::format("# Re-draw in this file's directory with: gnuplot {}\n",
                                     script_.final_path().filename().string());
    for (const auto& d : data) script += fmt::format("if (!exists('{0}')) {0} = {1}\n", d.variable, seen(d.final_path));
    script += fmt::format(
        "if (!exists('pngfile')) pngfile = {}\nif (!exists('svgfile')) svgfile = {}\n"
        "{}{}"
        "}}\nunset output\n",
        seen(png_.final_path()), seen(svg_.final_path()),
        gnuplot::png_and_svg_loop(std::to_string(size.first), std::to_string(size.second), 11), body);
    std::ofstream out(script_.temp_path());
    out << script;
    out.close();
    if (!out) throw RunError(fmt::format("cannot write '{}'", script_.final_path().string()));

    std::string commands;
    for (const auto& d : data) commands += fmt::format("{} = {}\n", d.variable, gnuplot::quote(d.temp_path.string()));
    commands += fmt::format("pngfile = {}\nsvgfile = {}", gnuplot::quote(png_.temp_path().string()),
                            gnuplot::quote(svg_.temp_path().string()));
    const StagedFile* figures[] = {&png_, &svg_};
    gnuplot::draw(gnuplot::find("figure"), commands + fmt::format("\nload {}\n", gnuplot::quote(script_.temp_path().string())),
                  figures, "figure", limit);
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
