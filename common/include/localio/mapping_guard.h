/* SPDX-License-Identifier: LGPL-3.0-or-later */
// SIGBUS-safe shared mappings. A process that maps a file another process
// may truncate (a client mapping the map or the hello area, which any client
// can write) would die of SIGBUS on its next touch of a page past the new
// end of file. A guarded mapping survives: the fault handler puts a private
// zero-filled page in place of the lost one and the access resumes, so the
// reader sees zeros (an invalid header, empty slots: "not local") instead.
//
// The handler is installed once per process, on the first GuardMapping, and
// gives every other SIGBUS what the disposition it replaced would have: the
// default action kills the process (a fault or a sent signal), an ignored
// sent signal is dropped, a handler is called (reset first when it asked
// for SA_RESETHAND, as Ganesha's crash handler does). A program that
// installs its own SIGBUS handler afterwards without chaining turns the
// guard off.
#ifndef LOCALIO_MAPPING_GUARD_H
#define LOCALIO_MAPPING_GUARD_H

#include <cstddef>
#include <cstdint>

namespace localio {

// At most this many mappings are guarded at once (a client holds two per
// session); past it GuardMapping fails and the mapping stays unguarded.
inline constexpr int kMaxGuardedMappings = 64;

// Guards [base, base + size) (page-aligned base, as mmap returns), whose
// pages have protection `prot` (PROT_READ, PROT_READ | PROT_WRITE).
// False when the table is full or the handler could not be installed.
bool GuardMapping(void* base, size_t size, int prot);

// Forgets the mapping at `base`; call before munmap. No-op if unknown.
void UnguardMapping(void* base);

// Pages replaced by the handler in this process so far (tests, logs).
uint64_t GuardedFaults();

}  // namespace localio

#endif  // LOCALIO_MAPPING_GUARD_H
