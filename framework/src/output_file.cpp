#include "soma/output_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

namespace soma {

OutputFile::OutputFile(std::filesystem::path final_path)
    : staged_(std::move(final_path)), buffer_(std::size_t{1} << 16), file_(std::fopen(staged_.temp_path().c_str(), "w")) {
    if (!file_) {
        throw RunError(fmt::format("cannot create output '{}': {}", staged_.final_path().string(), std::strerror(errno)));
    }
    std::setvbuf(file_.get(), buffer_.data(), _IOFBF, buffer_.size());
}

void OutputFile::write(std::string_view text) {
    if (!file_) fail("the file is already closed");
    if (std::fwrite(text.data(), 1, text.size(), file_.get()) != text.size()) fail(std::strerror(errno));
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

TimeFormat::TimeFormat(double dt) {
    for (int d = 0; d <= max_decimals; ++d) {
        const std::string text = fmt::format("{:.{}f}", dt, d);
        double back = 0;
        std::from_chars(text.data(), text.data() + text.size(), back);  // locale-independent, as fmt
        if (back == dt) {
            decimals_ = d;
            for (int k = 0; k < std::min(d, 15); ++k) unit_ *= 10;
            scale_ = static_cast<double>(unit_);
            return;
        }
    }
}

void TimeFormat::append(fmt::memory_buffer& out, double t) const {
    const double scaled = decimals_ >= 0 && decimals_ <= 15 ? std::round(t * scale_) : -1;
    if (!(scaled >= 0 && scaled < 1e15)) {  // below 1e15, t * 10^d is off by far less than 0.5
        if (decimals_ < 0) append_number(out, t);
        else fmt::format_to(std::back_inserter(out), "{:.{}f}", t, decimals_);
        return;
    }
    const auto n = static_cast<std::uint64_t>(scaled);
    fmt::format_to(std::back_inserter(out), FMT_COMPILE("{}"), n / unit_);
    if (decimals_ == 0) return;
    std::array<char, 16> text{};  // '.' and up to 15 decimals
    text[0] = '.';
    std::uint64_t fraction = n % unit_;
    for (auto k = static_cast<std::size_t>(decimals_); k > 0; --k, fraction /= 10) {
        text[k] = static_cast<char>('0' + fraction % 10);
    }
    out.append(text.data(), text.data() + decimals_ + 1);
}

}  // namespace soma
