#pragma once
/// @file stimulus_sum.hpp
/// Several stimuli injected into the same cells: their currents add up (the current of each cell is the
/// sum of its parts', as NEST sums the inputs of a neuron and NEURON the IClamps of a section).
///
/// A run asks for it by naming several stimuli joined by '+': `--stimulus step --stimulus ou` (the runner
/// joins repeated options) or `--stimulus step+ou`. Each part has a label, its plug-in's name (`waveform`
/// for a file) unless given after a colon (`step:pulse+ou:noise`); labels are unique ([A-Za-z0-9_]+), so the same plug-in twice
/// needs labels. The parts' parameters are this stimulus's parameters `LABEL.NAME` (`--set
/// stimulus.ou.sigma=5`, or `[stimulus]` with `ou.sigma = 5` in a scenario file), each per cell like any
/// parameter. Each part is prepared with StimulusGrid::position = stimulus_stream(its label), so two noise
/// parts draw independent streams, and a part's noise does not change when other parts are added (frozen
/// noise: `ou` alone and `step+ou` give the same `ou` current). The current of a cell is part 0's plus part 1's plus ... in that order, so a cell's
/// sum does not depend on the other cells. Breakpoints are the union of the parts'; the sum changes every
/// step, or is white noise, if a part does.

#include "soma/stimulus.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace soma {

class PluginRegistry;

class BOOST_SYMBOL_VISIBLE StimulusSum final : public Stimulus {
public:
    struct Part {
        std::string label;                  ///< unique among the parts, [A-Za-z0-9_]+
        std::shared_ptr<Stimulus> stimulus;  ///< with its defaults (a preset or configured values are kept)
    };
    /// @throws ParameterError for fewer than two parts, an invalid or repeated label.
    explicit StimulusSum(std::vector<Part> parts);

    [[nodiscard]] std::span<const Part> parts() const { return parts_; }
    /// The current of part `k` alone, as `current` gives the sum.
    void part_current(std::size_t k, std::size_t i, double t, const StimulusCells& cells, std::span<double> out) const;

    [[nodiscard]] std::span<const Variable> derived_variables() const override { return derived_; }
    void prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const override;
    void current(std::size_t i, double t, const StimulusCells& cells, std::span<double> out) const override;
    [[nodiscard]] std::vector<std::size_t> breakpoints(const StimulusCells& cell) const override;
    [[nodiscard]] bool changes_every_step() const override;
    [[nodiscard]] bool white_noise() const override;

private:
    void check(const ParameterValues& candidate) const override;
    /// The rows of part k in the cells' arrays.
    [[nodiscard]] StimulusCells cells_of(std::size_t k, const StimulusCells& cells) const;

    std::vector<Part> parts_;
    std::vector<std::size_t> first_parameter_, first_derived_;  // of each part, and one past the last
    std::vector<Variable> derived_;
};

/// One part of a stimulus name: `NAME` or `NAME:LABEL` (blanks around it ignored); a file's default label
/// is "waveform", a plug-in's its name. A ':' not followed by a valid label belongs to the path.
struct StimulusPart {
    std::string plugin;  ///< a plug-in's name or a file's path
    std::string label;
};
[[nodiscard]] BOOST_SYMBOL_VISIBLE StimulusPart split_stimulus_part(std::string_view item);

/// The random stream of a stimulus with this label (StimulusGrid::position): its FNV-1a hash, 32 bits.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::uint32_t stimulus_stream(std::string_view label);

/// The stimulus of a run from its name: one plug-in (or file), or several joined by '+' (see
/// StimulusSum), each `NAME` or `NAME:LABEL`. A path cannot hold '+' (the message for a file whose
/// name holds one says so).
/// @throws PluginError for an unknown plug-in (with a suggestion); ParameterError for an empty part or a
///         bad label.
[[nodiscard]] BOOST_SYMBOL_VISIBLE std::shared_ptr<Stimulus> make_stimulus(const PluginRegistry& registry,
                                                                           std::string_view name);

}  // namespace soma
