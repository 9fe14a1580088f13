// SPDX-License-Identifier: LGPL-3.0-or-later
// libFuzzer target: the results of an rpcbind DUMP reply, as a client in
// another network namespace than the server's gets them from whatever
// answers at the server's address port 111 (client_plugin/handshake.cc), and
// the universal addresses in them. Decoding must refuse or return bounded
// mappings, never crash or read outside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "localio/rpcbind_client.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace localio::rpc;
  std::vector<RpcbMapping> mappings;
  if (!DecodeRpcbindDump(std::span<const uint8_t>(data, size), &mappings)) return 0;
  for (const RpcbMapping& m : mappings) {
    if (m.netid.size() > 255 || m.addr.size() > 255 || m.owner.size() > 255) abort();
    uint16_t port = 0;
    if (PortOfUniversalAddress(m.addr, &port) &&
        !PortOfUniversalAddress(UniversalAddress("0.0.0.0", port), &port))
      abort();
  }
  return 0;
}
