#include "soma/fitting/compare.hpp"

#include "soma/error.hpp"
#include "soma/experiments/figure.hpp"
#include "soma/gnuplot.hpp"
#include "soma/output_file.hpp"
#include "soma/run_metadata.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <iterator>

namespace soma::fitting {
namespace {

void put(fmt::memory_buffer& row, double x) {
    row.push_back(',');
    if (std::isfinite(x)) append_number(row, x);  // an undefined score is an empty field (NaN in pandas)
}

}  // namespace

Comparison compare(const PluginRegistry& registry, const RunSpec& run, const StimulusSet& set, Evaluation evaluation,
                   const experiments::RunControl& control) {
    Comparison c;
    c.set = &set;
    evaluation.keep_traces = true;
    c.evaluation = evaluation;
    c.cells = evaluate_population(registry, run, set, evaluation, control, &c.info);
    return c;
}

experiments::Window figure_window(const Comparison& comparison, const std::optional<experiments::Window>& requested) {
    const double duration = comparison.set->repetitions.front().duration();
    if (requested) {
        experiments::check_window(*requested, duration, "--window");
        return *requested;
    }
    const double to = std::min(duration, 1000.0);
    return {0, to, fmt::format("[0, {:g}) ms", to)};
}

std::string undefined_gamma_note(const Comparison& comparison) {
    for (const auto& ce : comparison.cells) {
        if (!ce.per_repetition.empty() && !ce.per_repetition.front().undefined.empty()) {
            return "Gamma is undefined for some cells: " + ce.per_repetition.front().undefined;
        }
    }
    return {};
}

std::vector<std::string> comparison_files(const std::string& name) {
    const std::string stem = name + "_compare";
    return {stem + ".csv", stem + "_traces.csv", stem + "_spikes.csv", stem + ".gp", stem + ".png", stem + ".svg"};
}

std::vector<std::filesystem::path> write_comparison(const Comparison& comparison, const std::filesystem::path& dir,
                                                    const std::string& name, const experiments::Window& window,
                                                    std::size_t cell) {
    const StimulusSet& set = *comparison.set;
    const RunInfo& info = comparison.info;
    if (cell >= comparison.cells.size()) {
        throw ParameterError(fmt::format("cell {} is not in the comparison of {} cells", cell, comparison.cells.size()));
    }
    const Evaluation& e = comparison.evaluation;
    const std::string stem = name + "_compare";

    // The table: one row per cell and repetition.
    OutputFile table(dir / (stem + ".csv"));
    table.print("{}", metadata_comments(info));
    std::vector<std::string> files;
    for (const auto& r : set.repetitions) files.push_back(one_line(r.file.string()));
    const double t0 = set.repetitions.front().t0;
    table.print("# recordings of set '{}': {} (sampled every {:g} ms, {:g} ms{}); spike times {}\n", one_line(set.name),
                fmt::join(files, ", "), set.repetitions.front().dt, set.repetitions.front().duration(),
                t0 != 0 ? fmt::format("; times here from the first sample, at {:g} ms in the file", t0) : "",
                one_line(set.spikes_from));
    table.print("# Gamma: coincidence factor of the cell against the repetition, coincidences one to one within +-{:g} "
                "ms, chance-corrected with the model's rate (Kistler et al. 1997; Jolivet et al. 2008); Gamma_int: "
                "mean Gamma between the repetitions; Gamma_A: mean Gamma / Gamma_int; count ratio: model / mean "
                "recorded spikes; RMSE: of V_model - V_recorded over the repetitions, without {:g} ms before and {:g} "
                "ms after every spike of either; empty: undefined\n",
                e.delta, e.exclusion.before, e.exclusion.after);
    std::string header = "cell";
    for (const auto& p : info.cell_parameters) {
        header += p.unit.empty() || p.unit == "1" ? fmt::format(",{}.{}", p.component, p.name)
                                                  : fmt::format(",{}.{} ({})", p.component, p.name, p.unit);
    }
    table.print("{},repetition,recording,model spikes,recorded spikes,coincidences,Gamma,Gamma_int,Gamma_A,count ratio,"
                "model rate (Hz),recorded rate (Hz),RMSE (mV)\n",
                header);
    fmt::memory_buffer row;
    for (std::size_t c = 0; c < comparison.cells.size(); ++c) {
        const CellEvaluation& ce = comparison.cells[c];
        for (std::size_t k = 0; k < ce.per_repetition.size(); ++k) {
            row.clear();
            fmt::format_to(std::back_inserter(row), "{}", c);
            for (const auto& p : info.cell_parameters) put(row, p.values[c]);
            const Coincidence& g = ce.per_repetition[k];
            fmt::format_to(std::back_inserter(row), ",{},\"{}\",{},{},{}", k, files[k], g.n_model, g.n_data,
                           g.n_coincident);
            for (const double x : {g.gamma, ce.score.gamma_int, ce.score.gamma_normalised, ce.score.count_ratio,
                                   ce.score.model_rate, ce.score.data_rate, ce.score.rmse}) {
                put(row, x);
            }
            row.push_back('\n');
            table.write({row.data(), row.size()});
        }
    }
    table.close();

    // The figure's data: the traces and the spikes in the window.
    const CellEvaluation& shown = comparison.cells[cell];
    const Recording& first = set.repetitions.front();
    OutputFile traces(dir / (stem + "_traces.csv"));
    traces.print("# {} over {}: the recorded membrane potential of {} and the simulated one of cell {}\n",
                 one_line(set.name), window.description, one_line(first.file.string()), cell);
    traces.print("t (ms),recorded V (mV),model v (mV)\n");
    const TimeFormat time(first.dt);
    for (std::size_t k = 0; k < first.v.size(); ++k) {
        const double t = static_cast<double>(k) * first.dt;
        if (t < window.from || t >= window.to) continue;
        row.clear();
        time.append(row, t);
        put(row, first.v[k]);
        put(row, k < shown.v.size() ? shown.v[k] : std::nan(""));
        row.push_back('\n');
        traces.write({row.data(), row.size()});
    }
    traces.close();
    OutputFile spikes(dir / (stem + "_spikes.csv"));
    spikes.print("# spikes in {}: train 0 is the model (cell {}), train k the repetition k - 1\ntrain,t (ms)\n",
                 window.description, cell);
    const auto put_train = [&](std::size_t train, const std::vector<double>& times) {
        for (const double t : times) {
            if (t >= window.from && t < window.to) spikes.print("{},{}\n", train, t);
        }
    };
    put_train(0, shown.spikes);
    for (std::size_t k = 0; k < set.repetitions.size(); ++k) put_train(k + 1, set.repetitions[k].spikes);
    spikes.close();

    experiments::Figure figure(dir, stem);
    const std::size_t reps = set.repetitions.size();
    const auto shown_as = [](double x, int digits) {
        return std::isfinite(x) ? fmt::format("{:.{}f}", x, digits) : std::string("undefined");
    };
    const std::string title =
        fmt::format("{} against set {}: Gamma_A {}, Gamma {}, count ratio {}", info.model, set.name,
                    shown_as(shown.score.gamma_normalised, 3), shown_as(shown.score.gamma, 3),
                    shown_as(shown.score.count_ratio, 2));
    const std::string body = fmt::format(
        "    set datafile separator ','\n    set datafile commentschars '#'\n"
        "    set multiplot layout 2,1 title {} noenhanced\n"
        "    set lmargin 10\n    set rmargin 3\n    set xrange [{}:{}]\n"
        "    set size 1,0.58\n    set origin 0,0.32\n    set ylabel 'V (mV)'\n    set format x ''\n"
        "    set key at screen 0.5,0.915 center center horizontal\n"
        "    plot tracefile skip 1 using 1:2 with lines lw 1.2 lc rgb '#555555' title 'recorded (repetition 0)', \\\n"
        "         tracefile skip 1 using 1:3 with lines lw 1.2 lc rgb '#c0392b' title 'model'\n"
        "    set size 1,0.32\n    set origin 0,0\n    set format x '%g'\n    set xlabel 't (ms)'\n"
        "    set ylabel ''\n    set yrange [-0.7:{}.7]\n    set ytics ('model' 0{})\n    unset key\n"
        "    plot spikefile skip 1 using 2:($1 - 0.35):(0):(0.7) with vectors nohead lw 1.2 lc rgb '#1f4e79'\n"
        "    unset multiplot\n",
        gnuplot::wrapped_text(title, 90).expression, window.from, window.to, reps, [&] {
            std::string tics;
            for (std::size_t k = 0; k < reps; ++k) tics += fmt::format(", 'rep. {}' {}", k, k + 1);
            return tics;
        }());
    figure.draw(body, {{"tracefile", traces.temp_path(), traces.final_path()},
                       {"spikefile", spikes.temp_path(), spikes.final_path()}},
                {1000, 650});
    table.commit();
    traces.commit();
    spikes.commit();
    figure.commit();
    std::vector<std::filesystem::path> written{table.final_path(), traces.final_path(), spikes.final_path()};
    for (const auto& p : figure.outputs()) written.push_back(p);
    return written;
}

}  // namespace soma::fitting
