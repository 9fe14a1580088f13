// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/failing_new.h"

#include <cstdlib>
#include <new>

// GCC cannot see that the replaced new and delete pair up.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
thread_local bool g_fail_allocations = false;
}  // namespace

namespace localio::harness {
void FailAllocations(bool on) { g_fail_allocations = on; }
}  // namespace localio::harness

void* operator new(std::size_t n) {
  if (g_fail_allocations) throw std::bad_alloc();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
