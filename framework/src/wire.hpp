#pragma once
/// @file wire.hpp
/// libsoma-internal: the byte layout of what ranks exchange through a Distribution (failures,
/// spikes, samples, summaries). All ranks of a run are the same build on the same kind of machine,
/// so values are copied as their object representation.

#include "soma/distribution.hpp"

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace soma::wire {

/// Appends values to a byte buffer.
class Writer {
public:
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put(const T& value) {
        put_bytes(&value, sizeof(T));
    }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put_all(std::span<const T> values) {
        put<std::uint64_t>(values.size());
        put_bytes(values.data(), values.size_bytes());
    }
    void put_string(std::string_view text) { put_all(std::span<const char>(text.data(), text.size())); }
    /// The values alone: the reader knows how many.
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void put_raw(std::span<const T> values) {
        put_bytes(values.data(), values.size_bytes());
    }
    [[nodiscard]] std::vector<std::byte> take() { return std::move(bytes_); }

private:
    void put_bytes(const void* data, std::size_t n) {
        const std::size_t at = bytes_.size();
        bytes_.resize(at + n);
        if (n > 0) std::memcpy(bytes_.data() + at, data, n);
    }
    std::vector<std::byte> bytes_;
};

/// Reads values back in the order a Writer put them.
/// @throws std::logic_error when the buffer is shorter than what is read (a protocol bug).
class Reader {
public:
    explicit Reader(std::span<const std::byte> bytes) : bytes_(bytes) {}
    template <class T>
        requires std::is_trivially_copyable_v<T>
    T get() {
        T value;
        get_bytes(&value, sizeof(T));
        return value;
    }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    std::vector<T> get_all() {
        std::vector<T> values(get<std::uint64_t>());
        get_bytes(values.data(), values.size() * sizeof(T));
        return values;
    }
    template <class T>
        requires std::is_trivially_copyable_v<T>
    void get_raw(std::span<T> values) {
        get_bytes(values.data(), values.size_bytes());
    }
    std::string get_string() {
        const auto chars = get_all<char>();
        return {chars.begin(), chars.end()};
    }

private:
    void get_bytes(void* data, std::size_t n) {
        if (n > bytes_.size() - at_) throw std::logic_error("soma: a message between ranks is shorter than expected");
        if (n > 0) std::memcpy(data, bytes_.data() + at_, n);
        at_ += n;
    }
    std::span<const std::byte> bytes_;
    std::size_t at_ = 0;
};

/// A failure as it travels between ranks: its soma type and message.
struct Failure {
    std::uint8_t kind = 0;
    std::string message;
};

/// The type and message of `error` (non-null).
Failure describe(const std::exception_ptr& error);
/// Throws a soma::Error of `failure`'s type with its message.
[[noreturn]] void raise(const Failure& failure);

void put(Writer& out, const std::optional<Failure>& failure);
std::optional<Failure> get_failure(Reader& in);

/// Collective, after rank 0 decided the outcome of a step: on rank 0 `winner` is the rank whose
/// failure wins and `failure` its description (both unset if none failed; ignored on other ranks).
/// Every rank then throws that failure (the winning rank rethrows `own`, its original exception,
/// when it has it), or returns.
void settle(Distribution& distribution, std::optional<std::size_t> winner, std::optional<Failure> failure,
            const std::exception_ptr& own);

}  // namespace soma::wire
