#pragma once
/// @file expression.hpp
/// The expression language of model files: tokens, syntax tree and parser.
///
/// The grammar, with its precedences, lowest first (those of muparser, which evaluated model files
/// before the plug-in compiled them itself, so files keep their meaning):
///   c ? a : b (right-associative),  ||,  &&,  < <= > >= == !=,  + -,  * /,  unary - +,  ^ (right-associative)
/// so that -x^2 = -(x^2) and 2^-1 = 0.5; the other binary operators are left-associative (a - b - c is
/// (a - b) - c). Operands are numbers (123, 1.5, 2e-3, .5), each with an optional unit, names
/// ([A-Za-z_][A-Za-z0-9_]*) and calls name(arg, ...).
///
/// A number's unit follows it after blanks, written as in declarations (units.hpp), or as '/' and a
/// unit for its reciprocal: "18 mV", "0.1 /mV", "4 /ms", "2.5 mS/cm^2". The number with its unit is one
/// operand (v/18 mV is v/(18 mV)). The unit is the longest run of factors joined by '*', '.' or '/',
/// each a unit symbol with an optional "^POWER", in which no symbol is a name the file declares (nor a
/// function, t or pi); blanks may surround the '*' and '/' ("2 mV / ms" is "2 mV/ms", "4 / ms" is
/// "4 /ms"), since a unit symbol that is not declared can never be an operand of its own. A declared
/// name is never read as a unit ("2 mV / tau" divides by tau), so with a state variable m, "2 m" is
/// refused (there is no implicit multiplication) rather than read as 2 metres. Written without a blank
/// ("18mV") it is refused with the blank suggested. Parsing an expression stops at the first token that cannot continue it (a unit, a
/// quoted description, ',' in a reset list, ...), which the caller then reads. The syntax tree built
/// here is the one that program.cpp compiles and evaluates: there is no other grammar.
///
/// Exponents: the right operand of '^' is read without units on its numbers, since an exponent is a
/// dimensionless number: "v^2 /ms" is (v^2)/ms, never v^(2 /ms); a unit written in parentheses,
/// "v^(2 mV)", is refused by the unit check ("an exponent must be dimensionless").
///
/// Nesting is limited to `max_depth` levels (parentheses, operators of any kind, calls, conditionals),
/// both while parsing and in the finished tree, so that neither the parser nor the recursive walks of
/// the tree (unit inference, compilation, copies) can exhaust the stack: a deeper expression is a
/// SourceError "expression nested too deeply" at the operator where the limit is passed. A chain of
/// left-associative operators of one precedence (a + b + c + ..., a*b/c*...) is parsed in a loop into
/// one node with many operands (Node::ops), which is one level whatever its length: a sum of 5000 terms
/// is accepted, and every walk of the tree iterates over its operands rather than recursing per term.

#include "units.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soma::equations {

/// An error at a position of one line of the model file; `line` 0 means the file as a whole.
/// Converted to a ModelFileError "FILE:LINE:COLUMN: message" by the file reader.
struct SourceError {
    std::size_t line = 0;
    std::size_t pos = 0;  ///< 0-based byte offset in the line (the column is pos + 1)
    std::string message;
};

/// A token of a line. `text` points into the line.
struct Token {
    enum class Kind { end, number, name, string, symbol };
    Kind kind = Kind::end;
    std::string_view text;
    std::size_t pos = 0;
    double value = 0;  ///< for numbers
};

/// The names a file declares (parameters, state variables, the current, lets, and t and pi), each with
/// what it is ("a state variable"): none of them is read as a unit after a number.
using DeclaredNames = std::map<std::string, std::string, std::less<>>;

/// The unit written after a number.
struct NumberUnit {
    std::string text;  ///< as written without its blanks, e.g. "mV", "/ms", "mS/cm^2" (for "mS / cm^2")
    std::size_t pos = 0, end = 0;  ///< where it starts and ends in the line
    Unit unit;
};

/// Splits one line into tokens, on demand. '#' outside a quoted string ends the line.
class Lexer {
public:
    /// `names` (may be null) are the file's names, which are never read as units.
    Lexer(std::string_view line, std::size_t line_number, const DeclaredNames* names = nullptr)
        : line_(line), line_number_(line_number), names_(names) {}

    [[nodiscard]] Token peek();
    Token next();
    /// True when only blanks or a comment remain.
    [[nodiscard]] bool at_end() { return peek().kind == Token::Kind::end; }
    /// Reads a blank-delimited word of the characters units are made of ([A-Za-z0-9_/*^.+-]); empty if
    /// the next character is not one of them.
    Token unit_word();
    /// Reads the unit of the number just read (see the file comment), if one follows it.
    /// @throws SourceError for a malformed unit ("cm^").
    std::optional<NumberUnit> number_unit();
    /// What the file declares `name` as ("a state variable"), or empty.
    [[nodiscard]] std::string declared_as(std::string_view name) const;
    /// Words that may follow an expression on this line (e.g. "cut-off" after a threshold), which are
    /// therefore not taken for a misspelled unit after a number.
    void allow_after_expression(std::string_view word) { followers_.push_back(word); }
    [[nodiscard]] bool is_follower(const Token& token) const;
    /// Notes that an exponent that is a number ends at `end` (a unit after it is not its own).
    void exponent_ended(std::size_t end) { exponent_end_ = end; }
    /// True if only blanks stand between the last exponent that is a number and `pos`.
    [[nodiscard]] bool right_after_exponent(std::size_t pos) const;
    /// Consumes the next token if it is the symbol `symbol`.
    bool accept(std::string_view symbol);
    /// Consumes the symbol `symbol`, or throws "expected WHAT".
    void expect(std::string_view symbol, std::string_view what);

    [[nodiscard]] std::string_view line() const { return line_; }
    [[nodiscard]] std::size_t line_number() const { return line_number_; }
    [[noreturn]] void fail(std::size_t pos, std::string message) const;
    /// "'x'" for a token, "the end of the line" at the end.
    [[nodiscard]] static std::string describe(const Token& token);

private:
    void skip_blanks();
    Token scan();
    /// Refuses a number followed without a blank by name characters (digits 'digits' long, the whole word
    /// 'word' long), suggesting the blank before a unit or '*' before a name.
    [[noreturn]] void glued_number(std::size_t digits, std::size_t word) const;

    std::string_view line_;
    std::size_t line_number_;
    const DeclaredNames* names_;
    std::vector<std::string_view> followers_;
    std::size_t pos_ = 0;
    std::size_t exponent_end_ = std::string_view::npos;
    bool peeked_ = false;
    Token next_;
};

/// A node of an expression's syntax tree. Positions are byte offsets in the line, [begin, end).
struct Node {
    enum class Kind { number, name, unary, binary, call, conditional };
    Kind kind = Kind::number;
    std::string op;    ///< unary: "-" or "+"; binary: + - * / ^ < <= > >= == != && ||
    std::string name;  ///< name, or the called function
    double value = 0;  ///< number
    std::string unit_text;      ///< number: its unit as written, without blanks ("mV", "/ms"); empty for none
    Unit unit;                  ///< number: the unit of unit_text
    std::size_t unit_pos = 0;   ///< number with a unit: where the unit starts
    std::size_t unit_end = 0;   ///< number with a unit: where the unit ends
    std::size_t value_end = 0;  ///< number: where its digits end
    /// Operands: unary 1, binary 2 or more (a chain, see `ops`), conditional 3 (condition, then, else), call n.
    std::vector<Node> args;
    /// binary: the operator between args[k] and args[k + 1], and its position. A left-associative chain
    /// of one precedence level (a + b - c, a*b/c, a < b < c) is one node, evaluated from left to right:
    /// ((a + b) - c); a chain of any length is thus one level of the tree, not one per term.
    struct Operator {
        std::string text;
        std::size_t pos = 0;
    };
    std::vector<Operator> ops;
    std::size_t begin = 0, end = 0;
    std::size_t op_pos = 0;  ///< position of the operator (the first of a binary chain, unary, conditional '?'), or of a call's name
    std::size_t height = 1;  ///< levels of the tree below and including this node, parentheses counted
};

/// The deepest nesting an expression may have (see the file comment).
inline constexpr std::size_t max_depth = 256;

/// Parses the longest expression starting at the lexer's position (see the file comment).
/// @throws SourceError for a syntax error, e.g. "expected a number, a name or '(' but found ')'", or
///         "expression nested too deeply ...".
Node parse_expression(Lexer& lexer);

/// Calls `visit(node)` for every name node (not for called functions) of `node`.
template <class F>
void for_each_name(const Node& node, F&& visit) {
    if (node.kind == Node::Kind::name) visit(node);
    for (const auto& a : node.args) for_each_name(a, visit);
}

}  // namespace soma::equations
