#include "soma/readable_number.hpp"

#include <fmt/format.h>

namespace soma {

namespace {

/// `text`, a number as fmt writes it, with its exponent as people write it: "1e40", "4.68e-9".
std::string plain_exponent(const std::string& text) {
    const auto e = text.find('e');
    if (e == std::string::npos) return text;
    std::string exponent = text.substr(e + 1);
    const bool negative = !exponent.empty() && exponent.front() == '-';
    if (!exponent.empty() && (exponent.front() == '+' || exponent.front() == '-')) exponent.erase(0, 1);
    exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
    return text.substr(0, e + 1) + (negative ? "-" : "") + exponent;
}

}  // namespace

std::string readable(double x) {
    std::string text = fmt::format("{}", x);
    if (text.size() > 10 && text.find('.') != std::string::npos) text = fmt::format("{:.7g}", x);
    return plain_exponent(text);
}

std::string readable(double x, int significant) { return plain_exponent(fmt::format("{:.{}g}", x, significant)); }

}  // namespace soma
