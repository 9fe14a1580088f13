// SPDX-License-Identifier: LGPL-3.0-or-later
#include "localio/mapping_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <string>

namespace localio {

namespace {

// One guarded range, under a seqlock of its own: registrations (serialised
// by g_register_mu) make `seq` odd, store the fields (release) and make it
// even again; the handler copies them (acquire) between two reads of an
// even, unchanged `seq`, so it never sees half of one range and half of
// another. begin == 0: free.
struct GuardedRange {
  std::atomic<uint64_t> seq{0};
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<int> prot{0};
};

// A page of ranges. Chunks are linked once (release) and never unlinked or
// freed, so the handler follows `next` (acquire) without a lock.
struct GuardChunk {
  std::atomic<GuardChunk*> next{nullptr};
  GuardedRange ranges[kGuardChunkRanges];
};
static_assert(sizeof(GuardChunk) <= 4096, "a chunk is one page");

GuardChunk g_first;
std::atomic<uint64_t> g_faults{0};
struct sigaction g_previous;
uintptr_t g_page_size = 4096;
std::once_flag g_install_once;
int g_install_error = 0;  // -errno when sigaction failed
std::mutex g_register_mu;  // registrations; the handler only reads

// Caller holds g_register_mu.
void WriteRange(GuardedRange* r, uintptr_t begin, uintptr_t end, int prot) {
  const uint64_t seq = r->seq.load(std::memory_order_relaxed);
  r->seq.store(seq + 1, std::memory_order_relaxed);
  r->begin.store(begin, std::memory_order_release);
  r->end.store(end, std::memory_order_release);
  r->prot.store(prot, std::memory_order_release);
  r->seq.store(seq + 2, std::memory_order_release);
}

// A consistent copy of *r. A registration never stops between its two
// stores of seq (and never runs on the faulting thread: the handler
// interrupts an access to a mapping), so a retry soon succeeds; a range
// still changing after many (a child forked in the middle of one) reads as
// free.
void ReadRange(const GuardedRange& r, uintptr_t* begin, uintptr_t* end, int* prot) {
  for (int tries = 0; tries < (1 << 20); ++tries) {
    const uint64_t seq = r.seq.load(std::memory_order_acquire);
    *begin = r.begin.load(std::memory_order_acquire);
    *end = r.end.load(std::memory_order_acquire);
    *prot = r.prot.load(std::memory_order_acquire);
    if ((seq & 1) == 0 && r.seq.load(std::memory_order_relaxed) == seq) return;
  }
  *begin = 0;
}

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

// The guarded range holding `addr`: true and its protection in *prot.
bool FindGuarded(uintptr_t addr, int* prot) {
  for (const GuardChunk* c = &g_first; c != nullptr; c = c->next.load(std::memory_order_acquire)) {
    for (const GuardedRange& r : c->ranges) {
      uintptr_t begin, end;
      ReadRange(r, &begin, &end, prot);
      if (begin != 0 && addr >= begin && addr < end) return true;
    }
  }
  return false;
}

void OnSigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  int prot = 0;
  if (FindGuarded(addr, &prot)) {
    const int saved_errno = errno;
    void* page = reinterpret_cast<void*>(addr & ~(g_page_size - 1));
    void* got = mmap(page, g_page_size, prot, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved_errno;
    if (got == page) {
      g_faults.fetch_add(1, std::memory_order_relaxed);
      return;
    }
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
  if (sigaction(SIGBUS, &action, &g_previous) != 0) g_install_error = -errno;
}

// A free range, or one in a new chunk linked at the end (nullptr when no
// memory could be had). Caller holds g_register_mu.
GuardedRange* FreeRange() {
  GuardChunk* last = &g_first;
  for (GuardChunk* c = &g_first; c != nullptr; c = c->next.load(std::memory_order_relaxed)) {
    for (GuardedRange& r : c->ranges)
      if (r.begin.load(std::memory_order_relaxed) == 0) return &r;
    last = c;
  }
  // From mmap, not the heap: a page of its own, never freed.
  void* page = mmap(nullptr, sizeof(GuardChunk), PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return nullptr;
  auto* chunk = new (page) GuardChunk();
  last->next.store(chunk, std::memory_order_release);
  return &chunk->ranges[0];
}

}  // namespace

Status GuardMapping(void* base, size_t size, int prot) {
  if (base == nullptr || size == 0) return Status::Error(-EINVAL, "nothing to guard");
  std::call_once(g_install_once, Install);
  if (g_install_error != 0)
    return Status::Error(g_install_error, std::string("cannot install the SIGBUS handler: ") +
                                              std::strerror(-g_install_error));
  const auto begin = reinterpret_cast<uintptr_t>(base);
  std::lock_guard<std::mutex> lock(g_register_mu);
  GuardedRange* r = FreeRange();
  if (r == nullptr)
    return Status::Error(-ENOMEM, "no memory to guard another mapping against truncation");
  WriteRange(r, begin, begin + size, prot);
  return Status::Ok();
}

void UnguardMapping(void* base) {
  const auto begin = reinterpret_cast<uintptr_t>(base);
  if (begin == 0) return;
  std::lock_guard<std::mutex> lock(g_register_mu);
  for (GuardChunk* c = &g_first; c != nullptr; c = c->next.load(std::memory_order_relaxed)) {
    for (GuardedRange& r : c->ranges) {
      if (r.begin.load(std::memory_order_relaxed) != begin) continue;
      WriteRange(&r, 0, 0, 0);
      return;
    }
  }
}

uint64_t GuardedFaults() { return g_faults.load(std::memory_order_relaxed); }

}  // namespace localio
