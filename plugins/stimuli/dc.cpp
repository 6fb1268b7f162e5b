/// @file dc.cpp
/// Plug-in `dc`: a constant current for the whole run, as used to measure an f-I curve.

#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

#include <algorithm>

namespace soma::stimuli {
namespace {

class Dc final : public Stimulus {
public:
    Dc() : Stimulus({{"amplitude", std::string(model_current_unit), 7.0, Range::any(), "constant current"}}) {
        init_defaults();
    }

    void prepare(const StimulusGrid& /*grid*/, const StimulusCells& /*cells*/, std::size_t /*first_cell*/) const override {}

    void current(std::size_t /*i*/, double /*t*/, const StimulusCells& cells, std::span<double> out) const override {
        const auto amplitude = cells.parameters.var(0);
        for (std::size_t c = 0; c < out.size(); ++c) out[c] = amplitude[c];  // no memmove call for a cell alone
    }
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Dc, "dc", "3.0.0", "constant (DC) current for the whole run")
