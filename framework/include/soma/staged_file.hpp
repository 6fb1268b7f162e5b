#pragma once
/// @file staged_file.hpp
/// An output file that appears under its final name only when complete.

#include <boost/config.hpp>

#include <filesystem>

namespace soma {

/// Owns the temporary name of an output: `temp_path()` is written to, `commit()` renames it to
/// `final_path()`. Destroying an uncommitted StagedFile deletes the temporary file, so an error at
/// any point leaves no partial output.
class BOOST_SYMBOL_VISIBLE StagedFile {
public:
    StagedFile() = default;
    /// Reserves a hidden temporary name beside `final_path` (same directory, so rename is atomic).
    explicit StagedFile(std::filesystem::path final_path);
    ~StagedFile();
    StagedFile(StagedFile&& other) noexcept;
    StagedFile& operator=(StagedFile&& other) noexcept;
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;

    [[nodiscard]] const std::filesystem::path& final_path() const { return final_; }
    [[nodiscard]] const std::filesystem::path& temp_path() const { return temp_; }

    /// Renames the temporary file to the final name.
    /// @throws RunError if the temporary file is missing or empty, or the rename fails.
    void commit();
    /// Deletes the temporary file if it exists. Never throws.
    void discard() noexcept;

private:
    std::filesystem::path final_;
    std::filesystem::path temp_;
    bool pending_ = false;
};

}  // namespace soma
