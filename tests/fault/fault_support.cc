// SPDX-License-Identifier: LGPL-3.0-or-later
#include "fault_support.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>

#include "fault_records.h"
#include "harness/files.h"

namespace localio::fault {

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

Status FaultClient::Start(const std::string& mode, const std::string& url,
                          const std::string& map, const std::string& stopfile,
                          const std::vector<std::string>& args, const std::string& out_path,
                          std::unique_ptr<FaultClient>* out) {
  std::unique_ptr<FaultClient> c(new FaultClient());
  std::vector<std::string> argv = {LOCALIO_FAULT_CLIENT, mode, url, map, stopfile};
  argv.insert(argv.end(), args.begin(), args.end());
  c->out_path_ = out_path;
  if (Status s = c->process_.Spawn(argv, out_path); !s.ok()) return s;
  *out = std::move(c);
  return Status::Ok();
}

std::string FaultClient::Output() const { return harness::ReadFile(out_path_); }

std::optional<uint64_t> FaultClient::WaitFor(const std::string& prefix, uint64_t after_ms,
                                             std::chrono::milliseconds timeout) const {
  const uint64_t deadline = NowMs() + static_cast<uint64_t>(timeout.count());
  do {
    std::istringstream lines(Output());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix + " ", 0) != 0) continue;
      const size_t sp = line.find_last_of(' ');
      const uint64_t ms = std::strtoull(line.c_str() + sp + 1, nullptr, 10);
      if (ms >= after_ms) return ms;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (NowMs() < deadline);
  return std::nullopt;
}

int64_t FaultClient::Count(const std::string& name) const {
  std::istringstream lines(Output());
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("count " + name + " ", 0) == 0)
      return std::strtoll(line.c_str() + 7 + name.size(), nullptr, 10);
  return -1;
}

std::string FaultClient::BadLines() const {
  std::istringstream lines(Output());
  std::string bad;
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("bad ", 0) == 0) bad += line + "\n";
  return bad;
}

Status StartWriter(const harness::GaneshaServer& server, const std::string& stopfile,
                   const Writer& w, std::unique_ptr<FaultClient>* out) {
  const std::string file = "f" + std::to_string(w.id);
  if (Status s = CreateBlockFile(server.ExportDir(1) + "/" + file, w.id, w.blocks); !s.ok())
    return s;
  return FaultClient::Start(
      "rw", server.Url(1, w.version, ""), server.map_path(), stopfile,
      {"file=/" + file, "id=" + std::to_string(w.id), "blocks=" + std::to_string(w.blocks),
       "fsync=" + std::to_string(w.fsync), "seconds=" + std::to_string(w.seconds)},
      server.dir() + "/client-" + std::to_string(w.id) + ".out", out);
}

::testing::AssertionResult AllReady(const std::vector<std::unique_ptr<FaultClient>>& clients) {
  for (const auto& c : clients)
    if (!c->WaitFor("ready", 0, std::chrono::seconds(20)))
      return ::testing::AssertionFailure() << "never bypassed:\n" << c->Output();
  return ::testing::AssertionSuccess();
}

std::string CheckAcknowledgedBlocks(const std::string& path, uint32_t client_id,
                                    const std::string& client_output) {
  const std::string data = harness::ReadFile(path);
  std::istringstream lines(client_output);
  std::string problems;
  int blocks = 0;
  for (std::string line; std::getline(lines, line);) {
    uint32_t b;
    uint64_t lo, hi;
    if (std::sscanf(line.c_str(), "block %u %" SCNu64 " %" SCNu64, &b, &lo, &hi) != 3) continue;
    ++blocks;
    const uint64_t off = uint64_t{b} * kBlockSize;
    uint32_t c = 0, got_b = 0;
    uint64_t r = 0;
    if (data.size() < off + kBlockSize) {
      problems += "block " + std::to_string(b) + ": file is only " + std::to_string(data.size()) +
                  " bytes\n";
    } else if (!ParseBlock(data.data() + off, &c, &got_b, &r) || c != client_id || got_b != b) {
      problems += "block " + std::to_string(b) + " holds " +
                  DescribeBlock(data.data() + off, kBlockSize) + "\n";
    } else if (r < lo || r > hi) {
      problems += "block " + std::to_string(b) + " holds round " + std::to_string(r) +
                  ", acknowledged " + std::to_string(lo) + ", last written " +
                  std::to_string(hi) + "\n";
    }
  }
  if (blocks == 0) problems += "the client reported no blocks\n";
  return problems;
}

Status CreateBlockFile(const std::string& path, uint32_t client_id, uint32_t blocks) {
  std::string data(uint64_t{blocks} * kBlockSize, '\0');
  for (uint32_t b = 0; b < blocks; ++b) FillBlock(client_id, b, 0, &data[b * kBlockSize]);
  if (!harness::WriteFile(path, data)) {
    const int err = errno;
    return Status::Error(-err, "cannot write " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

void TouchFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

}  // namespace localio::fault
