#include "soma/experiments/phase_plane.hpp"

#include "soma/error.hpp"
#include "soma/gnuplot.hpp"
#include "soma/jacobian.hpp"
#include "soma/model_from_file.hpp"
#include "soma/output_file.hpp"
#include "soma/readable_number.hpp"
#include "soma/recorder.hpp"
#include "soma/staged_file.hpp"
#include "soma/version.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <limits>

namespace soma::experiments {

namespace {

/// The sign class of a value on the grid: zero counts as positive, so that every edge has at most one
/// crossing between a negative and a non-negative end.
bool negative(double x) { return x < 0; }

/// Row-major 2x2 determinant and solution of J x = b by Cramer's rule.
std::optional<std::array<double, 2>> solve(const std::array<double, 4>& j, std::array<double, 2> b) {
    const double det = j[0] * j[3] - j[1] * j[2];
    if (det == 0 || !std::isfinite(det)) return std::nullopt;
    return std::array<double, 2>{(b[0] * j[3] - j[1] * b[1]) / det, (j[0] * b[1] - b[0] * j[2]) / det};
}

std::string unit_of_rate(const Variable& v) { return v.unit == "1" || v.unit.empty() ? "1/ms" : v.unit + "/ms"; }
std::string column(const Variable& v) { return fmt::format("{} ({})", v.name, v.unit); }
/// An axis label: "v (mV)", or the name alone for a dimensionless variable (units as figures show them).
std::string axis_label(const Variable& v) { return gnuplot::axis_label(v.name, v.unit); }

std::string number(double x) {
    fmt::memory_buffer b;
    append_number(b, x);
    return {b.data(), b.size()};
}

}  // namespace

// ------------------------------------------------------------------------------------------------ field

PlanarField::PlanarField(std::shared_ptr<const Model> model, std::span<const double> parameters, double current)
    : model_(std::move(model)), current_(current) {
    const auto vars = model_->state_variables();
    if (vars.size() != 2) {
        throw ParameterError(fmt::format("a phase plane needs a model with exactly 2 state variables; this one has {}",
                                         vars.size()));
    }
    if (parameters.size() != model_->schema().size()) {
        throw ParameterError(fmt::format("{} parameter values given for a model with {} parameters", parameters.size(),
                                         model_->schema().size()));
    }
    parameters_ = StateBatch(parameters.size(), block);
    for (std::size_t k = 0; k < parameters.size(); ++k) std::ranges::fill(parameters_.var(k), parameters[k]);
    events_ = StateBatch(model_->event_variables().size(), block);
    y_ = StateBatch(2, block);
    dydt_ = StateBatch(2, block);
    i_inj_.assign(block, current);
    model_->initialize({parameters_.view(), events_.view()}, y_.view());  // the event state of a cell at rest
}

void PlanarField::evaluate(std::span<const double> v, std::span<const double> w, std::span<double> dv,
                           std::span<double> dw) const {
    for (std::size_t first = 0; first < v.size(); first += block) {
        const std::size_t n = std::min(block, v.size() - first);
        std::copy_n(v.begin() + static_cast<std::ptrdiff_t>(first), n, y_.var(0).begin());
        std::copy_n(w.begin() + static_cast<std::ptrdiff_t>(first), n, y_.var(1).begin());
        const ModelCells cells{parameters_.cells(0, n), events_.cells(0, n)};  // derivatives does not write events
        model_->derivatives(0.0, cells, y_.cells(0, n), std::span<const double>(i_inj_).first(n), dydt_.cells(0, n));
        std::copy_n(dydt_.var(0).begin(), n, dv.begin() + static_cast<std::ptrdiff_t>(first));
        std::copy_n(dydt_.var(1).begin(), n, dw.begin() + static_cast<std::ptrdiff_t>(first));
    }
}

std::array<double, 2> PlanarField::operator()(double v, double w) const {
    std::array<double, 2> d{};
    evaluate({&v, 1}, {&w, 1}, {&d[0], 1}, {&d[1], 1});
    return d;
}

bool PlanarField::analytic_jacobian() const { return dynamic_cast<const Jacobian*>(model_.get()) != nullptr; }

std::array<double, 4> PlanarField::jacobian(double v, double w) const {
    std::array<double, 4> j{};
    if (const auto* analytic = dynamic_cast<const Jacobian*>(model_.get())) {
        y_.var(0)[0] = v;
        y_.var(1)[0] = w;
        analytic->jacobian(0.0, {parameters_.cells(0, 1), events_.cells(0, 1)}, y_.cells(0, 1),
                           std::span<const double>(i_inj_).first(1), j);
        return j;
    }
    const double eps = std::cbrt(std::numeric_limits<double>::epsilon());
    const double hv = eps * std::max(std::abs(v), 1.0), hw = eps * std::max(std::abs(w), 1.0);
    const auto fv1 = (*this)(v + hv, w), fv0 = (*this)(v - hv, w);
    const auto fw1 = (*this)(v, w + hw), fw0 = (*this)(v, w - hw);
    j[0] = (fv1[0] - fv0[0]) / (2 * hv);
    j[1] = (fw1[0] - fw0[0]) / (2 * hw);
    j[2] = (fv1[1] - fv0[1]) / (2 * hv);
    j[3] = (fw1[1] - fw0[1]) / (2 * hw);
    return j;
}

std::optional<Reset> PlanarField::reset() const {
    std::vector<double> threshold(1);
    model_->thresholds(parameters_.cells(0, 1), threshold);
    StateBatch y(2, 1), events(events_.n_vars(), 1);
    copy_cells(events_.cells(0, 1), events.view());
    y.var(0)[0] = threshold[0];
    y.var(1)[0] = 0;
    if (!model_->on_spike(0.0, {parameters_.cells(0, 1), events.view()}, y.view())) return std::nullopt;
    return Reset{threshold[0], y.var(0)[0]};
}

// ------------------------------------------------------------------------------------------------- grid

double FieldGrid::v_at(std::size_t i) const {
    return i + 1 == nv ? v.to : v.from + v.width() * static_cast<double>(i) / static_cast<double>(nv - 1);
}
double FieldGrid::w_at(std::size_t j) const {
    return j + 1 == nw ? w.to : w.from + w.width() * static_cast<double>(j) / static_cast<double>(nw - 1);
}

FieldGrid sample_field(const PlanarField& field, Interval v, Interval w, std::size_t nv, std::size_t nw) {
    if (nv < 2 || nw < 2) throw ParameterError("a phase-plane grid needs at least 2 points per axis");
    FieldGrid g{v, w, nv, nw, std::vector<double>(nv * nw), std::vector<double>(nv * nw)};
    std::vector<double> vs(nv * nw), ws(nv * nw);
    for (std::size_t j = 0; j < nw; ++j) {
        for (std::size_t i = 0; i < nv; ++i) {
            vs[j * nv + i] = g.v_at(i);
            ws[j * nv + i] = g.w_at(j);
        }
    }
    field.evaluate(vs, ws, g.dv, g.dw);
    return g;
}

// ------------------------------------------------------------------------------------------- nullclines

namespace {

/// The zero of component `k` of the field on the segment from `a` to `b`, whose ends have values of
/// opposite sign classes `fa`, `fb`: bisection to the last bit (at most 200 halvings).
Point crossing(const PlanarField& field, std::size_t k, Point a, Point b, double fa) {
    for (int n = 0; n < 200; ++n) {
        const Point mid{a.v + 0.5 * (b.v - a.v), a.w + 0.5 * (b.w - a.w)};
        if ((mid.v == a.v || mid.v == b.v) && (mid.w == a.w || mid.w == b.w)) break;
        const double fm = field(mid.v, mid.w)[k];
        if (negative(fm) == negative(fa)) {
            a = mid;
            fa = fm;
        } else {
            b = mid;
        }
    }
    // The end whose value is nearer zero is not known without another evaluation: take the midpoint,
    // within half an ulp of either.
    return {a.v + 0.5 * (b.v - a.v), a.w + 0.5 * (b.w - a.w)};
}

std::vector<Segment> contour(const PlanarField& field, const FieldGrid& g, std::size_t k) {
    const std::vector<double>& f = k == 0 ? g.dv : g.dw;
    const std::size_t nv = g.nv, nw = g.nw;
    const auto at = [&](std::size_t i, std::size_t j) { return f[j * nv + i]; };
    const auto point = [&](std::size_t i, std::size_t j) { return Point{g.v_at(i), g.w_at(j)}; };
    // Crossings on the horizontal edges (i, j)-(i + 1, j) and the vertical edges (i, j)-(i, j + 1).
    std::vector<std::optional<Point>> horizontal((nv - 1) * nw), vertical(nv * (nw - 1));
    for (std::size_t j = 0; j < nw; ++j) {
        for (std::size_t i = 0; i + 1 < nv; ++i) {
            if (negative(at(i, j)) != negative(at(i + 1, j))) {
                horizontal[j * (nv - 1) + i] = crossing(field, k, point(i, j), point(i + 1, j), at(i, j));
            }
        }
    }
    for (std::size_t j = 0; j + 1 < nw; ++j) {
        for (std::size_t i = 0; i < nv; ++i) {
            if (negative(at(i, j)) != negative(at(i, j + 1))) {
                vertical[j * nv + i] = crossing(field, k, point(i, j), point(i, j + 1), at(i, j));
            }
        }
    }
    std::vector<Segment> segments;
    for (std::size_t j = 0; j + 1 < nw; ++j) {
        for (std::size_t i = 0; i + 1 < nv; ++i) {
            const auto& bottom = horizontal[j * (nv - 1) + i];
            const auto& top = horizontal[(j + 1) * (nv - 1) + i];
            const auto& left = vertical[j * nv + i];
            const auto& right = vertical[j * nv + i + 1];
            const int n = (bottom ? 1 : 0) + (top ? 1 : 0) + (left ? 1 : 0) + (right ? 1 : 0);
            if (n == 2) {
                std::array<Point, 2> ends{};
                int m = 0;
                for (const auto* e : {&bottom, &right, &top, &left}) {
                    if (*e) ends[static_cast<std::size_t>(m++)] = **e;
                }
                segments.push_back({ends[0], ends[1]});
            } else if (n == 4) {
                // Saddle cell: corners (i, j) and (i + 1, j + 1) share a sign class. If the centre has it
                // too, that region joins them and the segments cut off the other two corners.
                const double centre = (at(i, j) + at(i + 1, j) + at(i, j + 1) + at(i + 1, j + 1)) / 4;
                if (negative(centre) == negative(at(i, j))) {
                    segments.push_back({*bottom, *right});
                    segments.push_back({*left, *top});
                } else {
                    segments.push_back({*bottom, *left});
                    segments.push_back({*right, *top});
                }
            }
        }
    }
    return segments;
}

}  // namespace

Nullclines nullclines(const PlanarField& field, const FieldGrid& grid) {
    return {contour(field, grid, 0), contour(field, grid, 1)};
}

// ---------------------------------------------------------------------------------------- fixed points

std::string to_string(FixedPointType type) {
    switch (type) {
    case FixedPointType::stable_node: return "stable node";
    case FixedPointType::unstable_node: return "unstable node";
    case FixedPointType::stable_focus: return "stable focus";
    case FixedPointType::unstable_focus: return "unstable focus";
    case FixedPointType::saddle: return "saddle";
    case FixedPointType::centre: return "centre";
    case FixedPointType::degenerate: return "degenerate (an eigenvalue 0)";
    }
    return "unknown";
}

FixedPoint classify(double v, double w, const std::array<double, 4>& j) {
    FixedPoint p;
    p.v = v;
    p.w = w;
    p.jacobian = j;
    const double tau = j[0] + j[3], delta = j[0] * j[3] - j[1] * j[2];
    const double scale = std::max({std::abs(j[0]), std::abs(j[1]), std::abs(j[2]), std::abs(j[3])});
    const double disc = tau * tau - 4 * delta;
    const double root = std::sqrt(std::abs(disc));
    if (disc >= 0) {
        // The root of larger magnitude without cancellation, the other from the product delta.
        const double big = 0.5 * (tau + std::copysign(root, tau == 0 ? 1.0 : tau));
        const double small = big == 0 ? 0.0 : delta / big;
        p.eigenvalues = {std::complex<double>(std::max(big, small)), std::complex<double>(std::min(big, small))};
    } else {
        p.eigenvalues = {std::complex<double>(tau / 2, root / 2), std::complex<double>(tau / 2, -root / 2)};
    }
    const double tol = 1e-12;
    if (std::abs(delta) <= tol * scale * scale) p.type = FixedPointType::degenerate;
    else if (delta < 0) p.type = FixedPointType::saddle;
    else if (std::abs(tau) <= tol * scale) p.type = FixedPointType::centre;
    else if (disc >= 0) p.type = tau < 0 ? FixedPointType::stable_node : FixedPointType::unstable_node;
    else p.type = tau < 0 ? FixedPointType::stable_focus : FixedPointType::unstable_focus;
    return p;
}

std::vector<FixedPoint> fixed_points(const PlanarField& field, const FieldGrid& g) {
    std::vector<FixedPoint> found;
    const double sv = g.v.width(), sw = g.w.width();
    const auto inside = [&](double v, double w) {
        return v >= g.v.from - 1e-9 * sv && v <= g.v.to + 1e-9 * sv && w >= g.w.from - 1e-9 * sw && w <= g.w.to + 1e-9 * sw;
    };
    for (std::size_t j = 0; j + 1 < g.nw; ++j) {
        for (std::size_t i = 0; i + 1 < g.nv; ++i) {
            const std::array<std::size_t, 4> corners{j * g.nv + i, j * g.nv + i + 1, (j + 1) * g.nv + i,
                                                     (j + 1) * g.nv + i + 1};
            const auto changes = [&](const std::vector<double>& f) {
                const bool n0 = negative(f[corners[0]]);
                return std::ranges::any_of(corners, [&](std::size_t c) { return negative(f[c]) != n0; });
            };
            if (!changes(g.dv) || !changes(g.dw)) continue;
            double v = 0.5 * (g.v_at(i) + g.v_at(i + 1)), w = 0.5 * (g.w_at(j) + g.w_at(j + 1));
            bool converged = false;
            for (int n = 0; n < 100 && std::isfinite(v) && std::isfinite(w); ++n) {
                const auto f = field(v, w);
                const auto step = solve(field.jacobian(v, w), {f[0], f[1]});
                if (!step) break;
                v -= (*step)[0];
                w -= (*step)[1];
                if (std::abs((*step)[0]) <= 1e-13 * sv && std::abs((*step)[1]) <= 1e-13 * sw) {
                    converged = true;
                    break;
                }
            }
            if (!converged || !inside(v, w)) continue;
            const bool known = std::ranges::any_of(found, [&](const FixedPoint& p) {
                return std::abs(p.v - v) <= 1e-7 * sv && std::abs(p.w - w) <= 1e-7 * sw;
            });
            if (!known) found.push_back(classify(v, w, field.jacobian(v, w)));
        }
    }
    std::ranges::sort(found, {}, &FixedPoint::v);
    return found;
}

// ----------------------------------------------------------------------------------------- experiment

namespace {

/// Keeps v and w of the one cell, every sample, and the spike times.
class TrajectoryRecorder final : public Recorder {
public:
    TrajectoryRecorder() : Recorder({}) { init_defaults(); }
    void begin(const RunInfo&) override { trajectory = {}; }
    void sample(double t, ConstBatchView values) override {
        trajectory.t.push_back(t);
        trajectory.v.push_back(values.at(0, 0));
        trajectory.w.push_back(values.at(1, 0));
    }
    void spike(std::size_t, double t) override { trajectory.spikes.push_back(t); }
    void finish(const RunSummary&) override {}
    void commit() override {}
    void abort() noexcept override {}
    [[nodiscard]] std::vector<std::filesystem::path> outputs() const override { return {}; }

    Trajectory trajectory;
};

/// `[lo, hi]` plus 10 % of its width on each side; a point as +-max(1, 10 % of |value|).
Interval widened(double lo, double hi) {
    if (!(hi - lo > 1e-9 * std::max({1.0, std::abs(lo), std::abs(hi)}))) {
        const double c = 0.5 * (lo + hi), half = std::max(1.0, 0.1 * std::abs(c));
        return {c - half, c + half};
    }
    const double margin = 0.1 * (hi - lo);
    return {lo - margin, hi + margin};
}

void check_interval(const Interval& r, const Variable& v, std::string_view which) {
    if (!std::isfinite(r.from) || !std::isfinite(r.to) || !(r.from < r.to)) {
        throw ParameterError(fmt::format("the {} range [{:g}, {:g}] of {} is not an interval: it needs finite "
                                         "bounds A < B",
                                         which, r.from, r.to, v.name));
    }
    // Its width and the grid's steps must be finite numbers too (-1e308:1e308 is not).
    constexpr double largest = 1e150;
    if (!std::isfinite(r.to - r.from) || std::abs(r.from) > largest || std::abs(r.to) > largest) {
        throw ParameterError(fmt::format("the {} range [{:g}, {:g}] of {} is too wide to draw; give bounds within "
                                         "+-{:g}",
                                         which, r.from, r.to, v.name, largest));
    }
}

std::string dimension_error(const Model& model, const std::string& name, const PluginRegistry& registry) {
    std::vector<std::string> names;
    for (const auto& v : model.state_variables()) names.push_back(v.name);
    auto planar = planar_models(registry);
    planar.emplace_back("a 2-variable model file");
    std::string list;
    for (std::size_t k = 0; k < planar.size(); ++k) {
        list += (k == 0 ? "" : (k + 1 == planar.size() ? ", or " : ", ")) + planar[k];
    }
    return fmt::format("model '{}' has {} state variable{} ({}); a phase plane needs exactly 2: {}", name,
                       names.size(), names.size() == 1 ? "" : "s", fmt::join(names, ", "), list);
}

}  // namespace

std::vector<std::string> planar_models(const PluginRegistry& registry) {
    std::vector<std::string> names;
    for (const auto& p : registry.plugins(PluginKind::model)) {
        if (p.name == model_file_plugin) continue;
        try {
            const auto model = registry.create<Model>(PluginKind::model, p.name);
            if (model->state_variables().size() == 2) names.push_back(p.name);
        } catch (const Error&) {
            // a plug-in that cannot be created here is not offered
        }
    }
    return names;
}

void check_planar(const PluginRegistry& registry, const std::string& name) {
    const auto model = create_model(registry, name);
    if (model->state_variables().size() != 2) throw ParameterError(dimension_error(*model, name, registry));
}

namespace {

/// The w at which component k of the field (0: dv/dt, 1: dw/dt) is 0 at this v, by Newton's method in w
/// from `w`: the nullcline's point over v, or nullopt when the iteration fails.
std::optional<double> nullcline_w(const PlanarField& field, std::size_t k, double v, double w) {
    for (int n = 0; n < 50; ++n) {
        const double slope = field.jacobian(v, w)[2 * k + 1];
        if (slope == 0 || !std::isfinite(slope)) return std::nullopt;
        const double step = field(v, w)[k] / slope;
        w -= step;
        if (!std::isfinite(w)) return std::nullopt;
        if (std::abs(step) <= 1e-12 * std::max(1.0, std::abs(w))) return w;
    }
    return std::nullopt;
}

}  // namespace

PhasePlane phase_plane(const PluginRegistry& registry, const PhasePlaneSpec& spec) {
    if (spec.arrows < 2 || spec.resolution < 2) {
        throw ParameterError("a phase plane needs at least 2 arrows and 2 grid points per axis");
    }
    const std::shared_ptr<const Model> model = create_model(registry, spec.run.model.name);
    if (model->state_variables().size() != 2) {
        throw ParameterError(dimension_error(*model, spec.run.model.name, registry));
    }
    PhasePlane plane;
    plane.model = spec.run.model.name;
    plane.variables = {model->state_variables()[0], model->state_variables()[1]};
    plane.current_variable = model->current();

    RunSpec run = spec.run;
    run.recorders.clear();
    run.record = {};
    run.record.variables = {plane.variables[0].name, plane.variables[1].name};
    const auto recorder = std::make_shared<TrajectoryRecorder>();
    Simulation simulation = build_simulation(registry, run, {recorder});
    plane.info = simulation.info();
    if (plane.info.n_cells != 1 || !plane.info.cell_parameters.empty()) {
        std::vector<std::string> per_cell;
        for (const auto& p : plane.info.cell_parameters) per_cell.push_back(fmt::format("{}.{} = {}", p.component, p.name, p.given_as));
        throw ParameterError(fmt::format("a phase plane is of one cell: give single values, not per-cell lists, tables "
                                         "or random draws, and no --cells{}",
                                         per_cell.empty() ? fmt::format(" (the run has {} cells)", plane.info.n_cells)
                                                          : fmt::format(" (per cell: {})", fmt::join(per_cell, ", "))));
    }
    // The trajectory is kept whole (t, v, w of every step) to be drawn and written: refused before it runs when
    // that cannot be drawn or held.
    if (plane.info.n_steps > max_trajectory_steps) {
        throw ParameterError(fmt::format(
            "the trajectory would have {} points ({} ms at dt = {} ms, {:.0f} MB in memory); a phase plane draws at "
            "most {}: give a shorter --t-stop or a larger --dt",
            plane.info.n_steps, readable(plane.info.t_stop), readable(plane.info.dt),
            static_cast<double>(plane.info.n_steps) * 3 * sizeof(double) / 1e6, max_trajectory_steps));
    }
    std::vector<double> parameters;
    for (const auto& s : model->schema()) {
        const auto p = std::ranges::find_if(plane.info.parameters, [&](const ParameterRecord& r) {
            return r.component == "model" && r.name == s.name;
        });
        if (p == plane.info.parameters.end()) throw RunError(fmt::format("model parameter '{}' is missing from the run", s.name));
        parameters.push_back(p->value);
    }
    if (spec.current) {
        plane.current = *spec.current;
        plane.current_from = "--current";
        // The trajectory runs under the stimulus: say so when that is another current than the field's.
        const auto amplitude = std::ranges::find_if(plane.info.parameters, [](const ParameterRecord& r) {
            return r.component == "stimulus" && r.name == "amplitude";
        });
        const std::string unit = gnuplot::display_unit(plane.current_variable.unit);
        std::string runs;  // what the trajectory runs under, when it is not the field's current
        if (amplitude == plane.info.parameters.end() || plane.info.stimulus != "dc") {
            runs = fmt::format("under the {} stimulus", plane.info.stimulus);
        } else if (amplitude->value != plane.current) {
            runs = fmt::format("at {} = {}{}", plane.current_variable.name, readable(amplitude->value),
                               unit.empty() ? "" : " " + unit);
        }
        if (!runs.empty()) {
            plane.trajectory_label = fmt::format("trajectory ({})", runs);
            plane.note = fmt::format("the field, nullclines and fixed points are at {} = {} (--current); the "
                                     "trajectory runs {}",
                                     plane.current_variable.name, readable(plane.current), runs);
        }
    } else {
        // Stimuli that are a constant current while on: their amplitude is that current.
        const bool constant = plane.info.stimulus == "dc" || plane.info.stimulus == "step" ||
                              plane.info.stimulus == "pulse_train";
        const auto p = std::ranges::find_if(plane.info.parameters, [](const ParameterRecord& r) {
            return r.component == "stimulus" && r.name == "amplitude";
        });
        if (!constant || p == plane.info.parameters.end()) {
            throw ParameterError(fmt::format("the phase plane is for a constant current, and the '{}' stimulus is not "
                                             "one (dc, step and pulse_train are: their amplitude is taken); give the "
                                             "current with --current VALUE{}",
                                             plane.info.stimulus,
                                             plane.current_variable.unit == "1" || plane.current_variable.unit.empty()
                                                 ? std::string(" (dimensionless for this model)")
                                                 : " (in " + plane.current_variable.unit + ")"));
        }
        plane.current = p->value;
        plane.current_from = "stimulus.amplitude";
    }
    if (!std::isfinite(plane.current)) throw ParameterError("the phase plane's current is not a finite number");
    if (spec.v_range) check_interval(*spec.v_range, plane.variables[0], "v");
    if (spec.w_range) check_interval(*spec.w_range, plane.variables[1], "w");

    simulation.run();
    plane.trajectory = std::move(recorder->trajectory);
    if (plane.trajectory.t.empty()) throw RunError("the run took no sample of the trajectory");
    // After a step or pulse ends the cell follows another field (that of no current): the trajectory is
    // kept only while the stimulus can be on.
    if (!spec.current) {
        const auto offset = std::ranges::find_if(plane.info.parameters, [](const ParameterRecord& r) {
            return r.component == "stimulus" && r.name == "offset" && r.unit == "ms";
        });
        if (offset != plane.info.parameters.end() && offset->value < plane.info.t_stop) {
            Trajectory& tr = plane.trajectory;
            const auto keep = static_cast<std::size_t>(std::ranges::lower_bound(tr.t, offset->value) - tr.t.begin());
            if (keep > 0) {
                tr.t.resize(keep);
                tr.v.resize(keep);
                tr.w.resize(keep);
                std::erase_if(tr.spikes, [&](double t) { return t >= offset->value; });
                plane.note = fmt::format("the trajectory is drawn up to the stimulus's offset at {:g} ms: after it the "
                                         "cell follows the field without current",
                                         offset->value);
            }
        }
    }
    const PlanarField field(model, parameters, plane.current);
    plane.reset = field.reset();
    plane.analytic_jacobian = field.analytic_jacobian();

    const Trajectory& tr = plane.trajectory;
    Interval v_range;
    if (spec.v_range) {
        v_range = *spec.v_range;
    } else {
        auto [lo, hi] = std::ranges::minmax(tr.v);
        if (plane.reset) {
            lo = std::min({lo, plane.reset->reset, plane.reset->threshold});
            hi = std::max({hi, plane.reset->reset, plane.reset->threshold});
        }
        v_range = widened(lo, hi);
        if (plane.reset) v_range.to = std::min(v_range.to, plane.reset->threshold);  // see below
    }
    // Above a reset model's cut-off v never stays (it is reset at once), and its right-hand side may be
    // clamped there (izhikevich): a window asked for may reach beyond it, the field, nullclines and fixed
    // points stop at it.
    plane.v_window = v_range;
    if (plane.reset && v_range.to > plane.reset->threshold) {
        if (v_range.from >= plane.reset->threshold) {
            throw ParameterError(fmt::format(
                "--v-range {:g}:{:g} is wholly at or above {}'s cut-off {} = {:g}, where {} is reset at once: the "
                "model has no field there; choose a range below {:g}",
                v_range.from, v_range.to, plane.model, plane.variables[0].name, plane.reset->threshold,
                plane.variables[0].name, plane.reset->threshold));
        }
        v_range.to = plane.reset->threshold;
        const std::string above = fmt::format(
            "above the cut-off {} = {:g}{} the model resets at once: the field, nullclines and fixed points are "
            "drawn up to it",
            plane.variables[0].name, plane.reset->threshold,
            plane.variables[0].unit.empty() || plane.variables[0].unit == "1" ? "" : " " + plane.variables[0].unit);
        plane.note = plane.note.empty() ? above : plane.note + "\n  " + above;
    }
    Interval w_range;
    if (spec.w_range) {
        w_range = *spec.w_range;
    } else {
        auto [lo, hi] = std::ranges::minmax(tr.w);
        // The w-nullcline over the v range, by Newton's method in w from the trajectory's mean w.
        const double start = 0.5 * (lo + hi);
        for (int k = 0; k <= 64; ++k) {
            if (const auto w = nullcline_w(field, 1, v_range.from + v_range.width() * k / 64.0, start)) {
                lo = std::min(lo, *w);
                hi = std::max(hi, *w);
            }
        }
        w_range = widened(lo, hi);
    }
    const FieldGrid fine = sample_field(field, v_range, w_range, spec.resolution, spec.resolution);
    plane.nullclines = nullclines(field, fine);
    // A nullcline with no segment in the window would be missing from the figure without a word: say
    // where it is, from Newton's method in w (component k of the field = 0) at 65 values of v.
    for (std::size_t k = 0; k < 2; ++k) {
        if (!(k == 0 ? plane.nullclines.v : plane.nullclines.w).empty()) continue;
        double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;
        for (int j = 0; j <= 64; ++j) {
            const double v = v_range.from + v_range.width() * j / 64.0;
            if (const auto w = nullcline_w(field, k, v, 0.5 * (w_range.from + w_range.to))) {
                lowest = std::min(lowest, *w);
                highest = std::max(highest, *w);
            }
        }
        const Variable& x = plane.variables[k];
        const Variable& w = plane.variables[1];
        const std::string unit = w.unit.empty() || w.unit == "1" ? "" : " " + w.unit;
        const std::string where =
            std::isfinite(lowest)
                ? fmt::format("over this v range it is at {} = {} to {}{}; give --w-range to include it",
                              w.name, readable(lowest, 4), readable(highest, 4), unit)
                : std::string("it was not found over this v range");
        const std::string missing = fmt::format("the {}-nullcline (d{}/dt = 0) is outside the window ({} from {} to {}{}): {}",
                                                x.name, x.name, w.name, readable(w_range.from, 4),
                                                readable(w_range.to, 4), unit, where);
        plane.note = plane.note.empty() ? missing : plane.note + "\n  " + missing;
    }
    plane.fixed_points = fixed_points(field, fine);
    plane.field = sample_field(field, v_range, w_range, spec.arrows, spec.arrows);
    return plane;
}

// ------------------------------------------------------------------------------------------------ files

namespace {

/// The spikes drawn as strokes to the cut-off in a phase plane's figure: the first ones (a trajectory
/// winds over itself after a few).
constexpr std::size_t max_spike_strokes = 1000;

std::string script(const PhasePlane& p, const std::string& title, const std::filesystem::path& base) {
    const Variable& v = p.variables[0];
    const Variable& w = p.variables[1];
    const auto file = [&](const char* var, const char* suffix) {
        return fmt::format("if (!exists(\"{}\")) {} = {}\n", var, var,
                           gnuplot::quote(base.filename().string() + suffix));
    };
    const std::string shown = gnuplot::display_unit(p.current_variable.unit);
    const std::string current =
        fmt::format("{} = {:g}{}", p.current_variable.name, p.current, shown.empty() ? "" : " " + shown);
    std::string s = fmt::format(
        "# Phase plane of a Soma model, written by soma phase (Soma {}).\n"
        "# Re-plot: edit this file, then run gnuplot on it in the directory of the CSV files.\n"
        "{}{}{}{}{}{}"
        "if (!exists(\"width\")) width = 900\n"
        "if (!exists(\"height\")) height = 800\n"
        "set datafile separator ','\n"
        "# Arrows of equal length (in the figure), pointing along the field: the field scaled by the axes.\n"
        "dv_axis = {}\ndw_axis = {}\narrow = 0.6 / {}\n"
        "len(a, b) = sqrt((a / dv_axis)**2 + (b / dw_axis)**2)\n"
        "ax(a, b) = len(a, b) == 0 ? 0 : arrow * a / len(a, b)\n"
        "ay(a, b) = len(a, b) == 0 ? 0 : arrow * b / len(a, b)\n"
        "stable(type) = strstrt(type, 'stable') == 1\n"
        "{}"
        "    set datafile separator ','\n"
        "    set title {} font ',14'\n"
        "    set xlabel {}\n    set ylabel {}\n"
        "    set xrange [{}:{}]\n    set yrange [{}:{}]\n"
        "    set bmargin 9\n    set key at screen 0.5, screen 0.01 center bottom horizontal maxcols 3 box\n",
        soma::version, file("fieldfile", "_phase.csv"), file("nullclinefile", "_nullclines.csv"),
        file("fixedfile", "_fixed_points.csv"), file("trajectoryfile", "_trajectory.csv"),
        file("pngfile", "_phase.png"), file("svgfile", "_phase.svg"), number(p.field.v.width()),
        number(p.field.w.width()), p.field.nv - 1, gnuplot::png_and_svg_loop("width", "height", 12),
        gnuplot::wrapped_text(title, 90).expression, gnuplot::quote(axis_label(v)),
        gnuplot::quote(axis_label(w)), number(p.v_window.from), number(p.v_window.to), number(p.field.w.from),
        number(p.field.w.to));
    // A legend entry only for a nullcline that has a segment in the window.
    const auto legend = [](bool drawn, const std::string& title) {
        return drawn ? "title " + gnuplot::quote(title) : std::string("notitle");
    };
    std::string plots = fmt::format(
        "fieldfile skip 1 using 1:2:(ax($3, $4)):(ay($3, $4)) with vectors head size screen 0.008,20 filled "
        "lc rgb '#b0b0b0' title 'vector field', \\\n"
        "         nullclinefile skip 1 using (strcol(1) eq {2} ? $2 : NaN):3:($4 - $2):($5 - $3) with vectors nohead "
        "lw 2.5 lc rgb '#1f77b4' {0}, \\\n"
        "         nullclinefile skip 1 using (strcol(1) eq {3} ? $2 : NaN):3:($4 - $2):($5 - $3) with vectors nohead "
        "lw 2.5 lc rgb '#ff7f0e' {1}, \\\n"
        "         trajectoryfile skip 1 using 2:3 with lines lw 1.5 lc rgb 'black' title {4}, \\\n"
        "         trajectoryfile skip 1 every ::0:0:0:0 using 2:3 with points pt 9 ps 1.8 lc rgb 'black' title 'start'",
        legend(!p.nullclines.v.empty(), fmt::format("{}-nullcline (d{}/dt = 0)", v.name, v.name)),
        legend(!p.nullclines.w.empty(), fmt::format("{}-nullcline (d{}/dt = 0)", w.name, w.name)), gnuplot::quote(v.name),
        gnuplot::quote(w.name), gnuplot::quote(p.trajectory_label.empty() ? "trajectory" : p.trajectory_label));
    // A legend entry only for the kinds of fixed point that are there.
    const auto any = [&](auto predicate) { return std::ranges::any_of(p.fixed_points, predicate); };
    const bool stable = any([](const FixedPoint& f) { return f.stable(); });
    const auto is_neutral = [](const FixedPoint& f) {
        return f.type == FixedPointType::centre || f.type == FixedPointType::degenerate;
    };
    const bool neutral = any(is_neutral);
    const bool unstable = any([&](const FixedPoint& f) { return !f.stable() && !is_neutral(f); });
    if (stable) {
        plots += ", \\\n         fixedfile skip 1 using 1:(stable(strcol(7)) ? $2 : NaN) with points pt 7 ps 2 "
                 "lc rgb '#2ca02c' title 'stable fixed point'";
    }
    if (unstable || neutral) {
        plots += fmt::format(", \\\n         fixedfile skip 1 using 1:(stable(strcol(7)) ? NaN : $2) with points pt 6 "
                             "ps 2 lw 2 lc rgb '#d62728' title '{} fixed point'",
                             unstable && neutral ? "unstable or neutral" : unstable ? "unstable" : "neutral");
    }
    if (!p.fixed_points.empty()) {
        plots += ", \\\n         fixedfile skip 1 using 1:2:7 with labels offset 0, 1.5 font ',10' notitle";
    }
    std::string extra;
    if (p.reset) {
        // The reset is a jump, not a flow: drawn as vertical lines at the threshold and the reset value.
        const std::string unit = v.unit == "1" ? "" : " " + v.unit;
        extra = fmt::format("    set label 1 'the reset is not part of the vector field' at graph 0.02, graph 0.97 left "
                            "font ',10'\n"
                            "    set arrow 1 from {0}, graph 0 to {0}, graph 1 nohead lw 2 dt 2 lc rgb '#d62728' front\n"
                            "    set arrow 2 from {1}, graph 0 to {1}, graph 1 nohead lw 2 dt 3 lc rgb '#9467bd' front\n",
                            number(p.reset->threshold), number(p.reset->reset));
        // Each spike as a stroke from the last sample before it to the cut-off, at that sample's w (w moves
        // by well under a line's width in the fraction of a step): the samples stop short of the cut-off,
        // at heights that depend on where the spike fell in its step. Figure only; the CSV keeps the samples.
        const auto& tr = p.trajectory;
        std::size_t k = 0, strokes = 0;
        for (const double spike : tr.spikes) {
            while (k + 1 < tr.t.size() && tr.t[k + 1] < spike) ++k;
            if (k >= tr.t.size() || tr.t[k] >= spike || strokes == max_spike_strokes) break;
            extra += fmt::format("    set arrow {} from {}, {} to {}, {} nohead lw 1.5 lc rgb 'black'\n", 10 + strokes,
                                 number(tr.v[k]), number(tr.w[k]), number(p.reset->threshold), number(tr.w[k]));
            ++strokes;
        }
        plots += fmt::format(", \\\n         NaN with lines lw 2 dt 2 lc rgb '#d62728' title {}, \\\n"
                             "         NaN with lines lw 2 dt 3 lc rgb '#9467bd' title {}",
                             gnuplot::quote(fmt::format("spike cut-off {} = {:g}{}", v.name, p.reset->threshold, unit)),
                             gnuplot::quote(fmt::format("reset {} = {:g}{}", v.name, p.reset->reset, unit)));
    }
    s += extra;
    s += fmt::format("    set label 2 {} at graph 0.98, graph 0.97 right font ',10'\n", gnuplot::quote(current));
    s += "    plot " + plots + "\n}\nunset output\n";
    return s;
}

}  // namespace

std::vector<std::filesystem::path> write_phase_plane(const PhasePlane& p, const std::filesystem::path& dir,
                                                     const std::string& name, const std::string& title) {
    std::error_code ec;
    const bool created = std::filesystem::create_directories(dir, ec);
    if (ec) throw RunError(fmt::format("cannot create output directory '{}': {}", dir.string(), ec.message()));
    const std::filesystem::path base = dir / name;
    const auto path = [&](const char* suffix) { return std::filesystem::path(base.string() + suffix); };
    try {
        const Variable& v = p.variables[0];
        const Variable& w = p.variables[1];
        OutputFile field(path("_phase.csv")), lines(path("_nullclines.csv")), fixed(path("_fixed_points.csv")),
            trajectory(path("_trajectory.csv")), gp(path("_phase.gp"));
        StagedFile png(path("_phase.png")), svg(path("_phase.svg"));

        fmt::memory_buffer row;
        const auto put = [&](std::initializer_list<double> xs) {
            row.clear();
            bool first = true;
            for (const double x : xs) {
                if (!first) row.push_back(',');
                first = false;
                append_number(row, x);
            }
            row.push_back('\n');
        };
        field.print("{},{},d{}/dt ({}),d{}/dt ({})\n", column(v), column(w), v.name, unit_of_rate(v), w.name,
                    unit_of_rate(w));
        for (std::size_t j = 0; j < p.field.nw; ++j) {
            for (std::size_t i = 0; i < p.field.nv; ++i) {
                const std::size_t k = j * p.field.nv + i;
                put({p.field.v_at(i), p.field.w_at(j), p.field.dv[k], p.field.dw[k]});
                field.write({row.data(), row.size()});
            }
        }
        lines.print("nullcline,{0} 1 ({1}),{2} 1 ({3}),{0} 2 ({1}),{2} 2 ({3})\n", v.name, v.unit, w.name, w.unit);
        for (const auto& [label, segments] : {std::pair{v.name, &p.nullclines.v}, std::pair{w.name, &p.nullclines.w}}) {
            for (const auto& s : *segments) {
                put({s.a.v, s.a.w, s.b.v, s.b.w});
                lines.print("{},", label);
                lines.write({row.data(), row.size()});
            }
        }
        const std::string rate = "1/ms";
        fixed.print("{},{},Re lambda1 ({}),Im lambda1 ({}),Re lambda2 ({}),Im lambda2 ({}),type\n", column(v),
                    column(w), rate, rate, rate, rate);
        for (const auto& f : p.fixed_points) {
            put({f.v, f.w, f.eigenvalues[0].real(), f.eigenvalues[0].imag(), f.eigenvalues[1].real(),
                 f.eigenvalues[1].imag()});
            row.resize(row.size() - 1);  // the type follows
            fixed.write({row.data(), row.size()});
            fixed.print(",{}\n", to_string(f.type));
        }
        trajectory.print("t (ms),{},{}\n", column(v), column(w));
        // A reset is a jump, not a path: a blank line before the first sample after each one, so that gnuplot
        // breaks the line there (pandas skips blank lines).
        auto reset = p.reset ? p.trajectory.spikes.begin() : p.trajectory.spikes.end();
        for (std::size_t k = 0; k < p.trajectory.t.size(); ++k) {
            bool jumped = false;
            for (; reset != p.trajectory.spikes.end() && *reset <= p.trajectory.t[k]; ++reset) jumped = k > 0;
            if (jumped) trajectory.print("\n");
            put({p.trajectory.t[k], p.trajectory.v[k], p.trajectory.w[k]});
            trajectory.write({row.data(), row.size()});
        }
        gp.print("{}", script(p, title, base));
        for (auto* f : {&field, &lines, &fixed, &trajectory, &gp}) f->close();

        const auto q = [](const std::filesystem::path& f) { return gnuplot::quote(f.string()); };
        const std::string commands = fmt::format(
            "fieldfile = {}\nnullclinefile = {}\nfixedfile = {}\ntrajectoryfile = {}\npngfile = {}\nsvgfile = {}\n"
            "load {}\n",
            q(field.temp_path()), q(lines.temp_path()), q(fixed.temp_path()), q(trajectory.temp_path()),
            q(png.temp_path()), q(svg.temp_path()), q(gp.temp_path()));
        const std::array<const StagedFile*, 2> figures{&png, &svg};
        gnuplot::draw(gnuplot::find("soma phase"), commands, figures, "soma phase");

        std::vector<std::filesystem::path> written;
        for (auto* f : {&field, &lines, &fixed, &trajectory, &gp}) {
            f->commit();
            written.push_back(f->final_path());
        }
        for (auto* f : {&png, &svg}) {
            f->commit();
            written.push_back(f->final_path());
        }
        return written;
    } catch (...) {
        if (created) std::filesystem::remove(dir, ec);  // only if still empty
        throw;
    }
}

}  // namespace soma::experiments
