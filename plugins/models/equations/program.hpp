#pragma once
/// @file program.hpp
/// Compiled expressions of a model file: a flat list of instructions over registers, evaluated over
/// blocks of cells.
///
/// `compile` turns the syntax trees of a checked Definition (model_file.hpp), the ones its parser
/// built, into a Program at load time: every operator and call becomes one instruction (functions.hpp
/// defines each), lets are computed once and reused, subexpressions of numbers only are folded into
/// constants with the same operations, and x^2, x^3, x^4 of a non-constant x become x*x, (x*x)*x and
/// ((x*x)*x)*x (as compiled models write them); every other power is std::pow. Operands are
/// evaluated left to right with the tree's association, so a file written in a compiled model's order
/// of operations computes exactly what that model computes. Registers are reused once their value is
/// dead (linear scan over the instruction list).
///
/// `Program::run` evaluates the instructions for a range of cells in blocks of up to `max_block` cells:
/// each instruction loops over the block (a register holds one value per cell of the block, on the
/// stack of the call), so the interpreter's dispatch is paid once per instruction per block. The loops
/// run simd_block cells at a time through vector code (vector_math.hpp): exp, expm1, log, log1p, sin,
/// cos, tanh and pow are glibc's libmvec functions, as in the compiled `hh`; a block shorter than a
/// whole number of simd_block cells (e.g. a cell alone) is padded with copies of its last cell, so
/// every cell takes the same vector path. A cell's results thus depend neither on its position in the
/// range nor on the range's length. `run` is const, allocates nothing, throws nothing, and may be
/// called from several threads at once.
///
/// Limits: a program may hold at most scratch_doubles / simd_block (1024) values at once (intermediate
/// values and the inputs it reads); lets are computed just before their first use to keep this low.

#include "functions.hpp"
#include "model_file.hpp"

#include "soma/state.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace soma::equations {

/// Where an operand's values come from.
enum class Source : std::uint8_t {
    parameter,  ///< parameter `index` of each cell (ProgramInputs::parameters)
    state,      ///< state variable `index` of each cell (ProgramInputs::states)
    current,    ///< each cell's injected current
    time,       ///< t, the same for every cell
    constant,   ///< Program's constant `index`, the same for every cell
    scratch,    ///< register `index`: a value per cell of the block
};

struct Operand {
    Source source = Source::constant;
    std::uint32_t index = 0;
    std::uint32_t slot = 0;  ///< parameter, state, current: its place among the program's inputs
};

/// register `dst` = op(args...), for every cell of a block.
struct Instruction {
    Op op = Op::copy;
    std::uint32_t dst = 0;
    std::array<Operand, 3> args{};
};

/// What a program reads, for a range of `parameters.count()` cells.
struct ProgramInputs {
    ConstBatchView parameters;        ///< shape [n_params, count], schema order
    ConstBatchView states;            ///< shape [n_states, count]; may be empty if no state is read
    std::span<const double> current;  ///< shape [count]; may be empty if the current is not read
    double t = 0;                     ///< ms
};

/// The results of one block of cells: output j of cell c of the block is `(*this)[j][c]`.
class BlockResults {
public:
    BlockResults(const double* scratch, std::size_t block, std::span<const std::uint32_t> outputs)
        : scratch_(scratch), block_(block), outputs_(outputs) {}
    [[nodiscard]] const double* operator[](std::size_t j) const { return scratch_ + outputs_[j] * block_; }

private:
    const double* scratch_;
    std::size_t block_;
    std::span<const std::uint32_t> outputs_;
};

/// A compiled list of expressions (see the file comment). Immutable once compiled.
class Program {
public:
    static constexpr std::size_t max_block = 256;         ///< cells per block
    static constexpr std::size_t scratch_doubles = 8192;  ///< registers x block size, on the stack of `run`

    [[nodiscard]] std::size_t n_outputs() const { return outputs_.size(); }
    [[nodiscard]] std::size_t n_instructions() const { return code_.size(); }

    /// Evaluates the outputs for every cell of `inputs`, block by block, calling
    /// `sink(first, n, results)` for the cells [first, first + n) of the range after each block.
    template <class Sink>
    void run(const ProgramInputs& inputs, Sink&& sink) const {
        if (outputs_.empty()) return;
        alignas(64) std::array<double, scratch_doubles> scratch;  // NOLINT(cppcoreguidelines-pro-type-member-init): written before read
        const std::size_t count = inputs.parameters.count();
        for (std::size_t first = 0; first < count; first += block_) {
            const std::size_t n = std::min(block_, count - first);
            execute(inputs, first, n, scratch.data());
            sink(first, n, BlockResults(scratch.data(), block_, outputs_));
        }
    }

private:
    friend class Builder;
    void execute(const ProgramInputs& inputs, std::size_t first, std::size_t n, double* scratch) const noexcept;

    std::vector<Instruction> code_;
    std::vector<double> constants_;
    std::vector<Operand> inputs_;         ///< the parameters, states and current read, by slot
    std::vector<std::uint32_t> outputs_;  ///< the register of each output
    std::size_t n_registers_ = 0;
    std::size_t block_ = max_block;  ///< cells per block, a multiple of simd_block: (registers + inputs) x block_ <= scratch_doubles
};

/// `outputs` (expressions of `def`), with states, current and t as inputs.
/// @throws ModelFileError if the program needs more registers than `run` holds (absurdly large files).
Program compile(const Definition& def, std::span<const Expression* const> outputs);

/// The initial value of every state variable, in order: output k is state k's, and a state named in
/// an initial value is the initial value computed before it (model_file.cpp allows only those).
Program compile_initial_values(const Definition& def);

/// Exponential Euler's coefficients of the conditionally linear state variables `linear` (indices of
/// states): outputs 2j and 2j + 1 are a = f(x = 0) and b = f(x = 1) - f(x = 0) of dx/dt = f(x) for
/// x = state linear[j], the other states as they are. The lets that x does not change are computed
/// once for all of them.
Program compile_linear_coefficients(const Definition& def, std::span<const std::size_t> linear);

}  // namespace soma::equations
