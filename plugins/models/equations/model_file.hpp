#pragma once
/// @file model_file.hpp
/// Reading and checking a model file (format: docs/equations.md) into a `Definition`: the declarations
/// with their parsed expressions, resolved names, inferred units, dependencies and the conditionally
/// linear state variables. Nothing here evaluates an expression; program.cpp compiles the syntax trees
/// of the checked definition into programs, which equations.cpp runs.

#include "expression.hpp"
#include "units.hpp"

#include "soma/parameter.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace soma::equations {

/// What an expression depends on. States, current and time count through the lets it uses; `lets`
/// holds only the lets it names itself (so that a chain of n lets costs O(n), not O(n^2): the lets used
/// indirectly are found by walking these lists, see `lets_needed`).
struct Dependencies {
    std::vector<bool> states;       ///< by state index, directly or through lets
    std::vector<std::size_t> lets;  ///< the lets named in the expression, ascending, without repeats
    bool current = false;
    bool time = false;
};

/// An expression of the file, as written, with its syntax tree (positions relative to the line).
struct Expression {
    std::string text;        ///< the expression's text as written (positions in `tree` are offsets in the line)
    std::size_t offset = 0;  ///< where `text` starts in its line
    std::size_t line = 0;
    Node tree;
    Dependencies deps;  ///< filled in once the whole file is read
};

/// The unit of an expression: a known unit, or "free" for a number written without a unit (a literal
/// such as 0.1 in 0.1*v, and what is computed from it), which is taken to be in whatever unit makes
/// its expression consistent (the model's units are consistent, as in the compiled plug-ins).
struct Quantity {
    bool free = true;
    Unit unit;
};

struct ParameterDecl {
    std::string name, unit_text, description;
    Unit unit;
    double value = 0;
    Range range;
    std::size_t line = 0, pos = 0;
};

struct StateDecl {
    std::string name, unit_text, description;
    Unit unit;
    Expression initial;
    std::optional<Expression> derivative;
    bool linear = false;  ///< dx/dt = a + b x with a, b free of x and of the current (ConditionallyLinear)
    std::size_t line = 0, pos = 0;
};

struct LetDecl {
    std::string name;
    Expression expression;
    Quantity quantity;  ///< its declared unit if it has one, else the unit inferred from the expression
    std::size_t line = 0, pos = 0;
};

struct CurrentDecl {
    std::string name, unit_text, description;
    Unit unit;
    std::size_t line = 0;
};

/// `drive VALUE UNIT [for PRESET] ["SOURCE"]`: the step amplitude the model suggests (SuggestedDrive).
struct DriveDecl {
    double amplitude = 0;  ///< in the current's declared unit (converted from the unit written)
    std::string preset;    ///< "" for the default parameters
    std::string source;    ///< the statement's text, else "FILE, line N"
    std::size_t line = 0;
};

struct ResetDecl {
    std::size_t state = 0;
    Expression expression;
};

struct RequireDecl {
    Expression expression;
    std::string message;
};


/// A checked model file.
struct Definition {
    std::string file;  ///< the path as given, for messages
    std::vector<ParameterDecl> parameters;
    std::vector<StateDecl> states;  ///< the first is the membrane potential
    std::vector<LetDecl> lets;      ///< in file order; each uses only lets before it
    CurrentDecl current;
    Expression threshold;  ///< the value whose upward crossing by the first state is a spike (parameters only)
    bool cut_off = false;  ///< `threshold ... cut-off`: the threshold is the spike's peak, followed by the reset
    std::optional<Expression> refractory;  ///< ms, parameters only
    std::vector<ResetDecl> resets;
    std::vector<RequireDecl> requirements;
    std::vector<Preset> presets;
    std::vector<DriveDecl> drives;  ///< at most one per preset and one for the default parameters
};

/// Which lets the expressions `roots` use, directly or through other lets: a flag per let of `def`.
/// Linear in the number of lets and their references (lets use only lets defined before them).
std::vector<bool> lets_needed(const Definition& def, std::span<const Expression* const> roots);

/// Reads and checks `file`.
/// @throws ModelFileError "FILE:LINE:COLUMN: message" for the first error found.
Definition read_model_file(const std::filesystem::path& file);

}  // namespace soma::equations
