#include "soma/readable_number.hpp"

#include <fmt/format.h>

namespace soma {

std::string readable(double x) {
    std::string text = fmt::format("{}", x);
    if (text.size() > 10 && text.find('.') != std::string::npos) text = fmt::format("{:.7g}", x);
    const auto e = text.find('e');
    if (e == std::string::npos) return text;
    std::string exponent = text.substr(e + 1);
    const bool negative = !exponent.empty() && exponent.front() == '-';
    if (!exponent.empty() && (exponent.front() == '+' || exponent.front() == '-')) exponent.erase(0, 1);
    exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
    return text.substr(0, e + 1) + (negative ? "-" : "") + exponent;
}

}  // namespace soma
