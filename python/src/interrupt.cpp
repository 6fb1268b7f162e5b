/// @file interrupt.cpp
/// TerminationGuard (interrupt.hpp): a terminating signal noted while simulating.

#include "interrupt.hpp"

#include <array>
#include <csignal>
#include <mutex>

namespace soma::python {

namespace {

/// The signals whose default action terminates the process and that the command handles too.
constexpr std::array<int, 5> terminating{SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

std::atomic<int> terminate_signal{0};  // lock-free: set from the signal handler
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void note_signal(int signal) { terminate_signal.store(signal, std::memory_order_relaxed); }

std::mutex guard_mutex;
std::size_t active_runs = 0;                         // runs between TerminationGuard's constructor and destructor
std::array<bool, terminating.size()> installed{};    // whether note_signal is that signal's handler (ours)
std::array<struct sigaction, terminating.size()> previous{};  // the signals' actions before

}  // namespace

TerminationGuard::TerminationGuard() {
    const std::scoped_lock lock(guard_mutex);
    if (active_runs++ > 0) return;
    for (std::size_t k = 0; k < terminating.size(); ++k) {
        struct sigaction current {};
        if (::sigaction(terminating[k], nullptr, &current) != 0 || current.sa_handler != SIG_DFL) continue;
        struct sigaction ours {};
        ours.sa_handler = note_signal;
        sigemptyset(&ours.sa_mask);
        installed[k] = ::sigaction(terminating[k], &ours, &previous[k]) == 0;
    }
}

TerminationGuard::~TerminationGuard() {
    const std::scoped_lock lock(guard_mutex);
    if (--active_runs > 0) return;
    for (std::size_t k = 0; k < terminating.size(); ++k) {
        if (installed[k]) ::sigaction(terminating[k], &previous[k], nullptr);
        installed[k] = false;
    }
}

int TerminationGuard::requested() { return terminate_signal.load(std::memory_order_relaxed); }

}  // namespace soma::python
