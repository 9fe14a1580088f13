// SPDX-License-Identifier: LGPL-3.0-or-later
#include "bench_run.h"

#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/process.h"
#include "localio/hello_area.h"
#include "localio/trusted_dir.h"

namespace localio::bench {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

void Finish(ModeResult* r) {
  r->ran = r->error.empty() && r->ops > 0 && r->seconds > 0;
  if (r->error.empty() && r->ops == 0) r->error = "no operation completed";
  if (!r->ran) return;
  r->ops_per_s = static_cast<double>(r->ops) / r->seconds;
  r->mib_per_s = static_cast<double>(r->bytes) / kMiB / r->seconds;
}

// The uid the shim trusts to own the hello file (its $LOCALIO_SERVER_UID).
uint32_t ServerUid() {
  uint32_t uid = LOCALIO_DEFAULT_SERVER_UID;
  if (const char* v = std::getenv("LOCALIO_SERVER_UID"); v != nullptr) ParseId(v, &uid);
  return uid;
}

// Bypassed operations and fallbacks of this process, from the hello slots
// the shim's contexts hold (the shim keeps its counters there, where
// localio-stat reads them too).
std::string CountFromHello(const std::string& map_path, ModeResult* r) {
  std::vector<HelloSlotView> slots;
  const Status st = ReadHelloSlots(map_path + ".hello", ServerUid(), &slots);
  if (!st.ok()) return "hello area: " + st.message;
  for (const HelloSlotView& s : slots) {
    if (s.client_pid != static_cast<uint32_t>(getpid())) continue;
    r->bypassed += s.read_ops + s.write_ops;
    for (uint64_t n : s.fallbacks) r->fallbacks += n;
  }
  return "";
}

// Runs c's threads in this process. `from_hello`: count the bypass from the
// hello slots (the shim) instead of the C API.
ModeResult RunInProcess(const Target& target, const Case& c, Mode mode, double seconds,
                        bool from_hello) {
  ModeResult r;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < c.threads; ++i)
    workers.push_back(std::make_unique<Worker>(target, c, mode, i, /*under_shim=*/from_hello));
  std::vector<Tally> tallies(workers.size());
  std::vector<std::string> open_errors(workers.size());
  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, stop{false};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] {
      open_errors[i] = workers[i]->Open();
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
      if (open_errors[i].empty() && !stop.load()) workers[i]->Run(stop, &tallies[i]);
    });
  }
  while (ready.load() < c.threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  bool opened = true;
  for (const std::string& e : open_errors)
    if (!e.empty()) {
      r.error = e;
      opened = false;
      break;
    }
  if (!opened) stop.store(true);
  go.store(true);
  if (opened) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (std::thread& t : threads) t.join();
  for (const Tally& t : tallies) {
    r.ops += t.ops;
    r.bytes += t.bytes;
    r.seconds = std::max(r.seconds, t.seconds);
    if (r.error.empty() && !t.error.empty()) r.error = t.error;
  }
  if (from_hello) {
    if (std::string e = CountFromHello(target.map_path, &r); !e.empty() && r.error.empty())
      r.error = e;
  } else if (mode == Mode::kLocalio) {
    std::string why_not;
    for (const auto& w : workers) {
      uint64_t bypassed = 0, fallbacks = 0;
      if (w->Counters(&bypassed, &fallbacks, &why_not)) {
        r.bypassed += bypassed;
        r.fallbacks += fallbacks;
      }
      if (!why_not.empty()) r.note = "bypass off: " + why_not;
    }
  }
  workers.clear();  // unmount on this thread, after the workers joined
  Finish(&r);
  return r;
}

bool Field(const std::string& line, const std::string& name, std::string* value) {
  std::istringstream in(line);
  for (std::string word; in >> word;)
    if (word.starts_with(name + "=")) {
      *value = word.substr(name.size() + 1);
      return true;
    }
  return false;
}

ModeResult RunAsyncLocalioChild(const Target& target, const Case& c,
                                const RunSettings& settings) {
  ModeResult r;
  std::vector<std::string> argv = {"env", "LD_PRELOAD=" + settings.preload_library,
                                   "LOCALIO_MAP=" + target.map_path, "LOCALIO_LOG=1"};
  if (!target.path_map.empty()) argv.push_back("LOCALIO_PATH_MAP=" + target.path_map);
  argv.insert(argv.end(), {settings.self_exe, "--child-case", CaseName(c), "--duration",
                           std::to_string(settings.seconds), "--file", target.file,
                           "--size-bytes", std::to_string(target.file_size), "--map",
                           target.map_path});
  if (!target.url_v3.empty()) argv.insert(argv.end(), {"--url", target.url_v3});
  if (!target.url_v4.empty()) argv.insert(argv.end(), {"--url", target.url_v4});
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(settings.seconds * 1000) +
                                                 120000);
  harness::CommandResult out;
  if (Status st = harness::RunCommand(argv, timeout, &out); !st.ok()) {
    r.error = "cannot start the async child: " + st.message;
    return r;
  }
  std::string line;
  for (std::istringstream in(out.out); std::getline(in, line);)
    if (line.starts_with("result ")) break;
  if (!out.Succeeded() || !line.starts_with("result ")) {
    r.error = "async child under the shim failed: " + out.Describe();
    return r;
  }
  std::string v;
  if (Field(line, "ops", &v)) r.ops = std::stoull(v);
  if (Field(line, "bytes", &v)) r.bytes = std::stoull(v);
  if (Field(line, "seconds", &v)) r.seconds = std::stod(v);
  if (Field(line, "bypassed", &v)) r.bypassed = std::stoull(v);
  if (Field(line, "fallbacks", &v)) r.fallbacks = std::stoull(v);
  const size_t e = line.find(" error=");
  if (e != std::string::npos) r.error = line.substr(e + 7);
  r.note = "libnfs async under LD_PRELOAD shim";
  Finish(&r);
  return r;
}

}  // namespace

ModeResult RunMode(const Target& target, const Case& c, Mode mode, const RunSettings& settings) {
  if (mode == Mode::kLocal && target.local_path.empty()) {
    ModeResult r;
    r.error = "no --export-dir: the backing file is unknown";
    return r;
  }
  if (mode == Mode::kLocalio && c.async()) return RunAsyncLocalioChild(target, c, settings);
  ModeResult r = RunInProcess(target, c, mode, settings.seconds, /*from_hello=*/false);
  if (mode == Mode::kLocal && c.async()) r.note = "sync pread/pwrite (no queue)";
  return r;
}

int RunChild(const Target& target, const Case& c, double seconds) {
  const ModeResult r = RunInProcess(target, c, Mode::kRpc, seconds, /*from_hello=*/true);
  std::printf("result ops=%" PRIu64 " bytes=%" PRIu64 " seconds=%.6f bypassed=%" PRIu64
              " fallbacks=%" PRIu64 "%s%s\n",
              r.ops, r.bytes, r.seconds, r.bypassed, r.fallbacks, r.error.empty() ? "" : " error=",
              r.error.c_str());
  return 0;
}

}  // namespace localio::bench
