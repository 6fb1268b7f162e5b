#pragma once
/// @file suggested_drive.hpp
/// Model capability: the amplitude of a step current that shows what the model does, with its default
/// parameters or with one of its presets. Models differ in current unit and scale (hh fires at
/// 7 uA/cm^2, adex needs hundreds of pA, lif fires hundreds of times at 7 nA), so one default amplitude
/// of the step stimulus cannot suit them all: when the user names no stimulus and sets no amplitude,
/// the runner drives the model with the step it suggests and says so in a note.

#include <boost/config.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace soma {

/// Implemented, besides Model, by models that suggest a drive.
class BOOST_SYMBOL_VISIBLE SuggestedDrive {
public:
    virtual ~SuggestedDrive();

    struct Drive {
        double amplitude = 0;  ///< in the model's current unit (Model::current())
        std::string source;    ///< where the value comes from, for the user, e.g. "Naud et al. 2008, Fig. 4a"
    };

    /// The step amplitude for preset `preset` ("" for the model's default parameters), or nullopt when
    /// the model suggests none for it. Must not throw.
    [[nodiscard]] virtual std::optional<Drive> suggested_step(std::string_view preset) const = 0;
};

}  // namespace soma
