// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-listener-bench: how long an honest LOCALIO handshake takes, alone
// and while processes of another uid flood the listener with UUID_IS_LOCAL
// (issue 22, point 7). The server side is the FSAL's (a MapWriter confirming
// nonces and the LocalioService), in this process; the flooders are
// localio_hostile_peer under setpriv (so run as root). Prints figures and
// asserts nothing; see docs/PERFORMANCE.md.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "handshake.h"
#include "harness/hostile_peer.h"
#include "harness/temp_dir.h"
#include "localio/localio_service.h"
#include "localio/map_writer.h"

namespace localio::bench {
namespace {

using Steady = std::chrono::steady_clock;

constexpr char kUsage[] =
    "usage: localio-listener-bench [options]   (as root)\n"
    "  --handshakes N     honest handshakes per phase, one after another (default 200)\n"
    "  --flooders N       flooding processes of uid 1001 (default 3)\n"
    "  --connections N    connections per flooder (default 120)\n"
    "  --depth N          calls in flight per flooding connection (default 16)\n"
    "  --timeout MS       the handshake's per-RPC timeout (default: the client's, 200)\n";

struct Options {
  int handshakes = 200;
  int flooders = 3;
  int connections = 120;
  int depth = 16;
  int timeout_ms = LOCALIO_DEFAULT_PROBE_TIMEOUT_MS;
};

bool Parse(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return false;
    const int v = std::atoi(argv[++i]);
    if (v <= 0) return false;
    if (a == "--handshakes") o->handshakes = v;
    else if (a == "--flooders") o->flooders = v;
    else if (a == "--connections") o->connections = v;
    else if (a == "--depth") o->depth = v;
    else if (a == "--timeout") o->timeout_ms = v;
    else return false;
  }
  return true;
}

struct Phase {
  std::vector<double> ms;  // successful handshakes
  std::vector<std::string> failures;
};

Phase Handshakes(const client::HandshakeRequest& request, int count) {
  Phase phase;
  for (int i = 0; i < count; ++i) {
    client::Session session;
    const auto start = Steady::now();
    const Status st = client::Handshake(request, &session);
    const double ms = std::chrono::duration<double, std::milli>(Steady::now() - start).count();
    if (st.ok()) phase.ms.push_back(ms);
    else phase.failures.push_back(st.message);
  }
  return phase;
}

void Print(const char* name, Phase phase) {
  std::sort(phase.ms.begin(), phase.ms.end());
  const auto at = [&](double q) {
    return phase.ms.empty() ? 0.0 : phase.ms[std::min(phase.ms.size() - 1,
                                                      static_cast<size_t>(q * phase.ms.size()))];
  };
  std::printf("%-8s %5zu ok %4zu failed   ms: min %7.3f  median %7.3f  p90 %7.3f  p99 %7.3f"
              "  max %7.3f\n",
              name, phase.ms.size(), phase.failures.size(), at(0), at(0.5), at(0.9), at(0.99),
              phase.ms.empty() ? 0.0 : phase.ms.back());
  if (!phase.failures.empty())
    std::printf("         first failure: %s\n", phase.failures[0].c_str());
}

int Run(const Options& o) {
  harness::TempDir dir;
  if (Status s = dir.Create("localio-listener-bench", "/dev/shm"); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message.c_str());
    return 1;
  }
  MapConfig config;
  config.path = dir.path() + "/map";
  config.max_entries = 1024;
  std::unique_ptr<MapWriter> writer;
  if (Status s = MapWriter::Create(config, &writer); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message.c_str());
    return 1;
  }
  MapWriter* map = writer.get();
  map->Heartbeat();
  rpc::LocalioService service({}, [map](const Nonce& nonce) { map->ConfirmNonce(nonce); });
  if (Status s = service.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message.c_str());
    return 1;
  }
  map->SetPort(service.port());
  std::atomic<bool> beating{true};
  std::thread heartbeat([&] {
    while (beating) {
      map->Heartbeat();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });

  client::HandshakeRequest request;
  request.map_path = config.path;
  request.server_address = "127.0.0.1";
  request.server_uid = geteuid();
  request.timeout = std::chrono::milliseconds(o.timeout_ms);

  std::printf("honest handshakes (per-RPC timeout %d ms) against the LOCALIO listener\n",
              o.timeout_ms);
  Print("alone", Handshakes(request, o.handshakes));

  std::vector<std::unique_ptr<harness::HostilePeer>> flooders;
  for (int i = 0; i < o.flooders; ++i) {
    flooders.push_back(std::make_unique<harness::HostilePeer>());
    if (Status s = flooders.back()->Flood(service.port(), o.connections, 600, o.depth); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.message.c_str());
      return 1;
    }
  }
  // Flooding once the listener has answered many of their calls.
  const uint64_t before = service.counters().uuid_is_local_calls;
  const auto deadline = Steady::now() + std::chrono::seconds(20);
  while (service.counters().uuid_is_local_calls < before + 20000 && Steady::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const rpc::LocalioServiceCounters c0 = service.counters();
  const auto flood_start = Steady::now();
  const Phase flooded = Handshakes(request, o.handshakes);
  const double seconds = std::chrono::duration<double>(Steady::now() - flood_start).count();
  const rpc::LocalioServiceCounters c1 = service.counters();
  unsigned long long flood_calls = 0;
  for (auto& f : flooders) {
    const long long n = harness::HostilePeer::Field(f->Stop(), "calls");
    if (n > 0) flood_calls += static_cast<unsigned long long>(n);
  }
  char name[32];
  std::snprintf(name, sizeof name, "flooded");
  Print(name, flooded);
  std::printf("flood: %d processes of uid %u x %d connections x %d in flight; during the flooded "
              "phase (%.2f s) the listener answered %.0f calls/s, accepted %.0f and evicted %.0f "
              "connections/s; the flooders counted %llu replies in all\n",
              o.flooders, static_cast<unsigned>(harness::HostilePeer::kUid), o.connections, o.depth,
              seconds, (c1.calls - c0.calls) / seconds, (c1.connections - c0.connections) / seconds,
              (c1.connections_evicted - c0.connections_evicted) / seconds, flood_calls);
  beating = false;
  heartbeat.join();
  return 0;
}

}  // namespace
}  // namespace localio::bench

int main(int argc, char** argv) {
  localio::bench::Options options;
  if (!localio::bench::Parse(argc, argv, &options)) {
    std::fputs(localio::bench::kUsage, stderr);
    return 2;
  }
  if (geteuid() != 0) {
    std::fputs("localio-listener-bench: run as root (the flooders run as uid 1001 under setpriv)\n",
               stderr);
    return 2;
  }
  return localio::bench::Run(options);
}
