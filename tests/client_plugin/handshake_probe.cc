// SPDX-License-Identifier: LGPL-3.0-or-later
// localio_handshake_probe MAP SERVER_ADDRESS SERVER_UID [RPCBIND_PORT]: one
// client handshake (client_plugin/handshake.h) against the map's server at
// SERVER_ADDRESS, as a test runs it where the test itself cannot be (in a
// network namespace of its own, as another uid). Prints "local port=P" and
// exits 0, or prints "not local (CODE): SENTENCE" and exits 1.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "handshake.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr,
                 "usage: localio_handshake_probe MAP SERVER_ADDRESS SERVER_UID [RPCBIND_PORT]\n");
    return 2;
  }
  localio::client::HandshakeRequest request;
  request.map_path = argv[1];
  request.server_address = argv[2];
  request.server_uid = static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10));
  if (argc > 4) request.rpcbind_port = static_cast<uint16_t>(std::atoi(argv[4]));
  request.timeout = std::chrono::milliseconds(2000);
  localio::client::Session session;
  const localio::Status st = localio::client::Handshake(request, &session);
  if (!st.ok()) {
    std::printf("not local (%d): %s\n", st.code, st.message.c_str());
    return 1;
  }
  std::printf("local port=%u\n", session.port);
  return 0;
}
