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

    void prepare(double /*dt*/) override {}
    void current(std::size_t /*i*/, double /*t*/, std::span<double> out) const override { std::ranges::fill(out, amplitude_); }

private:
    void apply(const ParameterValues& p) override { amplitude_ = p["amplitude"]; }
    double amplitude_ = 0;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Dc, "dc", "2.0.0", "constant (DC) current for the whole run")
