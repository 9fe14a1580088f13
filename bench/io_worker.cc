// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/libnfs_limits.h"
#include "io_worker.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "localio/localio_client.h"

namespace localio::bench {

namespace {

using Steady = std::chrono::steady_clock;

double SecondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

// A watchdog for the async loop: a server that stops answering ends the
// case with an error instead of hanging the bench.
constexpr auto kStallLimit = std::chrono::seconds(30);

struct AsyncOp;
struct AsyncChunk {
  AsyncOp* op = nullptr;
  uint64_t at = 0, len = 0;  // within the operation's block
};
struct AsyncState {
  uint64_t in_flight = 0, ops = 0, bytes = 0;
  int error = 0;
  Steady::time_point last_completion;
};
struct AsyncOp {
  AsyncState* state = nullptr;
  uint8_t* buf = nullptr;
  uint64_t block = 0;
  bool read = false;
  std::vector<AsyncChunk> chunks;
  uint32_t pending = 0;
  int error = 0;
};

void ChunkDone(int err, nfs_context* /*nfs*/, void* data, void* private_data) {
  auto* chunk = static_cast<AsyncChunk*>(private_data);
  AsyncOp* op = chunk->op;
  if (err < 0) {
    op->error = err;
  } else if (static_cast<uint64_t>(err) != chunk->len) {
    op->error = -EIO;  // short transfer inside the file: not a figure to count
  } else if (op->read && data != nullptr) {
    // A read's data belongs to libnfs until we return: copy it out, as an
    // application would.
    std::memcpy(op->buf + chunk->at, data, chunk->len);
  }
  if (--op->pending > 0) return;
  AsyncState* s = op->state;
  --s->in_flight;
  s->last_completion = Steady::now();
  if (op->error != 0) {
    if (s->error == 0) s->error = op->error;
    return;
  }
  ++s->ops;
  s->bytes += op->block;
}

}  // namespace

uint64_t RpcChunkLimit(int version, bool write) {
  if (version != 4) return 0;
  return write ? (harness::kLibnfsSmallV4Writes ? harness::kMaxV4RpcWrite : 0)
               : harness::kMaxV4RpcRead;
}

Worker::Worker(const Target& target, const Case& c, Mode mode, int index, bool under_shim)
    : target_(target), case_(c), mode_(mode), under_shim_(under_shim) {
  const uint64_t file_blocks = std::max<uint64_t>(1, target.file_size / c.block);
  slice_blocks_ = std::max<uint64_t>(1, file_blocks / static_cast<uint64_t>(c.threads));
  slice_begin_ = (static_cast<uint64_t>(index) * slice_blocks_) % file_blocks;
  rng_ = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(index + 1);
  const uint64_t buffers = c.async() ? static_cast<uint64_t>(c.queue_depth) : 1;
  buffer_.assign(buffers * c.block, static_cast<uint8_t>('a' + index));
}

Worker::~Worker() {
  if (fh_ != nullptr) {
    if (localio_ != nullptr) localio_close(localio_, fh_);
    else nfs_close(nfs_, fh_);
  }
  if (localio_ != nullptr) localio_detach(localio_);
  if (mounted_) nfs_umount(nfs_);
  if (url_ != nullptr) nfs_destroy_url(url_);
  if (nfs_ != nullptr) nfs_destroy_context(nfs_);
}

std::string Worker::Open() {
  if (mode_ == Mode::kLocal) {
    fd_.reset(open(target_.local_path.c_str(), O_RDWR));
    if (!fd_.valid()) return "open " + target_.local_path + ": " + std::strerror(errno);
    return "";
  }
  const std::string& url = case_.version == 3 ? target_.url_v3 : target_.url_v4;
  if (url.empty()) return "no NFSv" + std::to_string(case_.version) + " URL given";
  nfs_ = nfs_init_context();
  if (nfs_ == nullptr) return "nfs_init_context failed";
  nfs_set_timeout(nfs_, 30000);
  if (case_.version == 4) {
    // libnfs 4.0 names every context of a process alike: the server then
    // sees one client whose concurrent OPENs of one file invalidate each
    // other's stateids (NFS4ERR_OLD_STATEID). One name per context.
    static std::atomic<uint64_t> contexts{0};
    const std::string name = "localio-bench-" + std::to_string(getpid()) + "-" +
                             std::to_string(contexts.fetch_add(1));
    nfs4_set_client_name(nfs_, name.c_str());
  }
  url_ = nfs_parse_url_dir(nfs_, url.c_str());
  if (url_ == nullptr) return "bad URL " + url + ": " + nfs_get_error(nfs_);
  if (nfs_mount(nfs_, url_->server, url_->path) != 0)
    return "mount " + url + ": " + nfs_get_error(nfs_);
  mounted_ = true;
  const std::string path = "/" + target_.file;
  if (mode_ == Mode::kRpc) {
    if (nfs_open(nfs_, path.c_str(), O_RDWR, &fh_) != 0)
      return "open " + path + ": " + nfs_get_error(nfs_);
    return "";
  }
  localio_config cfg;
  localio_config_init(&cfg);
  cfg.map_path = target_.map_path.c_str();
  cfg.path_map = target_.path_map.empty() ? nullptr : target_.path_map.c_str();
  if (localio_attach(nfs_, &cfg, &localio_) != 0) return "localio_attach: out of memory";
  if (localio_open(localio_, path.c_str(), O_RDWR, &fh_) != 0)
    return "localio_open " + path + ": " + localio_get_error(localio_);
  return "";
}

bool Worker::Counters(uint64_t* bypassed, uint64_t* fallbacks, std::string* why_not) const {
  if (localio_ == nullptr) return false;
  localio_counters c{};
  localio_get_counters(localio_, &c);
  *bypassed = c.read_ops + c.write_ops;
  *fallbacks = 0;
  for (uint64_t n : c.fallbacks) *fallbacks += n;
  *why_not = localio_is_local(localio_) ? "" : localio_get_error(localio_);
  return true;
}

uint64_t Worker::NextOffset() {
  if (case_.random) {
    // xorshift64*: cheap next to even a local pread, and no shared state.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    const uint64_t blocks = std::max<uint64_t>(1, target_.file_size / case_.block);
    return ((rng_ * 0x2545f4914f6cdd1dULL) % blocks) * case_.block;
  }
  return (slice_begin_ + (next_block_++ % slice_blocks_)) * case_.block;
}

int Worker::SyncOp(uint64_t offset) {
  uint8_t* buf = buffer_.data();
  const uint64_t block = case_.block;
  uint64_t chunk = block;
  if (mode_ == Mode::kRpc) {
    const uint64_t limit = RpcChunkLimit(case_.version, case_.write);
    if (limit != 0) chunk = std::min(chunk, limit);
  }
  for (uint64_t done = 0; done < block;) {
    const uint64_t len = std::min(chunk, block - done);
    int64_t n = -EIO;
    switch (mode_) {
      case Mode::kLocal:
        n = case_.write ? pwrite(fd_.get(), buf + done, len, static_cast<off_t>(offset + done))
                        : pread(fd_.get(), buf + done, len, static_cast<off_t>(offset + done));
        if (n < 0) {
          n = -errno;
          last_error_ = std::strerror(errno);
        }
        break;
      case Mode::kRpc:
        n = case_.write ? nfs_pwrite(nfs_, fh_, offset + done, len, buf + done)
                        : nfs_pread(nfs_, fh_, offset + done, len, buf + done);
        if (n < 0) last_error_ = nfs_get_error(nfs_);
        break;
      case Mode::kLocalio:
        n = case_.write ? localio_pwrite(localio_, fh_, offset + done, len, buf + done)
                        : localio_pread(localio_, fh_, offset + done, len, buf + done);
        if (n < 0) last_error_ = localio_get_error(localio_);
        break;
    }
    if (n <= 0) {
      if (n == 0) last_error_ = "unexpected end of file";
      return n < 0 ? static_cast<int>(n) : -EIO;
    }
    done += static_cast<uint64_t>(n);
  }
  return 0;
}

void Worker::Run(const std::atomic<bool>& stop, Tally* out) {
  if (case_.async() && mode_ != Mode::kLocal) {
    RunAsync(stop, out);
  } else {
    RunSync(stop, out);  // local mode has no async API: its queue is the kernel's
  }
}

void Worker::RunSync(const std::atomic<bool>& stop, Tally* out) {
  const Steady::time_point start = Steady::now();
  uint64_t ops = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const uint64_t offset = NextOffset();
    if (const int rc = SyncOp(offset); rc != 0) {
      out->error = std::string(ModeName(mode_)) + " " + (case_.write ? "write" : "read") +
                   " at " + std::to_string(offset) + ": " + last_error_;
      break;
    }
    ++ops;
  }
  out->seconds = SecondsSince(start);
  out->ops = ops;
  out->bytes = ops * case_.block;
}

void Worker::RunAsync(const std::atomic<bool>& stop, Tally* out) {
  AsyncState state;
  // Only RPC is bound by libnfs 4.0's NFSv4 limits; under the shim a write
  // that fell back to RPC would fail, and say so.
  const uint64_t limit = under_shim_ ? 0 : RpcChunkLimit(case_.version, case_.write);
  const uint64_t chunk = limit == 0 ? case_.block : std::min(case_.block, limit);
  std::vector<AsyncOp> ops(static_cast<size_t>(case_.queue_depth));
  for (size_t i = 0; i < ops.size(); ++i) {
    AsyncOp& op = ops[i];
    op.state = &state;
    op.block = case_.block;
    op.read = !case_.write;
    op.buf = buffer_.data() + i * case_.block;
    for (uint64_t at = 0; at < case_.block; at += chunk)
      op.chunks.push_back({&op, at, std::min(chunk, case_.block - at)});
  }
  const Steady::time_point start = Steady::now();
  state.last_completion = start;
  bool abandoned = false;
  for (;;) {
    if (!stop.load(std::memory_order_relaxed) && state.error == 0) {
      for (AsyncOp& op : ops) {
        if (op.pending != 0) continue;
        const uint64_t offset = NextOffset();
        op.error = 0;
        op.pending = static_cast<uint32_t>(op.chunks.size());
        ++state.in_flight;
        for (AsyncChunk& c : op.chunks) {
          const int rc =
              case_.write ? nfs_pwrite_async(nfs_, fh_, offset + c.at, c.len, op.buf + c.at,
                                             ChunkDone, &c)
                          : nfs_pread_async(nfs_, fh_, offset + c.at, c.len, ChunkDone, &c);
          if (rc != 0) ChunkDone(-EIO, nfs_, nullptr, &c);  // never queued: settle it here
        }
      }
    }
    if (state.in_flight == 0) break;
    pollfd pfd{nfs_get_fd(nfs_), static_cast<short>(nfs_which_events(nfs_)), 0};
    const int rc = poll(&pfd, 1, 100);
    if (rc < 0 && errno != EINTR) {
      state.error = -errno;
      abandoned = true;
      break;
    }
    if (nfs_service(nfs_, rc > 0 ? pfd.revents : 0) < 0) {
      if (state.error == 0) state.error = -EIO;
      last_error_ = nfs_get_error(nfs_);
      abandoned = true;
      break;
    }
    if (Steady::now() - state.last_completion > kStallLimit) {
      last_error_ = "no completion for 30 s";
      state.error = -ETIMEDOUT;
      abandoned = true;
      break;
    }
  }
  out->seconds = std::chrono::duration<double>(state.last_completion - start).count();
  out->ops = state.ops;
  out->bytes = state.bytes;
  if (state.error != 0) {
    if (last_error_.empty()) last_error_ = nfs_get_error(nfs_);
    out->error = std::string("async ") + (case_.write ? "write" : "read") + ": " +
                 std::strerror(-state.error) + " (" + last_error_ + ")";
  }
  if (abandoned) {
    // Requests may still hold pointers into `ops`: never let libnfs call
    // back into freed memory; the context is leaked on this error path.
    fh_ = nullptr;
    mounted_ = false;
    url_ = nullptr;
    nfs_ = nullptr;
  }
}

}  // namespace localio::bench
