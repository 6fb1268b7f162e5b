#include "program.hpp"

#include "soma/error.hpp"
#include "soma/vector_math.hpp"  // after <cmath> (through functions.hpp): libmvec for exp & co.

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <limits>
#include <numbers>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace soma::equations {

namespace {

/// An operand of one block: `p[c]` for cell c if `vector`, else `*p` for every cell.
struct Arg {
    const double* p;
    bool vector;
};

/// register = op(a, b, c) over the m cells of a block (m a multiple of simd_block), simd_block cells
/// at a time in a loop that GCC vectorizes (vector_math.hpp): every cell takes the same vector path
/// (libmvec's exp, expm1, log, log1p, sin, cos, tanh and pow, as the compiled `hh` does), whatever its
/// position. An operand that is one value for all cells is broadcast into a block of its own.
template <Op op>
void kernel(Arg a, Arg b, Arg c, double* __restrict out, std::size_t m) {
    alignas(64) std::array<std::array<double, simd_block>, 3> broadcast;
    const std::array<Arg, 3> args{a, b, c};
    std::array<std::size_t, 3> stride{};  // 1: a value per cell; 0: the broadcast block
    std::array<const double*, 3> p{};
    for (int k = 0; k < 3; ++k) {
        const Arg& x = args[k < arity(op) ? k : 0];
        stride[k] = x.vector ? 1 : 0;
        if (!x.vector) broadcast[k].fill(*x.p);
        p[k] = x.vector ? x.p : broadcast[k].data();
    }
    for (std::size_t c0 = 0; c0 < m; c0 += simd_block) {
        const double* __restrict pa = p[0] + c0 * stride[0];
        const double* __restrict pb = p[1] + c0 * stride[1];
        const double* __restrict pc = p[2] + c0 * stride[2];
        double* __restrict po = out + c0;
#pragma omp simd simdlen(8)
        for (std::size_t i = 0; i < simd_block; ++i) po[i] = apply<op>(pa[i], pb[i], pc[i]);
    }
}

using Kernel = void (*)(Arg, Arg, Arg, double*, std::size_t);
using Scalar = double (*)(double, double, double);

template <std::size_t... I>
constexpr std::array<Kernel, n_ops> make_kernels(std::index_sequence<I...> /*ops*/) {
    return {&kernel<static_cast<Op>(I)>...};
}
template <std::size_t... I>
constexpr std::array<Scalar, n_ops> make_scalars(std::index_sequence<I...> /*ops*/) {
    return {&apply<static_cast<Op>(I)>...};
}
constexpr auto kernels = make_kernels(std::make_index_sequence<n_ops>{});
constexpr auto scalars = make_scalars(std::make_index_sequence<n_ops>{});  // for folding constants

Op binary_op(std::string_view op) {
    if (op == "+") return Op::add;
    if (op == "-") return Op::sub;
    if (op == "*") return Op::mul;
    if (op == "/") return Op::div;
    if (op == "^") return Op::pow;
    if (op == "<") return Op::lt;
    if (op == "<=") return Op::le;
    if (op == ">") return Op::gt;
    if (op == ">=") return Op::ge;
    if (op == "==") return Op::eq;
    if (op == "!=") return Op::ne;
    if (op == "&&") return Op::land;
    assert(op == "||");
    return Op::lor;
}

}  // namespace

void Program::execute(const ProgramInputs& in, std::size_t first, std::size_t n, double* scratch) const noexcept {
    const auto input = [&](const Operand& o) -> const double* {
        switch (o.source) {
            case Source::parameter: return in.parameters.raw() + o.index * in.parameters.stride() + first;
            case Source::state: return in.states.raw() + o.index * in.states.stride() + first;
            default: return in.current.data() + first;
        }
    };
    // A block of n cells is computed as m = n rounded up to whole vector blocks; in a shorter block
    // the inputs are copied into registers of their own, padded with copies of the last cell.
    const std::size_t m = (n + simd_block - 1) / simd_block * simd_block;
    double* const padded = scratch + n_registers_ * block_;
    if (m != n) {
        for (std::size_t s = 0; s < inputs_.size(); ++s) {
            const double* from = input(inputs_[s]);
            double* to = padded + s * block_;
            std::copy_n(from, n, to);
            std::fill(to + n, to + m, from[n - 1]);
        }
    }
    const auto arg = [&](const Operand& o) -> Arg {
        switch (o.source) {
            case Source::parameter:
            case Source::state:
            case Source::current: return {m != n ? padded + o.slot * block_ : input(o), true};
            case Source::time: return {&in.t, false};
            case Source::constant: return {constants_.data() + o.index, false};
            case Source::scratch: return {scratch + o.index * block_, true};
        }
        return {nullptr, false};
    };
    for (const auto& ins : code_) {
        kernels[static_cast<std::size_t>(ins.op)](arg(ins.args[0]), arg(ins.args[1]), arg(ins.args[2]),
                                                  scratch + ins.dst * block_, m);
    }
}

/// Compiles the syntax trees of one Program: instructions in SSA form (every instruction defines a
/// new value), then dead code removed and registers allocated in `finish`.
class Builder {
public:
    /// How names are read: the lets computed so far, and the states' values when they are not inputs.
    struct Context {
        std::vector<std::optional<Operand>> lets;    ///< by let, once computed
        std::vector<std::optional<Operand>> states;  ///< if not empty: each state's value (initial values)
        std::size_t fixed_state = std::numeric_limits<std::size_t>::max();  ///< a state replaced by a number
        double fixed_value = 0;
    };

    explicit Builder(const Definition& def) : def_(def) {
        for (std::size_t k = 0; k < def.parameters.size(); ++k) names_[def.parameters[k].name] = {Kind::parameter, k};
        for (std::size_t k = 0; k < def.states.size(); ++k) names_[def.states[k].name] = {Kind::state, k};
        names_[def.current.name] = {Kind::current, 0};
        names_["t"] = {Kind::time, 0};
        names_["pi"] = {Kind::pi, 0};
        for (std::size_t k = 0; k < def.lets.size(); ++k) names_[def.lets[k].name] = {Kind::let, k};
    }

    [[nodiscard]] Context context() const {
        Context c;
        c.lets.resize(def_.lets.size());
        return c;
    }

    /// Computes, in file order, the lets flagged in `which` that `ctx` has not computed yet.
    void compile_lets(const std::vector<bool>& which, Context& ctx) {
        for (std::size_t l = 0; l < which.size(); ++l) {
            if (which[l]) compile_let(l, ctx);
        }
    }
    /// Computes let `l` (whose lets `ctx` has computed) unless `ctx` has.
    void compile_let(std::size_t l, Context& ctx) {
        if (!ctx.lets[l]) ctx.lets[l] = compile(def_.lets[l].expression.tree, ctx);
    }

    /// The value of `e`, computing first the lets it needs that `ctx` has not computed, each just
    /// before the first let that uses it (a depth-first walk without recursion, each let once: linear
    /// in the lets' references), so that few values are alive at once.
    Operand compile_root(const Expression& e, Context& ctx) {
        std::vector<std::pair<std::size_t, std::size_t>> stack;  // a let, and how many of its lets are visited
        const auto visit = [&](std::size_t l) {
            if (!ctx.lets[l]) stack.emplace_back(l, 0);
        };
        for (auto root = e.deps.lets.rbegin(); root != e.deps.lets.rend(); ++root) {
            visit(*root);
            while (!stack.empty()) {
                const auto [l, visited] = stack.back();
                const auto& used = def_.lets[l].expression.deps.lets;  // the later ones first: often a chain
                if (visited < used.size()) {
                    ++stack.back().second;
                    visit(used[used.size() - 1 - visited]);
                    continue;
                }
                stack.pop_back();
                compile_let(l, ctx);
            }
        }
        return compile(e.tree, ctx);
    }

    /// The value of `n` (whose lets `ctx` has computed). Recursion is bounded by the tree's height
    /// (expression.hpp's max_depth), which a chain of operators of one precedence adds one level to.
    Operand compile(const Node& n, const Context& ctx) {
        switch (n.kind) {
            case Node::Kind::number: return constant(n.value);
            case Node::Kind::name: return name(n.name, ctx);
            case Node::Kind::unary: {
                const Operand a = compile(n.args[0], ctx);
                return n.op == "-" ? emit(Op::neg, a) : a;
            }
            case Node::Kind::binary: {
                // A chain a op b op c ... from the left, (a op b) op c, in a loop: one level of recursion
                // whatever its length.
                Operand r = compile(n.args[0], ctx);
                for (std::size_t k = 1; k < n.args.size(); ++k) {
                    const auto& op = n.ops[k - 1].text;
                    const Operand b = compile(n.args[k], ctx);
                    r = op == "^" ? power(r, b) : emit(binary_op(op), r, b);
                }
                return r;
            }
            case Node::Kind::conditional: {
                const Operand c = compile(n.args[0], ctx);
                const Operand a = compile(n.args[1], ctx);
                const Operand b = compile(n.args[2], ctx);
                return emit(Op::select, c, a, b);
            }
            case Node::Kind::call: {
                const Function* f = find_function(n.name);
                assert(f != nullptr);  // checked by model_file.cpp
                Operand r = compile(n.args[0], ctx);
                if (arity(f->op) == 1) return emit(f->op, r);
                for (std::size_t k = 1; k < n.args.size(); ++k) r = emit(f->op, r, compile(n.args[k], ctx));
                return r;
            }
        }
        return {};
    }

    /// a - b, for exponential Euler's coefficients.
    Operand subtract(Operand a, Operand b) { return emit(Op::sub, a, b); }

    /// The program computing `outputs`: each in a register of its own, dead instructions dropped,
    /// registers reused once their value is dead.
    /// @throws ModelFileError if more registers are live at once than Program::run holds.
    Program finish(std::vector<Operand> outputs) {
        for (auto& o : outputs) {
            if (o.source != Source::scratch) o = push(Op::copy, {o, {}, {}});
        }
        std::vector<bool> live(n_values_, false);
        for (const auto& o : outputs) live[o.index] = true;
        std::vector<Instruction> code;
        for (std::size_t i = code_.size(); i-- > 0;) {
            const auto& ins = code_[i];
            if (!live[ins.dst]) continue;
            for (int k = 0; k < arity(ins.op); ++k) {
                if (ins.args[k].source == Source::scratch) live[ins.args[k].index] = true;
            }
            code.push_back(ins);
        }
        std::ranges::reverse(code);

        constexpr auto never = std::numeric_limits<std::size_t>::max();
        std::vector<std::size_t> last_use(n_values_, 0);
        for (std::size_t i = 0; i < code.size(); ++i) {
            for (int k = 0; k < arity(code[i].op); ++k) {
                if (code[i].args[k].source == Source::scratch) last_use[code[i].args[k].index] = i;
            }
        }
        for (const auto& o : outputs) last_use[o.index] = never;
        std::vector<std::uint32_t> reg(n_values_, 0), free;
        std::uint32_t n_registers = 0;
        for (std::size_t i = 0; i < code.size(); ++i) {
            auto& ins = code[i];
            // The result gets a register that none of the operands holds (kernels write it with __restrict).
            std::uint32_t r = n_registers;
            if (free.empty()) {
                ++n_registers;
            } else {
                r = free.back();
                free.pop_back();
            }
            reg[ins.dst] = r;
            ins.dst = r;
            for (int k = 0; k < arity(ins.op); ++k) {
                auto& a = ins.args[k];
                if (a.source != Source::scratch) continue;
                const std::uint32_t value = a.index;
                a.index = reg[value];
                if (last_use[value] == i) {
                    free.push_back(reg[value]);
                    last_use[value] = never;  // freed once, even if it is used twice here
                }
            }
        }
        // The inputs read, each with a register for the padded copy of a short block (Program::execute).
        Program p;
        std::unordered_map<std::uint64_t, std::uint32_t> slots;  // by source and index
        for (auto& ins : code) {
            for (int k = 0; k < arity(ins.op); ++k) {
                auto& a = ins.args[k];
                if (a.source != Source::parameter && a.source != Source::state && a.source != Source::current) continue;
                const auto key = static_cast<std::uint64_t>(a.source) << 32 | a.index;
                const auto [it, added] = slots.try_emplace(key, static_cast<std::uint32_t>(p.inputs_.size()));
                a.slot = it->second;
                if (added) p.inputs_.push_back(a);
            }
        }
        const std::size_t registers = std::max<std::size_t>(1, n_registers + p.inputs_.size());
        if (registers * simd_block > Program::scratch_doubles) {
            throw ModelFileError(fmt::format("{}: the model needs {} intermediate values at once, more than the {} the "
                                             "evaluator holds; split its expressions into fewer, shorter ones",
                                             def_.file, registers, Program::scratch_doubles / simd_block));
        }
        p.code_ = std::move(code);
        p.constants_ = std::move(constants_);
        for (const auto& o : outputs) p.outputs_.push_back(reg[o.index]);
        p.n_registers_ = n_registers;
        p.block_ = std::min(Program::max_block, Program::scratch_doubles / registers / simd_block * simd_block);
        return p;
    }

private:
    enum class Kind { parameter, state, current, time, pi, let };
    struct Symbol {
        Kind kind = Kind::parameter;
        std::size_t index = 0;
    };

    Operand name(const std::string& text, const Context& ctx) {
        const Symbol s = names_.at(text);
        const auto index = static_cast<std::uint32_t>(s.index);
        switch (s.kind) {
            case Kind::parameter: return {Source::parameter, index};
            case Kind::state:
                if (s.index == ctx.fixed_state) return constant(ctx.fixed_value);
                if (!ctx.states.empty()) {
                    assert(ctx.states[s.index]);  // initial values use earlier states only (model_file.cpp)
                    return *ctx.states[s.index];
                }
                return {Source::state, index};
            case Kind::current: return {Source::current, 0};
            case Kind::time: return {Source::time, 0};
            case Kind::pi: return constant(std::numbers::pi);
            case Kind::let: assert(ctx.lets[s.index]); return *ctx.lets[s.index];
        }
        return {};
    }

    /// x^2, x^3 and x^4 of a non-constant x as x*x, (x*x)*x, ((x*x)*x)*x; any other power with std::pow.
    Operand power(Operand base, Operand exponent) {
        if (exponent.source == Source::constant && base.source != Source::constant) {
            const double e = constants_[exponent.index];
            if (e == 2.0 || e == 3.0 || e == 4.0) {
                Operand r = emit(Op::mul, base, base);
                for (double k = 3.0; k <= e; ++k) r = emit(Op::mul, r, base);
                return r;
            }
        }
        return emit(Op::pow, base, exponent);
    }

    Operand constant(double value) {
        const auto [it, added] =
            constant_index_.try_emplace(std::bit_cast<std::uint64_t>(value), static_cast<std::uint32_t>(constants_.size()));
        if (added) constants_.push_back(value);
        return {Source::constant, it->second};
    }

    /// op(a, b, c), folded into a constant when its operands are constants (computed by the same
    /// function as at run time, so the value is the same).
    Operand emit(Op op, Operand a, Operand b = {}, Operand c = {}) {
        const std::array<Operand, 3> args{a, b, c};
        const int k = arity(op);
        const bool constant_operands = std::all_of(args.begin(), args.begin() + k, [](const Operand& o) {
            return o.source == Source::constant;
        });
        if (constant_operands) {
            const auto value = [&](int j) { return j < k ? constants_[args[j].index] : 0.0; };
            return constant(scalars[static_cast<std::size_t>(op)](value(0), value(1), value(2)));
        }
        if (op == Op::select && a.source == Source::constant) return constants_[a.index] != 0.0 ? b : c;
        // x*1, 1*x and x/1 are x, exactly: a rate written "1 /ms*f(v)" costs no instruction.
        const auto is_one = [&](const Operand& o) { return o.source == Source::constant && constants_[o.index] == 1.0; };
        if ((op == Op::mul || op == Op::div) && is_one(b)) return a;
        if (op == Op::mul && is_one(a)) return b;
        return push(op, args);
    }

    Operand push(Op op, const std::array<Operand, 3>& args) {
        code_.push_back({op, n_values_, args});
        return {Source::scratch, n_values_++};
    }

    const Definition& def_;
    std::unordered_map<std::string_view, Symbol> names_;
    std::vector<Instruction> code_;  // SSA: instruction i defines value code_[i].dst
    std::uint32_t n_values_ = 0;
    std::vector<double> constants_;
    std::unordered_map<std::uint64_t, std::uint32_t> constant_index_;  // by bit pattern
};

Program compile(const Definition& def, std::span<const Expression* const> outputs) {
    Builder b(def);
    auto ctx = b.context();
    std::vector<Operand> results;
    for (const auto* e : outputs) results.push_back(b.compile_root(*e, ctx));
    return b.finish(std::move(results));
}

Program compile_initial_values(const Definition& def) {
    Builder b(def);
    auto ctx = b.context();
    ctx.states.resize(def.states.size());
    std::vector<Operand> results;
    for (std::size_t k = 0; k < def.states.size(); ++k) {
        // Its lets use only the states before it (model_file.cpp), whose values are known.
        ctx.states[k] = b.compile_root(def.states[k].initial, ctx);
        results.push_back(*ctx.states[k]);
    }
    return b.finish(std::move(results));
}

Program compile_linear_coefficients(const Definition& def, std::span<const std::size_t> linear) {
    Builder b(def);
    auto common = b.context();
    std::vector<std::vector<bool>> needed;
    std::vector<bool> shared(def.lets.size(), false);  // needed and unchanged by the variable being varied
    for (const auto k : linear) {
        const Expression* f = &*def.states[k].derivative;
        needed.push_back(lets_needed(def, std::span(&f, 1)));
        for (std::size_t l = 0; l < def.lets.size(); ++l) {
            if (needed.back()[l] && !def.lets[l].expression.deps.states[k]) shared[l] = true;
        }
    }
    b.compile_lets(shared, common);
    std::vector<Operand> results;
    for (std::size_t j = 0; j < linear.size(); ++j) {
        const std::size_t k = linear[j];
        std::vector<bool> varied(def.lets.size(), false);
        for (std::size_t l = 0; l < def.lets.size(); ++l) varied[l] = needed[j][l] && def.lets[l].expression.deps.states[k];
        std::array<Operand, 2> f{};
        for (int x = 0; x < 2; ++x) {
            auto ctx = common;
            ctx.fixed_state = k;
            ctx.fixed_value = x;
            b.compile_lets(varied, ctx);
            f[x] = b.compile(def.states[k].derivative->tree, ctx);
        }
        results.push_back(f[0]);
        results.push_back(b.subtract(f[1], f[0]));
    }
    return b.finish(std::move(results));
}

}  // namespace soma::equations
