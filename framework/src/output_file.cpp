#include "soma/output_file.hpp"

#include <fmt/compile.h>

#include <cerrno>
#include <cstring>

namespace soma {

OutputFile::OutputFile(std::filesystem::path final_path)
    : staged_(std::move(final_path)), buffer_(std::size_t{1} << 16), file_(std::fopen(staged_.temp_path().c_str(), "w")) {
    if (!file_) {
        throw RunError(fmt::format("cannot create output '{}': {}", staged_.final_path().string(), std::strerror(errno)));
    }
    std::setvbuf(file_.get(), buffer_.data(), _IOFBF, buffer_.size());
}

void OutputFile::write_sample(char separator, double t, std::span<const double> state,
                              std::span<const double> current) {
    line_.clear();
    auto out = std::back_inserter(line_);
    fmt::format_to(out, FMT_COMPILE("{}"), t);
    for (const double x : state) {
        line_.push_back(separator);
        fmt::format_to(out, FMT_COMPILE("{}"), x);
    }
    for (const double x : current) {
        line_.push_back(separator);
        fmt::format_to(out, FMT_COMPILE("{}"), x);
    }
    line_.push_back('\n');
    if (std::fwrite(line_.data(), 1, line_.size(), file_.get()) != line_.size()) fail(std::strerror(errno));
}

void OutputFile::fail(const char* reason) const {
    throw RunError(fmt::format("cannot write output '{}': {}", staged_.final_path().string(), reason));
}

void OutputFile::close() {
    if (!file_) return;
    std::FILE* file = file_.release();
    const bool flushed = std::fflush(file) == 0 && std::ferror(file) == 0;
    const int flush_error = errno;
    if (std::fclose(file) != 0 || !flushed) fail(std::strerror(flushed ? errno : flush_error));
}

void OutputFile::commit() {
    close();
    staged_.commit();
}

void OutputFile::discard() noexcept {
    file_.reset();
    staged_.discard();
}

}  // namespace soma
