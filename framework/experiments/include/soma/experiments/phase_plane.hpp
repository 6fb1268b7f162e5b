#pragma once
/// @file phase_plane.hpp
/// Phase planes of two-variable models (fitzhugh_nagumo, izhikevich, adex, 2-variable model files) at
/// a constant injected current I: the vector field (dv/dt, dw/dt) on a grid, the nullclines, the fixed
/// points with their stability, and a trajectory (a normal run of the model under its stimulus), with
/// CSV files and a gnuplot figure of them.
///
/// Method (textbook: E. M. Izhikevich, Dynamical Systems in Neuroscience, MIT Press 2007, ch. 4,
/// "Two-dimensional systems"; S. H. Strogatz, Nonlinear Dynamics and Chaos, 2nd ed. 2015, ch. 5-6):
/// - the vector field is the model's own right-hand side (Model::derivatives), evaluated for all grid
///   points at once as a batch of cells with the same parameters, at t = 0 outside any refractory period;
/// - a nullcline is the zero contour of dv/dt (the v-nullcline) or of dw/dt (the w-nullcline) on a fine
///   grid, by marching squares (the crossing on each grid edge found by bisection of the exact right-hand
///   side along the edge, so that each point lies on the nullcline to rounding);
/// - fixed points: Newton's method on (dv/dt, dw/dt) = 0, started in each grid cell where both change
///   sign, with the model's Jacobian (jacobian.hpp) or, without one, central differences;
/// - stability from the eigenvalues of the 2x2 Jacobian J at the fixed point, from tau = tr J and
///   Delta = det J (Strogatz 2015, sect. 5.2, Fig. 5.2.8): Delta < 0 saddle; Delta > 0 and
///   tau^2 >= 4 Delta node, else focus (spiral), stable when tau < 0, unstable when tau > 0, centre when
///   tau = 0.
/// Reset models (izhikevich, adex): the reset (v <- reset when v reaches the spike threshold) is not
/// part of the vector field; the threshold and the reset value are reported to be drawn as lines.

#include "soma/model.hpp"
#include "soma/registry.hpp"
#include "soma/run_spec.hpp"

#include <array>
#include <complex>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace soma::experiments {

/// The closed interval [from, to] of one state variable, in its unit; from < to.
struct Interval {
    double from = 0;
    double to = 0;
    [[nodiscard]] double width() const { return to - from; }
};

/// Spike threshold and reset of a model with a reset (v <- reset when v reaches threshold), unit of v.
struct Reset {
    double threshold = 0;
    double reset = 0;
};

/// The right-hand side of a two-variable model, for one set of parameter values and a constant
/// injected current, as a function of the state (v, w). Not thread-safe (it keeps scratch arrays).
class BOOST_SYMBOL_VISIBLE PlanarField {
public:
    /// @param parameters the model's parameter values, schema order; shape [schema().size()]
    /// @param current the injected current, in the unit of model->current()
    /// @throws ParameterError if the model does not have exactly two state variables, or `parameters`
    ///         does not match its schema.
    PlanarField(std::shared_ptr<const Model> model, std::span<const double> parameters, double current);

    [[nodiscard]] const Model& model() const { return *model_; }
    [[nodiscard]] double current() const { return current_; }

    /// (dv/dt, dw/dt) at the points (v[k], w[k]); every span of shape [n]. Per ms, in the units of v and w.
    void evaluate(std::span<const double> v, std::span<const double> w, std::span<double> dv,
                  std::span<double> dw) const;
    /// (dv/dt, dw/dt) at one point.
    [[nodiscard]] std::array<double, 2> operator()(double v, double w) const;
    /// The Jacobian at (v, w), row-major {d(dv/dt)/dv, d(dv/dt)/dw, d(dw/dt)/dv, d(dw/dt)/dw}, in 1/ms
    /// times the ratio of the units: the model's own if it implements soma::Jacobian, else central
    /// differences with steps h = eps^(1/3) max(|x|, 1) (error O(h^2)).
    [[nodiscard]] std::array<double, 4> jacobian(double v, double w) const;
    /// Whether `jacobian` is the model's analytic one.
    [[nodiscard]] bool analytic_jacobian() const;
    /// The threshold and reset of a model whose `on_spike` resets it; nullopt for a model without reset.
    [[nodiscard]] std::optional<Reset> reset() const;

private:
    static constexpr std::size_t block = 1024;  // cells per evaluation batch
    std::shared_ptr<const Model> model_;
    double current_;
    StateBatch parameters_;  // [n_params, block], every cell the same
    mutable StateBatch events_;    // [n_events, block], as `initialize` leaves them; kernels only read it
    mutable StateBatch y_, dydt_;  // [2, block]
    std::vector<double> i_inj_;    // [block]
};

/// The vector field on a regular grid: points (v_i, w_j), i < nv, j < nw, ends included.
struct FieldGrid {
    Interval v, w;
    std::size_t nv = 0, nw = 0;
    std::vector<double> dv, dw;  ///< shape [nw, nv], row-major: index j * nv + i is the point (v_i, w_j)
    [[nodiscard]] double v_at(std::size_t i) const;
    [[nodiscard]] double w_at(std::size_t j) const;
};

/// The field of `field` on an nv x nw grid over `v` x `w`. @throws ParameterError for nv or nw < 2.
[[nodiscard]] BOOST_SYMBOL_VISIBLE FieldGrid sample_field(const PlanarField& field, Interval v, Interval w,
                                                         std::size_t nv, std::size_t nw);

struct Point {
    double v = 0;
    double w = 0;
};
/// A piece of a nullcline, inside one grid cell.
struct Segment {
    Point a, b;
};
struct Nullclines {
    std::vector<Segment> v;  ///< dv/dt = 0
    std::vector<Segment> w;  ///< dw/dt = 0
};

/// The nullclines of `field` as segments, by marching squares on `grid` (which must be `field`'s),
/// each end refined by bisection of the exact field along its grid edge (to rounding). A saddle cell
/// (four crossings) is resolved by the sign at the cell's centre (the mean of its corners).
[[nodiscard]] BOOST_SYMBOL_VISIBLE Nullclines nullclines(const PlanarField& field, const FieldGrid& grid);

enum class FixedPointType { stable_node, unstable_node, stable_focus, unstable_focus, saddle, centre, degenerate };
/// "stable node", "unstable focus", "saddle", "centre", "degenerate (an eigenvalue 0)", ...
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::string to_string(FixedPointType type);

struct FixedPoint {
    double v = 0;
    double w = 0;
    std::array<double, 4> jacobian{};                 ///< row-major, as PlanarField::jacobian
    std::array<std::complex<double>, 2> eigenvalues;  ///< 1/ms; the larger real part first
    FixedPointType type = FixedPointType::degenerate;
    [[nodiscard]] bool stable() const {
        return type == FixedPointType::stable_node || type == FixedPointType::stable_focus;
    }
};

/// Eigenvalues and type of a fixed point from its Jacobian (row-major 2x2), by trace and determinant
/// (Strogatz 2015, sect. 5.2). tau or Delta within 1e-12 of the Jacobian's scale counts as 0 (centre,
/// degenerate).
[[nodiscard]] BOOST_SYMBOL_VISIBLE FixedPoint classify(double v, double w, const std::array<double, 4>& jacobian);

/// The fixed points of `field` inside `grid`'s rectangle, ordered by v: Newton's method from the centre
/// of every grid cell where both dv/dt and dw/dt change sign, to a step below 1e-13 of the grid's size
/// (at most 100 iterations; a start that does not converge, or converges outside the rectangle, is
/// dropped; points closer than 1e-7 of the grid's size are one).
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<FixedPoint> fixed_points(const PlanarField& field, const FieldGrid& grid);

/// What `phase_plane` computes.
struct PhasePlaneSpec {
    RunSpec run;  ///< the trajectory's run: one cell; its recorders and recording are replaced
    /// The constant current of the field, in the model's current unit; nullopt: the stimulus's
    /// `amplitude` (dc; step and pulse_train: their value while on).
    std::optional<double> current;
    std::optional<Interval> v_range, w_range;  ///< nullopt: from the trajectory (see phase_plane)
    std::size_t arrows = 21;       ///< arrows of the vector field per axis, >= 2
    std::size_t resolution = 401;  ///< grid points per axis of the nullclines and fixed-point search, >= 2
};

struct Trajectory {
    std::vector<double> t, v, w;  ///< ms, units of v and w; shape [number of samples] each
    std::vector<double> spikes;   ///< ms
};

struct PhasePlane {
    std::string model;                 ///< the model's plug-in name (a model file's path)
    std::array<Variable, 2> variables;  ///< v and w (the model's names and units)
    Variable current_variable;          ///< the injected current's name and unit
    double current = 0;                 ///< of the field, unit of current_variable
    std::string current_from;           ///< how it was chosen, e.g. "stimulus.amplitude" or "--current"
    std::optional<Reset> reset;
    bool analytic_jacobian = false;
    FieldGrid field;                    ///< arrows x arrows, v up to a reset model's cut-off
    /// The figure's v axis: field.v, or wider when the range asked for reaches beyond a reset model's
    /// cut-off (where the model has no field; `note` says so).
    Interval v_window;
    Nullclines nullclines;
    std::vector<FixedPoint> fixed_points;
    Trajectory trajectory;
    RunInfo info;                       ///< the trajectory run's metadata
    /// For the user, when the trajectory was cut at the stimulus's offset (after it, the cell follows the
    /// field of no current), runs at another current than the field (--current), the field stops at a
    /// reset model's cut-off, or a nullcline has no segment in the window (with the w it has over the
    /// window's v); empty otherwise. Several notes are separated by "\n  ".
    std::string note;
    /// The trajectory's legend when it runs at another current than the field's (--current with a stimulus of
    /// another amplitude, or one that is not a dc current), e.g. "trajectory (at I = 0.5)"; empty otherwise.
    std::string trajectory_label;
};

/// Most steps of a phase plane's trajectory (kept whole in memory: 240 MB at most, and more points than a
/// figure can show).
inline constexpr std::size_t max_trajectory_steps = 10'000'000;

/// Runs the trajectory (build_simulation with an in-memory recorder of v and w, every sample) and
/// computes the phase plane at the constant current. Default ranges: the trajectory's range of each
/// variable (v widened to the threshold and reset of a reset model, w to the w-nullcline over the v
/// range, so that every fixed point is inside), plus 10 % of its width on each side (for a variable
/// that does not move, +-max(1, 10 % of |value|)), v at most up to a reset model's cut-off; a range asked
/// for beyond the cut-off is the figure's window (v_window), the field stops at the cut-off. Without
/// --current, the trajectory is cut at the stimulus's offset (a step's end), after which the cell
/// follows another field; `note` says so.
/// @throws ParameterError for a model without exactly two state variables (naming them, and listing
///         the 2-D models of `registry`), per-cell values (a phase plane is of one cell), a stimulus
///         other than dc, step or pulse_train when `current` is not given, an empty or non-finite range, arrows or
///         resolution below 2, a v range wholly at or above a reset model's cut-off, a run of more than max_trajectory_steps steps (before it runs);
///         everything build_simulation and Simulation::run throw.
[[nodiscard]] BOOST_SYMBOL_VISIBLE PhasePlane phase_plane(const PluginRegistry& registry, const PhasePlaneSpec& spec);

/// Checks that model `name` (a plug-in or a model file) has a phase plane, before anything is run.
/// @throws ParameterError as phase_plane does for a model without exactly two state variables; what
///         create_model throws.
BOOST_SYMBOL_VISIBLE void check_planar(const PluginRegistry& registry, const std::string& name);

/// The model plug-ins of `registry` with exactly two state variables, by name.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::vector<std::string> planar_models(const PluginRegistry& registry);

/// Writes into `dir` (created if missing; removed again on error if it was created): NAME_phase.csv
/// (v, w, dv/dt, dw/dt of the arrows' grid), NAME_nullclines.csv (one segment per row: nullcline, v1,
/// w1, v2, w2), NAME_fixed_points.csv (v, w, eigenvalues, type), NAME_trajectory.csv (t, v, w),
/// NAME_phase.gp and the figure NAME_phase.png and .svg drawn by gnuplot from them; headers carry
/// the units. All or nothing: every file is written under a temporary name and renamed at the end.
/// @returns the paths written.
/// @throws RunError if a file cannot be written or gnuplot fails (soma/gnuplot.hpp); nothing is left.
BOOST_SYMBOL_VISIBLE std::vector<std::filesystem::path> write_phase_plane(const PhasePlane& plane,
                                                                         const std::filesystem::path& dir,
                                                                         const std::string& name,
                                                                         const std::string& title);

}  // namespace soma::experiments
