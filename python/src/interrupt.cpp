/// @file interrupt.cpp
/// TerminationGuard (interrupt.hpp): SIGTERM noted while simulating.

#include "interrupt.hpp"

#include <csignal>
#include <mutex>

namespace soma::python {

namespace {

std::atomic<bool> terminate_requested{false};  // lock-free: set from the signal handler
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void note_sigterm(int) { terminate_requested.store(true, std::memory_order_relaxed); }

std::mutex guard_mutex;
std::size_t active_runs = 0;   // runs between TerminationGuard's constructor and destructor
bool installed = false;        // whether note_sigterm is SIGTERM's handler (installed by the first run)
struct sigaction previous {};  // SIGTERM's action before

}  // namespace

TerminationGuard::TerminationGuard() {
    const std::scoped_lock lock(guard_mutex);
    if (active_runs++ > 0) return;
    struct sigaction current {};
    if (::sigaction(SIGTERM, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) return;
    struct sigaction ours {};
    ours.sa_handler = note_sigterm;
    sigemptyset(&ours.sa_mask);
    installed = ::sigaction(SIGTERM, &ours, &previous) == 0;
}

TerminationGuard::~TerminationGuard() {
    const std::scoped_lock lock(guard_mutex);
    if (--active_runs > 0 || !installed) return;
    ::sigaction(SIGTERM, &previous, nullptr);
    installed = false;
}

bool TerminationGuard::requested() { return terminate_requested.load(std::memory_order_relaxed); }

}  // namespace soma::python
