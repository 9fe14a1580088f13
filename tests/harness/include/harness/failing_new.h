/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Out of memory on demand, for tests of what a call does when an allocation
// fails. Linking localio_failing_new (an object library) replaces the global
// operator new and delete of the test program; while FailAllocations(true)
// holds for a thread, every operator new in that thread throws
// std::bad_alloc. Other threads (a server's own) allocate as usual.
#pragma once

namespace localio::harness {

void FailAllocations(bool on);

}  // namespace localio::harness
