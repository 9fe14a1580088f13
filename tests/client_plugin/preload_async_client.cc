// SPDX-License-Identifier: LGPL-3.0-or-later
// An async libnfs client that knows nothing of LOCALIO (it links only
// libnfs), run by preload_async_test with and without liblocalio_preload.so.
// It creates a file and drives it with nfs_pwrite_async / nfs_pread_async
// from a poll + nfs_which_events + nfs_service loop, `inflight` requests at
// a time, every next request issued from inside the previous one's
// callback; reads are checked against an in-memory model. Then a few
// appends with nfs_write_async / nfs_write, fsync, a sequential pass
// over the whole file with nfs_read_async / nfs_read, and close.
//
// It fails (exit 1, one line on stderr) on any wrong byte, error status,
// a callback run inside an nfs_*_async call or inside another callback, or
// a loop that stops making progress. On success it writes the model to
// `model_path` and prints "ok moved=<bytes read and written>".
//
// usage: preload_async_client <nfs url of a new file> <model_path>
//                             <slots> <ops> <seed> <inflight>
#include <sys/time.h>

#include <nfsc/libnfs.h>

#include <fcntl.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "harness/libnfs_limits.h"

namespace {

// Requests never overlap: each in-flight request owns one slot of the
// file, so the outcome does not depend on completion order.
constexpr uint64_t kSlot = 64 * 1024;
// libnfs 4.0 cannot send an NFSv4 WRITE above ~3.9 KiB (libnfs_limits.h).
constexpr uint64_t kMaxWrite = localio::harness::kMaxV4RpcWrite < kSlot
                                   ? localio::harness::kMaxV4RpcWrite : kSlot;
constexpr uint64_t kMaxRead = kSlot;

struct Request;

struct Run {
  nfs_context* nfs = nullptr;
  nfsfh* fh = nullptr;
  std::vector<uint8_t> model;
  std::vector<bool> slot_busy;
  std::mt19937_64 rng;
  int ops_left = 0;
  int inflight = 0;
  int target = 1;  // requests to keep in flight
  uint64_t fill_next = 0;  // phase 1: next offset to write
  uint64_t moved = 0;
  int callback_depth = 0;
  bool in_async_call = false;
  std::string error;  // the first failure
};

struct Request {
  explicit Request(Run* r) : run(r) {}
  Run* run;
  int slot = -1;
  bool write = false;
  uint64_t offset = 0;
  uint64_t len = 0;
};

void Fail(Run* run, const std::string& what) {
  if (run->error.empty()) run->error = what;
}

// Marks the span of an nfs_*_async call: a callback seen inside it would
// mean the call completed inline.
template <class Call>
int Issue(Run* run, Call&& call) {
  run->in_async_call = true;
  const int rc = call();
  run->in_async_call = false;
  return rc;
}

// Entered by every callback: checks it runs neither inline nor nested.
class CallbackScope {
 public:
  explicit CallbackScope(Run* run) : run_(run) {
    if (run_->in_async_call) Fail(run_, "a callback ran inside the nfs_*_async call");
    if (++run_->callback_depth > 1) Fail(run_, "a callback ran inside another callback");
  }
  ~CallbackScope() { --run_->callback_depth; }

 private:
  Run* run_;
};

void IssueNext(Run* run);
bool IssueOne(Run* run);

void FillDone(int status, nfs_context* nfs, void* data, void* private_data) {
  auto* req = static_cast<Request*>(private_data);
  Run* run = req->run;
  {
    CallbackScope scope(run);
    --run->inflight;
    if (status != static_cast<int>(req->len))
      Fail(run, "fill pwrite at " + std::to_string(req->offset) + " returned " +
                    std::to_string(status) + ": " +
                    (status < 0 && data != nullptr ? static_cast<const char*>(data)
                                                   : nfs_get_error(nfs)));
    run->moved += req->len;
    delete req;
    IssueNext(run);
  }
}

void RandomDone(int status, nfs_context* nfs, void* data, void* private_data) {
  auto* req = static_cast<Request*>(private_data);
  Run* run = req->run;
  {
    CallbackScope scope(run);
    --run->inflight;
    run->slot_busy[static_cast<size_t>(req->slot)] = false;
    const char* op = req->write ? "pwrite" : "pread";
    if (status != static_cast<int>(req->len)) {
      Fail(run, std::string(op) + " of " + std::to_string(req->len) + " at " +
                    std::to_string(req->offset) + " returned " + std::to_string(status) + ": " +
                    (status < 0 && data != nullptr ? static_cast<const char*>(data)
                                                   : nfs_get_error(nfs)));
    } else if (!req->write &&
               std::memcmp(data, run->model.data() + req->offset, req->len) != 0) {
      Fail(run, "pread of " + std::to_string(req->len) + " at " + std::to_string(req->offset) +
                    " differs from the model");
    }
    run->moved += req->len;
    delete req;
    IssueNext(run);
  }
}

// Issues requests until `target` are out or there is nothing left.
void IssueNext(Run* run) {
  while (run->error.empty() && run->inflight < run->target && IssueOne(run)) {
  }
}

// Issues one request; false when none can go now.
bool IssueOne(Run* run) {
  const uint64_t size = run->model.size();
  // Phase 1: fill the file sequentially.
  if (run->fill_next < size) {
    auto* req = new Request(run);
    req->offset = run->fill_next;
    req->len = std::min(kMaxWrite, size - run->fill_next);
    run->fill_next += req->len;
    const int rc = Issue(run, [&] {
      return nfs_pwrite_async(run->nfs, run->fh, req->offset, req->len,
                              run->model.data() + req->offset, FillDone, req);
    });
    if (rc != 0) {
      Fail(run, std::string("nfs_pwrite_async: ") + nfs_get_error(run->nfs));
      delete req;
      return false;
    }
    ++run->inflight;
    return true;
  }
  // Phase 2 waits for the fill to land.
  if (run->inflight > 0 && run->slot_busy.empty()) return false;
  if (run->slot_busy.empty()) run->slot_busy.assign(size / kSlot, false);
  if (run->ops_left == 0) return false;
  int slot;
  do {
    slot = static_cast<int>(run->rng() % run->slot_busy.size());
  } while (run->slot_busy[static_cast<size_t>(slot)]);
  auto* req = new Request(run);
  req->slot = slot;
  req->write = run->rng() % 2 == 0;
  req->len = 1 + run->rng() % (req->write ? kMaxWrite : kMaxRead);
  req->offset = static_cast<uint64_t>(slot) * kSlot + run->rng() % (kSlot - req->len + 1);
  int rc;
  if (req->write) {
    uint8_t* at = run->model.data() + req->offset;
    for (uint64_t i = 0; i < req->len; ++i) at[i] = static_cast<uint8_t>(run->rng());
    rc = Issue(run, [&] {
      return nfs_pwrite_async(run->nfs, run->fh, req->offset, req->len, at, RandomDone, req);
    });
  } else {
    rc = Issue(run, [&] {
      return nfs_pread_async(run->nfs, run->fh, req->offset, req->len, RandomDone, req);
    });
  }
  if (rc != 0) {
    Fail(run, std::string("nfs_p*_async: ") + nfs_get_error(run->nfs));
    delete req;
    return false;
  }
  run->slot_busy[static_cast<size_t>(slot)] = true;
  --run->ops_left;
  ++run->inflight;
  return true;
}

// Runs the event loop until `done` says so or an error.
template <class Done>
bool Loop(Run* run, Done&& done) {
  int idle = 0;
  while (run->error.empty() && !done()) {
    pollfd pfd{};
    pfd.fd = nfs_get_fd(run->nfs);
    pfd.events = static_cast<short>(nfs_which_events(run->nfs));
    const int n = poll(&pfd, 1, 1000);
    if (n < 0) {
      Fail(run, std::string("poll: ") + std::strerror(errno));
      break;
    }
    if (n == 0 && ++idle > 30) {
      Fail(run, "no progress for 30 s");
      break;
    }
    if (nfs_service(run->nfs, pfd.revents) < 0) {
      Fail(run, std::string("nfs_service: ") + nfs_get_error(run->nfs));
      break;
    }
  }
  return run->error.empty();
}

struct SimpleWait {
  explicit SimpleWait(Run* r) : run(r) {}
  Run* run;
  bool done = false;
  int status = 0;
  std::vector<uint8_t> data;
};

void SimpleDone(int status, nfs_context* /*nfs*/, void* data, void* private_data) {
  auto* w = static_cast<SimpleWait*>(private_data);
  CallbackScope scope(w->run);
  w->done = true;
  w->status = status;
  if (status > 0 && data != nullptr) {
    const auto* p = static_cast<const uint8_t*>(data);
    w->data.assign(p, p + status);
  }
}

// Phase 3: appends at the file's current offset, alternately with
// nfs_write_async and the sync nfs_write.
constexpr int kAppends = 16;

bool Append(Run* run) {
  uint64_t pos = 0;
  if (nfs_lseek(run->nfs, run->fh, 0, SEEK_END, &pos) != 0 || pos != run->model.size()) {
    Fail(run, "lseek to the end gave " + std::to_string(pos) + ": " + nfs_get_error(run->nfs));
    return false;
  }
  for (int i = 0; i < kAppends; ++i) {
    const size_t at = run->model.size();
    run->model.resize(at + kMaxWrite);
    for (size_t k = at; k < run->model.size(); ++k) run->model[k] = static_cast<uint8_t>(run->rng());
    int status;
    if (i % 2 == 0) {
      SimpleWait w(run);
      if (Issue(run, [&] {
            return nfs_write_async(run->nfs, run->fh, kMaxWrite, run->model.data() + at,
                                   SimpleDone, &w);
          }) != 0) {
        Fail(run, std::string("nfs_write_async: ") + nfs_get_error(run->nfs));
        return false;
      }
      if (!Loop(run, [&] { return w.done; })) return false;
      status = w.status;
    } else {
      status = nfs_write(run->nfs, run->fh, kMaxWrite, run->model.data() + at);
    }
    if (status != static_cast<int>(kMaxWrite)) {
      Fail(run, "append " + std::to_string(i) + " returned " + std::to_string(status) + ": " +
                    nfs_get_error(run->nfs));
      return false;
    }
    run->moved += kMaxWrite;
  }
  return true;
}

// Phase 4: fsync, then the whole file again at the current offset,
// alternately with nfs_read_async and the sync nfs_read.
bool FsyncAndReadBack(Run* run) {
  SimpleWait sync(run);
  if (Issue(run, [&] { return nfs_fsync_async(run->nfs, run->fh, SimpleDone, &sync); }) != 0) {
    Fail(run, std::string("nfs_fsync_async: ") + nfs_get_error(run->nfs));
    return false;
  }
  if (!Loop(run, [&] { return sync.done; })) return false;
  if (sync.status != 0) {
    Fail(run, "fsync returned " + std::to_string(sync.status));
    return false;
  }
  uint64_t pos = 0;
  if (nfs_lseek(run->nfs, run->fh, 0, SEEK_SET, &pos) != 0) {
    Fail(run, std::string("nfs_lseek: ") + nfs_get_error(run->nfs));
    return false;
  }
  for (int i = 0; pos < run->model.size(); ++i) {
    SimpleWait w(run);
    if (i % 2 == 0) {
      if (Issue(run, [&] {
            return nfs_read_async(run->nfs, run->fh, kMaxRead, SimpleDone, &w);
          }) != 0) {
        Fail(run, std::string("nfs_read_async: ") + nfs_get_error(run->nfs));
        return false;
      }
      if (!Loop(run, [&] { return w.done; })) return false;
    } else {
      w.data.resize(kMaxRead);
      w.status = nfs_read(run->nfs, run->fh, kMaxRead, w.data.data());
    }
    const uint64_t want = std::min<uint64_t>(kMaxRead, run->model.size() - pos);
    if (w.status != static_cast<int>(want) ||
        std::memcmp(w.data.data(), run->model.data() + pos, want) != 0) {
      Fail(run, "read_async at " + std::to_string(pos) + " returned " +
                    std::to_string(w.status) + " or wrong bytes");
      return false;
    }
    pos += want;
    run->moved += want;
  }
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: preload_async_client <nfs url of a new file> <model_path> <slots> <ops> "
               "<seed> <inflight>\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) return Usage();
  const std::string model_path = argv[2];
  const uint64_t slots = std::strtoull(argv[3], nullptr, 10);
  const int ops = std::atoi(argv[4]);
  const uint64_t seed = std::strtoull(argv[5], nullptr, 10);
  const int inflight = std::atoi(argv[6]);
  if (slots < 16 || ops < 0 || inflight < 1 || static_cast<uint64_t>(inflight) > slots / 2)
    return Usage();

  Run run;
  run.rng.seed(seed);
  run.model.resize(slots * kSlot);
  for (auto& b : run.model) b = static_cast<uint8_t>(run.rng());
  run.ops_left = ops;

  run.nfs = nfs_init_context();
  if (run.nfs == nullptr) {
    std::fprintf(stderr, "nfs_init_context failed\n");
    return 1;
  }
  nfs_url* url = nfs_parse_url_full(run.nfs, argv[1]);
  if (url == nullptr || url->file == nullptr) {
    std::fprintf(stderr, "bad url %s: %s\n", argv[1], nfs_get_error(run.nfs));
    return 1;
  }
  if (nfs_mount(run.nfs, url->server, url->path) != 0) {
    std::fprintf(stderr, "mount: %s\n", nfs_get_error(run.nfs));
    return 1;
  }
  if (nfs_create(run.nfs, url->file, O_RDWR | O_CREAT, 0644, &run.fh) != 0) {
    std::fprintf(stderr, "create %s: %s\n", url->file, nfs_get_error(run.nfs));
    return 1;
  }

  run.target = inflight;
  IssueNext(&run);
  const bool random_ok = Loop(&run, [&] { 
    return run.inflight == 0 && run.ops_left == 0 && run.fill_next == run.model.size();
  });
  const bool ok = random_ok && Append(&run) && FsyncAndReadBack(&run);
  if (nfs_close(run.nfs, run.fh) != 0) Fail(&run, std::string("close: ") + nfs_get_error(run.nfs));
  nfs_destroy_url(url);
  nfs_destroy_context(run.nfs);
  if (!ok || !run.error.empty()) {
    std::fprintf(stderr, "preload_async_client: %s\n", run.error.c_str());
    return 1;
  }

  FILE* out = std::fopen(model_path.c_str(), "wb");
  if (out == nullptr || std::fwrite(run.model.data(), 1, run.model.size(), out) != run.model.size() ||
      std::fclose(out) != 0) {
    std::fprintf(stderr, "cannot write %s\n", model_path.c_str());
    return 1;
  }
  std::printf("ok moved=%" PRIu64 "\n", run.moved);
  return 0;
}
