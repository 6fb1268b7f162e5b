#include "soma/conditionally_linear.hpp"

namespace soma {

// Key function: anchors the capability's vtable and type_info in libsoma, so that dynamic_cast
// from a plug-in's model to it works across shared libraries.
ConditionallyLinear::~ConditionallyLinear() = default;

}  // namespace soma
