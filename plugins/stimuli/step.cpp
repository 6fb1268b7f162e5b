/// @file step.cpp
/// Plug-in `step`: a rectangular current pulse, I = amplitude for onset <= t < offset, else 0.
/// Defaults: the course seed's HH step exercise (7 uA/cm^2 on [20, 70) ms).

#include "soma/error.hpp"
#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace soma::stimuli {
namespace {

class Step final : public Stimulus {
public:
    Step()
        : Stimulus({
              {"amplitude", std::string(model_current_unit), 7.0, Range::any(), "current during the pulse"},
              {"onset", "ms", 20.0, Range::at_least(0), "start of the pulse (current on from this time)"},
              {"offset", "ms", 70.0, Range::at_least(0), "end of the pulse (current off from this time)"},
          }) {
        init_defaults();
    }

    void prepare(double dt) override {
        on_ = step_index(onset_, dt);
        off_ = step_index(offset_, dt);
        if (off_ <= on_) {
            throw ParameterError(fmt::format("step: onset = {} ms and offset = {} ms fall on the same step of dt = {} "
                                             "ms; make the pulse at least one step long",
                                             onset_, offset_, dt));
        }
    }

    void current(std::size_t i, std::span<double> out) const override {
        std::ranges::fill(out, i >= on_ && i < off_ ? amplitude_ : 0.0);
    }

private:
    void check(const ParameterValues& p) const override {
        if (p["offset"] <= p["onset"]) {
            throw ParameterError(fmt::format("step: offset = {} ms must be after onset = {} ms", p["offset"],
                                             p["onset"]));
        }
    }
    void apply(const ParameterValues& p) override {
        amplitude_ = p["amplitude"];
        onset_ = p["onset"];
        offset_ = p["offset"];
    }

    double amplitude_ = 0, onset_ = 0, offset_ = 0;
    std::size_t on_ = 0, off_ = 0;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Step, "step", "1.0.0",
            "step current: amplitude on [onset, offset), 0 elsewhere")
