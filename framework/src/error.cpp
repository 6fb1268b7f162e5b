#include "soma/error.hpp"

#include <fmt/format.h>

namespace soma {

std::string printable_message(const std::string& message) {
    const auto control = [](unsigned char c) { return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f; };
    std::string out;
    out.reserve(message.size());
    for (const char ch : message) {
        const auto c = static_cast<unsigned char>(ch);
        if (control(c)) {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += ch;
        }
    }
    return out;
}

// Out-of-line destructors anchor the vtables and type_info of the exception types in libsoma.
Error::~Error() = default;
ParameterError::~ParameterError() = default;
PluginError::~PluginError() = default;
RunError::~RunError() = default;
CellError::~CellError() = default;
ModelFileError::~ModelFileError() = default;

}  // namespace soma
