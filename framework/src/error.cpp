#include "soma/error.hpp"

#include <fmt/format.h>

namespace soma {

namespace {

/// The length of the well-formed UTF-8 sequence at `text[k]` (1 to 4 bytes, RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), or 0 if the bytes there are not one.
std::size_t utf8_length(const std::string& text, std::size_t k) {
    const auto at = [&](std::size_t j) { return j < text.size() ? static_cast<unsigned char>(text[j]) : 0u; };
    const unsigned lead = at(k);
    const auto tail = [&](std::size_t j, unsigned lo = 0x80, unsigned hi = 0xbf) { return at(j) >= lo && at(j) <= hi; };
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return tail(k + 1) ? 2 : 0;
    if (lead >= 0xe0 && lead <= 0xef) {
        const unsigned lo = lead == 0xe0 ? 0xa0 : 0x80, hi = lead == 0xed ? 0x9f : 0xbf;
        return tail(k + 1, lo, hi) && tail(k + 2) ? 3 : 0;
    }
    if (lead >= 0xf0 && lead <= 0xf4) {
        const unsigned lo = lead == 0xf0 ? 0x90 : 0x80, hi = lead == 0xf4 ? 0x8f : 0xbf;
        return tail(k + 1, lo, hi) && tail(k + 2) && tail(k + 3) ? 4 : 0;
    }
    return 0;
}

}  // namespace

std::string printable_message(const std::string& message) {
    const auto control = [](unsigned char c) { return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f; };
    std::string out;
    out.reserve(message.size());
    for (std::size_t k = 0; k < message.size();) {
        const auto c = static_cast<unsigned char>(message[k]);
        const std::size_t n = utf8_length(message, k);
        if (n == 0 || control(c)) {  // a control byte, or a byte of no UTF-8 character (a binary file's)
            out += fmt::format("\\x{:02x}", c);
            ++k;
        } else {
            out.append(message, k, n);
            k += n;
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
