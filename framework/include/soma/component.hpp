#pragma once
/// @file component.hpp
/// Base of every plug-in object: a schema of parameters and their current values.

#include "soma/parameter.hpp"

#include <map>
#include <span>
#include <string>
#include <vector>

namespace soma {

/// A configurable part of a simulation (model, stimulus, integrator or recorder).
///
/// Parameters are set all-or-nothing: `configure` parses and validates every given value, then
/// checks the constraints between parameters (`check`), and only then applies them (`apply`).
/// If anything is wrong, nothing changes and a ParameterError is thrown.
/// Derived classes call `apply(defaults)` indirectly through `init_defaults()` in their constructor.
/// For models and stimuli, `values()` are the defaults of a run's cells (each cell may differ).
class BOOST_SYMBOL_VISIBLE Component {
public:
    explicit Component(std::vector<ParameterSpec> schema, std::vector<Preset> presets = {});
    virtual ~Component();
    Component(const Component&) = delete;
    Component& operator=(const Component&) = delete;

    /// The parameters this component accepts, in display order.
    [[nodiscard]] std::span<const ParameterSpec> schema() const { return schema_; }
    /// Named parameter sets, in display order.
    [[nodiscard]] std::span<const Preset> presets() const { return presets_; }
    /// Current values, in schema order.
    [[nodiscard]] const ParameterValues& values() const { return values_; }

    /// Sets the named parameters from text (as typed on the command line or in a scenario file);
    /// the others keep their current values.
    /// @throws ParameterError for an unknown name (with the closest known name as a suggestion),
    ///         a value that is not a finite number, a value out of range (naming the range), or a
    ///         violated constraint between parameters. On error no value is changed.
    void configure(const std::map<std::string, std::string>& text_values);

    /// As above, with numbers.
    void configure(const std::map<std::string, double>& values);

    /// Sets the parameters of preset `name` (all-or-nothing, like `configure`).
    /// @throws ParameterError for an unknown preset, suggesting the closest name and listing all.
    void apply_preset(std::string_view name);

    /// Checks a full set of values (schema order) without applying them: each value against its range,
    /// then the constraints between parameters. The engine calls it for each cell's values.
    /// @throws ParameterError as `configure` (out of range, violated constraint).
    void validate(std::span<const double> values) const;

    /// Index of parameter `name` in the schema.
    /// @throws ParameterError for an unknown name, with the closest known name as a suggestion.
    [[nodiscard]] std::size_t index_of(std::string_view name) const;

protected:
    /// Constraints between parameters (e.g. onset < offset). Throw ParameterError to refuse.
    virtual void check(const ParameterValues& candidate) const;
    /// Copies validated values into the derived class's members (integrators and recorders, whose
    /// parameters are the same for all cells). Models and stimuli read each cell's values from the
    /// engine's arrays instead and keep the default, which does nothing.
    virtual void apply(const ParameterValues& values);
    /// Validates and applies the schema's defaults; call once at the end of the derived constructor.
    void init_defaults();

private:
    void commit(std::vector<double> candidate);

    std::vector<ParameterSpec> schema_;
    std::vector<Preset> presets_;
    ParameterValues values_;
};

}  // namespace soma
