// SPDX-License-Identifier: LGPL-3.0-or-later
// localio-access-client: one libnfs mount with a LOCALIO context attached,
// driven line by line from stdin, so that a test can run a bypassing client
// as another uid (under setpriv) and act between its calls (change the
// file's permissions, swap it for a FIFO). Every command answers one line
// on stdout: "ok ..." or "err -ERRNO <sentence>".
//   localio-access-client <export-root-url> <map-path>
//   open PATH ro|rw      localio_open (PATH relative to the export root)
//   pread OFF COUNT      localio_pread: "ok N HEX" (the bytes read, in hex)
//   pwrite OFF HEX       localio_pwrite: "ok N"
//   rpcread OFF COUNT    nfs_pread on the same open file: what RPC gives
//   rpcwrite OFF HEX     nfs_pwrite on it
//   counters             "ok local=0|1 read_ops=N write_ops=N fallback.R=N..."
//   close                localio_close
//   advance MS           moves the client's clock (harness::AheadClock) MS on
//   advance-realtime MS  moves only its realtime reading (file times age)
// Exit 0 at the end of stdin, 2 on bad usage or when the mount fails.
#include <fcntl.h>
#include <sys/time.h>  // before libnfs.h (libnfs 4.0)
#include <nfsc/libnfs.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/clock.h"
#include "harness/nfs_session.h"
#include "localio/localio_client.h"
#include "localio_client_clock.h"

namespace {

using localio::harness::AheadClock;
using localio::harness::NfsSession;

std::string Hex(const char* data, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    const auto b = static_cast<unsigned char>(data[i]);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

bool Unhex(const std::string& hex, std::string* out) {
  if (hex.size() % 2 != 0) return false;
  out->clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    char* end = nullptr;
    const std::string pair = hex.substr(i, 2);
    const long b = std::strtol(pair.c_str(), &end, 16);
    if (end != pair.c_str() + 2) return false;
    out->push_back(static_cast<char>(b));
  }
  return true;
}

void Reply(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void Err(int rc, const std::string& why) {
  Reply("err " + std::to_string(rc) + " " + why);
}

class Client {
 public:
  Client(NfsSession* session, localio_context* lio, AheadClock* clock)
      : session_(session), lio_(lio), clock_(clock) {}
  ~Client() {
    if (fh_ != nullptr) localio_close(lio_, fh_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Run(const std::string& line) {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    if (cmd == "open") {
      std::string path, mode;
      in >> path >> mode;
      Open("/" + path, mode == "rw" ? O_RDWR : O_RDONLY);
    } else if (cmd == "pread" || cmd == "rpcread") {
      uint64_t offset = 0, count = 0;
      in >> offset >> count;
      Read(cmd == "rpcread", offset, count);
    } else if (cmd == "pwrite" || cmd == "rpcwrite") {
      uint64_t offset = 0;
      std::string hex, data;
      in >> offset >> hex;
      if (!Unhex(hex, &data)) return Err(-EINVAL, "bad hex");
      Write(cmd == "rpcwrite", offset, data);
    } else if (cmd == "advance" || cmd == "advance-realtime") {
      uint64_t ms = 0;
      if (!(in >> ms)) return Err(-EINVAL, "advance: no milliseconds");
      if (cmd == "advance")
        clock_->Advance(ms);
      else
        clock_->AdvanceRealtime(ms);
      Reply("ok");
    } else if (cmd == "counters") {
      Counters();
    } else if (cmd == "close") {
      if (fh_ == nullptr) return Err(-EBADF, "no open file");
      const int rc = localio_close(lio_, fh_);
      fh_ = nullptr;
      rc == 0 ? Reply("ok") : Err(rc, localio_get_error(lio_));
    } else {
      Err(-EINVAL, "unknown command: " + line);
    }
  }

 private:
  void Open(const std::string& path, int flags) {
    if (fh_ != nullptr) return Err(-EBUSY, "a file is open");
    const int rc = localio_open(lio_, path.c_str(), flags, &fh_);
    rc == 0 ? Reply("ok") : Err(rc, localio_get_error(lio_));
  }

  void Read(bool rpc, uint64_t offset, uint64_t count) {
    if (fh_ == nullptr) return Err(-EBADF, "no open file");
    std::vector<char> buf(count);
    const int n = rpc ? nfs_pread(session_->context(), fh_, offset, count, buf.data())
                      : localio_pread(lio_, fh_, offset, count, buf.data());
    if (n < 0) return Err(n, rpc ? session_->Error() : localio_get_error(lio_));
    Reply("ok " + std::to_string(n) + " " + Hex(buf.data(), static_cast<size_t>(n)));
  }

  void Write(bool rpc, uint64_t offset, const std::string& data) {
    if (fh_ == nullptr) return Err(-EBADF, "no open file");
    const int n = rpc ? nfs_pwrite(session_->context(), fh_, offset, data.size(),
                                   const_cast<char*>(data.data()))
                      : localio_pwrite(lio_, fh_, offset, data.size(), data.data());
    if (n < 0) return Err(n, rpc ? session_->Error() : localio_get_error(lio_));
    Reply("ok " + std::to_string(n));
  }

  void Counters() {
    localio_counters c{};
    localio_get_counters(lio_, &c);
    std::string line = "ok local=" + std::to_string(localio_is_local(lio_)) +
                       " read_ops=" + std::to_string(c.read_ops) +
                       " write_ops=" + std::to_string(c.write_ops);
    for (int r = 0; r < LOCALIO_FALLBACK_REASONS; ++r)
      line += " fallback." + std::string(localio_fallback_reason_name(r)) + "=" +
              std::to_string(c.fallbacks[r]);
    Reply(line);
  }

  NfsSession* session_;
  localio_context* lio_;
  AheadClock* clock_;
  nfsfh* fh_ = nullptr;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: localio-access-client <export-root-url> <map-path>\n", stderr);
    return 2;
  }
  std::unique_ptr<NfsSession> session;
  if (const localio::Status s = NfsSession::Mount(argv[1], &session); !s.ok()) {
    std::fprintf(stderr, "localio-access-client: %s\n", s.message.c_str());
    return 2;
  }
  localio_config cfg;
  localio_config_init(&cfg);
  cfg.map_path = argv[2];
  AheadClock clock;
  localio_context* lio = nullptr;
  if (localio::client::AttachOnClock(session->context(), &cfg, clock, &lio) != 0) return 2;
  {
    Client client(session.get(), lio, &clock);
    std::string line;
    while (std::getline(std::cin, line))
      if (!line.empty()) client.Run(line);
  }
  localio_detach(lio);
  return 0;
}
