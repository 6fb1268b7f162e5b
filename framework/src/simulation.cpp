#include "soma/simulation.hpp"

#include "soma/error.hpp"
#include "soma/readable_number.hpp"
#include "soma/parameter.hpp"
#include "soma/stimulus_sum.hpp"
#include "soma/threshold_meaning.hpp"
#include "wire.hpp"

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <barrier>
#include <cmath>
#include <exception>
#include <filesystem>
#include <limits>
#include <set>
#include <thread>
#include <tuple>

namespace soma {

namespace {

void require_finite_positive(std::string_view name, double value) {
    if (!std::isfinite(value) || value <= 0) {
        throw ParameterError(fmt::format("{} = {} ms is not allowed; it must be a finite number > 0 ms", name, value));
    }
}

constexpr double max_steps = 1099511627776.0;  // 2^40: beyond this a run would take days
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t max_threads = RunSettings::max_threads;
// A stretch (the steps between two hand-overs to the recorders, each closed by a barrier of the threads)
// is at most max_stretch steps and, when that is longer than min_stretch, at most stretch_cell_steps
// cell-steps, so that an interrupt or a failure is acted on within some 0.2 s of work. Each barrier
// waits for the slowest thread: 10^4 HH cells on 2 threads ran 13 % faster (best of 8) with 16 barriers
// than with 40.
constexpr std::size_t max_stretch = 4096;
constexpr std::size_t min_stretch = 256;
constexpr std::size_t stretch_cell_steps = std::size_t{1} << 24;
constexpr std::size_t sample_buffer_bytes = 16u << 20;      // at most this much of samples per stretch

/// Runs `work(k)` for k = 1 .. n - 1 on their own threads and k = 0 on the caller's, once per call of
/// `run`, with two barriers around each round (threads are started once per Simulation::run).
class ThreadTeam {
public:
    template <class Work>
    ThreadTeam(std::size_t n, Work work) : barrier_(static_cast<std::ptrdiff_t>(n)) {
        for (std::size_t k = 1; k < n; ++k) {
            threads_.emplace_back([this, k, work] {
                for (;;) {
                    barrier_.arrive_and_wait();  // start of a round
                    if (stop_) return;
                    work(k);
                    barrier_.arrive_and_wait();  // end of the round
                }
            });
        }
    }
    ~ThreadTeam() {
        if (threads_.empty()) return;
        stop_ = true;
        barrier_.arrive_and_wait();  // the others wait at the start of a round: release them
    }
    ThreadTeam(const ThreadTeam&) = delete;
    ThreadTeam& operator=(const ThreadTeam&) = delete;

    /// One round: the other threads' work, and `own` on this thread.
    template <class Own>
    void run(Own own) {
        if (threads_.empty()) return own();
        barrier_.arrive_and_wait();
        own();
        barrier_.arrive_and_wait();
    }

private:
    std::barrier<> barrier_;
    bool stop_ = false;  // written before the barrier that releases the threads, read after it
    std::vector<std::jthread> threads_;
};

std::size_t physical_memory() {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(size) : 0;
}

std::string bytes_for_people(double bytes) {
    if (bytes >= 1024.0 * 1024 * 1024 * 1024) return fmt::format("{:.3g} TiB", bytes / (1024.0 * 1024 * 1024 * 1024));
    if (bytes >= 1024.0 * 1024 * 1024) return fmt::format("{:.3g} GiB", bytes / (1024.0 * 1024 * 1024));
    if (bytes >= 1024.0 * 1024) return fmt::format("{:.3g} MiB", bytes / (1024.0 * 1024));
    if (bytes >= 1024.0) return fmt::format("{:.3g} KiB", bytes / 1024.0);
    return fmt::format("{:.0f} bytes", bytes);
}

}  // namespace

void CellSummary::add_spike(double t) {
    // Welford's update (Technometrics 4:419, 1962; Knuth, TAOCP vol. 2, 4.2.2): the sum of squared
    // deviations without the cancellation of sum(x^2) - n mean^2, which left CVs of 1e-8 for ISIs equal
    // to 1e-14.
    if (n_spikes == 0) {
        first_spike = t;
    } else {
        const double isi = t - last_spike;
        const double n = static_cast<double>(n_spikes);  // ISIs so far, this one included
        const double delta = isi - isi_mean;
        isi_mean += delta / n;
        isi_m2 += delta * (isi - isi_mean);
    }
    last_spike = t;
    ++n_spikes;
}

double CellSummary::mean_isi() const { return n_spikes < 2 ? nan : isi_mean; }

double CellSummary::cv_isi() const {
    if (n_spikes < 3) return nan;
    const double n = static_cast<double>(n_spikes - 1);
    return std::sqrt(isi_m2 / (n - 1)) / isi_mean;
}

void check_population_memory(std::size_t n_cells, const Model& model, const Stimulus& stimulus,
                             const Integrator& integrator, double extra_bytes_per_cell) {
    // State twice and up to 8 state-sized scratch arrays, parameters (twice: given and validated),
    // event state, thresholds, current, stimulus values; the summary; the solver's own state.
    const std::size_t n_vars = model.state_variables().size();
    const double per_cell =
        8.0 * static_cast<double>(10 * n_vars + 2 * (model.schema().size() + stimulus.schema().size()) +
                                  model.event_variables().size() + stimulus.derived_variables().size() + 2) +
        static_cast<double>(sizeof(CellSummary) + integrator.solver_bytes_per_cell(n_vars)) + extra_bytes_per_cell;
    const double bytes = per_cell * static_cast<double>(n_cells);
    const double memory = static_cast<double>(physical_memory());
    if (memory > 0 && bytes > 0.8 * memory) {
        throw ParameterError(fmt::format("{} cells need about {} ({} per cell for their state, parameters and "
                                         "solver{}), more than this machine can hold ({} of memory); use fewer "
                                         "cells, or split the population over several runs",
                                         n_cells, bytes_for_people(bytes), bytes_for_people(per_cell),
                                         extra_bytes_per_cell > 0 ? ", and the command's own per-cell results" : "",
                                         bytes_for_people(memory)));
    }
}

Grid resolve_grid(const RunSettings& s) {
    require_finite_positive("dt", s.dt);
    require_finite_positive("t_stop", s.t_stop);
    if (s.t_stop < s.dt) {
        throw ParameterError(fmt::format("t_stop = {} ms is shorter than one step dt = {} ms; make t_stop >= dt",
                                         readable(s.t_stop), readable(s.dt)));
    }
    if (s.n_cells == 0) throw ParameterError("cells = 0: a run needs at least one cell");
    if (s.threads == 0) throw ParameterError("threads = 0: a run needs at least one thread");
    if (s.threads > max_threads) {
        throw ParameterError(fmt::format("threads = {} is more than {}; results do not depend on the number of "
                                         "threads, so use at most the machine's cores ({})",
                                         s.threads, max_threads, std::max(1u, std::thread::hardware_concurrency())));
    }
    Grid grid;
    const double steps = s.t_stop / s.dt;
    if (steps > max_steps) {
        throw ParameterError(fmt::format("t_stop / dt = {} steps is more than the limit of 2^40; increase dt or "
                                         "shorten t_stop",
                                         readable(std::round(steps))));
    }
    const double rounded = std::round(steps);
    if (std::abs(steps - rounded) <= 1e-9 * rounded) {
        grid.n_steps = static_cast<std::size_t>(rounded);
    } else {
        grid.n_steps = static_cast<std::size_t>(std::ceil(steps));
        grid.note = fmt::format("t_stop = {} ms is not a whole multiple of dt = {} ms; running {} steps, to t = {} ms",
                                s.t_stop, s.dt, grid.n_steps, static_cast<double>(grid.n_steps) * s.dt);
    }
    if (!std::isfinite(s.record_interval) || s.record_interval < 0) {
        throw ParameterError(fmt::format("record_interval = {} ms is not allowed; it must be 0 (every step) or a "
                                         "positive whole multiple of dt = {} ms",
                                         s.record_interval, s.dt));
    }
    if (s.record_interval > 0) {
        const double every = s.record_interval / s.dt;
        if (every > max_steps) {
            throw ParameterError(fmt::format("record_interval = {} ms is more than 2^40 steps of dt = {} ms; use "
                                             "a record_interval no longer than the run",
                                             readable(s.record_interval), readable(s.dt)));
        }
        const double whole = std::round(every);
        if (whole < 1 || std::abs(every - whole) > 1e-9 * whole) {
            throw ParameterError(fmt::format("record_interval = {} ms is not a whole multiple of dt = {} ms; use e.g. "
                                             "{} ms",
                                             s.record_interval, s.dt, std::max(1.0, whole) * s.dt));
        }
        grid.record_every = static_cast<std::size_t>(whole);
        if (grid.record_every >= grid.n_steps && grid.n_steps > 1) {
            if (!grid.note.empty()) grid.note += "; ";
            grid.note += fmt::format("record_interval = {} ms is not shorter than the run ({} ms): only the state at "
                                     "t = 0 is sampled (spikes are all recorded)",
                                     s.record_interval, static_cast<double>(grid.n_steps) * s.dt);
        }
    }
    // A run of hours says so before it starts (10^11 cell-steps: about 17 minutes for hh with euler on
    // one core, which advances about 10^8 cell-steps a second; docs/performance.md).
    const double cell_steps = static_cast<double>(grid.n_steps) * static_cast<double>(s.n_cells);
    if (cell_steps >= 1e11) {
        if (!grid.note.empty()) grid.note += "; ";
        const int exponent = static_cast<int>(std::floor(std::log10(cell_steps)));
        const double seconds = cell_steps / 1e8;  // on one core
        const std::string duration = seconds < 2 * 3600 ? fmt::format("{:.0f} minutes", seconds / 60)
                                     : seconds < 2 * 86400 ? fmt::format("{:.0f} hours", seconds / 3600)
                                     : seconds < 2 * 365 * 86400 ? fmt::format("{:.0f} days", seconds / 86400)
                                                                  : fmt::format("{:.2g} years", seconds / (365 * 86400.0));
        grid.note += fmt::format("a long run: {} cell(s) x {} steps, {:.2g} x 10^{} cell-steps (hh with euler advances "
                                 "about 10^8 cell-steps a second per core: about {} on one core); Ctrl-C stops it and "
                                 "writes nothing",
                                 s.n_cells, grid.n_steps, cell_steps / std::pow(10.0, exponent), exponent, duration);
    }
    return grid;
}

/// One thread's share of the population: its cells' state and its integrator worker.
struct Simulation::Chunk {
    Block block;
    std::unique_ptr<Integrator::Worker> worker;
    StateBatch y, y_next;
    std::vector<double> current;      // the stimulus's current, for recording it
    std::vector<Spike> spikes;        // of the current stretch
    std::size_t recorded_begin = 0;   // this chunk's recorded cells: info_.recording.cells[begin, end)
    std::size_t recorded_end = 0;
    std::exception_ptr error;         // the first failure of the current stretch, at step error_step
    std::size_t error_step = 0;
};

namespace {

/// The recording the user asked for, resolved against the model.
RecordingInfo resolve_recording(const RecordSpec& spec, const Model& model, const Stimulus& stimulus,
                                std::size_t n_cells) {
    RecordingInfo r;
    const auto states = model.state_variables();
    const Variable& current = model.current();
    // The parts of a sum of stimuli, I.LABEL, recorded on request only.
    std::vector<Variable> parts;
    if (const auto* sum = dynamic_cast<const StimulusSum*>(&stimulus)) {
        for (const auto& part : sum->parts()) {
            parts.push_back({current.name + "." + part.label, current.unit,
                             fmt::format("the current of stimulus '{}' alone", part.label)});
        }
    }
    std::vector<std::string> known;
    for (const auto& v : states) known.push_back(v.name);
    known.push_back(current.name);
    for (const auto& v : parts) known.push_back(v.name);
    known.emplace_back("spikes");
    const bool by_default = spec.variables.empty() && !spec.cells;
    const bool large = n_cells > RecordSpec::default_all_cells;
    std::vector<std::string> names = spec.variables;
    if (names.empty()) {
        if (by_default && large) names = {states.front().name};  // chosen cells record everything
        else names.assign(known.begin(), known.end() - 1 - static_cast<std::ptrdiff_t>(parts.size()));
    }
    if (names.size() == 1 && names.front() == "spikes") r.samples = false;
    if (!r.samples && spec.cells) {
        throw ParameterError("--record-cells is given, but --record is 'spikes' (spike times only, no samples); leave "
                             "--record-cells out, or record variables, e.g. --record 'v'");
    }
    std::set<std::string> seen;
    for (const auto& name : names) {
        if (name == "spikes") continue;
        if (!seen.insert(name).second) {
            throw ParameterError(fmt::format("--record: '{}' is listed twice; list each variable once", name));
        }
        const auto it = std::ranges::find_if(states, [&](const Variable& v) { return v.name == name; });
        if (it != states.end()) {
            r.variables.push_back(*it);
            r.sources.push_back(static_cast<std::size_t>(it - states.begin()));
        } else if (name == current.name) {
            r.variables.push_back(current);
            r.sources.push_back(RecordingInfo::current_index);
        } else if (const auto part = std::ranges::find_if(parts, [&](const Variable& v) { return v.name == name; });
                   part != parts.end()) {
            r.variables.push_back(*part);
            r.sources.push_back(RecordingInfo::part_index(static_cast<std::size_t>(part - parts.begin())));
        } else {
            const bool part_of_one = parts.empty() && name.starts_with(current.name + ".");
            throw ParameterError(fmt::format(
                "--record: {}{}", unknown_name_message("variable", name, known),
                part_of_one ? fmt::format(" ('{}.LABEL' is the current of one part of a sum of stimuli; with one "
                                          "stimulus, record its current as '{}')",
                                          current.name, current.name)
                            : std::string()));
        }
    }
    if (spec.cells) {
        std::set<std::size_t> cells;
        for (const std::size_t c : *spec.cells) {
            if (c >= n_cells) {
                throw ParameterError(fmt::format("--record-cells: cell {} is out of range; the population has {} "
                                                 "cell{} (0 to {})",
                                                 c, n_cells, n_cells == 1 ? "" : "s", n_cells - 1));
            }
            if (!cells.insert(c).second) {
                throw ParameterError(fmt::format("--record-cells: cell {} is listed twice (ranges included); list "
                                                 "each cell once",
                                                 c));
            }
        }
        r.cells.assign(cells.begin(), cells.end());
    } else {
        // The cap is the default's only: variables chosen without --record-cells are recorded for every cell.
        const std::size_t n = by_default && large ? RecordSpec::default_all_cells : n_cells;
        for (std::size_t c = 0; c < n; ++c) r.cells.push_back(c);
    }
    if (!r.samples) r.cells.clear();
    if (by_default && large) {
        r.note = fmt::format("{} cells: recording the spikes of every cell and {} of cells 0 to {} only (choose "
                             "with --record and --record-cells)",
                             n_cells, states.front().name, RecordSpec::default_all_cells - 1);
    }
    return r;
}

}  // namespace

Simulation::Simulation(std::shared_ptr<Model> model, std::shared_ptr<Stimulus> stimulus,
                       std::shared_ptr<Integrator> integrator, std::vector<std::shared_ptr<Recorder>> recorders,
                       RunSettings settings, RunInfo info, CellParameters parameters, const RecordSpec& record,
                       std::shared_ptr<Distribution> distribution)
    : model_(std::move(model)),
      stimulus_(std::move(stimulus)),
      integrator_(std::move(integrator)),
      recorders_(std::move(recorders)),
      settings_(settings),
      grid_(resolve_grid(settings)),
      info_(std::move(info)),
      parameters_(std::move(parameters)),
      distribution_(distribution ? std::move(distribution) : std::make_shared<SingleProcess>()) {
    if (model_->state_variables().empty()) {
        // E.g. the loader object of the `equations` plug-in, created by name instead of through create_model.
        throw PluginError(fmt::format("model '{}' has no state variables and cannot be simulated{}", info_.model,
                                      info_.model == "equations" ? "; give a model file, e.g. examples/models/hh.eq" : ""));
    }
    const std::size_t n = settings_.n_cells;
    const std::size_t n_vars = model_->state_variables().size();
    if (parameters_.model.n_vars() != model_->schema().size() || parameters_.model.n_cells() != n ||
        parameters_.stimulus.n_vars() != stimulus_->schema().size() || parameters_.stimulus.n_cells() != n) {
        throw ParameterError(fmt::format("the per-cell parameters have shapes [{}, {}] and [{}, {}], but the model "
                                         "and stimulus have {} and {} parameters for {} cells",
                                         parameters_.model.n_vars(), parameters_.model.n_cells(),
                                         parameters_.stimulus.n_vars(), parameters_.stimulus.n_cells(),
                                         model_->schema().size(), stimulus_->schema().size(), n));
    }
    if (const std::size_t ranks = distribution_->size(); ranks > n) {
        throw ParameterError(fmt::format("mpirun started {} ranks for {} cell{}; start at most {} rank{} (-np {}), or "
                                         "simulate more cells",
                                         ranks, n, n == 1 ? "" : "s", n, n == 1 ? "" : "s", n));
    }
    cells_ = rank_cells(n, distribution_->rank(), distribution_->size());
    check_population_memory(n, *model_, *stimulus_, *integrator_);

    events_ = StateBatch(model_->event_variables().size(), n);
    derived_ = StateBatch(stimulus_->derived_variables().size(), n);
    thresholds_.assign(n, 0.0);
    model_->thresholds(parameters_.model.view(), thresholds_);
    // Once for the whole population, so that a plug-in's message names the cell of a population.
    stimulus_->prepare(StimulusGrid{settings_.dt, grid_.n_steps, settings_.seed,
                                    stimulus_stream(split_stimulus_part(info_.stimulus).label), model_->current().unit},
                       StimulusCells{parameters_.stimulus.view(), derived_.view()}, 0);
    if (stimulus_->white_noise() && !integrator_->takes_white_noise()) {
        throw PluginError(fmt::format("integrator '{}' cannot run the white-noise stimulus of this run: white noise "
                                      "is integrated in the Euler-Maruyama sense, which needs a fixed-step scheme "
                                      "that holds the current over each step; use --integrator euler or exp_euler "
                                      "(or an ou stimulus, coloured noise, with any integrator)",
                                      info_.integrator));
    }
    const std::size_t n_local = cells_.count();
    const std::size_t n_threads = std::min(settings_.threads, n_local);
    // Each thread advances its cells in tiles of tile_cells, one after the other, each for a whole
    // stretch of steps (cells do not interact), so that a tile's state, parameters and scratch stay in
    // the processor's cache.
    const auto add_chunk = [&](std::size_t first, std::size_t count) {
        auto chunk = std::make_unique<Chunk>();
        chunk->block = Block{model_.get(),
                             stimulus_.get(),
                             {parameters_.model.cells(first, count), events_.cells(first, count)},
                             {parameters_.stimulus.cells(first, count), derived_.cells(first, count)},
                             std::span<const double>(thresholds_).subspan(first, count),
                             first,
                             settings_.dt};
        chunks_.push_back(std::move(chunk));
    };
    thread_chunks_.assign(1, 0);
    for (std::size_t k = 0; k < n_threads; ++k) {
        const std::size_t begin = cells_.first + n_local * k / n_threads;
        const std::size_t end = cells_.first + n_local * (k + 1) / n_threads;
        for (std::size_t first = begin; first < end; first += tile_cells) {
            add_chunk(first, std::min(tile_cells, end - first));
        }
        thread_chunks_.push_back(chunks_.size());
    }
    for (auto& chunk : chunks_) {
        try {
            chunk->worker = integrator_->make_worker(chunk->block);
        } catch (const PluginError& e) {
            throw PluginError(fmt::format("integrator '{}' cannot run model '{}': {}", info_.integrator, info_.model,
                                          e.what()));
        }
        chunk->y = StateBatch(n_vars, chunk->block.count());
        chunk->y_next = StateBatch(n_vars, chunk->block.count());
        chunk->current.assign(chunk->block.count(), 0.0);
        chunk->spikes.reserve(chunk->block.count());
    }

    info_.recording = resolve_recording(record, *model_, *stimulus_, n);
    const auto& cells = info_.recording.cells;
    for (auto& chunk : chunks_) {
        std::tie(chunk->recorded_begin, chunk->recorded_end) =
            recorded_range({chunk->block.first, chunk->block.first + chunk->block.count()});
    }
    const std::size_t n_recorded = info_.recording.variables.size();
    const std::size_t sample_bytes = std::max<std::size_t>(1, 8 * n_recorded * cells.size());
    stretch_ = max_stretch;
    while (stretch_ > min_stretch && stretch_ * n_local > stretch_cell_steps) stretch_ /= 2;
    while (stretch_ > 1 && (stretch_ / grid_.record_every + 1) * sample_bytes > sample_buffer_bytes) stretch_ /= 2;
    // Samples are gathered only for recorders to take them (a run without recorders collects spikes only).
    if (info_.recording.samples && n_recorded > 0 && !cells.empty() && !recorders_.empty()) {
        sample_buffer_.assign(stretch_ / grid_.record_every + 1, StateBatch(n_recorded, cells.size()));
    }

    info_.dt = settings_.dt;
    info_.n_steps = grid_.n_steps;
    info_.t_stop = static_cast<double>(grid_.n_steps) * settings_.dt;
    info_.record_every = grid_.record_every;
    info_.n_cells = n;
    info_.threads = n_threads;
    info_.seed = settings_.seed;
    const auto states = model_->state_variables();
    info_.state_variables.assign(states.begin(), states.end());
    info_.current = model_->current();
    info_.thresholds = thresholds_;
    const auto* meaning = dynamic_cast<const ThresholdMeaningOf*>(model_.get());
    info_.threshold_meaning = meaning != nullptr ? meaning->threshold_meaning() : ThresholdMeaning{};
    if (info_.parameters.empty()) {
        // Components' values (the same in every cell unless listed in cell_parameters).
        const auto add = [&](std::string_view component, const Component& c) {
            const auto schema = c.schema();
            const auto values = c.values().values();
            for (std::size_t k = 0; k < schema.size(); ++k) {
                info_.parameters.push_back({std::string(component), schema[k].name, values[k],
                                            resolve_unit(schema[k].unit, info_.current.unit)});
            }
        };
        add("model", *model_);
        add("stimulus", *stimulus_);
        add("integrator", *integrator_);
        for (std::size_t r = 0; r < recorders_.size(); ++r) {
            add(r < info_.recorders.size() ? info_.recorders[r] : "recorder", *recorders_[r]);
        }
    }
    if (distribution_->rank() != 0) recorders_.clear();  // rank 0 writes; the others send it their cells' results
}

std::pair<std::size_t, std::size_t> Simulation::recorded_range(CellRange range) const {
    const auto& cells = info_.recording.cells;
    return {static_cast<std::size_t>(std::ranges::lower_bound(cells, range.first) - cells.begin()),
            static_cast<std::size_t>(std::ranges::lower_bound(cells, range.end) - cells.begin())};
}

std::pair<std::size_t, std::size_t> Simulation::stretch_samples(std::size_t first_step, std::size_t n_steps) const {
    const std::size_t every = grid_.record_every;
    const std::size_t first_sample = (first_step + every - 1) / every;
    const std::size_t end_sample = (first_step + n_steps + every - 1) / every;
    return {first_sample, end_sample - first_sample};
}

std::string Simulation::recorded_description(bool and_spikes) const {
    const std::size_t values = info_.recording.variables.size() * info_.recording.cells.size();
    if (values == 0) return "the spike times and what the recorders make of them";
    return fmt::format("{} samples of {} value{} each{}", grid_.n_steps / grid_.record_every, values,
                       values == 1 ? "" : "s", and_spikes ? ", and the spikes" : "");
}

std::string Simulation::output_size_note() const {
    double bytes = 0;
    for (const auto& r : recorders_) bytes += r->expected_bytes(info_);
    if (bytes <= large_output_bytes) return {};
    return fmt::format("the outputs of this run will take about {} ({}); to record less, use --record-interval, "
                       "--record or --record-cells, or --recorder none",
                       bytes_for_people(bytes), recorded_description(false));
}

void Simulation::check_output_space() const {
    double bytes = 0;
    for (const auto& r : recorders_) bytes += r->expected_bytes(info_);
    if (bytes <= 0) return;
    std::error_code ec;
    const auto space = std::filesystem::space(info_.output_dir.empty() ? "." : info_.output_dir, ec);
    if (ec || static_cast<double>(space.available) >= bytes) return;
    throw RunError(fmt::format("the outputs of this run would take about {} ({}), but '{}' has only {} free; record "
                               "less (--record-interval, --record, --record-cells), or --recorder none",
                               bytes_for_people(bytes), recorded_description(true),
                               info_.output_dir.string(), bytes_for_people(static_cast<double>(space.available))));
}

Simulation::~Simulation() = default;
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;

void Simulation::take_sample(Chunk& chunk, std::size_t i, double t, const ConstBatchView& y, StateBatch& sample) {
    const auto& recording = info_.recording;
    for (std::size_t r = 0; r < recording.sources.size(); ++r) {
        const std::size_t source = recording.sources[r];
        const bool is_state = source < y.n_vars();
        if (source == RecordingInfo::current_index) {
            stimulus_->current(i, t, chunk.block.stimulus_cells, chunk.current);
        } else if (!is_state) {
            static_cast<const StimulusSum&>(*stimulus_).part_current(RecordingInfo::current_index - 1 - source, i, t,
                                                                     chunk.block.stimulus_cells, chunk.current);
        }
        const auto row = sample.var(r);
        for (std::size_t j = chunk.recorded_begin; j < chunk.recorded_end; ++j) {
            const std::size_t c = recording.cells[j] - chunk.block.first;
            row[j] = is_state ? y.var(source)[c] : chunk.current[c];
        }
    }
}

void Simulation::report_not_finite(const Chunk& chunk, std::size_t i, double t, const ConstBatchView& y) const {
    const double dt = settings_.dt;
    for (std::size_t k = 0; k < y.n_vars(); ++k) {
        for (std::size_t c = 0; c < y.count(); ++c) {
            const double x = y.var(k)[c];
            if (std::isfinite(x)) continue;
            const std::size_t cell = chunk.block.first + c;
            std::string values;  // the cell's per-cell parameters, which may explain it
            for (const auto& p : info_.cell_parameters) {
                values += fmt::format("{}{}.{} = {} {}", values.empty() ? " (" : ", ", p.component, p.name,
                                      readable(p.values[cell], 6), p.unit);
            }
            if (!values.empty()) values += ")";
            throw CellError(
                fmt::format("the simulation diverged: state variable '{}' of cell {}{} became {} at t = {} ms (step "
                            "{}) with integrator '{}' at dt = {} ms. Either the time step is too large for this "
                            "model and stimulus (try e.g. --dt {}), or the model's equations produce a value that "
                            "is not finite there (a square root or logarithm of a negative number, a division by "
                            "zero). No output was written.",
                            info_.state_variables[k].name, cell, values, std::isnan(x) ? "NaN" : "infinite",
                            fmt::format("{:.12g}", t + dt), i + 1, info_.integrator, dt,
                            fmt::format("{:.12g}", dt / 10)),
                cell);
        }
    }
}

RunError Simulation::plugin_failure(std::size_t step, std::string_view why) const {
    // Not one of Soma's errors, so from plug-in code (a kernel of the model, stimulus or integrator),
    // which does not say whose: name them all, and when.
    return RunError(fmt::format("a plug-in of this run (model '{}', stimulus '{}', integrator '{}') failed in step {} (from "
                                "t = {} ms): {}; no output was written",
                                info_.model, info_.stimulus, info_.integrator, step,
                                readable(static_cast<double>(step) * settings_.dt, 12), why));
}

void Simulation::run_chunk(Chunk& chunk, std::size_t first_step, std::size_t n_steps) {
    const std::size_t every = grid_.record_every;
    const std::size_t first_sample = (first_step + every - 1) / every;
    const bool records = !sample_buffer_.empty() && chunk.recorded_end > chunk.recorded_begin;
    const double dt = settings_.dt;
    // The views are made once per stretch, and each step takes them from memory by the parity of the
    // steps done (a view built or swapped in the loop is written to the stack piece by piece and read
    // back whole for the call: a store-forwarding stall per step). Sampling and the report of a
    // non-finite value are out of line, so that the loop's counters stay in registers.
    const std::array<BatchView, 2> views{chunk.y.view(), chunk.y_next.view()};
    const std::array<ConstBatchView, 2> const_views{views[0], views[1]};
    std::size_t now = 0;  // views[now] holds the state at step i
    const std::size_t n_values = views[0].n_vars() * views[0].stride();  // both batches hold [n_vars, count] contiguously
    std::size_t next_sample = first_sample * every;  // the step of the stretch's next sample
    std::size_t sample_index = 0;                     // its index in sample_buffer_
    std::size_t i = first_step;
    try {
        for (; i < first_step + n_steps; ++i) {
            if (records && i == next_sample) {
                next_sample += every;
                take_sample(chunk, i, static_cast<double>(i) * dt, const_views[now], sample_buffer_[sample_index++]);
            }
            const BatchView& y_next = views[1 - now];
            chunk.worker->step(i, const_views[now], y_next, chunk.spikes);

            // One pass per step detects any NaN or infinity in the new state: an integer OR of comparisons,
            // which GCC vectorizes (a floating-point sum would be one serial chain of additions).
            int not_finite = 0;
            if (n_values <= 4) {  // a cell alone: the set-up of a vector loop costs more than the test
                for (std::size_t k = 0; k < n_values; ++k) {
                    not_finite |= int(!(std::abs(y_next.raw()[k]) <= std::numeric_limits<double>::max()));
                }
            } else {
                for (const double x : std::span<const double>(y_next.raw(), n_values)) {
                    not_finite |= int(!(std::abs(x) <= std::numeric_limits<double>::max()));
                }
            }
            if (not_finite != 0) report_not_finite(chunk, i, static_cast<double>(i) * dt, y_next);
            now = 1 - now;
        }
    } catch (const Error&) {
        chunk.error = std::current_exception();
        chunk.error_step = i;
    } catch (const std::exception& e) {
        chunk.error = std::make_exception_ptr(plugin_failure(i, e.what()));
        chunk.error_step = i;
    } catch (...) {
        chunk.error = std::make_exception_ptr(plugin_failure(i, "it threw an object that is not an exception"));
        chunk.error_step = i;
    }
    if (now == 1) chunk.y.swap(chunk.y_next);  // the newest state into chunk.y
}

namespace {
/// The interrupt flag of the run in progress (stop_requested), or null.
std::atomic<const std::atomic<bool>*> run_interrupt{nullptr};
}  // namespace

bool stop_requested() noexcept {
    const std::atomic<bool>* flag = run_interrupt.load(std::memory_order_relaxed);
    return flag != nullptr && flag->load(std::memory_order_relaxed);
}

RunSummary Simulation::run() {
    // This run's flag for stop_requested, the previous one back when the run ends.
    struct PublishedInterrupt {
        const std::atomic<bool>* previous;
        explicit PublishedInterrupt(const std::atomic<bool>* flag) : previous(run_interrupt.exchange(flag)) {}
        ~PublishedInterrupt() { run_interrupt.store(previous); }
        PublishedInterrupt(const PublishedInterrupt&) = delete;
        PublishedInterrupt& operator=(const PublishedInterrupt&) = delete;
    } published(interrupt_ != nullptr ? interrupt_ : run_interrupt.load());
    Distribution& d = *distribution_;
    const bool root = d.rank() == 0;
    RunSummary summary;
    summary.n_steps = grid_.n_steps;
    summary.cells.assign(settings_.n_cells, CellSummary{});
    for (auto& chunk : chunks_) {
        model_->initialize(chunk->block.model_cells, chunk->y.view());
        chunk->error = nullptr;
    }
    std::vector<Spike> spikes;
    spikes.reserve(cells_.count());
    std::size_t first_step = 0, n_steps = 0;
    const auto run_thread = [&](std::size_t k) {  // thread k's tiles, one after the other
        for (std::size_t c = thread_chunks_[k]; c < thread_chunks_[k + 1]; ++c) run_chunk(*chunks_[c], first_step, n_steps);
    };
    ThreadTeam team(thread_chunks_.size() - 1, run_thread);
    // `work` on rank 0 (the recorders' part), then every rank throws its failure, if any.
    const auto on_root = [&](auto&& work) {
        std::exception_ptr failure;
        if (root) {
            try {
                work();
            } catch (...) {
                failure = std::current_exception();
            }
        }
        wire::settle(d, failure ? std::optional<std::size_t>(0) : std::nullopt,
                     failure ? std::optional(wire::describe(failure)) : std::nullopt, failure);
    };
    try {
        on_root([&] {
            check_output_space();
            for (const auto& r : recorders_) r->begin(info_);
            // Fail now, not after the run, if an output cannot take its final name (so that no recorder
            // commits while another cannot).
            std::vector<std::filesystem::path> outputs;
            for (const auto& r : recorders_) {
                for (const auto& path : r->outputs()) {
                    outputs.push_back(path);
                    std::error_code ec;
                    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
                        throw RunError(fmt::format("output '{}' exists and is not a regular file (a directory?); "
                                                   "remove it or choose another --output or --name",
                                                   path.string()));
                    }
                }
            }
            if (outputs_check_) outputs_check_(outputs);
        });
        const std::size_t every = grid_.record_every;
        const std::size_t n_vars = info_.recording.variables.size();
        for (first_step = 0; first_step < grid_.n_steps; first_step += n_steps) {
            n_steps = std::min(stretch_, grid_.n_steps - first_step);
            const bool stop = interrupt_ != nullptr && interrupt_->load(std::memory_order_relaxed);
            if (!stop) team.run([&] { run_thread(0); });
            const Chunk* failed = nullptr;
            for (const auto& chunk : chunks_) {
                if (chunk->error && (failed == nullptr || chunk->error_step < failed->error_step)) failed = chunk.get();
            }
            const auto [first_sample, n_samples] = stretch_samples(first_step, n_steps);
            spikes.clear();
            for (auto& chunk : chunks_) {
                spikes.insert(spikes.end(), chunk->spikes.begin(), chunk->spikes.end());
                chunk->spikes.clear();
            }

            // This rank's report to rank 0: an interrupt, its earliest failure, its spikes and its recorded
            // cells' samples (rank 0 has its own in place).
            wire::Writer report;
            report.put<std::uint8_t>(stop);
            report.put<std::uint64_t>(failed != nullptr ? failed->error_step : 0);
            wire::put(report, failed != nullptr ? std::optional(wire::describe(failed->error)) : std::nullopt);
            if (!root && failed == nullptr && !stop) {
                report.put_all(std::span<const Spike>(spikes));
                const auto [begin, end] = recorded_range(cells_);
                for (std::size_t s = 0; s < n_samples && !sample_buffer_.empty(); ++s) {
                    for (std::size_t k = 0; k < n_vars; ++k) {
                        report.put_raw(std::span<const double>(sample_buffer_[s].var(k)).subspan(begin, end - begin));
                    }
                }
            }
            const auto reports = d.gather(report.take());

            std::optional<std::size_t> winner;
            std::optional<wire::Failure> failure;
            std::exception_ptr own = failed != nullptr ? failed->error : nullptr;
            if (root) {
                try {
                    std::vector<wire::Reader> in(reports.begin(), reports.end());
                    bool stopped = false;
                    std::size_t winner_step = 0;
                    for (std::size_t r = 0; r < in.size(); ++r) {
                        stopped |= in[r].get<std::uint8_t>() != 0;
                        const auto step = in[r].get<std::uint64_t>();
                        auto f = wire::get_failure(in[r]);
                        if (f && (!winner || step < winner_step)) {
                            winner = r;
                            winner_step = step;
                            failure = std::move(f);
                        }
                    }
                    if (stopped) {
                        throw RunError(fmt::format("interrupted at t = {} ms; no output was written",
                                                   static_cast<double>(first_step) * settings_.dt));
                    }
                    if (!winner) {
                        for (std::size_t r = 1; r < in.size(); ++r) {
                            const auto theirs = in[r].get_all<Spike>();
                            spikes.insert(spikes.end(), theirs.begin(), theirs.end());
                            const auto [begin, end] = recorded_range(rank_cells(settings_.n_cells, r, d.size()));
                            for (std::size_t s = 0; s < n_samples && !sample_buffer_.empty(); ++s) {
                                for (std::size_t k = 0; k < n_vars; ++k) {
                                    in[r].get_raw(sample_buffer_[s].var(k).subspan(begin, end - begin));
                                }
                            }
                        }
                        for (std::size_t s = 0; s < n_samples && !sample_buffer_.empty(); ++s) {
                            const double t = static_cast<double>((first_sample + s) * every) * settings_.dt;
                            for (const auto& r : recorders_) r->sample(t, sample_buffer_[s].view());
                        }
                        std::ranges::sort(spikes, [](const Spike& a, const Spike& b) {
                            return a.t < b.t || (a.t == b.t && a.cell < b.cell);
                        });
                        for (const auto& s : spikes) {
                            for (const auto& r : recorders_) r->spike(s.cell, s.t);
                            summary.cells[s.cell].add_spike(s.t);
                            ++summary.n_spikes;
                        }
                    }
                } catch (...) {
                    own = std::current_exception();
                    winner = 0;
                    failure = wire::describe(own);
                }
            }
            wire::settle(d, winner, failure, own);
            if (progress_ && root) progress_(first_step + n_steps, grid_.n_steps);
        }
        on_root([&] {
            for (const auto& r : recorders_) r->finish(summary);
            if (interrupt_ != nullptr && interrupt_->load(std::memory_order_relaxed)) {
                throw RunError("interrupted while writing the outputs; no output was written");
            }
            for (const auto& r : recorders_) r->commit();
        });
    } catch (...) {
        for (const auto& r : recorders_) r->abort();  // abort is safe in any state, even before begin
        throw;
    }
    if (d.size() > 1) {  // every rank returns rank 0's summary of the whole population
        std::vector<std::byte> bytes;
        if (root) {
            wire::Writer out;
            out.put<std::uint64_t>(summary.n_spikes);
            out.put_all(std::span<const CellSummary>(summary.cells));
            bytes = out.take();
        }
        d.broadcast(bytes);
        if (!root) {
            wire::Reader in(bytes);
            summary.n_spikes = in.get<std::uint64_t>();
            summary.cells = in.get_all<CellSummary>();
        }
    }
    return summary;
}

}  // namespace soma
