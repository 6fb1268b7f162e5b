/// @file soma_test_throwing_stimulus_plugin.cpp
/// Test-only stimulus `throws_later`: a constant current of 2 (the model's unit) that throws an int from
/// `current` from t = 5 ms on, as careless plug-in code may in the middle of a run. Every integrator must
/// turn it into an error that ends the run and writes nothing, cvode too, whose callbacks are C code that
/// an exception must not cross. Built into the test-only throwing-plugins directory by tests/CMakeLists.txt.

#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

namespace {

class ThrowsLater final : public soma::Stimulus {
public:
    ThrowsLater() : Stimulus({}) { init_defaults(); }
    void prepare(const soma::StimulusGrid&, const soma::StimulusCells&, std::size_t) const override {}
    void current(std::size_t, double t, const soma::StimulusCells&, std::span<double> out) const override {
        if (t >= 5) throw 42;
        for (double& x : out) x = 2;
    }
};

}  // namespace

SOMA_PLUGIN(soma::PluginKind::stimulus, ThrowsLater, "throws_later", "0.0.1",
            "test plug-in: a constant current that throws an int from t = 5 ms on")
