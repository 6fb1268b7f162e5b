#include "soma/conditionally_linear.hpp"
#include "soma/jacobian.hpp"

namespace soma {

// Key functions: anchor the capabilities' vtables and type_info in libsoma, so that dynamic_cast
// from a plug-in's model to them works across shared libraries.
ConditionallyLinear::~ConditionallyLinear() = default;
Jacobian::~Jacobian() = default;

}  // namespace soma
