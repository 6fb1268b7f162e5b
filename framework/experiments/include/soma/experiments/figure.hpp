#pragma once
/// @file figure.hpp
/// The figures of experiments: a gnuplot script beside its data, drawn into PNG and SVG by gnuplot,
/// all four files appearing only when complete (as every output of Soma).

#include "soma/staged_file.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace soma::experiments {

/// A data file a figure's script reads, through a gnuplot variable.
struct DataFile {
    std::string variable;               ///< e.g. "datafile"
    std::filesystem::path temp_path;    ///< where the data is while the figure is drawn
    std::filesystem::path final_path;   ///< where it will be: the script's default, for re-drawing
};

/// A figure `STEM.png` and `STEM.svg` drawn by the gnuplot script `STEM.gp`.
///
/// The script sets each data variable (and `pngfile`, `svgfile`) to its file's final path unless it
/// is set already, then draws `body` once for each format, so that `gnuplot STEM.gp` re-draws the
/// committed figure from the committed data; `draw` runs it on the temporary files.
class BOOST_SYMBOL_VISIBLE Figure {
public:
    /// Reserves the temporary names of STEM.gp, STEM.png and STEM.svg in `dir`.
    Figure(const std::filesystem::path& dir, const std::string& stem);

    /// Writes the script and runs gnuplot on it (the first `gnuplot` on PATH; relative PATH entries are
    /// skipped) for at most `limit`.
    /// @param body gnuplot commands that draw one figure (after `reset`, with the terminal set).
    /// @param size the figure's width and height in pixels.
    /// @throws RunError when gnuplot is not installed, cannot be started, does not finish within
    ///         `limit` (it is stopped), or does not draw both figures (with what gnuplot said).
    void draw(const std::string& body, const std::vector<DataFile>& data, std::pair<int, int> size = {900, 600},
              std::chrono::seconds limit = std::chrono::seconds(300));

    /// Renames the three files to their final names. @throws RunError on failure.
    void commit();
    /// Final paths of the script, the PNG and the SVG.
    [[nodiscard]] std::vector<std::filesystem::path> outputs() const;
    /// Final path of the PNG.
    [[nodiscard]] const std::filesystem::path& png() const { return png_.final_path(); }

private:
    StagedFile script_, png_, svg_;
};

}  // namespace soma::experiments
