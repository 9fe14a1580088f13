// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/mapping_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>

namespace localio {

namespace {

// One guarded range. `begin` is published last (release) and cleared first,
// so the handler, which reads it first (acquire), sees a complete range.
struct GuardedRange {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<int> prot{0};
};

GuardedRange g_ranges[kMaxGuardedMappings];
std::atomic<uint64_t> g_faults{0};
struct sigaction g_previous;
uintptr_t g_page_size = 4096;
std::once_flag g_install_once;
bool g_installed = false;
std::mutex g_register_mu;  // registrations; the handler only reads

// A SIGBUS that is not ours gets what the handler we replaced would have
// given it, as if ours were not there:
//   - the default action: SIG_DFL, and the signal raised again; it is
//     blocked while this handler runs and kills the process as it returns
//     (a fault and a kill(2) alike; returning alone would let a sent
//     SIGBUS go unnoticed);
//   - ignored: a sent one is dropped, a fault dies (the kernel never lets
//     a fault be ignored);
//   - a handler: called, after resetting to SIG_DFL first if it asked for
//     SA_RESETHAND (Ganesha's crash handler resets and raises again: with
//     ours still installed that raise would come back here forever).
void PassOn(int sig, siginfo_t* info, void* context) {
  const bool sent = info != nullptr && info->si_code <= 0;  // SI_USER, SI_TKILL, SI_QUEUE
  const bool has_handler = (g_previous.sa_flags & SA_SIGINFO)
                               ? g_previous.sa_sigaction != nullptr
                               : g_previous.sa_handler != SIG_DFL &&
                                     g_previous.sa_handler != SIG_IGN;
  if (!has_handler) {
    if (!(g_previous.sa_flags & SA_SIGINFO) && g_previous.sa_handler == SIG_IGN && sent) return;
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  if (g_previous.sa_flags & SA_RESETHAND) signal(sig, SIG_DFL);
  if (g_previous.sa_flags & SA_SIGINFO) {
    g_previous.sa_sigaction(sig, info, context);
  } else {
    g_previous.sa_handler(sig);
  }
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (GuardedRange& r : g_ranges) {
    const uintptr_t begin = r.begin.load(std::memory_order_acquire);
    if (begin == 0 || addr < begin || addr >= r.end.load(std::memory_order_relaxed)) continue;
    const int saved_errno = errno;
    void* page = reinterpret_cast<void*>(addr & ~(g_page_size - 1));
    void* got = mmap(page, g_page_size, r.prot.load(std::memory_order_relaxed),
                     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved_errno;
    if (got == page) {
      g_faults.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    break;
  }
  PassOn(sig, info, context);
}

void Install() {
  const long page = sysconf(_SC_PAGESIZE);
  if (page > 0) g_page_size = static_cast<uintptr_t>(page);
  struct sigaction action = {};
  action.sa_sigaction = OnSigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  g_installed = sigaction(SIGBUS, &action, &g_previous) == 0;
}

}  // namespace

bool GuardMapping(void* base, size_t size, int prot) {
  if (base == nullptr || size == 0) return false;
  std::call_once(g_install_once, Install);
  if (!g_installed) return false;
  const auto begin = reinterpret_cast<uintptr_t>(base);
  std::lock_guard<std::mutex> lock(g_register_mu);
  for (GuardedRange& r : g_ranges) {
    if (r.begin.load(std::memory_order_relaxed) != 0) continue;
    r.end.store(begin + size, std::memory_order_relaxed);
    r.prot.store(prot, std::memory_order_relaxed);
    uintptr_t expected = 0;
    if (r.begin.compare_exchange_strong(expected, begin, std::memory_order_release)) return true;
  }
  return false;
}

void UnguardMapping(void* base) {
  const auto begin = reinterpret_cast<uintptr_t>(base);
  if (begin == 0) return;
  std::lock_guard<std::mutex> lock(g_register_mu);
  for (GuardedRange& r : g_ranges) {
    uintptr_t expected = begin;
    if (r.begin.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
  }
}

uint64_t GuardedFaults() { return g_faults.load(std::memory_order_relaxed); }

}  // namespace localio
