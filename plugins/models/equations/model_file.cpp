#include "model_file.hpp"

#include "functions.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

namespace soma::equations {

namespace {

constexpr std::uintmax_t max_file_bytes = 1 << 20;
constexpr std::size_t max_name_length = 64;

enum class Kind { parameter, state, current, time, let, constant };

struct Symbol {
    Kind kind = Kind::parameter;
    std::size_t index = 0;
    std::size_t line = 0;
};

std::string kind_name(Kind kind) {
    switch (kind) {
        case Kind::parameter: return "a parameter";
        case Kind::state: return "a state variable";
        case Kind::current: return "the current";
        case Kind::time: return "the time";
        case Kind::let: return "a let";
        case Kind::constant: return "a constant";
    }
    return "a name";
}

/// An expression's text for a message: trimmed, and shortened when long.
std::string clip(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.size() <= 48) return std::string(text);
    return std::string(text.substr(0, 45)) + "...";
}

std::string unit_name(const Quantity& q) { return q.free ? "a number without unit" : q.unit.to_string(); }

/// The value of a constant expression (a number, possibly signed or parenthesized), if it is one.
std::optional<double> constant_value(const Node& n) {
    if (n.kind == Node::Kind::number) return n.value;
    if (n.kind == Node::Kind::unary) {
        const auto v = constant_value(n.args[0]);
        if (!v) return std::nullopt;
        return n.op == "-" ? -*v : *v;
    }
    return std::nullopt;
}

/// Where an expression may be used, and so what it may depend on.
enum class Context {
    anywhere,         ///< derivatives and lets
    parameters_only,  ///< threshold, refractory, require: evaluated once per parameter change
    initial,          ///< initial value of a state: parameters, earlier states, lets of these
    reset,            ///< at a spike: no current
};

class Reader {
public:
    explicit Reader(std::string file) { def_.file = std::move(file); }

    Definition read(const std::vector<std::string>& lines) {
        symbols_["t"] = {Kind::time, 0, 0};
        symbols_["pi"] = {Kind::constant, 0, 0};
        collect_names(lines);
        for (std::size_t k = 0; k < lines.size(); ++k) {
            Lexer lexer(lines[k], k + 1, &names_);
            if (lexer.at_end()) continue;
            statement(lexer);
        }
        finish();
        return std::move(def_);
    }

private:
    /// The names the file declares, whatever their order, so that none is read as a unit after a
    /// number ("2 m" with a state variable m); errors are left to the statements' reading.
    void collect_names(const std::vector<std::string>& lines) {
        names_["t"] = "the time";
        names_["pi"] = "a constant";
        const std::map<std::string_view, std::string> kinds{{"parameter", "a parameter"},
                                                            {"state", "a state variable"},
                                                            {"current", "the current"},
                                                            {"let", "a let"}};
        for (std::size_t k = 0; k < lines.size(); ++k) {
            try {
                Lexer lexer(lines[k], k + 1);
                const Token keyword = lexer.next();
                const auto kind = kinds.find(keyword.text);
                if (keyword.kind != Token::Kind::name || kind == kinds.end()) continue;
                const Token name = lexer.next();
                if (name.kind == Token::Kind::name) names_.emplace(std::string(name.text), kind->second);
            } catch (const SourceError&) {
                // reported when the line is read
            }
        }
    }

    // ---------------------------------------------------------------- statements

    void statement(Lexer& lexer) {
        const Token keyword = lexer.peek();
        if (keyword.kind != Token::Kind::name) {
            lexer.fail(keyword.pos, fmt::format("expected a statement (parameter, state, current, let, dX/dt = ..., "
                                                "threshold, reset, refractory, require or preset) but found {}",
                                                Lexer::describe(keyword)));
        }
        const auto word = keyword.text;
        if (word == "parameter") return parameter(lexer);
        if (word == "state") return state(lexer);
        if (word == "current") return current(lexer);
        if (word == "let") return let(lexer);
        if (word == "threshold") return threshold(lexer);
        if (word == "reset") return reset(lexer);
        if (word == "refractory") return refractory(lexer);
        if (word == "require") return require(lexer);
        if (word == "preset") return preset(lexer);
        if (word == "drive") return drive(lexer);
        if (word.size() >= 2 && word.front() == 'd') return derivative(lexer);
        static const std::vector<std::string> keywords{"parameter", "state",      "current", "let",   "threshold",
                                                       "reset",     "refractory", "require", "preset", "drive"};
        const auto suggestion = closest_name(word, keywords);
        lexer.fail(keyword.pos, fmt::format("unknown statement '{}'{}; a line is one of: parameter, state, current, "
                                            "let, dX/dt = ..., threshold, reset, refractory, require, preset, drive",
                                            word, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
    }

    /// parameter NAME = NUMBER UNIT [RANGE] ["DESCRIPTION"]
    void parameter(Lexer& lexer) {
        lexer.next();
        ParameterDecl p;
        p.line = lexer.line_number();
        const Token name = declare(lexer, Kind::parameter, def_.parameters.size());
        p.name = std::string(name.text);
        p.pos = name.pos;
        lexer.expect("=", fmt::format("'=' and the default value of parameter '{}'", p.name));
        const Token value_start = lexer.peek();
        p.value = signed_number(lexer, fmt::format("the default value of parameter '{}' (a number)", p.name));
        read_unit(lexer, p.name, p.unit_text, p.unit);
        const Token open = lexer.peek();
        if (open.kind == Token::Kind::symbol && (open.text == "[" || open.text == "(")) p.range = range(lexer);
        p.description = description(lexer);
        expect_end(lexer, "after the parameter's description");
        if (!p.range.contains(p.value)) {
            lexer.fail(value_start.pos, fmt::format("the default value {} of parameter '{}' is outside its range {}",
                                                    p.value, p.name, p.range.to_string()));
        }
        def_.parameters.push_back(std::move(p));
    }

    /// state NAME = EXPR UNIT ["DESCRIPTION"]
    void state(Lexer& lexer) {
        lexer.next();
        StateDecl s;
        s.line = lexer.line_number();
        const Token name = declare(lexer, Kind::state, def_.states.size());
        s.name = std::string(name.text);
        s.pos = name.pos;
        lexer.expect("=", fmt::format("'=' and the initial value of state variable '{}'", s.name));
        s.initial = expression(lexer);
        if (!take_trailing_unit(lexer, s.initial, s.unit_text, s.unit)) read_unit(lexer, s.name, s.unit_text, s.unit);
        s.description = description(lexer);
        expect_end(lexer, "after the state variable's description");
        def_.states.push_back(std::move(s));
    }

    /// current NAME UNIT ["DESCRIPTION"]
    void current(Lexer& lexer) {
        const Token keyword = lexer.next();
        if (current_line_ != 0) {
            lexer.fail(keyword.pos, fmt::format("a second 'current' declaration; the current is declared on line {}",
                                                current_line_));
        }
        const Token name = declare(lexer, Kind::current, 0);
        current_line_ = lexer.line_number();
        def_.current.name = std::string(name.text);
        def_.current.line = current_line_;
        read_unit(lexer, def_.current.name, def_.current.unit_text, def_.current.unit);
        def_.current.description = description(lexer);
        if (def_.current.description.empty()) def_.current.description = "injected current";
        expect_end(lexer, "after the current's description");
    }

    /// let NAME = EXPR [UNIT]
    void let(Lexer& lexer) {
        lexer.next();
        LetDecl l;
        l.line = lexer.line_number();
        const Token name = declare(lexer, Kind::let, def_.lets.size());
        l.name = std::string(name.text);
        l.pos = name.pos;
        lexer.expect("=", fmt::format("'=' and the expression of '{}'", l.name));
        l.expression = expression(lexer);
        std::optional<Unit> declared;
        std::string text;
        Unit unit;
        if (lexer.peek().kind == Token::Kind::string) {
            lexer.fail(lexer.peek().pos,
                       fmt::format("unexpected description \"{}\": a let has none (parameters, state variables, the "
                                   "current and requirements have one); write it as a comment after '#'",
                                   clip(lexer.peek().text)));
        }
        if (take_trailing_unit(lexer, l.expression, text, unit)) {
            declared = unit;
        } else if (!lexer.at_end()) {
            declared.emplace();
            read_unit(lexer, l.name, text, *declared);
        }
        let_units_.push_back(declared);
        expect_end(lexer, "after the let's unit");
        def_.lets.push_back(std::move(l));
    }

    /// dX/dt = EXPR
    void derivative(Lexer& lexer) {
        const Token d = lexer.next();
        const Token slash = lexer.next();
        const Token dt = lexer.next();
        if (slash.kind != Token::Kind::symbol || slash.text != "/" || dt.kind != Token::Kind::name || dt.text != "dt") {
            lexer.fail(d.pos, fmt::format("unknown statement '{}'; a line is one of: parameter, state, current, let, "
                                          "dX/dt = ..., threshold, reset, refractory, require, preset",
                                          d.text));
        }
        lexer.expect("=", fmt::format("'=' after '{}/dt'", d.text));
        Pending p{std::string(d.text.substr(1)), d.pos, expression(lexer)};
        expect_end(lexer, "after the equation");
        derivatives_.push_back(std::move(p));
    }

    /// threshold NAME > EXPR [cut-off]
    void threshold(Lexer& lexer) {
        const Token keyword = lexer.next();
        if (threshold_line_ != 0) {
            lexer.fail(keyword.pos, fmt::format("a second threshold; the threshold is given on line {}", threshold_line_));
        }
        threshold_line_ = lexer.line_number();
        lexer.allow_after_expression("cut-off");
        const Token first = lexer.peek();
        Expression whole = expression(lexer);
        if (!lexer.at_end()) {
            refuse_unit(lexer, lexer.peek(), expression_unit_note);
            const Token word = lexer.unit_word();
            if (word.text != "cut-off") {
                lexer.fail(word.pos, fmt::format("unexpected '{}' after the threshold (only 'cut-off' may follow it, "
                                                 "for a threshold that is the spike's peak)",
                                                 word.text));
            }
            def_.cut_off = true;
            cut_off_pos_ = word.pos;
            expect_end(lexer, "after 'cut-off'");
        }
        const Node& n = whole.tree;
        if (n.kind != Node::Kind::binary || n.ops.size() != 1 || (n.ops[0].text != ">" && n.ops[0].text != ">=") ||
            n.args[0].kind != Node::Kind::name) {
            lexer.fail(first.pos, "the threshold must have the form 'threshold v > EXPRESSION', where v is the first "
                                  "state variable (the membrane potential): a spike is its upward crossing of the value");
        }
        threshold_state_ = n.args[0].name;
        threshold_state_pos_ = n.args[0].begin;
        def_.threshold = sub_expression(lexer, n.args[1]);
    }

    /// reset NAME = EXPR {, NAME = EXPR}
    void reset(Lexer& lexer) {
        lexer.next();
        do {
            const Token name = lexer.next();
            if (name.kind != Token::Kind::name) {
                lexer.fail(name.pos, fmt::format("expected the name of a state variable to reset but found {}",
                                                 Lexer::describe(name)));
            }
            lexer.expect("=", fmt::format("'=' after '{}'", name.text));
            resets_.push_back({std::string(name.text), name.pos, expression(lexer)});
        } while (lexer.accept(","));
        expect_end(lexer, "after the reset (separate assignments with ',')");
    }

    /// refractory EXPR
    void refractory(Lexer& lexer) {
        const Token keyword = lexer.next();
        if (def_.refractory) {
            lexer.fail(keyword.pos, fmt::format("a second refractory period; it is given on line {}",
                                                def_.refractory->line));
        }
        def_.refractory = expression(lexer);
        expect_end(lexer, "after the refractory period");
    }

    /// require EXPR ["MESSAGE"]
    void require(Lexer& lexer) {
        lexer.next();
        RequireDecl r;
        r.expression = expression(lexer);
        r.message = description(lexer);
        expect_end(lexer, "after the requirement's message");
        def_.requirements.push_back(std::move(r));
    }

    /// preset NAME ["DESCRIPTION"] PARAM = NUMBER {, PARAM = NUMBER}
    void preset(Lexer& lexer) {
        lexer.next();
        const Token name = lexer.next();
        if (name.kind != Token::Kind::name ||
            !std::all_of(name.text.begin(), name.text.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            })) {
            lexer.fail(name.pos, fmt::format("expected the preset's name, of [a-z0-9_], but found {}",
                                             Lexer::describe(name)));
        }
        for (const auto& [other, line] : preset_lines_) {
            if (other == name.text) {
                lexer.fail(name.pos, fmt::format("preset '{}' is already defined on line {}", name.text, line));
            }
        }
        Preset p;
        p.name = std::string(name.text);
        p.description = description(lexer);
        do {
            const Token param = lexer.next();
            if (param.kind != Token::Kind::name) {
                lexer.fail(param.pos, fmt::format("expected PARAMETER = VALUE in preset '{}' but found {}", p.name,
                                                  Lexer::describe(param)));
            }
            lexer.expect("=", fmt::format("'=' after '{}'", param.text));
            const double value = signed_number(lexer, fmt::format("the value of '{}' (a number)", param.text),
                                               "a preset's values are numbers in the units their parameters are declared with");
            if (p.values.count(std::string(param.text))) {
                lexer.fail(param.pos, fmt::format("'{}' is set twice in preset '{}'", param.text, p.name));
            }
            p.values[std::string(param.text)] = value;
            preset_params_.push_back({std::string(param.text), lexer.line_number(), param.pos});
        } while (lexer.accept(","));
        expect_end(lexer, "after the preset's values (separate them with ',')");
        preset_lines_.emplace_back(p.name, lexer.line_number());
        def_.presets.push_back(std::move(p));
    }

    /// drive VALUE UNIT [for PRESET] ["SOURCE"]
    void drive(Lexer& lexer) {
        lexer.next();
        DriveDecl d;
        d.line = lexer.line_number();
        const double value = signed_number(lexer, "the amplitude of the suggested step current (e.g. 'drive 1.5 nA')");
        const Token word = lexer.unit_word();
        if (word.kind == Token::Kind::end) {
            lexer.fail(lexer.peek().pos, fmt::format("expected the unit of the drive's amplitude (the unit of a "
                                                     "current, e.g. 'drive {} nA') but found {}",
                                                     value, Lexer::describe(lexer.peek())));
        }
        Unit unit;
        std::string error;
        std::size_t offset = 0;
        if (!parse_unit(word.text, unit, error, offset)) lexer.fail(word.pos + offset, error);
        if (lexer.peek().kind == Token::Kind::name && lexer.peek().text == "for") {
            lexer.next();
            const Token preset = lexer.next();
            if (preset.kind != Token::Kind::name) {
                lexer.fail(preset.pos, fmt::format("expected a preset's name after 'for' but found {}",
                                                   Lexer::describe(preset)));
            }
            d.preset = std::string(preset.text);
        }
        for (const auto& other : def_.drives) {
            if (other.preset == d.preset) {
                lexer.fail(0, fmt::format("a second drive for {}; it is given on line {}",
                                          d.preset.empty() ? "the default parameters" : "preset '" + d.preset + "'",
                                          other.line));
            }
        }
        d.source = description(lexer);
        expect_end(lexer, "after the drive (drive VALUE UNIT [for PRESET] [\"SOURCE\"])");
        drives_.push_back({value, unit, std::string(word.text), word.pos});
        def_.drives.push_back(std::move(d));
    }

    // ---------------------------------------------------------------- pieces of statements

    /// Reads a declared name and registers it.
    Token declare(Lexer& lexer, Kind kind, std::size_t index) {
        const Token name = lexer.next();
        if (name.kind != Token::Kind::name) {
            lexer.fail(name.pos, fmt::format("expected a name but found {}", Lexer::describe(name)));
        }
        if (name.text.front() == '_') lexer.fail(name.pos, fmt::format("name '{}' must begin with a letter", name.text));
        if (name.text.size() > max_name_length) {
            lexer.fail(name.pos, fmt::format("name '{}...' is longer than {} characters", name.text.substr(0, 20),
                                             max_name_length));
        }
        if (const auto* f = find_function(name.text)) {
            lexer.fail(name.pos, fmt::format("'{}' is the name of a function ({}); choose another name", name.text, f->doc));
        }
        if (name.text == "t") lexer.fail(name.pos, "'t' is the time (ms); choose another name");
        if (is_reserved(name.text)) lexer.fail(name.pos, fmt::format("'{}' is a reserved word; choose another name", name.text));
        if (kind != Kind::let) refuse_recorder_name(lexer, name, kind);
        const auto it = symbols_.find(std::string(name.text));
        if (it != symbols_.end()) {
            lexer.fail(name.pos, fmt::format("'{}' is already declared, as {}, on line {}", name.text,
                                             kind_name(it->second.kind), it->second.line));
        }
        symbols_[std::string(name.text)] = {kind, index, lexer.line_number()};
        return name;
    }

    /// Refuses for a parameter, state variable or current the names that the recorders give to columns of
    /// their own: "spikes" (--record spikes; the spike count in per-cell summaries) and "cell" (the cell's
    /// index in CSV files), which a variable of that name could not be told apart from.
    static void refuse_recorder_name(const Lexer& lexer, const Token& name, Kind kind) {
        if (name.text == "spikes") {
            lexer.fail(name.pos, fmt::format("'spikes' cannot name {}: it is the name the recorders use for spike "
                                             "times ('--record spikes') and for the spike counts of the per-cell "
                                             "summaries, which it could not be told apart from; choose another name, "
                                             "e.g. 'n_spikes'",
                                             kind_name(kind)));
        }
        if (name.text == "cell") {
            lexer.fail(name.pos, fmt::format("'cell' cannot name {}: it is the name of the recorders' column of cell "
                                             "numbers (the 'cell' column of the CSV files), which it could not be told "
                                             "apart from; choose another name, e.g. 'cell_x'",
                                             kind_name(kind)));
        }
    }

    /// On a state or let line, a unit at the end of the line (before the description) is the line's own
    /// unit, as before numbers had units: when the expression ends with a number and its unit and no
    /// other unit follows, the unit is taken from the number (which is then a number without unit)
    /// into `text` and `unit`; true if so. `state v = -65 mV` is v in mV from -65, `let g = gbar*0.5 nS`
    /// is g in nS.
    static bool take_trailing_unit(Lexer& lexer, Expression& e, std::string& text, Unit& unit) {
        const Token next = lexer.peek();
        if (next.kind != Token::Kind::end && next.kind != Token::Kind::string) return false;
        Node* n = &e.tree;
        const std::size_t end = e.tree.end;
        std::vector<Node*> path;
        for (;;) {
            path.push_back(n);
            if (n->args.empty() || n->kind == Node::Kind::call) break;
            n = &n->args.back();
        }
        if (n->kind != Node::Kind::number || n->unit_text.empty() || n->unit_end != end) {
            return false;
        }
        text = n->unit_text.front() == '/' ? "1" + n->unit_text : n->unit_text;
        unit = n->unit;
        for (Node* on_path : path) {
            if (on_path->end == end) on_path->end = n->value_end;
        }
        n->unit_text.clear();
        n->unit = Unit{};
        e.text = std::string(lexer.line().substr(e.tree.begin, e.tree.end - e.tree.begin));
        return true;
    }

    Expression expression(Lexer& lexer) {
        const Token first = lexer.peek();
        if (first.kind == Token::Kind::end) lexer.fail(first.pos, "expected an expression but found the end of the line");
        Node tree = parse_expression(lexer);
        Expression e;
        e.line = lexer.line_number();
        e.offset = tree.begin;
        e.text = std::string(lexer.line().substr(tree.begin, tree.end - tree.begin));
        e.tree = std::move(tree);
        return e;
    }

    static Expression sub_expression(const Lexer& lexer, const Node& node) {
        Expression e;
        e.line = lexer.line_number();
        e.offset = node.begin;
        e.text = std::string(lexer.line().substr(node.begin, node.end - node.begin));
        e.tree = node;
        return e;
    }

    /// A number; `unit_note` says why no unit may follow it, if one does (empty: a unit follows).
    static double signed_number(Lexer& lexer, const std::string& what, std::string_view unit_note = {}) {
        double sign = 1;
        if (lexer.accept("-")) sign = -1;
        else lexer.accept("+");
        const Token t = lexer.next();
        if (t.kind != Token::Kind::number) {
            lexer.fail(t.pos, fmt::format("expected {} but found {}", what, Lexer::describe(t)));
        }
        if (!unit_note.empty()) refuse_unit(lexer, lexer.peek(), unit_note);
        return sign * t.value;
    }

    void read_unit(Lexer& lexer, const std::string& owner, std::string& text, Unit& unit) {
        const Token word = lexer.unit_word();
        if (word.kind == Token::Kind::end) {
            const Token next = lexer.peek();
            if (next.kind == Token::Kind::string) quoted_unit(lexer, owner, next);
            lexer.fail(next.pos, fmt::format("expected the unit of '{}' (e.g. mV, uA/cm^2, or 1 if dimensionless) but "
                                             "found {}",
                                             owner, Lexer::describe(next)));
        }
        if (word.text.front() == '/') {
            lexer.fail(word.pos, fmt::format("a declared unit is written '1{}', not '{}' (the reciprocal form is for "
                                             "numbers in expressions, '4 {}')",
                                             word.text, word.text, word.text));
        }
        std::string error;
        std::size_t offset = 0;
        if (!parse_unit(word.text, unit, error, offset)) lexer.fail(word.pos + offset, error);
        text = std::string(word.text);
        // "mV / ms": a declared unit has no blanks (only a number's unit in an expression may).
        Lexer ahead = lexer;
        const Token joint = ahead.peek();
        if (joint.kind == Token::Kind::symbol && (joint.text == "/" || joint.text == "*")) {
            ahead.next();
            const Token rest = ahead.unit_word();
            Unit more;
            if (rest.kind != Token::Kind::end && parse_unit(rest.text, more, error, offset)) {
                lexer.fail(joint.pos, fmt::format("the unit of '{}' is written without blanks: '{}{}{}', not '{}'", owner,
                                                  word.text, joint.text, rest.text,
                                                  lexer.line().substr(word.pos, rest.pos + rest.text.size() - word.pos)));
            }
        }
    }

    /// A quoted text where the unit of `owner` is expected: a unit in quotes, or the description
    /// written before (without) the unit.
    [[noreturn]] static void quoted_unit(const Lexer& lexer, const std::string& owner, const Token& string) {
        Unit unit;
        std::string error;
        std::size_t offset = 0;
        if (!string.text.empty() && parse_unit(string.text, unit, error, offset)) {
            lexer.fail(string.pos, fmt::format("expected the unit of '{}' but found the quoted text \"{}\": a unit is "
                                               "written without quotes (write {}); quotes enclose a description",
                                               owner, string.text, string.text));
        }
        std::string_view before = lexer.line().substr(0, string.pos);
        while (!before.empty() && (before.back() == ' ' || before.back() == '\t')) before.remove_suffix(1);
        const std::string example =
            before.size() <= 48 && string.text.size() <= 40
                ? fmt::format(": write '{} UNIT \"{}\"' with UNIT e.g. mV, uA/cm^2, or 1 if dimensionless", before,
                              string.text)
                : " (e.g. mV, uA/cm^2, or 1 if dimensionless)";
        lexer.fail(string.pos, fmt::format("expected the unit of '{}' but found the description \"{}\": the unit comes "
                                           "before the description{}",
                                           owner, clip(string.text), example));
    }

    Range range(Lexer& lexer) {
        const Token open = lexer.next();
        Range r;
        r.lower_closed = open.text == "[";
        const auto bound = [&](const char* which) {
            double sign = 1;
            if (lexer.accept("-")) sign = -1;
            else lexer.accept("+");
            const Token t = lexer.next();
            if (t.kind == Token::Kind::name && t.text == "inf") return sign * std::numeric_limits<double>::infinity();
            if (t.kind != Token::Kind::number) {
                lexer.fail(t.pos, fmt::format("expected the {} bound of the range (a number, or inf) but found {}",
                                              which, Lexer::describe(t)));
            }
            refuse_unit(lexer, lexer.peek(), "the bounds of a range are numbers in the parameter's unit, which is written before the range");
            return sign * t.value;
        };
        r.lower = bound("lower");
        lexer.expect(",", "',' between the bounds of the range");
        r.upper = bound("upper");
        const Token close = lexer.next();
        if (close.kind != Token::Kind::symbol || (close.text != "]" && close.text != ")")) {
            lexer.fail(close.pos, fmt::format("expected ']' or ')' to close the range but found {}", Lexer::describe(close)));
        }
        r.upper_closed = close.text == "]";
        // An infinite bound is never attained: the interval is open there.
        if (std::isinf(r.lower)) r.lower_closed = false;
        if (std::isinf(r.upper)) r.upper_closed = false;
        if (!(r.lower < r.upper) && !(r.lower == r.upper && r.lower_closed && r.upper_closed)) {
            lexer.fail(open.pos, fmt::format("the range {} is empty", r.to_string()));
        }
        return r;
    }

    /// A quoted description; its text must be printable ASCII, as the whole file (it reaches terminals,
    /// CSV headers, JSON and SVG as it is).
    static std::string description(Lexer& lexer) {
        if (lexer.peek().kind != Token::Kind::string) return {};
        const Token t = lexer.next();
        for (std::size_t k = 0; k < t.text.size(); ++k) {
            const auto byte = static_cast<unsigned char>(t.text[k]);
            if (byte < 0x20 || byte >= 0x7f) {
                lexer.fail(t.pos + 1 + k, fmt::format("a description is plain ASCII text, but it holds the byte 0x{:02x} "
                                                      "({}); write it without",
                                                      byte, byte >= 0x80 ? "not ASCII" : "a control character"));
            }
        }
        return std::string(t.text);
    }

    static void expect_end(Lexer& lexer, std::string_view where) {
        const Token t = lexer.peek();
        if (t.kind == Token::Kind::end) return;
        refuse_unit(lexer, t, expression_unit_note);
        lexer.fail(t.pos, fmt::format("unexpected {} {}", Lexer::describe(t), where));
    }

    /// Why a unit cannot follow an expression that does not end with a number.
    static constexpr std::string_view expression_unit_note =
        "only a number in an expression can be written with a unit (as in '20 mV'); a name has the unit it is "
        "declared with, and an expression the unit of its terms";

    /// Refuses `t` with a message saying why if it is a unit (and not a name the file declares), where
    /// no unit may be written; `why` says why.
    static void refuse_unit(Lexer& lexer, const Token& t, std::string_view why) {
        if (t.kind != Token::Kind::name || !lexer.declared_as(t.text).empty()) return;
        Lexer ahead = lexer;  // looks at the word without consuming it
        const Token word = ahead.unit_word();
        Unit unit;
        std::string error;
        std::size_t offset = 0;
        if (!parse_unit(word.text, unit, error, offset)) return;
        if (lexer.right_after_exponent(t.pos)) {
            lexer.fail(t.pos, fmt::format("unexpected unit '{}' after an exponent: an exponent is a dimensionless "
                                          "number and takes no unit (a power has its base's unit to that power, "
                                          "v^2 of v in mV is in mV^2); write the exponent alone, as in 'v^2'",
                                          word.text));
        }
        lexer.fail(t.pos, fmt::format("unexpected unit '{}': {}", word.text, why));
    }

    // ---------------------------------------------------------------- checks once the file is read

    [[noreturn]] static void fail(std::size_t line, std::size_t pos, std::string message) {
        throw SourceError{line, pos, std::move(message)};
    }

    void finish() {
        if (def_.states.empty()) {
            fail(0, 0, "the model declares no state variable; the first 'state' is the membrane potential, e.g. "
                       "'state v = V_init mV \"membrane potential\"'");
        }
        if (current_line_ == 0) {
            fail(0, 0, "the model declares no current: add e.g. 'current I uA/cm^2 \"injected current\"' (the name and "
                       "unit of the current the stimulus injects)");
        }
        for (std::size_t k = 0; k < def_.drives.size(); ++k) {
            DriveDecl& d = def_.drives[k];
            const auto& [value, unit, text, pos] = drives_[k];
            if (!unit.same_dimension(def_.current.unit)) {
                fail(d.line, pos, fmt::format("the drive is a current, in the unit of '{}' ({}) or one of its "
                                              "dimension, but '{}' is {}",
                                              def_.current.name, def_.current.unit_text, text, unit.to_string()));
            }
            d.amplitude = value * (unit.scale / def_.current.unit.scale);  // exactly the value in the same unit
            if (!d.preset.empty() && std::none_of(def_.presets.begin(), def_.presets.end(),
                                                  [&](const Preset& p) { return p.name == d.preset; })) {
                std::vector<std::string> names;
                for (const auto& p : def_.presets) names.push_back(p.name);
                const auto suggestion = closest_name(d.preset, names);
                fail(d.line, 0, fmt::format("the drive is for preset '{}', which the file does not define{}",
                                            d.preset, suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
            }
            if (d.source.empty()) d.source = fmt::format("{}, line {}", def_.file, d.line);
        }
        if (threshold_line_ == 0) {
            fail(0, 0, fmt::format("the model has no threshold: add e.g. 'threshold {} > V_th' (a spike is an upward "
                                   "crossing of the value by the first state variable)",
                                   def_.states.front().name));
        }
        // Equations, attached to their states.
        std::vector<std::size_t> derivative_line(def_.states.size(), 0);
        for (auto& p : derivatives_) {
            const auto it = symbols_.find(p.name);
            if (it == symbols_.end() || it->second.kind != Kind::state) {
                std::vector<std::string> states;
                for (const auto& s : def_.states) states.push_back(s.name);
                const auto suggestion = closest_name(p.name, states);
                if (it != symbols_.end()) {
                    fail(p.expression.line, p.pos,
                         fmt::format("'d{}/dt' is the equation of '{}', which is {}, not a state variable", p.name,
                                     p.name, kind_name(it->second.kind)));
                }
                fail(p.expression.line, p.pos,
                     fmt::format("'d{}/dt' is the equation of '{}', which is not declared{}", p.name, p.name,
                                 suggestion.empty() ? fmt::format("; declare it with 'state {} = ...'", p.name)
                                                    : fmt::format(" (did you mean 'd{}/dt'?)", suggestion)));
            }
            auto& s = def_.states[it->second.index];
            if (s.derivative) {
                fail(p.expression.line, p.pos, fmt::format("a second equation for d{}/dt; the first is on line {}",
                                                           p.name, derivative_line[it->second.index]));
            }
            derivative_line[it->second.index] = p.expression.line;
            s.derivative = std::move(p.expression);
        }
        for (const auto& s : def_.states) {
            if (!s.derivative) {
                fail(s.line, s.pos, fmt::format("state variable '{}' has no equation: add 'd{}/dt = ...'", s.name, s.name));
            }
        }
        if (threshold_state_ != def_.states.front().name) {
            fail(threshold_line_, threshold_state_pos_,
                 fmt::format("the threshold must be on '{}', the first state variable (the membrane potential), not "
                             "'{}': write 'threshold {} > ...'",
                             def_.states.front().name, threshold_state_, def_.states.front().name));
        }
        for (auto& r : resets_) {
            const auto it = symbols_.find(r.name);
            if (it == symbols_.end() || it->second.kind != Kind::state) {
                std::vector<std::string> states;
                for (const auto& s : def_.states) states.push_back(s.name);
                const auto suggestion = closest_name(r.name, states);
                fail(r.expression.line, r.pos,
                     fmt::format("a reset assigns state variables, and '{}' is {}{}", r.name,
                                 it == symbols_.end() ? "not declared" : kind_name(it->second.kind),
                                 suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
            }
            for (const auto& other : def_.resets) {
                if (other.state == it->second.index) {
                    fail(r.expression.line, r.pos, fmt::format("'{}' is reset twice; the first reset of it is on line {}",
                                                               r.name, other.expression.line));
                }
            }
            def_.resets.push_back({it->second.index, std::move(r.expression)});
        }
        if (def_.cut_off && def_.resets.empty() && !def_.refractory) {
            fail(threshold_line_, cut_off_pos_,
                 "'cut-off' says the threshold is the spike's peak, at which v is reset, but the model has no reset: "
                 "add 'reset v = ...' or drop 'cut-off'");
        }
        for (const auto& q : preset_params_) {
            const auto it = symbols_.find(q.name);
            if (it == symbols_.end() || it->second.kind != Kind::parameter) {
                std::vector<std::string> params;
                for (const auto& p : def_.parameters) params.push_back(p.name);
                fail(q.line, q.pos, "a preset sets parameters; " + unknown_name_message("parameter", q.name, params));
            }
        }

        // Names, dependencies and units: lets first, in order (each may use only the lets before it).
        for (std::size_t k = 0; k < def_.lets.size(); ++k) {
            auto& l = def_.lets[k];
            resolve(l.expression, k);
            l.quantity = infer(l.expression.tree, l.expression);
            if (const auto& unit = let_units_[k]) {
                if (!l.quantity.free && !l.quantity.unit.same(*unit)) {
                    fail(l.line, l.expression.offset,
                         fmt::format("unit mismatch: '{}' is declared in {} but its expression '{}' is in {}", l.name,
                                     unit->to_string(), clip(l.expression.text), unit_name(l.quantity)));
                }
                l.quantity = {false, *unit};
            }
        }
        const std::size_t all_lets = def_.lets.size();
        for (std::size_t k = 0; k < def_.states.size(); ++k) {
            auto& s = def_.states[k];
            resolve(s.initial, all_lets);
            restrict(s.initial, Context::initial, k);
            expect_unit(s.initial, {false, s.unit}, fmt::format("the initial value of '{}'", s.name));
        }
        for (auto& s : def_.states) {
            resolve(*s.derivative, all_lets);
            expect_unit(*s.derivative, {false, s.unit / millisecond()},
                        fmt::format("d{}/dt, the unit of '{}' per ms,", s.name, s.name));
        }
        resolve(def_.threshold, all_lets);
        restrict(def_.threshold, Context::parameters_only, 0);
        expect_unit(def_.threshold, {false, def_.states.front().unit},
                    fmt::format("the threshold, the unit of '{}',", def_.states.front().name));
        if (def_.refractory) {
            resolve(*def_.refractory, all_lets);
            restrict(*def_.refractory, Context::parameters_only, 0);
            expect_unit(*def_.refractory, {false, millisecond()}, "the refractory period");
        }
        for (auto& r : def_.resets) {
            resolve(r.expression, all_lets);
            restrict(r.expression, Context::reset, 0);
            const auto& s = def_.states[r.state];
            expect_unit(r.expression, {false, s.unit}, fmt::format("the reset value of '{}'", s.name));
        }
        for (auto& r : def_.requirements) {
            resolve(r.expression, all_lets);
            restrict(r.expression, Context::parameters_only, 0);
            infer(r.expression.tree, r.expression);
        }

        // Conditionally linear state variables (not the membrane potential).
        for (std::size_t k = 1; k < def_.states.size(); ++k) {
            auto& s = def_.states[k];
            if (s.derivative->deps.current) continue;
            // The degree of every let in x_k, in file order: each uses only lets before it.
            let_degree_.assign(def_.lets.size(), 0);
            for (std::size_t l = 0; l < def_.lets.size(); ++l) {
                if (def_.lets[l].expression.deps.states[k]) let_degree_[l] = degree(def_.lets[l].expression.tree, k);
            }
            s.linear = degree(s.derivative->tree, k) <= 1;
        }
    }

    /// Checks that every name in `e` is known, that calls call functions with the right number of
    /// arguments, and that lets are used only after their definition (lets [0, lets_visible) may be
    /// used); fills `e.deps`.
    void resolve(Expression& e, std::size_t lets_visible) {
        e.deps.states.assign(def_.states.size(), false);
        e.deps.lets.clear();
        resolve_node(e.tree, e, lets_visible);
        std::ranges::sort(e.deps.lets);
        e.deps.lets.erase(std::unique(e.deps.lets.begin(), e.deps.lets.end()), e.deps.lets.end());  // clang 14: no ranges::unique
    }

    void resolve_node(const Node& n, Expression& e, std::size_t lets_visible) {
        if (n.kind == Node::Kind::call) {
            const Function* f = find_function(n.name);
            if (f == nullptr) {
                const auto it = symbols_.find(n.name);
                if (it != symbols_.end()) {
                    fail(e.line, n.begin, fmt::format("'{}' is {}, not a function", n.name, kind_name(it->second.kind)));
                }
                std::vector<std::string> names;
                for (const auto& g : functions()) names.emplace_back(g.name);
                static const std::vector<std::string_view> random{"rand", "randn", "random", "normal", "uniform",
                                                                  "noise", "xi"};
                if (std::find(random.begin(), random.end(), n.name) != random.end()) {
                    fail(e.line, n.begin,
                         fmt::format("unknown function '{}': a model file has no random numbers; noise is a stimulus, "
                                     "e.g. '--stimulus white' or '--stimulus ou', which a second --stimulus adds to "
                                     "another; the functions are {}",
                                     n.name, fmt::join(names, ", ")));
                }
                const auto suggestion = closest_name(n.name, names);
                fail(e.line, n.begin,
                     fmt::format("unknown function '{}'{}; the functions are {}", n.name,
                                 suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion),
                                 fmt::join(names, ", ")));
            }
            const int count = static_cast<int>(n.args.size());
            if (count < f->min_args || (f->max_args >= 0 && count > f->max_args)) {
                fail(e.line, n.begin,
                     fmt::format("{} takes {} argument{}, not {}", f->name,
                                 f->max_args < 0 ? fmt::format("at least {}", f->min_args)
                                                 : std::to_string(f->min_args),
                                 f->min_args == 1 && f->max_args == 1 ? "" : "s", count));
            }
        }
        if (n.kind == Node::Kind::name) {
            const auto it = symbols_.find(n.name);
            if (it == symbols_.end()) {
                if (find_function(n.name) != nullptr) {
                    fail(e.line, n.begin, fmt::format("'{}' is a function; call it as {}(...)", n.name, n.name));
                }
                if (is_unit_symbol(n.name)) fail(e.line, n.begin, unit_as_name(e, n));
                std::vector<std::string> names;
                for (const auto& [name, symbol] : symbols_) names.push_back(name);
                const auto suggestion = closest_name(n.name, names);
                fail(e.line, n.begin, fmt::format("unknown symbol '{}'{}", n.name,
                                                  suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
            }
            const Symbol& s = it->second;
            switch (s.kind) {
                case Kind::state: e.deps.states[s.index] = true; break;
                case Kind::current: e.deps.current = true; break;
                case Kind::time: e.deps.time = true; break;
                case Kind::let: {
                    if (s.index >= lets_visible) {
                        fail(e.line, n.begin,
                             fmt::format("'{}' is defined on line {}, after this use; a let may use only the lets "
                                         "defined before it",
                                         n.name, s.line));
                    }
                    const auto& d = def_.lets[s.index].expression.deps;
                    e.deps.lets.push_back(s.index);
                    for (std::size_t k = 0; k < d.states.size(); ++k) e.deps.states[k] = e.deps.states[k] || d.states[k];
                    e.deps.current = e.deps.current || d.current;
                    e.deps.time = e.deps.time || d.time;
                    break;
                }
                case Kind::parameter:
                case Kind::constant: break;
            }
        }
        for (const auto& a : n.args) resolve_node(a, e, lets_visible);
    }

    /// The message for a unit written as a name ("18*mV", "4/ms"): units follow numbers.
    std::string unit_as_name(const Expression& e, const Node& n) const {
        // The operation whose right operand is `n`, if its left operand is a number without unit.
        std::string suggestion;
        const std::function<void(const Node&)> find = [&](const Node& m) {
            for (std::size_t k = 1; m.kind == Node::Kind::binary && k < m.args.size(); ++k) {
                const auto& op = m.ops[k - 1].text;
                if (&m.args[k] != &n || (op != "*" && op != "/")) continue;
                const bool divide = op == "/";
                if (k == 1 && m.args[0].kind == Node::Kind::number && m.args[0].unit_text.empty()) {
                    const auto number = std::string_view(e.text).substr(m.args[0].begin - e.offset,
                                                                        m.args[0].value_end - m.args[0].begin);
                    suggestion = fmt::format("; write '{} {}{}' for {}{}{}", number, divide ? "/" : "", n.name,
                                             number, op, n.name);
                } else if (m.args[k - 1].end - m.args[0].begin <= 40) {
                    // "v^2 /ms": the operand before is no number (an exponent has no unit).
                    const auto left = std::string_view(e.text).substr(m.args[0].begin - e.offset,
                                                                      m.args[k - 1].end - m.args[0].begin);
                    suggestion = fmt::format("; to {} '{}' by the unit, multiply it by a number with {}: '{}*(1 {}{})'",
                                             divide ? "divide" : "multiply", left,
                                             divide ? "the reciprocal unit" : "the unit", left, divide ? "/" : "",
                                             n.name);
                }
            }
            for (const auto& a : m.args) find(a);
        };
        find(e.tree);
        return fmt::format("'{}' is a unit, not a name of this model: a unit can only follow a number, after a blank "
                           "(as in '18 mV' or '0.1 /mV'){}",
                           n.name, suggestion);
    }

    /// Refuses names that `context` does not allow (directly or through a let), at the name's position.
    void restrict(const Expression& e, Context context, std::size_t state_index) {
        if (context == Context::anywhere) return;
        for_each_name(e.tree, [&](const Node& n) {
            const Symbol& s = symbols_.at(n.name);
            std::string why;
            // "'I' is the current" for the name itself, "'y' depends on 'I', the current" through a let.
            const auto through = [&](const std::string& what, const std::string& name) {
                return s.kind == Kind::let ? fmt::format("'{}' depends on '{}', {}", n.name, name, what)
                                           : fmt::format("'{}' is {}", n.name, what);
            };
            Dependencies d;
            if (s.kind == Kind::let) {
                d = def_.lets[s.index].expression.deps;
            } else {
                d.states.assign(def_.states.size(), false);
                if (s.kind == Kind::state) d.states[s.index] = true;
                d.current = s.kind == Kind::current;
                d.time = s.kind == Kind::time;
            }
            std::size_t first_state = d.states.size();
            for (std::size_t k = 0; k < d.states.size(); ++k) {
                if (d.states[k]) {
                    first_state = k;
                    break;
                }
            }
            switch (context) {
                case Context::parameters_only:
                    if (first_state < d.states.size()) why = through("a state variable", def_.states[first_state].name);
                    else if (d.current) why = through("the current", def_.current.name);
                    else if (d.time) why = through("the time", "t");
                    if (!why.empty()) {
                        fail(e.line, n.begin, fmt::format("{}; this expression is evaluated once per run, from "
                                                          "parameters only",
                                                          why));
                    }
                    break;
                case Context::initial: {
                    std::size_t last_state = d.states.size();
                    for (std::size_t k = d.states.size(); k-- > 0;) {
                        if (d.states[k]) {
                            last_state = k;
                            break;
                        }
                    }
                    if (last_state < d.states.size() && last_state >= state_index) {
                        why = through(last_state == state_index ? "the state variable itself"
                                                                : "a state variable declared after it",
                                      def_.states[last_state].name);
                    } else if (d.current) {
                        why = through("the current", def_.current.name);
                    } else if (d.time) {
                        why = through("the time", "t");
                    }
                    if (!why.empty()) {
                        fail(e.line, n.begin,
                             fmt::format("{}; the initial value of '{}' may use parameters, the state variables declared "
                                         "before it, and lets of these",
                                         why, def_.states[state_index].name));
                    }
                    break;
                }
                case Context::reset:
                    if (d.current) {
                        fail(e.line, n.begin,
                             fmt::format("{}; a reset cannot use the current, which is not known at the spike",
                                         through("the current", def_.current.name)));
                    }
                    break;
                case Context::anywhere: break;
            }
        });
    }

    // ---------------------------------------------------------------- units

    void expect_unit(const Expression& e, const Quantity& expected, const std::string& what) {
        const Quantity q = infer(e.tree, e);
        if (q.free || expected.unit.same(q.unit)) return;
        fail(e.line, e.offset, fmt::format("unit mismatch: {} must be in {}, but '{}' is in {}", what,
                                           expected.unit.to_string(), clip(e.text), q.unit.to_string()));
    }

    static std::string text_of(const Expression& e, std::size_t begin, std::size_t end) {
        return clip(std::string_view(e.text).substr(begin - e.offset, end - begin));
    }
    static std::string text_of(const Expression& e, const Node& n) { return text_of(e, n.begin, n.end); }

    /// Unit of `a` and `b` when they are added, compared or alternatives; error at `pos` if they differ.
    /// `a` is the unit of the text [left_begin, left_end), `b` that of `nb`.
    Quantity unify(const Quantity& a, const Quantity& b, const Expression& e, std::size_t left_begin,
                   std::size_t left_end, const Node& nb, std::size_t pos, std::string_view how) {
        if (a.free) return b;
        if (b.free) return a;
        if (!a.unit.same(b.unit)) {
            fail(e.line, pos, fmt::format("unit mismatch: cannot {} '{}' ({}) and '{}' ({})", how,
                                          text_of(e, left_begin, left_end), a.unit.to_string(), text_of(e, nb),
                                          b.unit.to_string()));
        }
        return a;
    }
    Quantity unify(const Quantity& a, const Quantity& b, const Expression& e, const Node& na, const Node& nb,
                   std::size_t pos, std::string_view how) {
        return unify(a, b, e, na.begin, na.end, nb, pos, how);
    }

    Quantity symbol_quantity(const std::string& name) const {
        const Symbol& s = symbols_.at(name);
        switch (s.kind) {
            case Kind::parameter: return {false, def_.parameters[s.index].unit};
            case Kind::state: return {false, def_.states[s.index].unit};
            case Kind::current: return {false, def_.current.unit};
            case Kind::time: return {false, millisecond()};
            case Kind::let: return def_.lets[s.index].quantity;
            case Kind::constant: return {false, dimensionless_unit};
        }
        return {};
    }

    Quantity infer(const Node& n, const Expression& e) {
        switch (n.kind) {
            case Node::Kind::number: return n.unit_text.empty() ? Quantity{} : Quantity{false, n.unit};
            case Node::Kind::name: return symbol_quantity(n.name);
            case Node::Kind::unary: return infer(n.args[0], e);
            case Node::Kind::conditional: {
                infer(n.args[0], e);
                const Quantity a = infer(n.args[1], e), b = infer(n.args[2], e);
                return unify(a, b, e, n.args[1], n.args[2], n.op_pos, "choose between");
            }
            case Node::Kind::binary: {
                if (n.ops.front().text == "^") return power(infer(n.args[0], e), infer(n.args[1], e), n, e);
                // A chain a op b op c ..., from the left: (a op b) op c (expression.hpp), without recursing per term.
                Quantity q = infer(n.args[0], e);
                for (std::size_t k = 1; k < n.args.size(); ++k) q = operation(q, infer(n.args[k], e), n, k, e);
                return q;
            }
            case Node::Kind::call: return call(n, e);
        }
        return {};
    }

    /// The unit of `left` op_k `right`, where `left` is the chain `n` up to operand k - 1 and `right` its
    /// operand k.
    Quantity operation(const Quantity& a, const Quantity& b, const Node& n, std::size_t k, const Expression& e) {
        const auto& op = n.ops[k - 1].text;
        const std::size_t pos = n.ops[k - 1].pos;
        const Node& right = n.args[k];
        const std::size_t left_begin = n.args[0].begin, left_end = n.args[k - 1].end;
        if (op == "+" || op == "-") {
            return unify(a, b, e, left_begin, left_end, right, pos, op == "+" ? "add" : "subtract");
        }
        if (op == "*" || op == "/") {
            // A literal 0 as divisor: every value it reaches would be infinite or NaN at run time.
            if (op == "/" && right.kind == Node::Kind::number && right.value == 0) {
                fail(e.line, right.begin, fmt::format("division by zero: '{}' divides by {}", text_of(e, left_begin, right.end),
                                                      text_of(e, right)));
            }
            if (a.free || b.free) return {};
            Unit u;
            try {
                u = op == "*" ? a.unit * b.unit : a.unit / b.unit;
            } catch (const ParameterError& error) {  // a dimension's power out of range (units.hpp)
                fail(e.line, pos, error.what());
            }
            // V/mV: no dimension left, but a factor of 1000 that nothing converts.
            if (u.same_dimension(dimensionless_unit) && !u.dimensionless()) {
                fail(e.line, pos,
                     fmt::format("unit mismatch: cannot {} '{}' ({}) {} '{}' ({}): units of different scale do "
                                 "not mix (the {} would be {:g}, not dimensionless)",
                                 op == "*" ? "multiply" : "divide", text_of(e, left_begin, left_end), a.unit.to_string(),
                                 op == "*" ? "and" : "by", text_of(e, right), b.unit.to_string(),
                                 op == "*" ? "product" : "quotient", u.scale));
            }
            return {false, u};
        }
        if (op == "&&" || op == "||") return {};
        unify(a, b, e, left_begin, left_end, right, pos, "compare");  // comparisons: 1 or 0
        return {};
    }

    Quantity power(const Quantity& base, const Quantity& exponent, const Node& n, const Expression& e) {
        if (!exponent.free && !exponent.unit.dimensionless()) {
            fail(e.line, n.args[1].begin,
                 fmt::format("an exponent must be dimensionless, but '{}' is in {}: an exponent is a number without "
                             "unit (or a dimensionless quantity), as in 'x^2'",
                             text_of(e, n.args[1]), exponent.unit.to_string()));
        }
        if (base.free) return {};
        if (base.unit.dimensionless()) return base;
        const auto c = constant_value(n.args[1]);
        if (!c) {
            fail(e.line, n.args[1].begin,
                 fmt::format("'{}' is in {}: a quantity with a unit can only be raised to a constant power, not to '{}'",
                             text_of(e, n.args[0]), base.unit.to_string(), text_of(e, n.args[1])));
        }
        // Whole or half powers (x^0.5 of a unit with even powers), small enough for a unit (units.hpp).
        if (!(std::abs(*c) <= max_unit_power)) {
            fail(e.line, n.args[1].begin, fmt::format("'{}' is in {}: its power {} is out of range for a quantity with "
                                                      "a unit; allowed: -{} to {}",
                                                      text_of(e, n.args[0]), base.unit.to_string(), *c, max_unit_power,
                                                      max_unit_power));
        }
        const double twice = 2 * *c;
        if (twice != std::round(twice)) {
            fail(e.line, n.args[1].begin, fmt::format("'{}' is in {}: its power must be a whole or half number, not {}",
                                                      text_of(e, n.args[0]), base.unit.to_string(), *c));
        }
        Unit u;
        try {
            u = base.unit.pow(static_cast<int>(twice));
        } catch (const ParameterError& error) {  // a dimension's power out of range (units.hpp)
            fail(e.line, n.args[1].begin, error.what());
        }
        for (auto& d : u.dim) {
            if (d % 2 != 0) {
                fail(e.line, n.args[1].begin, fmt::format("'{}' is in {}: {}^{} is not a unit", text_of(e, n.args[0]),
                                                          base.unit.to_string(), base.unit.to_string(), *c));
            }
            d /= 2;
        }
        u.scale = std::pow(base.unit.scale, *c);
        return {false, u};
    }

    Quantity call(const Node& n, const Expression& e) {
        const Function* f = find_function(n.name);
        std::vector<Quantity> args;
        for (const auto& a : n.args) args.push_back(infer(a, e));
        switch (f->rule) {
            case UnitRule::dimensionless: {
                bool free = false;
                for (std::size_t k = 0; k < args.size(); ++k) {
                    if (args[k].free) {
                        free = true;
                        continue;
                    }
                    if (!args[k].unit.dimensionless()) {
                        fail(e.line, n.args[k].begin,
                             fmt::format("the argument of {} must be dimensionless, but '{}' is in {}", f->name,
                                         text_of(e, n.args[k]), args[k].unit.to_string()));
                    }
                }
                return free ? Quantity{} : Quantity{false, dimensionless_unit};
            }
            case UnitRule::same: return args[0];
            case UnitRule::indicator: return args[0].free ? Quantity{} : Quantity{false, dimensionless_unit};
            case UnitRule::all_same: {
                Quantity q = args[0];
                for (std::size_t k = 1; k < args.size(); ++k) {
                    q = unify(q, args[k], e, n.args[0], n.args[k], n.args[k].begin,
                              fmt::format("take the {} of", f->name));
                }
                return q;
            }
            case UnitRule::sqrt: {
                if (args[0].free) return {};
                Unit u = args[0].unit;
                // The argument's unit as a whole (named as products of model units, as elsewhere), not
                // the partly halved one.
                if (std::ranges::any_of(u.dim, [](int d) { return d % 2 != 0; })) {
                    const std::string unit = args[0].unit.to_string();
                    Unit parsed;
                    std::string error;
                    std::size_t offset = 0;
                    const bool writable = parse_unit(unit, parsed, error, offset);  // "mV*nA", not "1e-06 m^-3 A"
                    fail(e.line, n.args[0].begin,
                         fmt::format("unit mismatch: sqrt of '{}', which is in {}: that is not the square of a unit "
                                     "(the powers of its dimensions are not all even); take the sqrt of a "
                                     "dimensionless quantity{}",
                                     text_of(e, n.args[0]), unit,
                                     writable ? fmt::format(", e.g. sqrt(x/(1 {})) for x in {}", unit, unit) : ""));
                }
                for (auto& d : u.dim) d /= 2;
                u.scale = std::sqrt(u.scale);
                return {false, u};
            }
        }
        return {};
    }

    // ---------------------------------------------------------------- linearity

    /// How `n` depends on state `k`: 0 not at all, 1 affinely, 2 otherwise; the lets' degrees in x_k
    /// are in let_degree_.
    int degree(const Node& n, std::size_t k) const {
        switch (n.kind) {
            case Node::Kind::number: return 0;
            case Node::Kind::name: {
                const Symbol& s = symbols_.at(n.name);
                if (s.kind == Kind::state) return s.index == k ? 1 : 0;
                return s.kind == Kind::let ? let_degree_[s.index] : 0;
            }
            case Node::Kind::unary: return degree(n.args[0], k);
            case Node::Kind::conditional: {
                if (degree(n.args[0], k) > 0) return 2;
                return std::max(degree(n.args[1], k), degree(n.args[2], k));
            }
            case Node::Kind::binary: {
                // A chain from the left: (a op b) op c ...
                int a = degree(n.args[0], k);
                for (std::size_t j = 1; j < n.args.size(); ++j) {
                    const int b = degree(n.args[j], k);
                    const auto& op = n.ops[j - 1].text;
                    if (op == "+" || op == "-") a = std::max(a, b);
                    else if (op == "*") a = std::min(a + b, 2);
                    else if (op == "/") a = b > 0 ? 2 : a;
                    else a = a > 0 || b > 0 ? 2 : 0;
                }
                return a;
            }
            case Node::Kind::call: {
                for (const auto& a : n.args) {
                    if (degree(a, k) > 0) return 2;
                }
                return 0;
            }
        }
        return 2;
    }

    struct Pending {
        std::string name;
        std::size_t pos = 0;
        Expression expression;
    };
    struct PendingReset {
        std::string name;
        std::size_t pos = 0;
        Expression expression;
    };
    struct PresetParameter {
        std::string name;
        std::size_t line = 0, pos = 0;
    };

    /// A drive's amplitude as written, converted to the current's unit once the file is read.
    struct PendingDrive {
        double value = 0;
        Unit unit;
        std::string text;
        std::size_t pos = 0;
    };

    Definition def_;
    std::vector<PendingDrive> drives_;  // by def_.drives
    std::map<std::string, Symbol> symbols_;
    DeclaredNames names_;  // every name the file declares, collected before the statements are read
    std::vector<int> let_degree_;  // by let: degree in the state variable being examined
    std::vector<Pending> derivatives_;
    std::vector<PendingReset> resets_;
    std::vector<std::optional<Unit>> let_units_;  // by let: its declared unit, if any
    std::vector<PresetParameter> preset_params_;
    std::vector<std::pair<std::string, std::size_t>> preset_lines_;
    std::size_t current_line_ = 0, threshold_line_ = 0;
    std::string threshold_state_;
    std::size_t threshold_state_pos_ = 0;
    std::size_t cut_off_pos_ = 0;  // of the word 'cut-off' after the threshold
};

}  // namespace

std::vector<bool> lets_needed(const Definition& def, std::span<const Expression* const> roots) {
    std::vector<bool> needed(def.lets.size(), false);
    for (const auto* e : roots) {
        for (const auto l : e->deps.lets) needed[l] = true;
    }
    for (std::size_t l = def.lets.size(); l-- > 0;) {
        if (!needed[l]) continue;
        for (const auto used : def.lets[l].expression.deps.lets) needed[used] = true;
    }
    return needed;
}

Definition read_model_file(const std::filesystem::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) throw ModelFileError(fmt::format("{}: cannot open model file: no such file", name));
    if (!std::filesystem::is_regular_file(file, ec)) {
        throw ModelFileError(fmt::format("{}: not a regular file; a model file is a text file such as "
                                         "examples/models/hh.eq",
                                         name));
    }
    if (std::filesystem::file_size(file, ec) > max_file_bytes) {
        throw ModelFileError(fmt::format("{}: larger than 1 MiB; model files are short text files", name));
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ModelFileError(fmt::format("{}: cannot open model file: permission denied", name));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
    }
    if (in.bad()) throw ModelFileError(fmt::format("{}: read error", name));
    try {
        return Reader(name).read(lines);
    } catch (const SourceError& e) {
        if (e.line == 0) throw ModelFileError(fmt::format("{}: {}", name, e.message));
        throw ModelFileError(fmt::format("{}:{}:{}: {}", name, e.line, e.pos + 1, e.message));
    }
}

}  // namespace soma::equations
