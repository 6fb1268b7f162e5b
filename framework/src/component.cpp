#include "soma/component.hpp"
#include "soma/readable_number.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace soma {

Component::Component(std::vector<ParameterSpec> schema, std::vector<Preset> presets)
    : schema_(std::move(schema)), presets_(std::move(presets)), values_(schema_, {}) {}

void Component::apply_preset(std::string_view name) {
    const auto it = std::find_if(presets_.begin(), presets_.end(), [&](const Preset& p) { return p.name == name; });
    if (it == presets_.end()) {
        std::vector<std::string> known;
        for (const auto& p : presets_) known.push_back(p.name);
        throw ParameterError(unknown_name_message("preset", name, known));
    }
    configure(it->values);
}

Component::~Component() = default;

void Component::check(const ParameterValues& /*candidate*/) const {}

void Component::apply(const ParameterValues& /*values*/) {}

void Component::init_defaults() {
    std::vector<double> defaults;
    defaults.reserve(schema_.size());
    for (const auto& spec : schema_) defaults.push_back(spec.default_value);
    commit(std::move(defaults));
}

void Component::configure(const std::map<std::string, std::string>& text_values) {
    std::map<std::string, double> numbers;
    for (const auto& [name, text] : text_values) numbers[name] = parse_number(name, text);
    configure(numbers);
}

void Component::configure(const std::map<std::string, double>& values) {
    std::vector<double> candidate(values_.values().begin(), values_.values().end());
    for (const auto& [name, value] : values) {
        candidate[index_of(name)] = value;
    }
    commit(std::move(candidate));
}

std::size_t Component::index_of(std::string_view name) const {
    const auto it = std::find_if(schema_.begin(), schema_.end(), [&](const auto& s) { return s.name == name; });
    if (it == schema_.end()) {
        std::vector<std::string> known;
        for (const auto& s : schema_) known.push_back(s.name);
        throw ParameterError(unknown_name_message("parameter", name, known));
    }
    return static_cast<std::size_t>(it - schema_.begin());
}

void Component::validate(std::span<const double> values) const {
    for (std::size_t k = 0; k < schema_.size(); ++k) {
        const auto& spec = schema_[k];
        if (!spec.range.contains(values[k])) {
            throw ParameterError(fmt::format("parameter '{}' = {}{} is out of range; allowed: {} ({})", spec.name,
                                             readable(values[k]), spec.unit == "1" || spec.unit.starts_with('<') ? "" : " " + spec.unit,
                                             spec.range.to_string(), spec.description));
        }
    }
    check(ParameterValues(schema_, std::vector<double>(values.begin(), values.end())));
}

void Component::commit(std::vector<double> candidate) {
    validate(candidate);
    ParameterValues next(schema_, std::move(candidate));
    apply(next);
    values_ = std::move(next);
}

}  // namespace soma
