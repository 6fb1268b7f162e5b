#include "soma/distribution.hpp"

#include "soma/error.hpp"
#include "wire.hpp"

namespace soma {

Distribution::~Distribution() = default;

std::vector<std::vector<std::byte>> SingleProcess::gather(std::span<const std::byte> mine) {
    return {std::vector<std::byte>(mine.begin(), mine.end())};
}

CellRange rank_cells(std::size_t n_cells, std::size_t rank, std::size_t size) {
    return {n_cells * rank / size, n_cells * (rank + 1) / size};
}

namespace wire {

namespace {
enum Kind : std::uint8_t { kind_error, kind_parameter, kind_plugin, kind_run, kind_model_file };
}

Failure describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const ParameterError& e) {
        return {kind_parameter, e.what()};
    } catch (const PluginError& e) {
        return {kind_plugin, e.what()};
    } catch (const RunError& e) {
        return {kind_run, e.what()};
    } catch (const ModelFileError& e) {
        return {kind_model_file, e.what()};
    } catch (const Error& e) {
        return {kind_error, e.what()};
    } catch (const std::exception& e) {
        return {kind_run, e.what()};
    } catch (...) {
        return {kind_run, "unknown error"};
    }
}

void raise(const Failure& failure) {
    switch (failure.kind) {
        case kind_parameter: throw ParameterError(failure.message);
        case kind_plugin: throw PluginError(failure.message);
        case kind_model_file: throw ModelFileError(failure.message);
        case kind_error: throw Error(failure.message);
        default: throw RunError(failure.message);
    }
}

void put(Writer& out, const std::optional<Failure>& failure) {
    out.put<std::uint8_t>(failure.has_value());
    if (failure) {
        out.put(failure->kind);
        out.put_string(failure->message);
    }
}

std::optional<Failure> get_failure(Reader& in) {
    if (in.get<std::uint8_t>() == 0) return std::nullopt;
    Failure f;
    f.kind = in.get<std::uint8_t>();
    f.message = in.get_string();
    return f;
}

void settle(Distribution& distribution, std::optional<std::size_t> winner, std::optional<Failure> failure,
            const std::exception_ptr& own) {
    if (distribution.size() > 1) {
        std::vector<std::byte> verdict;
        if (distribution.rank() == 0) {
            Writer out;
            out.put<std::uint64_t>(winner.value_or(distribution.size()));
            put(out, failure);
            verdict = out.take();
        }
        distribution.broadcast(verdict);
        Reader in(verdict);
        const auto rank = in.get<std::uint64_t>();
        winner = rank < distribution.size() ? std::optional<std::size_t>(rank) : std::nullopt;
        failure = get_failure(in);
    }
    if (!winner) return;
    if (*winner == distribution.rank() && own) std::rethrow_exception(own);
    raise(*failure);
}

}  // namespace wire

void agree(Distribution& distribution, const std::exception_ptr& local) {
    if (distribution.size() == 1) {
        if (local) std::rethrow_exception(local);
        return;
    }
    wire::Writer out;
    wire::put(out, local ? std::optional(wire::describe(local)) : std::nullopt);
    const auto parts = distribution.gather(out.take());
    std::optional<std::size_t> winner;
    std::optional<wire::Failure> failure;
    for (std::size_t r = 0; r < parts.size() && !winner; ++r) {
        wire::Reader in(parts[r]);
        if ((failure = wire::get_failure(in))) winner = r;
    }
    wire::settle(distribution, winner, failure, local);
}

}  // namespace soma
