#include "soma/error.hpp"

namespace soma {

// Out-of-line destructors anchor the vtables and type_info of the exception types in libsoma.
Error::~Error() = default;
ParameterError::~ParameterError() = default;
PluginError::~PluginError() = default;
RunError::~RunError() = default;
CellError::~CellError() = default;
ModelFileError::~ModelFileError() = default;

}  // namespace soma
