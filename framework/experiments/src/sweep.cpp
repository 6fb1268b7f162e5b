#include "soma/experiments/sweep.hpp"

#include "soma/error.hpp"
#include "soma/parameter.hpp"
#include "soma/experiments/figure.hpp"
#include "soma/gnuplot.hpp"
#include "soma/model_from_file.hpp"
#include "soma/output_file.hpp"
#include "soma/registry.hpp"
#include "soma/run_metadata.hpp"
#include "soma/stimulus_sum.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace soma::experiments {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string column(const std::string& name, const std::string& unit) {
    return unit.empty() || unit == "1" ? name : fmt::format("{} ({})", name, unit);
}

/// The unit of parameter `component.name` of the run `info`.
std::string unit_of(const RunInfo& info, const Axis& axis) {
    for (const auto& p : info.cell_parameters) {
        if (p.component == axis.component && p.name == axis.name) return p.unit;
    }
    for (const auto& p : info.parameters) {
        if (p.component == axis.component && p.name == axis.name) return p.unit;
    }
    return {};
}

/// gnuplot tic labels for the values of `axis` at their indices: at most about 10, evenly spread.
std::string index_tics(const Axis& axis) {
    const std::size_t n = axis.values.size();
    const std::size_t every = std::max<std::size_t>(1, (n + 9) / 10);
    std::vector<std::string> tics;
    for (std::size_t i = 0; i < n; i += every) tics.push_back(fmt::format("'{:.4g}' {}", axis.values[i], i));
    return fmt::format("({})", fmt::join(tics, ", "));
}

}  // namespace

Axis parse_axis(std::string_view text) {
    const std::string shown = fmt::format("--vary '{}'", text);
    const auto eq = text.find('=');
    const auto dot = text.find('.');
    if (eq == std::string_view::npos || dot == std::string_view::npos || dot > eq) {
        throw ParameterError(fmt::format("{}: expected KIND.PARAM=VALUES, e.g. --vary 'stimulus.amplitude=linspace(0,20,41)' "
                                         "or --vary model.g_K=30,36,42",
                                         shown));
    }
    Axis axis;
    axis.component = std::string(trim(text.substr(0, dot)));
    axis.name = std::string(trim(text.substr(dot + 1, eq - dot - 1)));
    if (axis.component != "model" && axis.component != "stimulus") {
        throw ParameterError(fmt::format("{}: {} (a sweep varies parameters of the model or of the stimulus)", shown,
                                         unknown_name_message("kind", axis.component, std::vector<std::string>{"model", "stimulus"})));
    }
    if (axis.name.empty()) throw ParameterError(fmt::format("{}: the parameter's name is missing after '{}.'", shown, axis.component));
    const std::string_view values = trim(text.substr(eq + 1));
    if (values.empty()) {
        throw ParameterError(fmt::format("{}: the axis has no values; give a list (30,36,42) or linspace(a, b, n)", shown));
    }
    if (const auto open = values.find('('); open != std::string_view::npos) {
        const std::string function(trim(values.substr(0, open)));
        if (function != "linspace" && function != "normal" && function != "uniform") {
            throw ParameterError(fmt::format("{}: {} An axis is a list (30,36,42) or linspace(a, b, n).", shown,
                                             unknown_name_message("function", function, std::vector<std::string>{"linspace"})));
        }
    }
    const auto parsed = CellValues::parse(axis.full_name(), values);
    if (parsed.form() == CellValues::Form::normal || parsed.form() == CellValues::Form::uniform) {
        throw ParameterError(fmt::format("{}: an axis needs its values, not random draws; give a list or linspace(a, b, "
                                         "n) (random per-cell values are given with --set, e.g. --set "
                                         "'model.C_m=normal(1,0.1)')",
                                         shown));
    }
    axis.values = parsed.expand(axis.full_name(), std::max<std::size_t>(1, parsed.length()), 0);
    // A short list is shown as its values, a long one as "list of N values".
    axis.given_as = parsed.form() == CellValues::Form::list && axis.values.size() <= 12
                        ? fmt::format("{}", fmt::join(axis.values, ","))
                        : parsed.to_string();
    return axis;
}

std::size_t sweep_cell_count(const std::vector<Axis>& axes) {
    if (axes.empty()) {
        throw ParameterError("a sweep needs at least one axis, e.g. --vary 'stimulus.amplitude=linspace(0,20,41)'");
    }
    std::set<std::string> seen;
    std::size_t n = 1;
    std::vector<std::string> lengths;
    bool too_many = false;
    for (const auto& a : axes) {
        if (!seen.insert(a.full_name()).second) {
            throw ParameterError(fmt::format("--vary: {} is on two axes; give each parameter one axis", a.full_name()));
        }
        if (a.values.empty()) throw ParameterError(fmt::format("--vary: the axis {} has no values", a.full_name()));
        lengths.push_back(fmt::format("{} values of {}", a.values.size(), a.full_name()));
        too_many = too_many || a.values.size() > max_sweep_cells / n;
        if (!too_many) n *= a.values.size();
    }
    if (too_many) {
        throw ParameterError(fmt::format("the sweep's axes make more than {} cells ({}); use fewer values per axis",
                                         max_sweep_cells, fmt::join(lengths, " x ")));
    }
    return n;
}

std::vector<std::size_t> axis_indices(const std::vector<Axis>& axes, std::size_t cell) {
    std::vector<std::size_t> index(axes.size());
    for (std::size_t k = axes.size(); k-- > 0;) {
        index[k] = cell % axes[k].values.size();
        cell /= axes[k].values.size();
    }
    return index;
}

SweepResult run_sweep(const PluginRegistry& registry, const SweepSpec& spec, const RunControl& control) {
    const std::size_t n = sweep_cell_count(spec.axes);
    if (spec.run.settings.n_cells != 0 && spec.run.settings.n_cells != n) {
        throw ParameterError(fmt::format("--cells {} does not match the sweep, whose axes make {} cells; leave --cells out",
                                         spec.run.settings.n_cells, n));
    }
    {
        // Before the axes' values are made for every cell: the population and this sweep's own arrays
        // (each axis's values, the response and a few spike times per cell) must fit.
        const auto model = create_model(registry, spec.run.model.name);
        const auto stimulus = make_stimulus(registry, spec.run.stimulus.name);
        const auto integrator = registry.create<Integrator>(PluginKind::integrator, spec.run.integrator.name);
        check_population_memory(n, *model, *stimulus, *integrator,
                                8.0 * static_cast<double>(spec.axes.size()) + sizeof(CellResponse) + 64);
    }
    RunSpec run = spec.run;
    run.settings.n_cells = n;
    for (std::size_t k = 0; k < spec.axes.size(); ++k) {
        const Axis& axis = spec.axes[k];
        std::vector<double> values(n);
        std::size_t inner = 1;  // cells per step along axis k
        for (std::size_t j = k + 1; j < spec.axes.size(); ++j) inner *= spec.axes[j].values.size();
        for (std::size_t c = 0; c < n; ++c) values[c] = axis.values[(c / inner) % axis.values.size()];
        ComponentSpec& component = axis.component == "model" ? run.model : run.stimulus;
        if (component.parameters.contains(axis.name) || component.cell_values.contains(axis.name)) {
            throw ParameterError(fmt::format("{} is both swept (--vary) and set (--set or the scenario); give it once",
                                             axis.full_name()));
        }
        component.cell_values.emplace(
            axis.name, CellValues::list(std::move(values), fmt::format("sweep axis {}, {}", k + 1, axis.given_as)));
    }
    const auto spikes = std::make_shared<SpikeTimes>();
    Simulation simulation = build_simulation(registry, run, {spikes});
    SweepResult result;
    result.info = simulation.info();
    result.axes = spec.axes;
    for (auto& axis : result.axes) axis.unit = unit_of(result.info, axis);
    result.window = spec.window ? *spec.window : default_window(result.info);
    check_window(result.window, result.info.t_stop, "--window");
    result.latency_reference = latency_reference(result.info);
    if (control.interrupt != nullptr) simulation.interrupt_on(*control.interrupt);
    if (control.progress) simulation.on_progress(control.progress);
    if (control.outputs) simulation.on_outputs(control.outputs);
    (void)simulation.run();
    result.cells = spikes->responses(result.window, result.latency_reference);
    for (const auto& r : simulation.recorders()) {
        for (const auto& path : r->outputs()) result.recorder_outputs.push_back(path);
    }
    return result;
}

void set_sweep_recording(RunSpec& run) {
    if (!run.recorders.empty()) return;
    RecordSpec& record = run.record;
    const bool spikes = record.variables == std::vector<std::string>{"spikes"};
    if (record.cells || (!record.variables.empty() && !spikes)) {
        const std::string given = record.cells ? std::string("--record-cells")
                                               : fmt::format("--record '{}'", fmt::join(record.variables, ","));
        throw ParameterError(fmt::format("{} is given, but a sweep without a recorder records only spikes (its table "
                                         "and figure are made from them); add a recorder (e.g. --recorder 'csv') to "
                                         "write those samples, or leave {} out",
                                         given, record.cells ? "--record-cells" : "--record"));
    }
    record.variables = {"spikes"};
}

std::vector<std::string> sweep_notes(const SweepResult& result) {
    std::vector<std::string> notes;
    const auto few = std::ranges::count_if(result.cells, [](const auto& r) { return r.n_window > 0 && r.n_isi < 3; });
    if (few > 0) {
        notes.push_back(fmt::format(
            "{} cell{} fired with fewer than 3 inter-spike intervals ending in the analysis window ({}); {} rate rests "
            "on one or two intervals, not a steady state: lengthen the stimulus (e.g. --set stimulus.offset=... and "
            "--t-stop) or the window",
            few, few == 1 ? "" : "s", result.window.description, few == 1 ? "its" : "their"));
    }
    std::vector<std::string> others;  // per-cell values that are not axes: cell c takes the c-th
    for (const auto& p : result.info.cell_parameters) {
        if (!p.given_as.starts_with("sweep axis ")) others.push_back(fmt::format("{}.{} ({})", p.component, p.name, p.given_as));
    }
    if (!others.empty() && result.axes.size() <= 2) {
        notes.push_back(fmt::format(
            "besides the axes, each cell has its own {}: the curves join cells that differ in {}; to make it an axis "
            "of the product, give it as --vary KIND.PARAM=VALUES",
            fmt::join(others, ", "), others.size() == 1 ? "it" : "them"));
    }
    if (result.axes.size() > 2) {
        notes.push_back(fmt::format("a sweep of {} axes has no figure (one is drawn for one or two axes): the table "
                                    "holds every cell",
                                    result.axes.size()));
    }
    return notes;
}

std::pair<double, double> firing_onset(const SweepResult& result) {
    if (result.axes.size() != 1) return {nan, nan};
    const auto& values = result.axes.front().values;
    std::vector<std::size_t> order(values.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    double below = nan;
    for (const std::size_t i : order) {
        if (result.cells[i].n_window > 0) return {below, values[i]};
        below = values[i];
    }
    return {nan, nan};
}

std::vector<std::filesystem::path> write_sweep(const SweepResult& result, const std::filesystem::path& dir,
                                               const std::string& name) {
    const std::string stem = name + "_sweep";
    OutputFile table(dir / (stem + ".csv"));
    std::string header = metadata_comments(result.info);
    header += fmt::format("# sweep: {} cells, the cartesian product of {} (the last axis varies fastest)\n",
                          result.cells.size(),
                          fmt::join([&] {
                              std::vector<std::string> a;
                              for (const auto& axis : result.axes) {
                                  a.push_back(fmt::format("{} = {}", axis.full_name(), axis.given_as));
                              }
                              return a;
                          }(),
                                    " and "));
    header += fmt::format("# analysis window: {}\n", one_line(result.window.description));
    header += "# rate: 1000 / (mean of the inter-spike intervals that end in the window, the first one possibly "
              "starting before it); without such an interval, spikes in window / window length; 0 without spikes\n";
    header += fmt::format("# latency: from t = {:g} ms{} to the first spike; mean ISI and CV ISI: of the spikes in "
                          "the window; empty where undefined\n",
                          result.latency_reference, result.latency_reference > 0 ? " (the stimulus onset)" : "");
    std::vector<std::string> columns{"cell"};
    for (const auto& axis : result.axes) columns.push_back(column(axis.full_name(), axis.unit));
    // Per-cell values that are not axes (random draws, lists, a table), after the axes.
    std::vector<const CellParameterRecord*> others;
    for (const auto& p : result.info.cell_parameters) {
        if (p.given_as.starts_with("sweep axis ")) continue;
        others.push_back(&p);
    }
    for (const auto* p : others) columns.push_back(column(p->component + "." + p->name, p->unit));
    for (const char* c : {"spikes", "spikes in window", "rate (Hz)", "latency (ms)", "mean ISI (ms)", "CV ISI"}) {
        columns.emplace_back(c);
    }
    table.print("{}{}\n", header, fmt::join(columns, ","));
    fmt::memory_buffer row;
    const auto defined = [&](double x) {
        row.push_back(',');
        if (!std::isnan(x)) append_number(row, x);
    };
    for (std::size_t c = 0; c < result.cells.size(); ++c) {
        const auto index = axis_indices(result.axes, c);
        fmt::format_to(std::back_inserter(row), "{}", c);
        for (std::size_t k = 0; k < result.axes.size(); ++k) defined(result.axes[k].values[index[k]]);
        for (const auto* p : others) defined(p->values[c]);
        const CellResponse& r = result.cells[c];
        fmt::format_to(std::back_inserter(row), ",{},{}", r.n_spikes, r.n_window);
        defined(r.rate);
        defined(r.latency);
        defined(r.mean_isi);
        defined(r.cv_isi);
        row.push_back('\n');
        if (row.size() > (1u << 15)) {
            table.write({row.data(), row.size()});
            row.clear();
        }
    }
    table.write({row.data(), row.size()});
    table.close();

    std::vector<std::filesystem::path> written{table.final_path()};
    if (result.axes.size() > 2) {
        table.commit();
        return written;
    }
    Figure figure(dir, stem);
    const std::string title = gnuplot::wrapped_text(one_line(result.info.title), 90).expression;
    const Axis& x = result.axes.front();
    // cell, axes, the other per-cell values, spikes, spikes in window, rate
    const std::size_t rate_column = 1 + result.axes.size() + 2 + others.size() + 1;
    std::string body =
        "set datafile separator ','\nset datafile commentschars '#'\nset grid lc rgb '#dddddd'\n"
        "set ylabel 'rate (Hz)'\n";
    // The curves are drawn in the order of the values ("smooth unique"), whatever order they were given in.
    if (result.axes.size() == 1) {
        const auto [below, first] = firing_onset(result);
        body += fmt::format("set title {} noenhanced\nset xlabel {} noenhanced\nset key bottom right\nset yrange [0:*]\n",
                            title, gnuplot::quote(gnuplot::axis_label(x.full_name(), x.unit)));
        if (!std::isnan(first)) {
            const std::string label =
                std::isnan(below) ? fmt::format("fires from the lowest value, {:.6g}", first)
                                  : fmt::format("firing onset between {:.6g} and {:.6g} {}", below, first,
                                                gnuplot::display_unit(x.unit));
            // The label on the side of the line with more room, so that it is not cut at the figure's edge.
            const auto [lowest, highest] = std::ranges::minmax(x.values);
            const bool right_half = first > 0.5 * (lowest + highest);
            body += fmt::format("set arrow from {0:.17g}, graph 0 to {0:.17g}, graph 1 nohead dt 2 lc rgb '#c0392b'\n"
                                "set label {1} at {0:.17g}, graph 0.95 {2} tc rgb '#c0392b' noenhanced\n",
                                first, gnuplot::quote(label), right_half ? "right offset -1,0" : "left offset 1,0");
        }
        const std::string style = "smooth unique with linespoints pt 7 ps 0.6 lw 2 lc rgb '#1f4e79'";
        if (std::isnan(first)) {
            // No cell fired: a flat line at 0 under a label that says so (and a range gnuplot can draw).
            body += fmt::format("set yrange [0:1]\nset label 'no cell fired in the analysis window' at graph 0.5, "
                                "graph 0.5 center\nplot datafile using 2:{} {} title 'rate in the analysis window'\n",
                                rate_column, style);
        } else if (!std::isnan(below)) {
            // Not joined across the onset: what the rate does between the last silent value and the first
            // firing one was not measured (hh's jumps from 0 to about 50 Hz there).
            body += fmt::format("plot datafile using 2:($2 < {0:.17g} ? column({1}) : 1/0) {2} title 'rate in the "
                                "analysis window', \\\n     datafile using 2:($2 >= {0:.17g} ? column({1}) : 1/0) {2} "
                                "notitle\n",
                                first, rate_column, style);
        } else {
            body += fmt::format("plot datafile using 2:{} {} title 'rate in the analysis window'\n", rate_column, style);
        }
    } else {
        // The heat map: one box per cell (gnuplot's `with image` draws nothing when an axis has one value).
        const Axis& y = result.axes[1];
        const std::size_t ny = y.values.size();
        body += fmt::format(
            "set multiplot layout 1,2 title {0} noenhanced\n"
            "set title 'rate (Hz)'\nunset ylabel\nset xlabel {1} noenhanced\nset ylabel {2} noenhanced\n"
            "set xtics {3}\nset ytics {4}\nunset grid\nset palette defined (0 '#ffffff', 1 '#fde725', 2 '#21918c', 3 '#3b0f70')\n"
            "set xrange [-0.5:{5}.5]\nset yrange [-0.5:{6}.5]\n"
            "plot datafile using (floor($1 / {7})):($1 - {7} * floor($1 / {7})):(0.5):(0.5):{8} with boxxyerror "
            "fillstyle solid noborder lc palette notitle\n"
            "set title 'one curve per value of {9}' noenhanced\nset autoscale xy\nset xtics auto\nset ytics auto\n"
            "set grid lc rgb '#dddddd'\nset ylabel 'rate (Hz)'\nset yrange [0:*]\nset key top left title {2} noenhanced\n"
            "# every: the header line is the data's first line, so cell c is line c + 1\n"
            "plot for [k = 0:{10}] datafile every {7}::(k + 1) using 2:{8} smooth unique with linespoints pt 7 ps 0.5 lw 1.5 title "
            "sprintf('%.4g', word({11}, k + 1) + 0)\nunset multiplot\n",
            title, gnuplot::quote(gnuplot::axis_label(x.full_name(), x.unit)),
            gnuplot::quote(gnuplot::axis_label(y.full_name(), y.unit)),
            index_tics(x), index_tics(y), x.values.size() - 1, ny - 1, ny, rate_column, y.full_name(), ny - 1,
            gnuplot::quote(fmt::format("{:.17g}", fmt::join(y.values, " "))));
    }
    figure.draw(body, {{"datafile", table.temp_path(), table.final_path()}},
                result.axes.size() == 1 ? std::pair{900, 600} : std::pair{1400, 600});
    table.commit();
    figure.commit();
    for (const auto& p : figure.outputs()) written.push_back(p);
    return written;
}

}  // namespace soma::experiments
