#include "soma/staged_file.hpp"

#include "soma/error.hpp"

#include <fmt/format.h>

#include <random>
#include <unistd.h>

namespace soma {

StagedFile::StagedFile(std::filesystem::path final_path) : final_(std::move(final_path)), pending_(true) {
    std::random_device entropy;
    temp_ = final_.parent_path() /
            fmt::format(".{}.partial-{}-{:08x}", final_.filename().string(), ::getpid(), entropy());
}

StagedFile::~StagedFile() { discard(); }

StagedFile::StagedFile(StagedFile&& other) noexcept
    : final_(std::move(other.final_)), temp_(std::move(other.temp_)), pending_(other.pending_) {
    other.pending_ = false;
}

StagedFile& StagedFile::operator=(StagedFile&& other) noexcept {
    if (this != &other) {
        discard();
        final_ = std::move(other.final_);
        temp_ = std::move(other.temp_);
        pending_ = other.pending_;
        other.pending_ = false;
    }
    return *this;
}

void StagedFile::commit() {
    std::error_code ec;
    const auto size = std::filesystem::file_size(temp_, ec);
    if (ec || size == 0) {
        throw RunError(fmt::format("output '{}' was not produced (its temporary file is {})", final_.string(),
                                   ec ? "missing" : "empty"));
    }
    std::filesystem::rename(temp_, final_, ec);
    if (ec) {
        throw RunError(fmt::format("cannot move output into place as '{}': {}", final_.string(), ec.message()));
    }
    pending_ = false;
}

void StagedFile::discard() noexcept {
    if (!pending_) return;
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
    pending_ = false;
}

}  // namespace soma
