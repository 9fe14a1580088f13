// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-fault-client: one libnfs context with a LOCALIO context attached,
// running an I/O loop that verifies every byte it reads, while a fault test
// breaks things around it. A separate process, so a fault that would crash
// a client (SIGBUS from a truncated map) shows as this process dying.
//
//   localio-fault-client MODE URL MAP STOPFILE [key=value...]
//   MODE rw        write+verify blocks of FILE (client id ID), fsync every
//                  FSYNC writes; at the end prints the round each block must
//                  hold ("block B MIN MAX") for the test to check on disk.
//   MODE identity  open random files DIR/s0..s<NAMES-1> whose 64-byte
//                  records encode their own inode, check every record read
//                  through the bypass names the inode the server gives for
//                  the handle, and rewrite one record in place.
// Runs until STOPFILE exists or SECONDS pass. Prints on stdout (line
// buffered): "event local 0|1 MS", "event fallback_server_changed MS" with
// "event fallback_call_began MS" before it (the bypass decides at the start
// of that call; the RPC it falls back to may then wait for a dead server),
// "event handshakes_failed N MS" (the Nth failed handshake attempt), "ready MS" (first bypassed I/O), "ioerror ...", "bad ..." (a verification
// failure), and at the end "counters ..." and "count NAME N" lines.
// Exit: 0 clean, 3 a verification failed, 2 usage/setup error.
// MS are CLOCK_MONOTONIC milliseconds, comparable with the test's clock.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>  // before libnfs.h (libnfs 4.0)
#include <time.h>
#include <unistd.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "fault_records.h"
#include "libnfs_fh.h"
#include "localio/localio_client.h"
#include "localio/map_reader.h"
#include "localio/vfs_opaque.h"
#include "localio/wire_handle.h"

namespace {

using localio::fault::kBlockSize;
using localio::fault::kRecordSize;

uint64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

struct Args {
  std::string mode, url, map, stopfile;
  std::map<std::string, std::string> kv;
  long Get(const std::string& k, long def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::strtol(it->second.c_str(), nullptr, 10);
  }
  std::string Str(const std::string& k, const std::string& def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
};

class Runner {
 public:
  Runner(const Args& a, nfs_context* nfs, localio_context* ctx)
      : a_(a), nfs_(nfs), ctx_(ctx), deadline_(NowMs() + 1000 * a.Get("seconds", 60)) {}

  bool Stop() const { return NowMs() > deadline_ || access(a_.stopfile.c_str(), F_OK) == 0; }

  // Reports changes of the session and the first fallbacks after a loss.
  void Watch() {
    const int local = localio_is_local(ctx_);
    if (local != last_local_) {
      std::printf("event local %d %" PRIu64 "\n", local, NowMs());
      last_local_ = local;
    }
    localio_counters c{};
    localio_get_counters(ctx_, &c);
    const uint64_t changed = c.fallbacks[LOCALIO_FALLBACK_SERVER_CHANGED];
    if (changed > seen_changed_) {
      if (!in_fallback_)
        std::printf("event fallback_call_began %" PRIu64 "\nevent fallback_server_changed %" PRIu64
                    "\n", began_, NowMs());
      in_fallback_ = true;
    }
    if (c.read_ops + c.write_ops > bypassed_) {
      if (!ready_) std::printf("ready %" PRIu64 "\n", NowMs());
      if (in_fallback_) std::printf("event bypass_again %" PRIu64 "\n", NowMs());
      ready_ = true;
      in_fallback_ = false;
    }
    const uint64_t failed = c.handshakes - c.handshakes_ok;
    if (failed > seen_failed_)
      std::printf("event handshakes_failed %" PRIu64 " %" PRIu64 "\n", failed, NowMs());
    seen_failed_ = failed;
    seen_changed_ = changed;
    bypassed_ = c.read_ops + c.write_ops;
    began_ = NowMs();  // the next call begins now, unless Begin() says later
  }
  void Begin() { began_ = NowMs(); }

  void Bad(const std::string& what) {
    ++bad_;
    if (bad_ <= 20) std::printf("bad %s\n", what.c_str());
  }
  void IoError(const std::string& what, int rc) {
    ++ioerrors_;
    if (ioerrors_ <= 20)
      std::printf("ioerror %s %d (%s) %" PRIu64 "\n", what.c_str(), rc, std::strerror(-rc), NowMs());
  }

  int RunReadWrite();
  int RunIdentity();
  // The inode number in the handle's kernel handle when it is ext4's kind
  // (FILEID_INO32_GEN: inode, generation); nothing otherwise.
  // (The map's handle format is read once, at the first call.)
  std::optional<uint64_t> InodeOfHandle(nfsfh* fh);
  void PrintCounters();
  int bad() const { return bad_; }

 private:
  const Args& a_;
  nfs_context* nfs_;
  localio_context* ctx_;
  uint64_t deadline_;
  int last_local_ = -1;
  uint64_t seen_changed_ = 0, seen_failed_ = 0, bypassed_ = 0, began_ = 0;
  bool in_fallback_ = false, ready_ = false;
  int bad_ = 0, ioerrors_ = 0;
  std::optional<localio_fh_format> fh_format_;
};

int Runner::RunReadWrite() {
  const std::string file = a_.Str("file", "/f");
  const auto id = static_cast<uint32_t>(a_.Get("id", 0));
  const auto blocks = static_cast<uint32_t>(a_.Get("blocks", 32));
  const long fsync_every = a_.Get("fsync", 8);
  const long pause_us = a_.Get("pause_us", 1000);
  nfsfh* fh = nullptr;
  if (int rc = localio_open(ctx_, file.c_str(), O_RDWR, &fh); rc != 0) {
    std::printf("setup open %s: %s\n", file.c_str(), nfs_get_error(nfs_));
    return 2;
  }
  // Per block: the round whose write an fsync (or close) acknowledged, and
  // the last round attempted; the file must end with a round in between.
  std::vector<uint64_t> acked(blocks, 0), last_ok(blocks, 0), attempted(blocks, 0);
  std::vector<char> buf(kBlockSize), got(kBlockSize);
  long since_fsync = 0;
  uint64_t round = 0;
  for (; !Stop(); ++round) {
    const uint32_t b = static_cast<uint32_t>(round % blocks);
    const uint64_t r = round / blocks + 1;
    localio::fault::FillBlock(id, b, r, buf.data());
    attempted[b] = r;
    const uint64_t off = uint64_t{b} * kBlockSize;
    const int w = localio_pwrite(ctx_, fh, off, kBlockSize, buf.data());
    Watch();
    if (w != static_cast<int>(kBlockSize)) {
      IoError("write block " + std::to_string(b), w < 0 ? w : -EIO);
      continue;
    }
    last_ok[b] = r;
    const int n = localio_pread(ctx_, fh, off, kBlockSize, got.data());
    Watch();
    if (n < 0) {
      IoError("read block " + std::to_string(b), n);
    } else if (n != static_cast<int>(kBlockSize) || std::memcmp(buf.data(), got.data(), kBlockSize) != 0) {
      Bad("block " + std::to_string(b) + " round " + std::to_string(r) + " read back " +
          localio::fault::DescribeBlock(got.data(), static_cast<size_t>(std::max(n, 0))));
    }
    if (++since_fsync >= fsync_every) {
      const int f = localio_fsync(ctx_, fh);
      Watch();
      if (f == 0) {
        acked = last_ok;
        since_fsync = 0;
      } else {
        IoError("fsync", f);
      }
    }
    if (pause_us > 0) usleep(static_cast<useconds_t>(pause_us));
    Begin();
  }
  const int c = localio_close(ctx_, fh);
  if (c == 0) acked = last_ok; else IoError("close", c);
  for (uint32_t b = 0; b < blocks; ++b)
    if (attempted[b] != 0)
      std::printf("block %u %" PRIu64 " %" PRIu64 "\n", b, acked[b], attempted[b]);
  std::printf("count rounds %" PRIu64 "\n", round);
  return bad_ ? 3 : 0;
}

std::optional<uint64_t> Runner::InodeOfHandle(nfsfh* fh) {
  if (!fh_format_) {
    std::unique_ptr<localio::MapReader> map;
    if (!localio::MapReader::Open(a_.map, LOCALIO_DEFAULT_SERVER_UID, &map).ok()) return std::nullopt;
    fh_format_ = map->fh_format();
  }
  const nfs_fh* wire = nfs_get_fh(fh);
  if (wire == nullptr || wire->len <= 0) return std::nullopt;
  const std::optional<localio::WireHandle> handle = localio::ParseWireHandle(
      {reinterpret_cast<const uint8_t*>(wire->val), static_cast<size_t>(wire->len)},
      *fh_format_);
  if (!handle) return std::nullopt;
  const std::optional<localio::KernelHandle> kh = localio::ParseVfsOpaque(handle->opaque);
  constexpr int32_t kFileidIno32Gen = 1;
  if (!kh || kh->type != kFileidIno32Gen || kh->size < 8) return std::nullopt;
  uint32_t ino;
  std::memcpy(&ino, kh->bytes.data(), sizeof ino);
  return ino;
}

int Runner::RunIdentity() {
  const std::string dir = a_.Str("dir", "/storm");
  const long names = a_.Get("names", 8);
  std::mt19937 rng(static_cast<uint32_t>(getpid()));
  std::vector<char> buf(4096);
  uint64_t opens = 0, checked = 0, records = 0, attr_mismatches = 0, handle_inodes = 0;
  while (!Stop()) {
    const std::string path = dir + "/s" + std::to_string(rng() % names);
    nfsfh* fh = nullptr;
    if (localio_open(ctx_, path.c_str(), O_RDWR, &fh) != 0) continue;  // renamed away
    ++opens;
    nfs_stat_64 st{};
    if (localio_fstat64(ctx_, fh, &st) != 0) {
      localio_close(ctx_, fh);
      continue;
    }
    // The inode the handle names, which READ and WRITE reach by RPC and the
    // bypass must reach too. Ganesha's own GETATTR may disagree under local
    // renames: FSAL_VFS's lookup stats the name and then takes its handle,
    // and a rename in between gives a handle of one inode with the fileid
    // of another (seen here). Counted, not a bypass error.
    const std::optional<uint64_t> handle_ino = InodeOfHandle(fh);
    const uint64_t ino = handle_ino.value_or(st.nfs_ino);
    handle_inodes += handle_ino.has_value();
    if (ino != st.nfs_ino) ++attr_mismatches;
    bool stop_file = false;
    for (int pass = 0; pass < 4 && !stop_file; ++pass) {
      for (uint64_t off = 0;; off += buf.size()) {
        const int n = localio_pread(ctx_, fh, off, buf.size(), buf.data());
        Watch();
        if (n <= 0) {  // end, or the server dropped the unlinked file (ESTALE)
          if (n < 0) stop_file = true;
          break;
        }
        ++checked;
        for (int i = 0; i + kRecordSize <= n; i += kRecordSize) {
          ++records;
          if (!localio::fault::RecordIs(buf.data() + i, ino, off + static_cast<uint64_t>(i)))
            Bad(path + " (inode " + std::to_string(ino) + ") at " +
                std::to_string(off + static_cast<uint64_t>(i)) + ": " +
                localio::fault::DescribeRecord(buf.data() + i));
        }
      }
    }
    // Rewrite one record with the same bytes: harmless on the right inode,
    // a record naming another inode on a wrong one (found by the test).
    const uint64_t off = (rng() % (localio::fault::kStormFileSize / kRecordSize)) * kRecordSize;
    char rec[kRecordSize];
    localio::fault::FillRecord(ino, off, rec);
    localio_pwrite(ctx_, fh, off, kRecordSize, rec);
    localio_close(ctx_, fh);
    Watch();
  }
  std::printf("count opens %" PRIu64 "\ncount reads %" PRIu64 "\ncount records %" PRIu64
              "\ncount ganesha_attr_mismatches %" PRIu64 "\ncount handle_inodes %" PRIu64 "\n",
              opens, checked, records, attr_mismatches, handle_inodes);
  return bad_ ? 3 : 0;
}

void Runner::PrintCounters() {
  localio_counters c{};
  localio_get_counters(ctx_, &c);
  std::printf("count read_ops %" PRIu64 "\ncount write_ops %" PRIu64 "\n", c.read_ops,
              c.write_ops);
  std::printf("count handshakes_ok %" PRIu64 "\n", c.handshakes_ok);
  for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
    std::printf("count fallback_%s %" PRIu64 "\n", localio_fallback_reason_name(r),
                c.fallbacks[r]);
  std::printf("count bad %d\n", bad_);
}

}  // namespace

int main(int argc, char** argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc < 5) {
    std::fprintf(stderr, "usage: localio-fault-client rw|identity URL MAP STOPFILE [k=v...]\n");
    return 2;
  }
  Args a{argv[1], argv[2], argv[3], argv[4], {}};
  for (int i = 5; i < argc; ++i) {
    const char* eq = std::strchr(argv[i], '=');
    if (eq == nullptr) return 2;
    a.kv[std::string(argv[i], static_cast<size_t>(eq - argv[i]))] = eq + 1;
  }
  nfs_context* nfs = nfs_init_context();
  if (nfs == nullptr) return 2;
  nfs_set_timeout(nfs, static_cast<int>(a.Get("timeout_ms", 20000)));
  // libnfs 4.0 names every context alike; NFSv4 needs one client per process.
  const std::string name = "localio-fault-" + std::to_string(getpid());
  nfs4_set_client_name(nfs, name.c_str());
  nfs_url* url = nfs_parse_url_dir(nfs, a.url.c_str());
  if (url == nullptr || nfs_mount(nfs, url->server, url->path) != 0) {
    std::printf("setup mount %s: %s\n", a.url.c_str(), nfs_get_error(nfs));
    return 2;
  }
  localio_config cfg;
  localio_config_init(&cfg);
  cfg.map_path = a.map.c_str();
  localio_context* ctx = nullptr;
  if (localio_attach(nfs, &cfg, &ctx) != 0) return 2;
  if (!localio_is_local(ctx)) {
    std::printf("setup not local: %s\n", localio_get_error(ctx));
    return 2;
  }
  int rc;
  {
    Runner runner(a, nfs, ctx);
    runner.Watch();
    rc = a.mode == "rw" ? runner.RunReadWrite() : a.mode == "identity" ? runner.RunIdentity() : 2;
    runner.PrintCounters();
  }
  localio_detach(ctx);
  nfs_destroy_url(url);
  nfs_destroy_context(nfs);
  return rc;
}
