#include "soma/output_file.hpp"

#include <cerrno>
#include <cstring>

namespace soma {

OutputFile::OutputFile(std::filesystem::path final_path)
    : staged_(std::move(final_path)), file_(std::fopen(staged_.temp_path().c_str(), "w")) {
    if (!file_) {
        throw RunError(fmt::format("cannot create output '{}': {}", staged_.final_path().string(), std::strerror(errno)));
    }
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
