/* SPDX-License-Identifier: LGPL-3.0-or-later */
// libnfs URLs for the test server (checked against libnfs 4.0's URL parser):
//   v3: nfs://127.0.0.1/<export path>/<file>?nfsport=P&mountport=M
//   v4: nfs://127.0.0.1/<pseudo>/<file>?version=4&nfsport=P
// Explicit ports mean libnfs never asks rpcbind, so parallel servers
// (which overwrite each other's rpcbind entries) do not confuse clients.
#pragma once

#include <cstdint>
#include <string>

namespace localio::harness {

struct ExportAddress {
  std::string path;    // server path of the export (v3 mount path)
  std::string pseudo;  // NFSv4 pseudo path
  uint16_t nfs_port = 0;
  uint16_t mnt_port = 0;
};

// URL of `file` (relative, may be empty for the export root) in the export,
// for NFS version 3 or 4.
std::string NfsUrl(const ExportAddress& address, int version, const std::string& file);

}  // namespace localio::harness
