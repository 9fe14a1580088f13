/* SPDX-License-Identifier: LGPL-3.0-or-later */
// ONC RPC calls over TCP (record marking, AUTH_NONE), written by hand so the
// harness needs no RPC library (libtirpc and libnfs clash on _null_auth).
// NULL proves that a program/version is served on a port, which is how
// readiness of rpcbind and ganesha.nfsd is judged; MOUNT EXPORT shows which
// exports Ganesha actually loaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "localio/status.h"

namespace localio::harness {

inline constexpr uint32_t kPortmapProgram = 100000;
inline constexpr uint32_t kNfsProgram = 100003;
inline constexpr uint32_t kMountProgram = 100005;

// Calls (program, version, procedure) with XDR-encoded args and AUTH_NONE;
// on an accepted, successful reply stores the result body (may be null).
Status RpcCall(const std::string& host, uint16_t port, uint32_t program, uint32_t version,
               uint32_t procedure, const std::vector<uint8_t>& args,
               std::chrono::milliseconds timeout, std::vector<uint8_t>* result);

// Calls procedure 0 of (program, version) at host:port and waits for an
// accepted, successful reply. Error names the step that failed.
Status RpcNullPing(const std::string& host, uint16_t port, uint32_t program, uint32_t version,
                   std::chrono::milliseconds timeout);

// MOUNT v3 EXPORT (procedure 5): the paths the server exports right now.
Status MountExportList(const std::string& host, uint16_t mnt_port,
                       std::chrono::milliseconds timeout, std::vector<std::string>* paths);

}  // namespace localio::harness
