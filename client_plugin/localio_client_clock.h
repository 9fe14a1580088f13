/* SPDX-License-Identifier: LGPL-3.0-or-later */
// localio_attach on a clock of the caller's: what the C API's tests use to
// drive the client's backoff, map checks and heartbeat checks without
// waiting (localio/clock.h). Not part of the C API: liblocalio_client.so
// does not export it; tests link the C API's objects
// (localio_client_objects) themselves.
#ifndef LOCALIO_CLIENT_CLOCK_H
#define LOCALIO_CLIENT_CLOCK_H

#include "localio/clock.h"
#include "localio/localio_client.h"

namespace localio::client {

// As localio_attach, with `clock` (which must outlive the context) instead
// of SystemClock().
int AttachOnClock(struct nfs_context* nfs, const struct localio_config* cfg, const Clock& clock,
                  struct localio_context** out) noexcept;

}  // namespace localio::client

#endif  // LOCALIO_CLIENT_CLOCK_H
