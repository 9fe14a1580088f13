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
//
// The guarded ranges have no fixed limit: they live in chunks of
// kGuardChunkRanges, the first static, the others allocated (mmap) when
// every range of the chunks before is in use and never freed, so the
// handler walks them without a lock; a range freed by UnguardMapping is
// used again. Registrations take a mutex; the handler only reads.
#ifndef LOCALIO_MAPPING_GUARD_H
#define LOCALIO_MAPPING_GUARD_H

#include <cstddef>
#include <cstdint>

#include "localio/status.h"

namespace localio {

// Guarded ranges per chunk of the registry (one page each).
inline constexpr size_t kGuardChunkRanges = 127;

// Guards [base, base + size) (page-aligned base, as mmap returns), whose
// pages have protection `prot` (PROT_READ, PROT_READ | PROT_WRITE).
// An error (-ENOMEM: no memory for another chunk; or the handler could not
// be installed) leaves the mapping unguarded: the caller must not use it.
Status GuardMapping(void* base, size_t size, int prot);

// Forgets the mapping at `base`; call before munmap. No-op if unknown.
void UnguardMapping(void* base);

// Pages replaced by the handler in this process so far (tests, logs).
uint64_t GuardedFaults();

}  // namespace localio

#endif  // LOCALIO_MAPPING_GUARD_H
