#include "soma/stimulus_sum.hpp"

#include "soma/error.hpp"
#include "soma/registry.hpp"
#include "soma/stimulus_from_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <array>
#include <cctype>

namespace soma {

namespace {

std::vector<ParameterSpec> combined_schema(const std::vector<StimulusSum::Part>& parts) {
    std::vector<ParameterSpec> schema;
    for (const auto& part : parts) {
        const auto own = part.stimulus->schema();
        const auto values = part.stimulus->values().values();
        for (std::size_t j = 0; j < own.size(); ++j) {
            ParameterSpec p = own[j];
            p.name = part.label + "." + p.name;
            p.default_value = values[j];
            schema.push_back(std::move(p));
        }
    }
    return schema;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
    return s;
}

bool valid_label(std::string_view label) {
    return !label.empty() && std::ranges::all_of(label, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
    });
}

/// Runs `f`, prefixing a ParameterError's message with the part's label.
template <class F>
void in_part(const StimulusSum::Part& part, F&& f) {
    try {
        f();
    } catch (const ParameterError& e) {
        throw ParameterError(fmt::format("stimulus '{}': {}", part.label, e.what()));
    }
}

}  // namespace

StimulusSum::StimulusSum(std::vector<Part> parts) : Stimulus(combined_schema(parts)), parts_(std::move(parts)) {
    if (parts_.size() < 2) throw ParameterError("a sum of stimuli needs at least two parts");
    for (std::size_t k = 0; k < parts_.size(); ++k) {
        const auto& label = parts_[k].label;
        if (!valid_label(label)) {
            throw ParameterError(fmt::format("stimulus label '{}' must be letters, digits and '_' (as in "
                                             "step:pulse+ou:noise)",
                                             label));
        }
        for (std::size_t j = 0; j < k; ++j) {
            if (parts_[j].label == label) {
                throw ParameterError(fmt::format("two stimuli are labelled '{}'; give each a label of its own "
                                                 "(PLUGIN:LABEL), e.g. the second as PLUGIN:{}_2 (step:{}+step:{}_2)",
                                                 label, label, label, label));
            }
        }
    }
    first_parameter_.push_back(0);
    first_derived_.push_back(0);
    for (const auto& part : parts_) {
        first_parameter_.push_back(first_parameter_.back() + part.stimulus->schema().size());
        for (const auto& v : part.stimulus->derived_variables()) {
            derived_.push_back({part.label + "." + v.name, v.unit, v.description});
        }
        first_derived_.push_back(derived_.size());
    }
    init_defaults();
}

void StimulusSum::check(const ParameterValues& candidate) const {
    // Each part checks its own slice (ranges and constraints), e.g. a step's onset before its offset.
    const auto values = candidate.values();
    for (std::size_t k = 0; k < parts_.size(); ++k) {
        in_part(parts_[k], [&] {
            parts_[k].stimulus->validate(
                values.subspan(first_parameter_[k], first_parameter_[k + 1] - first_parameter_[k]));
        });
    }
}

StimulusCells StimulusSum::cells_of(std::size_t k, const StimulusCells& cells) const {
    const auto& p = cells.parameters;
    const auto& d = cells.derived;
    return {ConstBatchView(p.raw() + first_parameter_[k] * p.stride(), first_parameter_[k + 1] - first_parameter_[k],
                          p.stride(), p.count()),
            BatchView(d.raw() == nullptr ? nullptr : d.raw() + first_derived_[k] * d.stride(),
                      first_derived_[k + 1] - first_derived_[k], d.stride(), d.count())};
}

void StimulusSum::prepare(const StimulusGrid& grid, const StimulusCells& cells, std::size_t first_cell) const {
    for (std::size_t k = 0; k < parts_.size(); ++k) {
        StimulusGrid own = grid;
        own.position = stimulus_stream(parts_[k].label);
        in_part(parts_[k], [&] { parts_[k].stimulus->prepare(own, cells_of(k, cells), first_cell); });
    }
}

void StimulusSum::part_current(std::size_t k, std::size_t i, double t, const StimulusCells& cells,
                               std::span<double> out) const {
    parts_[k].stimulus->current(i, t, cells_of(k, cells), out);
}

void StimulusSum::current(std::size_t i, double t, const StimulusCells& cells, std::span<double> out) const {
    part_current(0, i, t, cells, out);
    // The other parts in slices of a stack buffer (current must not allocate), added in part order.
    constexpr std::size_t slice = 256;
    std::array<double, slice> part;
    for (std::size_t first = 0; first < out.size(); first += slice) {
        const std::size_t n = std::min(slice, out.size() - first);
        const StimulusCells some = cells.cells(first, n);
        for (std::size_t k = 1; k < parts_.size(); ++k) {
            part_current(k, i, t, some, std::span(part).first(n));
            for (std::size_t c = 0; c < n; ++c) out[first + c] += part[c];
        }
    }
}

std::vector<std::size_t> StimulusSum::breakpoints(const StimulusCells& cell) const {
    std::vector<std::size_t> all;
    for (std::size_t k = 0; k < parts_.size(); ++k) {
        const auto own = parts_[k].stimulus->breakpoints(cells_of(k, cell));
        all.insert(all.end(), own.begin(), own.end());
    }
    std::ranges::sort(all);
    all.erase(std::unique(all.begin(), all.end()), all.end());  // not ranges::unique: clang 14 (fuzz build)
    return all;
}

bool StimulusSum::changes_every_step() const {
    return std::ranges::any_of(parts_, [](const Part& p) { return p.stimulus->changes_every_step(); });
}

bool StimulusSum::white_noise() const {
    return std::ranges::any_of(parts_, [](const Part& p) { return p.stimulus->white_noise(); });
}

StimulusPart split_stimulus_part(std::string_view item) {
    item = trim(item);
    const auto colon = item.rfind(':');
    const bool labelled = colon != std::string_view::npos && valid_label(item.substr(colon + 1));
    StimulusPart part;
    part.plugin = std::string(trim(labelled ? item.substr(0, colon) : item));
    // A file's part is the waveform plug-in's: its default label is "waveform".
    part.label = labelled ? std::string(item.substr(colon + 1))
                 : is_stimulus_file(part.plugin) ? std::string("waveform")
                                                 : part.plugin;
    return part;
}

std::uint32_t stimulus_stream(std::string_view label) {
    std::uint32_t hash = 2166136261u;  // FNV-1a, 32 bits (Fowler, Noll, Vo; IETF draft-eastlake-fnv)
    for (const char c : label) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 16777619u;
    }
    return hash;
}

std::shared_ptr<Stimulus> make_stimulus(const PluginRegistry& registry, std::string_view name) {
    std::vector<StimulusSum::Part> parts;
    std::string_view rest = name;
    while (true) {
        const auto plus = rest.find('+');
        const StimulusPart part = split_stimulus_part(rest.substr(0, plus));
        if (part.plugin.empty()) {
            throw ParameterError(fmt::format("stimulus '{}': an empty part; join stimuli with '+', e.g. step+ou, "
                                             "or repeat --stimulus",
                                             name));
        }
        if (part.plugin.ends_with(':') && part.plugin.size() > 1 && !is_stimulus_file(part.plugin)) {
            throw ParameterError(fmt::format("stimulus '{}': the label after ':' in '{}' is empty; write a label "
                                             "(letters, digits, '_'), e.g. {}drive, or leave out the ':'",
                                             name, part.plugin, part.plugin));
        }
        // The file "a+b.csv" is two parts: a part that is not found says why it was looked for.
        std::error_code ec;
        const bool joined = (plus != std::string_view::npos || !parts.empty()) &&
                            std::filesystem::is_regular_file(std::filesystem::path(name), ec);
        const auto why = [&](const Error& e) {
            return fmt::format("{} ('{}' is a file, but '+' joins stimuli, so a stimulus file's name cannot hold '+': "
                               "rename the file or link it under a name without '+')",
                               e.what(), name);
        };
        try {
            parts.push_back({part.label, create_stimulus(registry, part.plugin)});
        } catch (const ParameterError& e) {
            if (!joined) throw;
            throw ParameterError(why(e));
        } catch (const PluginError& e) {
            if (!joined) throw;
            throw PluginError(why(e));
        }
        if (plus == std::string_view::npos) break;
        rest.remove_prefix(plus + 1);
    }
    if (parts.size() == 1) return parts.front().stimulus;
    return std::make_shared<StimulusSum>(std::move(parts));
}

}  // namespace soma
