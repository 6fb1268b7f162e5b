#pragma once
/// @file interrupt.hpp
/// What the functions of soma._soma share: the plug-in registry, and running a computation without the
/// GIL so that Ctrl-C stops it (its KeyboardInterrupt raised instead of the framework's RunError).

#include "soma/error.hpp"
#include "soma/experiments/sweep.hpp"
#include "soma/registry.hpp"

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

namespace soma::python {

/// The plug-ins, found once per process on first use (SOMA_PLUGIN_PATH, then Soma's own directory).
/// Never destroyed before the interpreter exits, so that an exception or an object a plug-in made
/// never outlives its library.
const PluginRegistry& registry();

/// SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 or SIGUSR2 while simulating, when Python leaves the signal to its
/// default action (it kills the process): from the first run's start to the last one's end, a handler
/// of ours only notes the signal, so that the run stops, its temporary files are removed and its locks
/// released as on Ctrl-C; then the process terminates by that signal all the same (`Terminated`). A
/// handler the program installed itself (signal.signal) is left alone: Python runs it, as it runs the
/// SIGINT handler.
class TerminationGuard {
public:
    TerminationGuard();   ///< the first run installs the handler for those signals that have their default action
    ~TerminationGuard();  ///< the last run gives them their previous actions back
    TerminationGuard(const TerminationGuard&) = delete;
    TerminationGuard& operator=(const TerminationGuard&) = delete;
    /// The signal that arrived while a run held the handlers, or 0.
    [[nodiscard]] static int requested();
};

/// Thrown by a run that a terminating signal stopped; the module's exception translator, called once the
/// run's objects are destroyed, terminates the process by that signal (its default action).
struct Terminated {
    int signal = 0;
};

/// Runs Python's signal handlers now and then from the thread that simulates (which must not hold the
/// GIL): the first one that raises (Ctrl-C: KeyboardInterrupt) sets `flag`, which stops the run, and
/// its exception stays pending until `rethrow_if_interrupted` raises it. A terminating signal
/// (TerminationGuard) sets `flag` too.
class SignalPoll {
public:
    /// Called from the run's progress callback, without the GIL: takes the GIL at most every 50 ms.
    void poll() {
        if (flag_.load(std::memory_order_relaxed)) return;
        if (TerminationGuard::requested() != 0) {
            flag_.store(true);
            return;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < interval) return;
        last_ = now;
        const pybind11::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) flag_.store(true);
    }
    [[nodiscard]] const std::atomic<bool>& flag() const { return flag_; }
    /// With the GIL: raises the pending Python exception of an interrupt (Terminated after a terminating signal).
    void rethrow_if_interrupted() const {
        if (const int signal = TerminationGuard::requested(); signal != 0) throw Terminated{signal};  // even after the last poll
        if (flag_.load()) throw pybind11::error_already_set();
    }

private:
    static constexpr std::chrono::milliseconds interval{50};
    std::atomic<bool> flag_{false};
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

/// Calls `body(poll)` without the GIL; an interrupt raises the pending KeyboardInterrupt (or whatever
/// the signal handler raised) instead of the framework's RunError.
template <class Body>
auto without_gil(Body&& body) {
    const TerminationGuard guard;
    SignalPoll poll;
    std::optional<decltype(body(poll))> result;
    try {
        const pybind11::gil_scoped_release release;
        result.emplace(std::forward<Body>(body)(poll));
    } catch (const Error&) {
        poll.rethrow_if_interrupted();
        throw;
    }
    poll.rethrow_if_interrupted();
    return std::move(*result);
}

/// The control of libsoma_experiments' computations (and libsoma_fitting's) that `poll` interrupts.
inline experiments::RunControl control(SignalPoll& poll) {
    return {&poll.flag(), [&poll](std::size_t, std::size_t) { poll.poll(); }, {}, {}};
}


}  // namespace soma::python
