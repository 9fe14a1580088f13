// SPDX-License-Identifier: LGPL-3.0-or-later
// Thousands of malformed records at the LOCALIO listener (noise, huge or
// short fragments, cut headers, other programs, bad arguments, bad RPC
// versions, half-open connections) while NFS keeps serving (a plain libnfs
// reader checks its file over RPC) and client processes keep bypassing
// (NFSv3 and NFSv4 write+verify loops that must never lose the session).
// Ends with the listener answering, a fresh handshake, and the data checked.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fault_support.h"
#include "harness/ganesha_server.h"
#include "harness/malformed_rpc.h"
#include "localio/localio_caller.h"
#include "localio/map_reader.h"
#include "safety_support.h"

namespace localio::fault {
namespace {

constexpr int kRecords = 3000;

class FaultMalformed : public OneExportServerTest {};

TEST_F(FaultMalformed, ListenerNfsAndBypassSurviveThousandsOfBadRecords) {
  const std::string dir = server_->ExportDir(kExport);
  const std::string stop = server_->dir() + "/stop";
  std::vector<std::unique_ptr<FaultClient>> clients;
  for (uint32_t i = 0; i < 2; ++i) {
    clients.emplace_back();
    const Status s = StartWriter(*server_, stop, {.id = i, .version = 3 + static_cast<int>(i)},
                                 &clients.back());
    ASSERT_TRUE(s.ok()) << s.message;
  }
  ASSERT_TRUE(AllReady(clients));

  // A plain NFS reader, checking its file over RPC throughout.
  const std::string plain = harness::Pattern("plain", 100000);
  ASSERT_TRUE(harness::WriteLocalFile(dir + "/plain", plain).ok());
  std::unique_ptr<harness::NfsSession> nfs;
  Status s = harness::NfsSession::Mount(server_->Url(kExport, 3, ""), &nfs);
  ASSERT_TRUE(s.ok()) << s.message;
  nfsfh* fh = nullptr;
  ASSERT_EQ(nfs_open(nfs->context(), "/plain", O_RDONLY, &fh), 0) << nfs->Error();
  std::atomic<bool> blasting{true};
  std::atomic<int> rpc_reads{0}, rpc_bad{0};
  std::thread reader([&] {
    while (blasting) {
      if (harness::ReadThroughRpc(nfs->context(), fh) == (harness::ReadOutcome{0, plain}))
        ++rpc_reads;
      else
        ++rpc_bad;
      std::this_thread::sleep_for(milliseconds(20));
    }
  });

  std::unique_ptr<MapReader> map;
  ASSERT_TRUE(MapReader::Open(server_->map_path(), LOCALIO_DEFAULT_SERVER_UID, &map).ok());
  MapHeaderSnapshot header;
  ASSERT_TRUE(map->ReadHeader(&header));
  ASSERT_NE(header.port, 0);
  const uint64_t blast_ms = NowMs();
  std::mt19937 rng(4242);
  int refused = 0, slow = 0;
  std::vector<int> half_open;
  for (int i = 0; i < kRecords; ++i) {
    // Closed with a reset: no TIME_WAIT pairs whose port reuse would stall
    // a later connect for a second.
    int fd = harness::ConnectLoopback(header.port, seconds(1), true);
    if (fd < 0) {
      // Seen here now and then: a SYN on loopback answered only by its
      // retransmission a second later (connect times out after 1 s) while
      // the listener is otherwise idle. A second try must get through.
      ++slow;
      fd = harness::ConnectLoopback(header.port, seconds(1), true);
    }
    if (fd < 0) {
      std::printf("connection %d refused: %s\n", i, std::strerror(errno));
      ++refused;
      continue;
    }
    const auto bytes = harness::MalformedMessage(
        static_cast<harness::MalformedKind>(i % harness::kMalformedKinds), rng);
    (void)send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    // A few connections stay open mid-record, as a stuck client would.
    if (i % 200 == 7 && half_open.size() < 16) half_open.push_back(fd); else close(fd);
  }
  const uint64_t blast_end = NowMs();
  const rpc::LocalioCaller caller;
  const localio::Status null = caller.Null("127.0.0.1", header.port, seconds(5));
  EXPECT_TRUE(null.ok()) << null.message;
  for (int fd : half_open) close(fd);
  std::this_thread::sleep_for(milliseconds(300));
  blasting = false;
  reader.join();
  nfs_close(nfs->context(), fh);
  std::printf("%d malformed records in %llu ms (%d connects timed out once, %d refused); %d RPC "
              "reads of the plain file meanwhile, %d wrong\n",
              kRecords, static_cast<unsigned long long>(blast_end - blast_ms), slow, refused,
              rpc_reads.load(), rpc_bad.load());
  EXPECT_EQ(refused, 0);
  EXPECT_GT(rpc_reads.load(), 0);
  EXPECT_EQ(rpc_bad.load(), 0);
  ASSERT_TRUE(server_->Running()) << "ganesha.nfsd died";

  // A new client still proves itself local and bypasses.
  std::unique_ptr<harness::LocalioMount> fresh;
  s = harness::LocalioMount::Attach(server_->Url(kExport, 3, ""),
                                    harness::ConfigWithMap(server_->map_path()), &fresh);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(localio_is_local(fresh->ctx()), 1) << fresh->Error();

  TouchFile(stop);
  for (int i = 0; i < 2; ++i) {
    FaultClient& c = *clients[i];
    ASSERT_TRUE(c.WaitExit(seconds(60)));
    EXPECT_EQ(c.exit_description(), "exit 0") << c.Output();
    EXPECT_EQ(c.BadLines(), "");
    EXPECT_FALSE(c.WaitFor("event local 0", 0, milliseconds(0)))
        << "client " << i << " lost its session:\n" << c.Output();
    EXPECT_EQ(c.Count("fallback_server_changed"), 0) << c.Output();
    EXPECT_GT(c.Count("write_ops"), 0);
    EXPECT_EQ(CheckAcknowledgedBlocks(dir + "/f" + std::to_string(i), i, c.Output()), "");
  }
}

}  // namespace
}  // namespace localio::fault
