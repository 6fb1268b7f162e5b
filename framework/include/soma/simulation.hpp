#pragma once
/// @file simulation.hpp
/// The engine: a population of cells of one model, driven by one stimulus, advanced by one integrator
/// (one worker per chunk of cells), with any number of recorders.

#include "soma/distribution.hpp"
#include "soma/error.hpp"
#include "soma/integrator.hpp"
#include "soma/model.hpp"
#include "soma/recorder.hpp"
#include "soma/run_info.hpp"
#include "soma/stimulus.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace soma {

/// Run length, grid, population size and threads; times in ms.
struct RunSettings {
    double t_stop = 100.0;          ///< end of the run; the run covers [0, t_stop)
    double dt = 0.01;               ///< time step
    double record_interval = 0.0;   ///< time between samples; 0 means every step
    std::size_t n_cells = 1;        ///< number of cells
    std::size_t threads = 1;        ///< threads that advance the cells (contiguous chunks), at most max_threads; results do not depend on it
    std::uint64_t seed = 0;         ///< seed of random per-cell values (recorded in the metadata)

    /// The most threads a run takes (more are refused: results do not depend on the number of threads).
    static constexpr std::size_t max_threads = 1024;
};

/// What to record, as the user asks for it (resolved against the model by Simulation).
struct RecordSpec {
    /// Names of state variables and/or the model's current ("I"), or the single name "spikes" for spike
    /// times only. Empty: everything, of `cells` if given; with `cells` unset too, the default (everything
    /// for up to `default_all_cells` cells; spikes and v of the first `default_all_cells` cells for more).
    std::vector<std::string> variables;
    /// Population indices of the cells whose samples are recorded (spikes are recorded for all); not with
    /// `variables` = {"spikes"}. Unset: every cell when `variables` are given, else the default above.
    std::optional<std::vector<std::size_t>> cells;

    /// Populations up to this size record every variable of every cell by default.
    static constexpr std::size_t default_all_cells = 10;
};

/// The grid that `RunSettings` resolve to.
struct Grid {
    std::size_t n_steps = 0;       ///< number of steps of dt; samples at i*dt for i < n_steps
    std::size_t record_every = 1;  ///< steps between samples
    std::string note;              ///< non-empty when t_stop was rounded, or only one sample will be taken
};

/// Checks run settings and resolves them to a grid.
/// @throws ParameterError when dt <= 0, t_stop <= 0, t_stop < dt, dt or t_stop is not a finite
///         number, the run would exceed 2^40 steps, n_cells or threads is 0, threads exceeds 1024, or
///         record_interval is
///         negative, not finite, longer than 2^40 steps or not a whole multiple of dt (to 1e-9
///         relative). A t_stop that is not a whole multiple of dt is rounded up to the next step, and
///         `note` says so.
BOOST_SYMBOL_VISIBLE Grid resolve_grid(const RunSettings& settings);

/// The per-cell parameter values of a run: shape [schema size, n_cells] for the model and the stimulus,
/// each value already validated against its range and its component's constraints.
struct CellParameters {
    StateBatch model;
    StateBatch stimulus;
};

/// Refuses, before anything is allocated, a population that would not fit in memory: estimates the bytes
/// of `n_cells` cells (the engine's per-cell arrays: state and scratch, parameters, event state,
/// thresholds, stimulus values, the per-cell summary; and the integrator's solver state,
/// Integrator::solver_bytes_per_cell; and `extra_bytes_per_cell` of the caller's own, e.g. an
/// experiment's per-cell results) and compares them with 80 % of the machine's physical memory.
/// @throws ParameterError giving the cell count, the estimate and the memory, with a remedy.
BOOST_SYMBOL_VISIBLE void check_population_memory(std::size_t n_cells, const Model& model, const Stimulus& stimulus,
                                                  const Integrator& integrator, double extra_bytes_per_cell = 0);

/// Cells a thread advances together through a stretch of steps before it takes its next ones (a multiple
/// of simd_block). Cells do not interact, so a chunk of them runs its steps alone, its state, parameters
/// and scratch in the processor's cache: 256 HH cells under forward Euler touch some 60 KiB per step,
/// within a core's L2. 10^4 HH cells on one thread ran 9 % faster than when advanced all together.
inline constexpr std::size_t tile_cells = 256;

/// One simulation of `n_cells` cells. The engine owns every per-cell array (state, parameters, event
/// state, thresholds, stimulus values); the model, stimulus and integrator are stateless kernels over
/// ranges of them. The cells are split into `threads` contiguous ranges, one per thread, and each range
/// into chunks of at most `tile_cells` cells, each with its own integrator worker; a thread advances its
/// chunks one after the other through each stretch. A cell's results do not depend on the chunking.
///
/// Data flow of the run, in stretches of 256 to 4096 steps (fewer for large populations and for many
/// recorded samples): each chunk, for each step i,
/// copies its recorded cells' values at t_i into the stretch's sample buffer (every record_every
/// steps), calls its worker's `step` (which evaluates stimulus and model, locates spikes and applies
/// resets), checks that its new state is finite, and swaps its state arrays; then the main thread
/// hands the stretch's samples to the recorders in time order and its spikes sorted by (time, cell).
///
/// Over several processes (a Distribution of K ranks, distribution.hpp), rank r advances only cells
/// [N*r/K, N*(r+1)/K) (rank_cells), split among its own `threads`; the per-cell parameters,
/// thresholds and RunInfo stay those of the whole population on every rank. After each stretch every
/// rank sends rank 0 its recorded cells' samples, its spikes and its failure, if any; rank 0 alone has
/// recorders, and they receive exactly the calls of a single-process run, so the outputs are the same
/// bytes. Each cell's random values and noise are functions of its population index, so results do not
/// depend on K either.
class BOOST_SYMBOL_VISIBLE Simulation {
public:
    /// @param parameters per-cell values (`n_cells` columns each; see build_simulation in run_spec.hpp
    ///        for how they are made from what the user typed).
    /// @throws ParameterError as `resolve_grid`; from `stimulus.prepare` (a cell's onset off the grid);
    ///         when `parameters` do not match the schemas or `settings.n_cells`; for a recorded variable
    ///         the model does not have (with the closest name) or a recorded cell out of range; and
    ///         when the run's arrays would not fit in memory (with the estimate in bytes); when
    ///         `distribution` has more ranks than there are cells.
    /// @throws PluginError from `integrator.make_worker` (a capability the model lacks), naming the
    ///         integrator and the model from `info`; and for a model without state variables (the
    ///         loader of a model-file plug-in such as `equations`, see model_from_file.hpp).
    /// @param distribution the processes the run is split over; null: this process alone (SingleProcess).
    ///        On ranks other than 0 the recorders are checked and then released (`recorders()` is empty).
    Simulation(std::shared_ptr<Model> model, std::shared_ptr<Stimulus> stimulus,
               std::shared_ptr<Integrator> integrator, std::vector<std::shared_ptr<Recorder>> recorders,
               RunSettings settings, RunInfo info, CellParameters parameters, const RecordSpec& record = {},
               std::shared_ptr<Distribution> distribution = nullptr);
    ~Simulation();
    Simulation(Simulation&&) noexcept;
    Simulation& operator=(Simulation&&) noexcept;

    [[nodiscard]] const Grid& grid() const { return grid_; }
    /// A note when the recorders' outputs will take more than large_output_bytes (their expected_bytes),
    /// with what to change to record less; "" otherwise.
    [[nodiscard]] std::string output_size_note() const;
    static constexpr double large_output_bytes = 1024.0 * 1024 * 1024;
    /// Metadata as the recorders receive it (settings, units, all parameter values, recording).
    [[nodiscard]] const RunInfo& info() const { return info_; }
    /// The recorders, in the order given (e.g. to list their `outputs` after the run).
    [[nodiscard]] const std::vector<std::shared_ptr<Recorder>>& recorders() const { return recorders_; }

    /// Makes `run` stop (abort the recorders and throw RunError) soon after `flag` becomes true,
    /// e.g. from a SIGINT handler. `flag` must outlive the run.
    void interrupt_on(const std::atomic<bool>& flag) { interrupt_ = &flag; }
    /// Makes `run` call `progress(steps done, steps of the run)` on its own thread after each stretch
    /// of steps (a few hundred steps; at most one call per step), e.g. to show a progress line.
    void on_progress(std::function<void(std::size_t, std::size_t)> progress) { progress_ = std::move(progress); }
    /// Makes `run` call `check(the final paths of every recorder's outputs)` once the recorders have begun
    /// and before the first step, e.g. to refuse files that belong to another run (by throwing, which
    /// aborts the recorders: nothing is written). On rank 0 only (the rank with recorders).
    void on_outputs(std::function<void(const std::vector<std::filesystem::path>&)> check) {
        outputs_check_ = std::move(check);
    }

    /// Runs to t_stop. If anything throws (a recorder, a worker, or a non-finite state), every recorder
    /// is aborted, so no output is left, and the exception propagates (of several failing chunks, the
    /// one with the earliest step). Collective over the distribution: every rank must call it; a failure
    /// on any rank (or an interrupt) makes every rank throw the same error after rank 0 aborted its
    /// recorders, and the returned summary (of the whole population) is the same on every rank.
    /// @throws RunError when a state variable becomes NaN or infinite, naming the variable, the
    ///         cell, the time and the integrator and suggesting a smaller dt; when interrupted; and,
    ///         before anything is written, when the recorders' outputs would not fit on the output
    ///         file system (both figures, and what to change).
    RunSummary run();

private:
    struct Chunk;
    void run_chunk(Chunk& chunk, std::size_t first_step, std::size_t n_steps);
    /// The recorded variables of the chunk's recorded cells at step i (state `y`) into `sample`.
    [[gnu::noinline]] void take_sample(Chunk& chunk, std::size_t i, double t, const ConstBatchView& y,
                                       StateBatch& sample);
    /// @throws CellError naming the first variable and cell of `y` (the state after step i, from t)
    ///         that is not finite, if any.
    /// The error for a step whose plug-in code threw something other than a soma::Error.
    RunError plugin_failure(std::size_t step, std::string_view why) const;
    [[gnu::noinline]] void report_not_finite(const Chunk& chunk, std::size_t i, double t, const ConstBatchView& y) const;
    /// Indices into info_.recording.cells of the recorded cells among `cells`: [first, second).
    [[nodiscard]] std::pair<std::size_t, std::size_t> recorded_range(CellRange cells) const;
    /// Number of samples taken in the stretch of `n_steps` steps from `first_step`, and the first one's index.
    [[nodiscard]] std::pair<std::size_t, std::size_t> stretch_samples(std::size_t first_step, std::size_t n_steps) const;
    /// @throws RunError when the recorders' expected_bytes exceed the free space of the output directory.
    void check_output_space() const;
    /// What the recorders receive, for the messages on the outputs' size: "N samples of K values each" (with
    /// ", and the spikes" if `and_spikes`), or the spike times alone.
    [[nodiscard]] std::string recorded_description(bool and_spikes) const;

    std::shared_ptr<Model> model_;
    std::shared_ptr<Stimulus> stimulus_;
    std::shared_ptr<Integrator> integrator_;
    std::vector<std::shared_ptr<Recorder>> recorders_;
    RunSettings settings_;
    Grid grid_;
    RunInfo info_;
    CellParameters parameters_;
    StateBatch events_, derived_;
    std::vector<double> thresholds_;
    std::vector<std::unique_ptr<Chunk>> chunks_;
    std::vector<std::size_t> thread_chunks_;  // thread k advances chunks_[thread_chunks_[k], thread_chunks_[k + 1])
    std::vector<StateBatch> sample_buffer_;  // one [n_recorded, n_recorded_cells] block per sample of a stretch
    std::size_t stretch_ = 1;                // steps per stretch
    const std::atomic<bool>* interrupt_ = nullptr;
    std::function<void(std::size_t, std::size_t)> progress_;
    std::function<void(const std::vector<std::filesystem::path>&)> outputs_check_;
    std::shared_ptr<Distribution> distribution_;
    CellRange cells_;                        // this rank's cells
};

}  // namespace soma
