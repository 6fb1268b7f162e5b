#pragma once
/// @file threshold_meaning.hpp
/// What a model's spike threshold (Model::thresholds) is, so that figures can draw and label spikes:
/// a level that only detects spikes, the peak at which the upswing is cut off and v reset, or a firing
/// threshold with a reset. A model says so through the optional capability ThresholdMeaningOf (asked for
/// with dynamic_cast, as Jacobian); the framework hands the answer to the recorders in
/// RunInfo::threshold_meaning.

#include <boost/config.hpp>

#include <cstdint>
#include <string>

namespace soma {

/// The role of the spike threshold in a model's dynamics.
enum class ThresholdKind : std::uint8_t {
    unknown,    ///< the model does not say (a plug-in without the ThresholdMeaningOf capability)
    detection,  ///< only detects spikes: v's own dynamics carry it through the level and back (hh)
    cut_off,    ///< the spike's peak: the upswing is cut off there and v reset (adex, eif, izhikevich: V_peak)
    firing,     ///< a firing threshold: v is reset on reaching it, the spike itself is not modelled (lif: V_th)
};

/// The kind of a model's threshold and the model parameter that sets it.
struct ThresholdMeaning {
    ThresholdKind kind = ThresholdKind::unknown;
    std::string parameter;  ///< e.g. "V_peak"; empty if the threshold is not one parameter's value
};

/// Implemented, besides Model, by models that say what their threshold is.
class BOOST_SYMBOL_VISIBLE ThresholdMeaningOf {
public:
    virtual ~ThresholdMeaningOf();

    /// The same for every cell and every parameter value of the model.
    [[nodiscard]] virtual ThresholdMeaning threshold_meaning() const = 0;
};

}  // namespace soma
