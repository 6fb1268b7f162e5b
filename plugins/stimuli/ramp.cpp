/// @file ramp.cpp
/// Plug-in `ramp`: a current rising linearly from 0 at onset towards amplitude at offset, 0 from
/// offset on. At step i (onset step i_on, offset step i_off): I = amplitude * (i - i_on) / (i_off - i_on),
/// exactly as the course seed's HH ramp exercise, whose values are the defaults (20 uA/cm^2, 30 to 170 ms).

#include "soma/error.hpp"
#include "soma/plugin.hpp"
#include "soma/stimulus.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace soma::stimuli {
namespace {

class Ramp final : public Stimulus {
public:
    Ramp()
        : Stimulus({
              {"amplitude", std::string(model_current_unit), 20.0, Range::any(), "current reached at offset"},
              {"onset", "ms", 30.0, Range::at_least(0), "start of the ramp (current 0 there)"},
              {"offset", "ms", 170.0, Range::at_least(0), "end of the ramp (current 0 from this time)"},
          }) {
        init_defaults();
    }

    void prepare(double dt) override {
        on_ = step_index(onset_, dt);
        off_ = step_index(offset_, dt);
        if (off_ <= on_) {
            throw ParameterError(fmt::format("ramp: onset = {} ms and offset = {} ms fall on the same step of dt = {} "
                                             "ms; make the ramp at least one step long",
                                             onset_, offset_, dt));
        }
        length_ = static_cast<double>(off_ - on_);
    }

    void current(std::size_t i, std::span<double> out) const override {
        const double value = i >= on_ && i < off_ ? static_cast<double>(i - on_) / length_ * amplitude_ : 0.0;
        std::ranges::fill(out, value);
    }

private:
    void check(const ParameterValues& p) const override {
        if (p["offset"] <= p["onset"]) {
            throw ParameterError(fmt::format("ramp: offset = {} ms must be after onset = {} ms", p["offset"],
                                             p["onset"]));
        }
    }
    void apply(const ParameterValues& p) override {
        amplitude_ = p["amplitude"];
        onset_ = p["onset"];
        offset_ = p["offset"];
    }

    double amplitude_ = 0, onset_ = 0, offset_ = 0, length_ = 1;
    std::size_t on_ = 0, off_ = 0;
};

}  // namespace
}  // namespace soma::stimuli

SOMA_PLUGIN(soma::PluginKind::stimulus, soma::stimuli::Ramp, "ramp", "1.0.0",
            "ramp current: 0 at onset rising linearly to amplitude at offset, 0 after")
