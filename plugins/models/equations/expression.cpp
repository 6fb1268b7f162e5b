#include "expression.hpp"

#include "functions.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

namespace soma::equations {

namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr std::array<std::string_view, 6> two_char_symbols{"<=", ">=", "==", "!=", "&&", "||"};

/// Binding power of a binary operator (see expression.hpp), 0 if `token` is none.
int precedence(const Token& token) {
    if (token.kind != Token::Kind::symbol) return 0;
    const auto s = token.text;
    if (s == "||") return 1;
    if (s == "&&") return 2;
    if (s == "<" || s == "<=" || s == ">" || s == ">=" || s == "==" || s == "!=") return 4;
    if (s == "+" || s == "-") return 5;
    if (s == "*" || s == "/") return 6;
    if (s == "^") return 7;
    return 0;
}

class Parser {
public:
    explicit Parser(Lexer& lexer) : lexer_(lexer) {}

    Node conditional() {
        Node condition = binary(1);
        if (lexer_.peek().kind != Token::Kind::symbol || lexer_.peek().text != "?") return condition;
        const std::size_t question = lexer_.next().pos;
        Node then = nested(question, [&] { return conditional(); });
        if (!lexer_.accept(":")) {
            lexer_.fail(lexer_.peek().pos, fmt::format("expected ':' of the conditional '?' at column {} but found {}",
                                                       question + 1, Lexer::describe(lexer_.peek())));
        }
        Node otherwise = nested(question, [&] { return conditional(); });
        Node node;
        node.kind = Node::Kind::conditional;
        node.begin = condition.begin;
        node.end = otherwise.end;
        node.op_pos = question;
        node.args = {std::move(condition), std::move(then), std::move(otherwise)};
        return measured(std::move(node));
    }

private:
    /// Parses a child level with `parse`, refusing more than max_depth open levels: every recursion of
    /// the grammar passes through here, so the parser's own depth is bounded.
    template <class F>
    Node nested(std::size_t pos, F&& parse) {
        if (depth_ >= max_depth) too_deep(pos);
        ++depth_;
        Node node = parse();
        --depth_;
        return node;
    }

    /// `node` with its height set from its operands'; refused beyond max_depth (left-associative chains
    /// such as a + b + c + ... grow the tree without recursing).
    Node measured(Node node) {
        std::size_t below = 0;
        for (const auto& a : node.args) below = std::max(below, a.height);
        node.height = below + 1;
        if (node.height > max_depth) too_deep(node.op_pos);
        return node;
    }

    [[noreturn]] void too_deep(std::size_t pos) const {
        lexer_.fail(pos, fmt::format("expression nested too deeply: more than {} levels of operators, parentheses and "
                                     "calls; split it with 'let'",
                                     max_depth));
    }

    /// Operators of precedence min_precedence and above. A run of left-associative operators of one
    /// precedence becomes one chain node (Node::ops), built in this loop: its length costs no depth.
    /// `exponent`: the right operand of '^', whose numbers take no unit.
    Node binary(int min_precedence, bool exponent = false) {
        Node left = unary(exponent);
        int chain = 0;  // the precedence of the chain `left` is, if this loop built it
        for (;;) {
            const Token op = lexer_.peek();
            const int p = precedence(op);
            if (p == 0 || p < min_precedence) return left;
            lexer_.next();
            const bool power = op.text == "^";
            // ^ is right-associative: its right operand may contain another ^.
            Node right = nested(op.pos, [&] { return binary(power ? p : p + 1, power); });
            if (chain == p && !power) {
                left.end = right.end;
                left.height = std::max(left.height, right.height + 1);
                left.ops.push_back({std::string(op.text), op.pos});
                left.args.push_back(std::move(right));
                if (left.height > max_depth) too_deep(op.pos);
                continue;
            }
            Node node;
            node.kind = Node::Kind::binary;
            node.begin = left.begin;
            node.end = right.end;
            node.op_pos = op.pos;
            node.ops.push_back({std::string(op.text), op.pos});
            node.args.push_back(std::move(left));
            node.args.push_back(std::move(right));
            left = measured(std::move(node));
            chain = power ? 0 : p;
        }
    }

    Node unary(bool exponent) {
        const Token t = lexer_.peek();
        if (t.kind == Token::Kind::symbol && (t.text == "-" || t.text == "+")) {
            lexer_.next();
            // Binds tighter than * and /, looser than ^: -x^2 = -(x^2).
            Node operand = nested(t.pos, [&] { return binary(7, exponent); });
            Node node;
            node.kind = Node::Kind::unary;
            node.op = std::string(t.text);
            node.begin = t.pos;
            node.end = operand.end;
            node.op_pos = t.pos;
            node.args.push_back(std::move(operand));
            return measured(std::move(node));
        }
        return primary(exponent);
    }

    Node primary(bool exponent) {
        const Token t = lexer_.next();
        Node node;
        node.begin = node.op_pos = t.pos;
        if (t.kind == Token::Kind::number) {
            node.kind = Node::Kind::number;
            node.value = t.value;
            node.end = node.value_end = t.pos + t.text.size();
            if (exponent) {
                // An exponent is a dimensionless number: what follows it is not its unit ("v^2 /ms" is (v^2)/ms).
                lexer_.exponent_ended(node.end);
                after_number(t);
            } else if (auto unit = lexer_.number_unit()) {
                node.unit_text = std::move(unit->text);
                node.unit = unit->unit;
                node.unit_pos = unit->pos;
                node.unit_end = node.end = unit->end;
            } else {
                after_number(t);
            }
            return node;
        }
        if (t.kind == Token::Kind::name) {
            node.name = std::string(t.text);
            node.end = t.pos + t.text.size();
            if (lexer_.peek().kind != Token::Kind::symbol || lexer_.peek().text != "(") {
                node.kind = Node::Kind::name;
                return node;
            }
            node.kind = Node::Kind::call;
            lexer_.next();
            // f(): no arguments, which the reader refuses as for any wrong count, once it knows whether f exists.
            if (lexer_.peek().kind == Token::Kind::symbol && lexer_.peek().text == ")") {
                node.end = lexer_.next().pos + 1;
                return measured(std::move(node));
            }
            for (;;) {
                node.args.push_back(nested(t.pos, [&] { return conditional(); }));
                const Token sep = lexer_.next();
                if (sep.kind == Token::Kind::symbol && sep.text == ")") {
                    node.end = sep.pos + 1;
                    return measured(std::move(node));
                }
                if (sep.kind != Token::Kind::symbol || sep.text != ",") {
                    lexer_.fail(sep.pos, fmt::format("expected ',' or ')' in the arguments of '{}' but found {}",
                                                     node.name, Lexer::describe(sep)));
                }
            }
        }
        if (t.kind == Token::Kind::symbol && t.text == "(") {
            Node inner = nested(t.pos, [&] { return conditional(); });
            const Token close = lexer_.next();
            if (close.kind != Token::Kind::symbol || close.text != ")") {
                lexer_.fail(close.pos, fmt::format("expected ')' to close the '(' at column {} but found {}", t.pos + 1,
                                                   Lexer::describe(close)));
            }
            inner.begin = t.pos;  // the parentheses belong to the operand's text, and count as a level
            inner.end = close.pos + 1;
            if (++inner.height > max_depth) too_deep(t.pos);
            return inner;
        }
        lexer_.fail(t.pos, fmt::format("expected a number, a name or '(' but found {}", Lexer::describe(t)));
    }

    /// A number without a unit, followed by a name: a name of the file (no implicit multiplication), or a
    /// misspelled unit; words that may follow the expression (cut-off) are left to the reader.
    void after_number(const Token& number) {
        const Token next = lexer_.peek();
        if (next.kind != Token::Kind::name || lexer_.is_follower(next)) return;
        const std::string what = lexer_.declared_as(next.text);
        if (!what.empty()) {
            lexer_.fail(next.pos, fmt::format("'{}' after the number {} is {}, which is never read as a unit; there is "
                                              "no implicit multiplication: write '{}*{}'",
                                              next.text, number.text, what, number.text, next.text));
        }
        if (find_function(next.text) != nullptr) {
            lexer_.fail(next.pos, fmt::format("'{}' after the number {} is a function; there is no implicit "
                                              "multiplication: write '{}*{}(...)'",
                                              next.text, number.text, number.text, next.text));
        }
        // A word that is neither a name nor a unit: the unit's error ("unknown unit 'mv'; units are built ...").
        Unit unit;
        std::string error;
        std::size_t offset = 0;
        if (!parse_unit(next.text, unit, error, offset)) lexer_.fail(next.pos + offset, error);
    }

    Lexer& lexer_;
    std::size_t depth_ = 0;
};

}  // namespace

void Lexer::fail(std::size_t pos, std::string message) const { throw SourceError{line_number_, pos, std::move(message)}; }

std::string Lexer::describe(const Token& token) {
    if (token.kind == Token::Kind::end) return "the end of the line";
    return fmt::format("'{}'", token.text);
}

void Lexer::skip_blanks() {
    while (pos_ < line_.size() && (line_[pos_] == ' ' || line_[pos_] == '\t')) ++pos_;
}

Token Lexer::peek() {
    if (!peeked_) {
        next_ = scan();
        peeked_ = true;
    }
    return next_;
}

Token Lexer::next() {
    const Token t = peek();
    peeked_ = false;
    return t;
}

bool Lexer::accept(std::string_view symbol) {
    const Token t = peek();
    if (t.kind != Token::Kind::symbol || t.text != symbol) return false;
    next();
    return true;
}

void Lexer::expect(std::string_view symbol, std::string_view what) {
    const Token t = peek();
    if (!accept(symbol)) fail(t.pos, fmt::format("expected {} but found {}", what, describe(t)));
}

Token Lexer::scan() {
    skip_blanks();
    Token t;
    t.pos = pos_;
    if (pos_ >= line_.size() || line_[pos_] == '#') {
        t.kind = Token::Kind::end;
        return t;
    }
    const char c = line_[pos_];
    const auto take = [&](std::size_t n, Token::Kind kind) {
        t.kind = kind;
        t.text = line_.substr(pos_, n);
        pos_ += n;
        return t;
    };
    if (is_name_start(c)) {
        std::size_t n = 1;
        while (pos_ + n < line_.size() && is_name_char(line_[pos_ + n])) ++n;
        return take(n, Token::Kind::name);
    }
    if (is_digit(c) || (c == '.' && pos_ + 1 < line_.size() && is_digit(line_[pos_ + 1]))) {
        std::size_t n = 0;
        while (pos_ + n < line_.size() && is_digit(line_[pos_ + n])) ++n;
        if (pos_ + n < line_.size() && line_[pos_ + n] == '.') {
            ++n;
            while (pos_ + n < line_.size() && is_digit(line_[pos_ + n])) ++n;
        }
        if (pos_ + n < line_.size() && (line_[pos_ + n] == 'e' || line_[pos_ + n] == 'E')) {
            std::size_t m = n + 1;
            if (pos_ + m < line_.size() && (line_[pos_ + m] == '+' || line_[pos_ + m] == '-')) ++m;
            if (pos_ + m < line_.size() && is_digit(line_[pos_ + m])) {
                while (pos_ + m < line_.size() && is_digit(line_[pos_ + m])) ++m;
                n = m;
            }
        }
        if (pos_ + n < line_.size() && (is_name_char(line_[pos_ + n]) || line_[pos_ + n] == '.')) {
            std::size_t m = n;
            while (pos_ + m < line_.size() && (is_name_char(line_[pos_ + m]) || line_[pos_ + m] == '.')) ++m;
            glued_number(n, m);
        }
        const auto text = line_.substr(pos_, n);
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), t.value);
        if (ec != std::errc() || end != text.data() + text.size()) {
            fail(pos_, fmt::format("'{}' is not a representable number", text));
        }
        return take(n, Token::Kind::number);
    }
    if (c == '"') {
        const auto close = line_.find('"', pos_ + 1);
        if (close == std::string_view::npos) fail(pos_, "unterminated string: a description ends with '\"'");
        t.kind = Token::Kind::string;
        t.text = line_.substr(pos_ + 1, close - pos_ - 1);
        pos_ = close + 1;
        return t;
    }
    for (const auto s : two_char_symbols) {
        if (line_.substr(pos_, 2) == s) return take(2, Token::Kind::symbol);
    }
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
        fail(pos_, fmt::format("unexpected character (byte 0x{:02x}); model files are ASCII text",
                               static_cast<unsigned char>(c)));
    }
    return take(1, Token::Kind::symbol);
}

void Lexer::glued_number(std::size_t digits, std::size_t word) const {
    const auto number = line_.substr(pos_, digits);
    const auto text = line_.substr(pos_, word);
    const std::size_t after = pos_ + digits;
    if (is_name_start(line_[after])) {
        std::size_t name_end = after;
        while (name_end < line_.size() && is_name_char(line_[name_end])) ++name_end;
        const auto name = line_.substr(after, name_end - after);
        const std::string what = declared_as(name);
        if (!what.empty()) {
            fail(pos_, fmt::format("'{}' is not a number: '{}' is {}, and there is no implicit multiplication: write "
                                   "'{}*{}'",
                                   text, name, what, number, name));
        }
        // The unit that may have been meant: "120mV" for "120 mV", "2.5mS/cm^2" for "2.5 mS/cm^2".
        std::size_t end = after;
        while (end < line_.size()) {
            const char c = line_[end];
            const bool sign_of_power = (c == '-' || c == '+') && line_[end - 1] == '^';
            if (!is_name_char(c) && c != '/' && c != '*' && c != '^' && c != '.' && !sign_of_power) break;
            ++end;
        }
        Unit unit;
        std::string error;
        std::size_t offset = 0;
        const auto unit_text = line_.substr(after, end - after);
        if (parse_unit(unit_text, unit, error, offset)) {
            fail(pos_, fmt::format("'{}' is not a number: a number's unit follows it after a blank, as in '{} {}'", text,
                                   number, unit_text));
        }
    }
    fail(pos_, fmt::format("'{}' is not a number", text));
}

std::string Lexer::declared_as(std::string_view name) const {
    if (names_ == nullptr) return {};
    const auto it = names_->find(name);
    return it == names_->end() ? std::string() : it->second;
}

bool Lexer::is_follower(const Token& token) const {
    return std::any_of(followers_.begin(), followers_.end(), [&](std::string_view word) {
        const auto rest = line_.substr(token.pos);
        return rest.substr(0, word.size()) == word && (rest.size() == word.size() || !is_name_char(rest[word.size()]));
    });
}

bool Lexer::right_after_exponent(std::size_t pos) const {
    if (exponent_end_ == std::string_view::npos || exponent_end_ > pos) return false;
    return line_.substr(exponent_end_, pos - exponent_end_).find_first_not_of(" \t") == std::string_view::npos;
}

std::optional<NumberUnit> Lexer::number_unit() {
    if (peeked_) return std::nullopt;  // the parser reads a number's unit right after the number
    const auto blank = [&](std::size_t p) { return p < line_.size() && (line_[p] == ' ' || line_[p] == '\t'); };
    const auto skip = [&](std::size_t p) {
        while (blank(p)) ++p;
        return p;
    };
    if (!blank(pos_)) return std::nullopt;
    const std::size_t start = skip(pos_);
    // The unit without its blanks, and where each of its characters is in the line (for errors).
    std::string text;
    std::vector<std::size_t> where;
    std::size_t p = start;
    if (p < line_.size() && line_[p] == '/') {
        text += '/';
        where.push_back(p);
        p = skip(p + 1);  // "4 / ms" is "4 /ms"
    }
    std::size_t end = start;
    for (bool first = true;; first = false) {
        std::size_t q = p;
        std::size_t joint = q;
        if (!first) {
            // '*' and '/' may have blanks around them ("mV / ms"); '.' may not (".5" is a number).
            joint = skip(q);
            if (joint >= line_.size()) break;
            const char c = line_[joint];
            if (c != '*' && c != '/' && !(c == '.' && joint == q)) break;
            q = c == '.' ? joint + 1 : skip(joint + 1);
        }
        if (q >= line_.size() || !is_name_start(line_[q])) break;
        std::size_t r = q;
        while (r < line_.size() && is_name_char(line_[r])) ++r;
        const auto symbol = line_.substr(q, r - q);
        if (!declared_as(symbol).empty() || is_reserved(symbol) || !is_unit_symbol(symbol)) break;
        if (r < line_.size() && line_[r] == '^') {
            ++r;
            if (r < line_.size() && (line_[r] == '-' || line_[r] == '+')) ++r;
            while (r < line_.size() && is_digit(line_[r])) ++r;
        }
        if (!first) {
            text += line_[joint];
            where.push_back(joint);
        }
        for (std::size_t k = q; k < r; ++k) {
            text += line_[k];
            where.push_back(k);
        }
        p = end = r;
    }
    if (end == start) return std::nullopt;
    NumberUnit u;
    u.pos = start;
    u.end = end;
    const std::size_t reciprocal = text.front() == '/' ? 1 : 0;
    std::string error;
    std::size_t offset = 0;
    if (!parse_unit(std::string_view(text).substr(reciprocal), u.unit, error, offset)) {
        fail(reciprocal + offset < where.size() ? where[reciprocal + offset] : end, error);
    }
    if (reciprocal == 1) u.unit = Unit{} / u.unit;
    u.text = std::move(text);
    pos_ = end;
    return u;
}

Token Lexer::unit_word() {
    if (peeked_) {
        // Rewind: units are read character by character, not as tokens.
        pos_ = next_.pos;
        peeked_ = false;
    }
    skip_blanks();
    Token t;
    t.pos = pos_;
    t.kind = Token::Kind::name;
    std::size_t n = 0;
    const auto unit_char = [](char c) {
        return is_name_char(c) || c == '/' || c == '*' || c == '^' || c == '.' || c == '-' || c == '+';
    };
    while (pos_ + n < line_.size() && unit_char(line_[pos_ + n])) ++n;
    t.text = line_.substr(pos_, n);
    pos_ += n;
    if (n == 0) t.kind = Token::Kind::end;
    return t;
}

Node parse_expression(Lexer& lexer) { return Parser(lexer).conditional(); }

}  // namespace soma::equations
