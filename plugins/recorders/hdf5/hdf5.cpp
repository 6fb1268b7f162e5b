/// @file hdf5.cpp
/// Plug-in `hdf5`: the spike times and the recorded traces of a run as HDF5 files in the SONATA layouts.
/// This file is the library `hdf5/soma_hdf5_writer.so` beside the plug-in file, which loads it when a
/// recorder is made (hdf5_plugin.cpp): Debian's HDF5 library brings some 40 shared libraries whose
/// loading would add about 6 ms to every run.
///
/// Layouts: the SONATA Data Format, docs/SONATA_DEVELOPER_GUIDE.md of AllenInstitute/sonata (version 0.1,
/// 2018), sections "Output file formats" > "Spike file" and > "Frame oriented, node element recordings",
/// with its "Common conventions" > "HDF5" (data types; root attributes `magic` and `version`).
/// `<population>` is the model's name (a model file's name without its extension), each character
/// outside [A-Za-z0-9_] replaced by '_' ("cells" if nothing is left), e.g. "hh", "lif". Node ids are
/// the cells' population indices, 0-based. Files, in the run's output directory:
///
/// - `<stem>_spikes.h5`, always (datasets of length 0 when no cell spiked):
///     /spikes/<population>             group, attribute `sorting` = by_time (HDF5 enum on int8 with
///                                      none = 0, by_id = 1, by_time = 2): spikes in time order, ties by node id
///     /spikes/<population>/timestamps  float64 [n_spikes], ms; attribute `units` = "ms"
///     /spikes/<population>/node_ids    uint64 [n_spikes]
/// - `<stem>_<variable>.h5` for each recorded quantity (a state variable or the injected current, e.g.
///   `<stem>_v.h5`, `<stem>_I.h5`), unless only spikes are recorded: one file per quantity, as the
///   spec writes one file per report and a report has one variable and one unit:
///     /report/<population>/data                    float64 [n_samples, n_recorded]: row i is the sample at
///                                                  t = i * record interval, column j cell node_ids[j];
///                                                  attribute `units`, the quantity's ("mV"; "1" if dimensionless)
///     /report/<population>/mapping/node_ids        uint64 [n_recorded], the recorded cells, ascending;
///                                                  attribute `sorted` = 1 (int8, the spec's bool)
///     /report/<population>/mapping/index_pointers  uint64 [n_recorded + 1] = 0, 1, ..., n_recorded
///     /report/<population>/mapping/element_ids     uint32 [n_recorded] = 0: one element per cell, its soma
///     /report/<population>/mapping/time            float64 [3] = start, stop, step (ms): 0, n_samples *
///                                                  record interval, record interval (stop excluded);
///                                                  attribute `units` = "ms"
///   Where this differs from the guide's text: `data` is float64, not its "float" (float32), so that
///   values read back bit for bit (HDF5 converts on reading into float32); `index_pointers` has
///   n_recorded + 1 entries, as the guide's formula data[index_pointers[i]:index_pointers[i + 1]] and
///   libsonata's reader require (its text says N_nodes); element ids are section ids and the soma is
///   section 0 ("Representing biophysical neuron morphologies"), so a point neuron's only element is 0.
///
/// Root attributes of every file: `magic` (uint32 0x0A7A) and `version` (uint32 [2] = 0, 1) as the spec
/// requires; strings (variable-length UTF-8) `soma_version`, `title`, `model`, `preset`, `stimulus`,
/// `integrator`; float64 `dt`, `t_stop`, `record_interval` (ms); uint64 `n_cells`, `seed`; for each
/// parameter shared by all cells `<component>.<name>` (float64) and `<component>.<name>.units`; for each
/// parameter that differs between cells `<component>.<name>.given_as` (the user's form, e.g.
/// "linspace(1.1, 3, 20)") and `<component>.<name>.units`. Report files also carry `variable` (e.g. "v").
///
/// Read them with h5py, e.g. `f = h5py.File("run_v.h5"); r = f["report/lif"]; v = r["data"][()]`
/// (v[:, j] is the trace of cell r["mapping/node_ids"][j]), or with libsonata's SpikeReader and
/// ElementReportReader.
///
/// Samples and spikes are streamed: buffered in blocks (at most 64 samples and 4 MiB per quantity,
/// 4096 spikes) and appended to extendible datasets whose chunks are one block high (and at most 1024
/// cells wide), so memory stays bounded however long the run. Every file is written under a temporary
/// name in the output directory and renamed in `commit`; `abort` deletes it. Errors: soma::RunError
/// naming the file, what was being written, the reason (e.g. "No space left on device", found before
/// HDF5 writes by reserving the disk space) and a remedy when a file cannot be created or written,
/// and when two recorded quantities would share a file name (e.g. a variable named "spikes"). HDF5's
/// automatic error printing is off while this plug-in calls HDF5.

#include "soma/error.hpp"
#include "soma/component.hpp"
#include "soma/recorder.hpp"
#include "soma/staged_file.hpp"

#include <boost/dll/alias.hpp>
#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include <fcntl.h>

namespace soma::recorders {
namespace {

constexpr std::uint32_t sonata_magic = 0x0A7A;
constexpr std::array<std::uint32_t, 2> sonata_version{0, 1};
constexpr std::size_t max_block_samples = 64;      // samples per block of a report's data
constexpr std::size_t max_block_bytes = 4u << 20;  // bytes per block of a report's data
constexpr std::size_t max_chunk_cells = 1024;      // columns of a chunk of a report's data (<= 512 KiB)
constexpr std::size_t spike_block = 4096;          // spikes per block
constexpr std::size_t reserve_margin = 64u << 10;  // disk space reserved for metadata beyond the raw data

/// Switches off HDF5's automatic printing of errors (they become RunError) for its lifetime, then
/// restores the previous handler, so that other users of HDF5 in the process keep theirs.
class QuietErrors {
public:
    QuietErrors() {
        H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
        H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    }
    ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
    QuietErrors(const QuietErrors&) = delete;
    QuietErrors& operator=(const QuietErrors&) = delete;

private:
    H5E_auto2_t func_ = nullptr;
    void* data_ = nullptr;
};

/// The innermost message of HDF5's error stack, where the error was detected, shortened when it
/// quotes the system's message: "unable to open file: name = ..., errno = 13, error message =
/// 'Permission denied', ..." becomes "unable to open file: Permission denied". Clears the stack.
std::string hdf5_reason() {
    std::string reason;
    H5Ewalk2(
        H5E_DEFAULT, H5E_WALK_UPWARD,
        [](unsigned n, const H5E_error2_t* error, void* out) -> herr_t {
            if (n == 0 && error->desc != nullptr) *static_cast<std::string*>(out) = error->desc;
            return 0;
        },
        &reason);
    H5Eclear2(H5E_DEFAULT);
    constexpr std::string_view quote = "error message = '";
    const auto colon = reason.find(':');
    const auto from = reason.find(quote);
    const auto to = from == std::string::npos ? from : reason.find('\'', from + quote.size());
    if (colon != std::string::npos && to != std::string::npos) {
        reason = reason.substr(0, colon + 2) + reason.substr(from + quote.size(), to - from - quote.size());
    }
    std::ranges::replace(reason, '\n', ' ');
    return reason.empty() ? "HDF5 gave no reason" : reason;
}

/// An HDF5 identifier (file, group, dataset, dataspace, type, property list), closed when destroyed.
class Handle {
public:
    using Close = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Close close) noexcept : id_(id), close_(close) {}
    ~Handle() { reset(); }
    Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
    Handle& operator=(Handle&& other) noexcept {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            close_ = other.close_;
        }
        return *this;
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;

    [[nodiscard]] hid_t get() const { return id_; }
    /// Closes now; false if HDF5 reports an error (its stack then holds the reason).
    bool close() noexcept {
        const hid_t id = std::exchange(id_, H5I_INVALID_HID);
        return id < 0 || close_(id) >= 0;
    }
    /// Closes now, ignoring errors.
    void reset() noexcept {
        if (id_ < 0) return;
        const QuietErrors quiet;
        (void)close();
        H5Eclear2(H5E_DEFAULT);
    }

private:
    hid_t id_ = H5I_INVALID_HID;
    Close close_ = nullptr;
};

/// File and memory types of the values this plug-in writes.
template <class T>
struct Types;
template <>
struct Types<double> {
    static hid_t file() { return H5T_IEEE_F64LE; }
    static hid_t memory() { return H5T_NATIVE_DOUBLE; }
};
template <>
struct Types<std::uint64_t> {
    static hid_t file() { return H5T_STD_U64LE; }
    static hid_t memory() { return H5T_NATIVE_UINT64; }
};
template <>
struct Types<std::uint32_t> {
    static hid_t file() { return H5T_STD_U32LE; }
    static hid_t memory() { return H5T_NATIVE_UINT32; }
};
template <>
struct Types<std::int8_t> {
    static hid_t file() { return H5T_STD_I8LE; }
    static hid_t memory() { return H5T_NATIVE_INT8; }
};

/// A creation property list of class `cls` (file, group or dataset) that does not record when the object was
/// made or changed, so that the same run writes the same bytes (HDF5 stores four times per object by
/// default). `out` is the file's H5Output, which reports an error as it does.
template <class Output>
Handle untimed(const Output& out, hid_t cls, const std::string& doing) {
    Handle creation(out.check(H5Pcreate(cls), doing), H5Pclose);
    out.check(H5Pset_obj_track_times(creation.get(), false), doing);
    return creation;
}

/// One HDF5 output under its temporary name (StagedFile). HDF5 calls are made through `check`, which
/// turns a failure into a RunError naming the final path.
///
/// Disk space is reserved (Linux fallocate, past the file's end) before HDF5 writes, so that a full
/// disk is found by the reservation, never by HDF5: when a write fails, HDF5 1.10 leaks memory, may
/// leave its metadata cache unusable and the file's identifier dangling, and then crashes at exit.
/// HDF5 allocates file space at increasing addresses; what was reserved past the end is given back
/// when the file is closed. On file systems that cannot reserve, HDF5 meets a full disk itself.
class H5Output {
public:
    H5Output() = default;
    /// Creates the temporary file beside `final_path`. @throws RunError if it cannot be created.
    explicit H5Output(std::filesystem::path final_path) : staged_(std::move(final_path)) {
        const Handle access(check(H5Pcreate(H5P_FILE_ACCESS), "creating the file"), H5Pclose);
        check(H5Pset_fapl_sec2(access.get()), "creating the file");  // POSIX I/O, on a descriptor (`reserve`)
        // Closing the file with objects still open is an error rather than a silent delay of the close.
        check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_SEMI), "creating the file");
        // No cache of raw data: blocks are written whole as they come, straight to the file.
        check(H5Pset_cache(access.get(), 0, 0, 0, 0.0), "creating the file");
#if H5_VERSION_GE(1, 10, 7)
        // The temporary file is this process's alone: no lock (which file systems such as NFS refuse).
        check(H5Pset_file_locking(access.get(), false, true), "creating the file");
#endif
        const Handle creation = untimed(*this, H5P_FILE_CREATE, "creating the file");  // the root group's
        file_ = Handle(check(H5Fcreate(staged_.temp_path().c_str(), H5F_ACC_EXCL, creation.get(), access.get()),
                             "creating the file"),
                       H5Fclose);
    }

    /// The file's identifier; attributes attached to it go to the root group.
    [[nodiscard]] hid_t id() const { return file_.get(); }
    [[nodiscard]] const std::filesystem::path& final_path() const { return staged_.final_path(); }

    /// `result`, or a RunError if it is negative (HDF5's failure value).
    template <class T>
    T check(T result, std::string_view doing) const {
        if (result < 0) fail(doing);
        return result;
    }
    [[noreturn]] void fail(std::string_view doing) const { fail(doing, hdf5_reason()); }

    /// Makes sure that the file has disk space for everything HDF5 allocated so far and `bytes` more.
    /// @throws RunError if the file system is full (or the user's quota reached).
    void reserve(std::size_t bytes, std::string_view doing) {
        haddr_t allocated = 0;
        check(H5Fget_eoa(file_.get(), &allocated), doing);
        const std::size_t end = static_cast<std::size_t>(allocated) + bytes;
        if (end <= reserved_) return;
        void* handle = nullptr;
        check(H5Fget_vfd_handle(file_.get(), H5P_DEFAULT, &handle), doing);
        const int error = ::fallocate(*static_cast<int*>(handle), FALLOC_FL_KEEP_SIZE, static_cast<off_t>(reserved_),
                                      static_cast<off_t>(end - reserved_)) == 0 ? 0 : errno;
        // Other errors (a file system that cannot reserve, EOPNOTSUPP) leave HDF5 to meet a full disk.
        if (error == ENOSPC || error == EDQUOT || error == EFBIG) fail(doing, std::strerror(error));
        reserved_ = end;
    }

    /// Closes the file (every object in it must be closed). @throws RunError on failure.
    void close() {
        reserve(reserve_margin, "closing the file");
        if (!file_.close()) fail("closing the file");
        // Give back the disk space reserved past the file's end (truncating to the same size does).
        std::error_code ec;
        const auto size = std::filesystem::file_size(staged_.temp_path(), ec);
        if (!ec) std::filesystem::resize_file(staged_.temp_path(), size, ec);
    }
    /// Renames the closed file to its final name. @throws RunError on failure.
    void commit() { staged_.commit(); }
    /// Closes and deletes the temporary file (every object in it must be closed). Never throws.
    void discard() noexcept {
        file_.reset();
        staged_.discard();
    }

private:
    [[noreturn]] void fail(std::string_view doing, const std::string& reason) const {
        throw RunError(fmt::format("cannot write the HDF5 output '{}' ({}): {}; check that the output directory "
                                   "is writable and has free space, or choose another output directory",
                                   staged_.final_path().string(), doing, reason));
    }

    StagedFile staged_;  // declared first: destroyed after the file is closed
    Handle file_;
    std::size_t reserved_ = 0;  // bytes from the start of the file that have disk space
};

/// A dataspace of `dims` (a scalar if empty), with the same maximum unless `max_dims` is given.
Handle dataspace(const H5Output& out, std::span<const hsize_t> dims, const hsize_t* max_dims = nullptr) {
    const hid_t id = dims.empty() ? H5Screate(H5S_SCALAR)
                                  : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims);
    return {out.check(id, "creating a dataspace"), H5Sclose};
}

void write_attribute(const H5Output& out, hid_t object, const std::string& name, hid_t file_type,
                     hid_t memory_type, const void* values, std::span<const hsize_t> dims) {
    const std::string doing = fmt::format("writing attribute '{}'", name);
    const Handle space = dataspace(out, dims);
    const Handle attribute(
        out.check(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), doing),
        H5Aclose);
    out.check(H5Awrite(attribute.get(), memory_type, values), doing);
}

/// A scalar numeric attribute.
template <class T>
    requires std::is_arithmetic_v<T>
void write_attribute(const H5Output& out, hid_t object, const std::string& name, T value) {
    write_attribute(out, object, name, Types<T>::file(), Types<T>::memory(), &value, {});
}

/// A variable-length UTF-8 string attribute (h5py's and libsonata's way of reading a `str`).
void write_attribute(const H5Output& out, hid_t object, const std::string& name, const std::string& value) {
    const Handle type(out.check(H5Tcopy(H5T_C_S1), "creating a string type"), H5Tclose);
    out.check(H5Tset_size(type.get(), H5T_VARIABLE), "creating a string type");
    out.check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "creating a string type");
    const char* text = value.c_str();
    write_attribute(out, object, name, type.get(), type.get(), static_cast<const void*>(&text), {});
}

Handle create_group(const H5Output& out, hid_t parent, const std::string& name) {
    const Handle creation = untimed(out, H5P_GROUP_CREATE, fmt::format("creating group '{}'", name));
    return {out.check(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, creation.get(), H5P_DEFAULT),
                      fmt::format("creating group '{}'", name)),
            H5Gclose};
}

/// A contiguous 1-D dataset holding `values`.
template <class T>
Handle write_dataset(H5Output& out, hid_t parent, const std::string& name, std::span<const T> values) {
    const std::string doing = fmt::format("writing dataset '{}'", name);
    out.reserve(values.size() * sizeof(T) + reserve_margin, doing);
    const std::array<hsize_t, 1> dims{values.size()};
    const Handle space = dataspace(out, dims);
    const Handle creation = untimed(out, H5P_DATASET_CREATE, doing);
    Handle dataset(out.check(H5Dcreate2(parent, name.c_str(), Types<T>::file(), space.get(), H5P_DEFAULT,
                                        creation.get(), H5P_DEFAULT),
                             doing),
                   H5Dclose);
    out.check(H5Dwrite(dataset.get(), Types<T>::memory(), H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), doing);
    return dataset;
}

/// A chunked dataset that grows along its first dimension: [rows] (`columns` = 0) or [rows, columns].
/// Rows are buffered and appended a block of `block_rows` at a time (the chunks are one block high),
/// so that memory stays bounded however many rows come.
template <class T>
class Appender {
public:
    Appender() = default;
    /// @throws RunError if the dataset cannot be created.
    Appender(const H5Output& out, hid_t parent, const std::string& name, std::size_t columns, std::size_t block_rows)
        : columns_(columns), row_size_(std::max<std::size_t>(columns, 1)), block_rows_(block_rows),
          doing_(fmt::format("writing dataset '{}'", name)) {
        const int rank = columns == 0 ? 1 : 2;
        const std::array<hsize_t, 2> dims{0, columns}, max_dims{H5S_UNLIMITED, columns};
        const std::array<hsize_t, 2> chunk{block_rows, std::min(columns, max_chunk_cells)};
        const Handle space = dataspace(out, std::span(dims).first(rank), max_dims.data());
        const Handle creation = untimed(out, H5P_DATASET_CREATE, doing_);
        out.check(H5Pset_chunk(creation.get(), rank, chunk.data()), doing_);
        dataset_ = Handle(out.check(H5Dcreate2(parent, name.c_str(), Types<T>::file(), space.get(), H5P_DEFAULT,
                                               creation.get(), H5P_DEFAULT),
                                    doing_),
                          H5Dclose);
        buffer_.reserve(block_rows * row_size_);
    }

    [[nodiscard]] hid_t id() const { return dataset_.get(); }
    /// Rows appended so far (written or buffered).
    [[nodiscard]] std::size_t rows() const { return written_ + buffer_.size() / row_size_; }

    /// Appends one row of `columns` values (or one value when columns = 0). @throws RunError.
    void append(H5Output& out, std::span<const T> row) {
        assert(row.size() == row_size_);
        buffer_.insert(buffer_.end(), row.begin(), row.end());
        if (buffer_.size() >= block_rows_ * row_size_) flush(out);
    }

    /// Writes the buffered rows and closes the dataset. @throws RunError.
    void close(H5Output& out) {
        flush(out);
        if (!dataset_.close()) out.fail(doing_);
    }
    void reset() noexcept { dataset_.reset(); }

private:
    void flush(H5Output& out) {
        const hsize_t n = buffer_.size() / row_size_;
        if (n == 0) return;
        const int rank = columns_ == 0 ? 1 : 2;
        // HDF5 allocates whole chunks: block_rows_ high, the last column of chunks padded.
        const std::size_t chunk_columns = std::min(columns_, max_chunk_cells);
        const std::size_t padded = columns_ == 0 ? 1 : (columns_ + chunk_columns - 1) / chunk_columns * chunk_columns;
        out.reserve(block_rows_ * padded * sizeof(T) + reserve_margin, doing_);
        const std::array<hsize_t, 2> extent{written_ + n, columns_}, start{written_, 0}, count{n, columns_};
        out.check(H5Dset_extent(dataset_.get(), extent.data()), doing_);
        const Handle file_space(out.check(H5Dget_space(dataset_.get()), doing_), H5Sclose);
        out.check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
                  doing_);
        const Handle memory_space = dataspace(out, std::span(count).first(rank));
        out.check(H5Dwrite(dataset_.get(), Types<T>::memory(), memory_space.get(), file_space.get(), H5P_DEFAULT,
                           buffer_.data()),
                  doing_);
        written_ += n;
        buffer_.clear();
    }

    Handle dataset_;
    std::size_t columns_ = 0;
    std::size_t row_size_ = 1;  // values per row
    std::size_t block_rows_ = 1;
    std::string doing_;
    std::vector<T> buffer_;
    hsize_t written_ = 0;
};

/// `text` with every character outside [A-Za-z0-9_] replaced by '_'.
std::string sanitized(std::string text) {
    for (char& c : text) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        if (!keep) c = '_';
    }
    return text;
}

/// The SONATA population name of a run of `model` (a plug-in name or a model file's path).
std::string population_name(const std::string& model) {
    std::string name = sanitized(std::filesystem::path(model).stem().string());
    return name.empty() ? "cells" : name;
}

void write_metadata(const H5Output& out, const RunInfo& info) {
    const hid_t root = out.id();
    write_attribute(out, root, "magic", sonata_magic);
    const std::array<hsize_t, 1> two{sonata_version.size()};
    write_attribute(out, root, "version", Types<std::uint32_t>::file(), Types<std::uint32_t>::memory(),
                    sonata_version.data(), two);
    const std::array<std::pair<const char*, const std::string*>, 6> texts{{
        {"soma_version", &info.soma_version}, {"title", &info.title},           {"model", &info.model},
        {"preset", &info.preset},             {"stimulus", &info.stimulus},     {"integrator", &info.integrator}}};
    for (const auto& [name, text] : texts) write_attribute(out, root, name, *text);
    write_attribute(out, root, "dt", info.dt);
    write_attribute(out, root, "t_stop", info.t_stop);
    write_attribute(out, root, "record_interval", static_cast<double>(info.record_every) * info.dt);
    write_attribute(out, root, "n_cells", static_cast<std::uint64_t>(info.n_cells));
    write_attribute(out, root, "seed", static_cast<std::uint64_t>(info.seed));
    for (const auto& p : info.parameters) {
        const std::string name = p.component + "." + p.name;
        write_attribute(out, root, name, p.value);
        write_attribute(out, root, name + ".units", p.unit);
    }
    for (const auto& p : info.cell_parameters) {
        const std::string name = p.component + "." + p.name;
        write_attribute(out, root, name + ".given_as", p.given_as);
        write_attribute(out, root, name + ".units", p.unit);
    }
}

/// `<stem>_spikes.h5`.
struct SpikeFile {
    H5Output out;
    Appender<double> timestamps;
    Appender<std::uint64_t> node_ids;

    void discard() noexcept {
        timestamps.reset();
        node_ids.reset();
        out.discard();
    }
};

/// `<stem>_<variable>.h5`.
struct ReportFile {
    H5Output out;
    std::string mapping;  // path of the group /report/<population>/mapping
    Appender<double> data;

    void discard() noexcept {
        data.reset();
        out.discard();
    }
};

class Hdf5 final : public Recorder {
public:
    Hdf5() : Recorder({}) { init_defaults(); }
    ~Hdf5() override { abort(); }

    /// The samples' bytes, plus per file 16 KiB of metadata and the spike file's first chunks (its
    /// spikes cannot be known in advance).
    [[nodiscard]] double expected_bytes(const RunInfo& info) const override {
        const double per_file = 16 << 10;
        double bytes = per_file + 2.0 * spike_block * sizeof(double);
        const RecordingInfo& recording = info.recording;
        if (recording.samples && !recording.cells.empty() && info.record_every > 0) {
            const auto n_samples = static_cast<double>((info.n_steps + info.record_every - 1) / info.record_every);
            const double data = n_samples * static_cast<double>(recording.cells.size()) * sizeof(double);
            bytes += static_cast<double>(recording.variables.size()) * (per_file + data);
        }
        return bytes;
    }

    void begin(const RunInfo& info) override {
        const QuietErrors quiet;
        abort();  // forget a previous run's files (committed or not)
        const std::string population = population_name(info.model);
        record_every_ = info.record_every;
        dt_ = info.dt;

        spikes_.out = H5Output(info.output_dir / (info.stem + "_spikes.h5"));
        std::set<std::filesystem::path> names{spikes_.out.final_path()};
        {
            H5Output& out = spikes_.out;
            write_metadata(out, info);
            const Handle spikes = create_group(out, out.id(), "spikes");
            const Handle group = create_group(out, spikes.get(), population);
            write_sorting(out, group.get());
            spikes_.timestamps = Appender<double>(out, group.get(), "timestamps", 0, spike_block);
            write_attribute(out, spikes_.timestamps.id(), "units", std::string("ms"));
            spikes_.node_ids = Appender<std::uint64_t>(out, group.get(), "node_ids", 0, spike_block);
            out.reserve(reserve_margin, "writing the metadata");
        }

        const RecordingInfo& recording = info.recording;
        if (!recording.samples || recording.cells.empty()) return;
        const std::size_t n_cells = recording.cells.size();
        const std::size_t n_samples = (info.n_steps + info.record_every - 1) / info.record_every;
        const std::size_t block = std::clamp<std::size_t>(
            std::min(max_block_bytes / (sizeof(double) * n_cells), n_samples), 1, max_block_samples);
        const std::vector<std::uint64_t> node_ids(recording.cells.begin(), recording.cells.end());
        std::vector<std::uint64_t> index_pointers(n_cells + 1);
        for (std::size_t i = 0; i <= n_cells; ++i) index_pointers[i] = i;
        const std::vector<std::uint32_t> element_ids(n_cells, 0);

        for (const Variable& variable : recording.variables) {
            ReportFile& report = reports_.emplace_back();
            report.out = H5Output(info.output_dir / fmt::format("{}_{}.h5", info.stem, sanitized(variable.name)));
            H5Output& out = report.out;
            if (!names.insert(out.final_path()).second) {
                throw RunError(fmt::format(
                    "the hdf5 recorder cannot write the recorded quantity '{}' to '{}': another output has that "
                    "name; record it with another recorder (e.g. csv), or leave it out of the recorded variables",
                    variable.name, out.final_path().string()));
            }
            write_metadata(out, info);
            write_attribute(out, out.id(), "variable", variable.name);
            const Handle top = create_group(out, out.id(), "report");
            const Handle group = create_group(out, top.get(), population);
            report.mapping = fmt::format("/report/{}/mapping", population);
            report.data = Appender<double>(out, group.get(), "data", n_cells, block);
            write_attribute(out, report.data.id(), "units", variable.unit);
            const Handle mapping = create_group(out, group.get(), "mapping");
            const Handle ids = write_dataset<std::uint64_t>(out, mapping.get(), "node_ids", node_ids);
            write_attribute(out, ids.get(), "sorted", std::int8_t{1});
            write_dataset<std::uint64_t>(out, mapping.get(), "index_pointers", index_pointers);
            write_dataset<std::uint32_t>(out, mapping.get(), "element_ids", element_ids);
        }
    }

    void sample(double t, ConstBatchView values) override {
        const QuietErrors quiet;
        assert(values.n_vars() == reports_.size());
        const std::size_t row = reports_.empty() ? 0 : reports_.front().data.rows();
        // SONATA's time axis is start, stop and step: the samples must be every record interval from 0.
        const double expected = sample_time(row);
        if (std::abs(t - expected) > 1e-9 * std::max(1.0, std::abs(expected))) {
            throw RunError(fmt::format("the hdf5 recorder received sample {} at t = {} ms instead of {} ms; "
                                       "it needs one sample every record interval from t = 0",
                                       row, t, expected));
        }
        for (std::size_t k = 0; k < reports_.size(); ++k) reports_[k].data.append(reports_[k].out, values.var(k));
    }

    void spike(std::size_t cell, double t) override {
        const QuietErrors quiet;
        const std::uint64_t id = cell;
        spikes_.timestamps.append(spikes_.out, std::span(&t, 1));
        spikes_.node_ids.append(spikes_.out, std::span(&id, 1));
    }

    void finish(const RunSummary& /*summary*/) override {
        const QuietErrors quiet;
        spikes_.timestamps.close(spikes_.out);
        spikes_.node_ids.close(spikes_.out);
        spikes_.out.close();
        for (ReportFile& report : reports_) {
            H5Output& out = report.out;
            const std::size_t n_samples = report.data.rows();
            report.data.close(out);
            const Handle mapping(out.check(H5Gopen2(out.id(), report.mapping.c_str(), H5P_DEFAULT),
                                           fmt::format("opening group '{}'", report.mapping)),
                                 H5Gclose);
            const std::array<double, 3> time{0.0, sample_time(n_samples), sample_time(1)};
            const Handle dataset = write_dataset<double>(out, mapping.get(), "time", time);
            write_attribute(out, dataset.get(), "units", std::string("ms"));
        }
        for (ReportFile& report : reports_) report.out.close();
    }

    void commit() override {
        spikes_.out.commit();
        for (ReportFile& report : reports_) report.out.commit();
    }

    void abort() noexcept override {
        spikes_.discard();
        for (ReportFile& report : reports_) report.discard();
        reports_.clear();
    }

    [[nodiscard]] std::vector<std::filesystem::path> outputs() const override {
        std::vector<std::filesystem::path> paths;
        if (!spikes_.out.final_path().empty()) paths.push_back(spikes_.out.final_path());
        for (const ReportFile& report : reports_) paths.push_back(report.out.final_path());
        return paths;
    }

private:
    /// The spike group's `sorting` attribute: by_time, of the spec's enum (none, by_id, by_time).
    static void write_sorting(const H5Output& out, hid_t group) {
        const Handle type(out.check(H5Tenum_create(H5T_STD_I8LE), "creating the sorting type"), H5Tclose);
        const std::array<std::pair<const char*, std::int8_t>, 3> members{{{"none", 0}, {"by_id", 1}, {"by_time", 2}}};
        for (const auto& [name, value] : members) {
            out.check(H5Tenum_insert(type.get(), name, &value), "creating the sorting type");
        }
        const std::int8_t by_time = 2;  // one byte: the file type serves as memory type
        write_attribute(out, group, "sorting", type.get(), type.get(), &by_time, {});
    }

    /// Time of sample `i` (ms), computed as the engine does.
    [[nodiscard]] double sample_time(std::size_t i) const { return static_cast<double>(i * record_every_) * dt_; }

    SpikeFile spikes_;
    std::vector<ReportFile> reports_;
    std::size_t record_every_ = 1;
    double dt_ = 0;
};

}  // namespace
/// The library's one export (alias `soma_hdf5_make`), called by the `hdf5` plug-in (hdf5_plugin.cpp).
std::unique_ptr<Component> make_hdf5() { return std::make_unique<Hdf5>(); }

}  // namespace soma::recorders

BOOST_DLL_ALIAS(soma::recorders::make_hdf5, soma_hdf5_make)
