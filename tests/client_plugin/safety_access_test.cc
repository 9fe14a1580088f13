// SPDX-License-Identifier: LGPL-3.0-or-later
// Access revoked after the local open, and local opens that meet anything
// but a regular file, against the real server, NFSv3 and NFSv4. The
// bypassing client is another uid (localio-access-client under setpriv),
// as a user of a shared host is: when its access to an open file is taken
// away, through the server (chmod, chown) or behind its back (chmod on the
// export's directory), its next reads and writes give what RPC gives; a
// FIFO put at the file's path by a user who may write the directory never
// blocks it.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "harness/files.h"
#include "harness/fsal_paths.h"
#include "harness/gtest_support.h"
#include "harness/process.h"
#include "harness/temp_dir.h"
#include "local_file.h"
#include "safety_support.h"

namespace localio::harness {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The bypassing user, in the map's group (Map_Group = users) so it may read
// the map and claim a hello slot, as the README's deployments have it.
constexpr uid_t kUser = 1001;
constexpr gid_t kUsersGid = 100;
constexpr char kUsersGroup[] = "users";
// A third uid: the new owner of a chown, and the user who swaps a file for
// a FIFO in a directory both may write.
constexpr uid_t kOther = 1002;
constexpr char kShared[] = "shared";  // mode 0777 (no sticky bit)

// Long enough for a loaded machine; a regression that hangs fails here.
constexpr milliseconds kReplyTimeout = seconds(30);

// localio-access-client as uid:gid, driven through a socket pair (its
// stdin and stdout). Killed by pid when the test ends.
class AccessClient {
 public:
  static Status Start(uid_t uid, gid_t gid, const std::string& url, const std::string& map,
                      std::unique_ptr<AccessClient>* out) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
      return Status::Error(-errno, "socketpair: " + std::string(std::strerror(errno)));
    std::vector<std::string> args = {"setpriv",
                                     "--reuid=" + std::to_string(uid),
                                     "--regid=" + std::to_string(gid),
                                     "--clear-groups",
                                     "--",
                                     LOCALIO_ACCESS_CLIENT,
                                     url,
                                     map};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) return Status::Error(-errno, "fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
      dup2(sv[1], STDIN_FILENO);
      dup2(sv[1], STDOUT_FILENO);
      signal(SIGPIPE, SIG_DFL);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(sv[1]);
    out->reset(new AccessClient(pid, sv[0]));
    return Status::Ok();
  }
  ~AccessClient() {
    close(fd_);
    kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
  AccessClient(const AccessClient&) = delete;
  AccessClient& operator=(const AccessClient&) = delete;

  // Sends `command` and returns its reply line; "timeout" when none came
  // within kReplyTimeout (the client is then stuck: the test fails).
  std::string Ask(const std::string& command) {
    const std::string line = command + "\n";
    if (send(fd_, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size()))
      return "err -32 client gone";
    const auto deadline = Steady::now() + kReplyTimeout;
    for (;;) {
      if (const size_t nl = pending_.find('\n'); nl != std::string::npos) {
        std::string reply = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return reply;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now());
      if (left.count() <= 0) return "timeout";
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return "err -32 client gone";
      pending_.append(buf, static_cast<size_t>(n));
    }
  }

  // A read's reply as a ReadOutcome: the bytes, or rc < 0.
  ReadOutcome Read(const std::string& command) { return ToOutcome(Ask(command)); }
  // A write's reply: the byte count or -errno (-ETIMEDOUT: no reply).
  int Write(const std::string& command) {
    const std::string reply = Ask(command);
    std::istringstream in(reply);
    std::string word;
    int n = -ETIMEDOUT;
    in >> word >> n;
    return word == "ok" || word == "err" ? n : -ETIMEDOUT;
  }
  // The context's counters, by name ("read_ops", "fallback.open", ...).
  std::map<std::string, uint64_t> Counters() {
    std::map<std::string, uint64_t> out;
    std::istringstream in(Ask("counters"));
    std::string word;
    in >> word;
    while (in >> word) {
      const size_t eq = word.find('=');
      if (eq != std::string::npos) out[word.substr(0, eq)] = std::stoull(word.substr(eq + 1));
    }
    return out;
  }

 private:
  AccessClient(pid_t pid, int fd) : pid_(pid), fd_(fd) {}

  static ReadOutcome ToOutcome(const std::string& reply) {
    std::istringstream in(reply);
    std::string word, hex;
    int n = 0;
    in >> word >> n >> hex;
    ReadOutcome out;
    if (word != "ok") {
      out.rc = word == "err" && n < 0 ? n : -ETIMEDOUT;
      return out;
    }
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      out.data.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
  }

  pid_t pid_;
  int fd_;
  std::string pending_;
};

std::string Hex(const std::string& data) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : data) {
    out.push_back(kDigits[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kDigits[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

class SafetyAccess : public SuiteServerTest<SafetyAccess, ::testing::TestWithParam<int>> {
 protected:
  static constexpr uint16_t kExport = 1;

  static void SetUpTestSuite() {
    // The map where the user may read it: a directory only root writes,
    // the map and hello file in the users group.
    map_dir_ = std::make_unique<TempDir>();
    if (start_ = map_dir_->Create("localio-access-map", "/dev/shm"); !start_.ok()) return;
    if (chmod(map_dir_->path().c_str(), 0755) != 0) {
      start_ = Status::Error(-errno, "chmod " + map_dir_->path());
      return;
    }
    ServerOptions options = OneExport();
    options.map_path = map_dir_->path() + "/map";
    options.localio_lines = {std::string("Map_Group = ") + kUsersGroup + ";"};
    // RPC then sees a change made behind the server's back at once (the
    // default caches attributes for 60 s), so the bypass can be compared
    // with it.
    options.exports[0].export_lines = {"Attr_Expiration_Time = 0;"};
    // Ganesha 6.5 lets a file's cached owner read and write it by default,
    // even after a chown took it away ("could potentially lead to the
    // wrong result", ganesha-cache-config(8)); the bypass then gives what
    // RPC gives, the data. Off, RPC refuses the former owner as 4.3 does,
    // and the test can tell a refusal from the bypass's old fd.
    if (GaneshaMajorVersion() >= 6)
      options.extra_config = "MDCACHE { Use_Cached_Owner_On_Owner_Override = false; }\n";
    StartSuiteServer(options);
    if (!start_.ok()) return;
    // The user opens the export root locally as itself: it needs the way
    // there (the server's temp dir is root's, 0700).
    for (const std::string& dir : {server_->dir(), server_->ExportDir(kExport)}) {
      if (chmod(dir.c_str(), 0755) != 0) {
        start_ = Status::Error(-errno, "chmod " + dir);
        return;
      }
    }
    const std::string shared = server_->ExportDir(kExport) + "/" + kShared;
    if (mkdir(shared.c_str(), 0777) != 0 || chmod(shared.c_str(), 0777) != 0)
      start_ = Status::Error(-errno, "mkdir " + shared);
  }
  static void TearDownTestSuite() {
    SuiteServerTest::TearDownTestSuite();
    map_dir_.reset();
  }

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(SuiteServerTest::SetUp());
    const Status s = NfsSession::Mount(server_->Url(kExport, Version(), ""), &root_);
    ASSERT_TRUE(s.ok()) << s.message;
  }
  void TearDown() override {
    client_.reset();
    root_.reset();
    SuiteServerTest::TearDown();
  }

  int Version() const { return GetParam(); }
  // `base` in the shared directory, with this test's version. (libnfs 4.0
  // opens a file read-write over NFSv4 only where its directory grants the
  // user MODIFY.)
  std::string Name(const std::string& base) const {
    return std::string(kShared) + "/" + base + "-v" + std::to_string(Version());
  }
  std::string InExport(const std::string& name) const {
    return server_->ExportDir(kExport) + "/" + name;
  }

  // The user's client, with `name` open (rw or ro), which it must find
  // local.
  void StartUserClient(const std::string& name, const std::string& mode) {
    const Status s = AccessClient::Start(kUser, kUsersGid, server_->Url(kExport, Version(), ""),
                                         server_->map_path(), &client_);
    ASSERT_TRUE(s.ok()) << s.message;
    ASSERT_EQ(client_->Ask("open " + name + " " + mode), "ok");
    ASSERT_EQ(client_->Counters()["local"], 1u) << "the user's client is not local";
  }

  // Reads `data` from the open file through the bypass, and writes `patch`
  // at 0 when given: both must be served locally.
  void ExpectBypassed(const std::string& data, const std::string& patch = "") {
    const auto before = client_->Counters();
    EXPECT_EQ(client_->Read("pread 0 4096"), (ReadOutcome{0, data}));
    if (!patch.empty()) {
      EXPECT_EQ(client_->Write("pwrite 0 " + Hex(patch)), static_cast<int>(patch.size()));
    }
    const auto after = client_->Counters();
    EXPECT_EQ(after.at("read_ops"), before.at("read_ops") + 1) << "the read was not bypassed";
    if (!patch.empty()) {
      EXPECT_EQ(after.at("write_ops"), before.at("write_ops") + 1) << "the write was not bypassed";
    }
  }

  // Once access is gone: the next read and write give what RPC gives (an
  // error: EACCES, or libnfs 4.0's EFAULT for a failed NFSv3 READ/WRITE),
  // from RPC (a refused local open), and the file is unchanged.
  void ExpectRefusedLikeRpc(const std::string& name, const std::string& content) {
    const auto before = client_->Counters();
    const ReadOutcome read = client_->Read("pread 0 4096");
    const int wrote = client_->Write("pwrite 0 " + Hex("XY"));
    const auto after = client_->Counters();
    EXPECT_LT(read.rc, 0) << "read " << read.data.size() << " bytes";
    EXPECT_NE(read.rc, -ETIMEDOUT);
    EXPECT_LT(wrote, 0);
    EXPECT_NE(wrote, -ETIMEDOUT);
    EXPECT_EQ(client_->Read("rpcread 0 4096"), read) << "RPC gives another answer";
    EXPECT_EQ(client_->Write("rpcwrite 0 " + Hex("XY")), wrote) << "RPC gives another answer";
    EXPECT_EQ(after.at("read_ops"), before.at("read_ops"));
    EXPECT_EQ(after.at("write_ops"), before.at("write_ops"));
    EXPECT_GE(after.at("fallback.open"), before.at("fallback.open") + 2)
        << "the refusal did not come from a local open refused";
    EXPECT_EQ(ReadFile(InExport(name)), content);
  }

  inline static std::unique_ptr<TempDir> map_dir_;
  std::unique_ptr<NfsSession> root_;  // root, through the same server
  std::unique_ptr<AccessClient> client_;
};

INSTANTIATE_TEST_SUITE_P(Versions, SafetyAccess, ::testing::Values(3, 4),
                         [](const ::testing::TestParamInfo<int>& p) {
                           return "NFSv" + std::to_string(p.param);
                         });

TEST_P(SafetyAccess, AChmodThroughTheServerStopsTheBypassAtTheNextIo) {
  const std::string name = Name("chmod");
  ASSERT_TRUE(WriteLocalFile(InExport(name), "0123456789", 0666).ok());
  ASSERT_NO_FATAL_FAILURE(StartUserClient(name, "rw"));
  ExpectBypassed("0123456789", "AB");

  ASSERT_EQ(nfs_chmod(root_->context(), ("/" + name).c_str(), 0600), 0) << root_->Error();
  ExpectRefusedLikeRpc(name, "AB23456789");
}

TEST_P(SafetyAccess, AChownThroughTheServerStopsTheBypassAtTheNextIo) {
  const std::string name = Name("chown");
  ASSERT_TRUE(WriteLocalFile(InExport(name), "0123456789", 0600, kUser, kUsersGid).ok());
  ASSERT_NO_FATAL_FAILURE(StartUserClient(name, "rw"));
  ExpectBypassed("0123456789", "AB");

  // Through NFSv3 for both versions' clients: an NFSv4 chown to a numeric
  // id succeeds and changes nothing on Debian 13 (libnfs 5.0.2 against
  // Ganesha 6.5).
  std::unique_ptr<NfsSession> v3_root;
  const Status s = NfsSession::Mount(server_->Url(kExport, 3, ""), &v3_root);
  ASSERT_TRUE(s.ok()) << s.message;
  ASSERT_EQ(nfs_chown(v3_root->context(), ("/" + name).c_str(), static_cast<int>(kOther),
                      static_cast<int>(kOther)),
            0)
      << v3_root->Error();
  struct stat st;
  ASSERT_EQ(stat(InExport(name).c_str(), &st), 0);
  ASSERT_EQ(st.st_uid, kOther) << "the chown through NFS changed nothing";
  ExpectRefusedLikeRpc(name, "AB23456789");
}

// Behind the server's back nothing tells the client; its re-check
// (LOCALIO_ACCESS_RECHECK_MS) must: the bound is docs/DESIGN.md's. The
// client's clock is moved, not waited for: first kCtimeSettleNs of its
// realtime reading, so that the file's ctime is settled (local_file.h)
// when it opens the file and it keeps the fd across re-checks until the
// ctime moves (the re-check that counts); then one re-check period.
TEST_P(SafetyAccess, AChmodBehindTheServersBackStopsTheBypassWithinTheBound) {
  const std::string name = Name("behind");
  ASSERT_TRUE(WriteLocalFile(InExport(name), "0123456789", 0666).ok());
  ASSERT_NO_FATAL_FAILURE(StartUserClient(name, "rw"));
  ASSERT_EQ(client_->Ask("advance-realtime " + std::to_string(client::kCtimeSettleNs / 1000000)),
            "ok");
  ExpectBypassed("0123456789", "AB");

  ASSERT_EQ(chmod(InExport(name).c_str(), 0600), 0);
  ASSERT_EQ(client_->Ask("advance " + std::to_string(LOCALIO_ACCESS_RECHECK_MS)), "ok");
  ExpectRefusedLikeRpc(name, "AB23456789");
}

// Between the client's RPC open and its first read, another user who may
// write the directory renames the file away and puts a FIFO at its path.
// The read must return what RPC returns (the file's data: its handle names
// the renamed file), never block in the local open.
TEST_P(SafetyAccess, AFifoPutAtThePathNeverBlocksARead) {
  const std::string name = Name("fifo");
  ASSERT_TRUE(WriteLocalFile(InExport(name), "fifo test data", 0644).ok());
  ASSERT_NO_FATAL_FAILURE(StartUserClient(name, "ro"));

  CommandResult swap;
  const std::string path = InExport(name);
  ASSERT_TRUE(RunCommand({"setpriv", "--reuid=" + std::to_string(kOther),
                          "--regid=" + std::to_string(kOther), "--clear-groups", "--", "sh",
                          "-c", "mv \"$1\" \"$1.away\" && mkfifo \"$1\"", "sh", path},
                         seconds(30), &swap)
                  .ok());
  ASSERT_TRUE(swap.Succeeded()) << swap.Describe();
  struct stat st;
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  ASSERT_TRUE(S_ISFIFO(st.st_mode));

  const auto before = client_->Counters();
  const ReadOutcome read = client_->Read("pread 0 4096");
  ASSERT_NE(read.rc, -ETIMEDOUT) << "the read blocked (a FIFO opened at the file's path)";
  EXPECT_EQ(read, (ReadOutcome{0, "fifo test data"}));
  EXPECT_EQ(client_->Read("rpcread 0 4096"), read);
  const auto after = client_->Counters();
  EXPECT_EQ(after.at("read_ops"), before.at("read_ops"));
  EXPECT_GE(after.at("fallback.identity"), before.at("fallback.identity") + 1);
}

}  // namespace
}  // namespace localio::harness
