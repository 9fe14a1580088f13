// SPDX-License-Identifier: LGPL-3.0-or-later
// Unit tests of the harness parts that need no server: config generation,
// URLs, free ports, running commands, temp dirs, whole files.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <initializer_list>

#include "harness/files.h"
#include "harness/free_port.h"
#include "harness/nfs_url.h"
#include "harness/process.h"
#include "harness/server_config.h"
#include "harness/temp_dir.h"

namespace localio::harness {
namespace {

using std::chrono::milliseconds;

ConfigLayout Layout() { return {20490, 20491, "/tmp/t/plugins", "/tmp/t/recovery", "", ""}; }

ExportOptions Export(uint16_t id, Fsal fsal) {
  ExportOptions e;
  e.id = id;
  e.fsal = fsal;
  return WithDefaults(e, "/tmp/t");
}

// Renders `o` with Layout() and expects each of `parts` in the text.
void ExpectRendered(const ServerOptions& o, std::initializer_list<const char*> parts) {
  std::string text;
  ASSERT_TRUE(RenderGaneshaConfig(o, Layout(), &text).ok());
  for (const char* part : parts) EXPECT_NE(text.find(part), std::string::npos) << part;
}

TEST(ServerConfig, CoreParamsBindLoopbackWithChosenPortsAndPluginDir) {
  ServerOptions o;
  o.exports = {Export(1, Fsal::kVfs)};
  ExpectRendered(o, {"NFS_Port = 20490;", "MNT_Port = 20491;", "Bind_addr = 127.0.0.1;",
                     "Enable_UDP = false;", "Enable_NLM = false;", "Enable_RQUOTA = false;",
                     "Plugins_Dir = \"/tmp/t/plugins\";", "Graceless = true;",
                     "RecoveryRoot = \"/tmp/t/recovery\";"});
}

TEST(ServerConfig, LocalioExportStacksOverVfsAndVfsExportDoesNot) {
  ServerOptions o;
  o.exports = {Export(1, Fsal::kLocalio), Export(2, Fsal::kVfs)};
  o.exports[0].fsal_lines = {"Client_Root = /mnt/x;"};
  ConfigLayout layout = Layout();
  layout.map_path = "/dev/shm/t/map";
  std::string text;
  ASSERT_TRUE(RenderGaneshaConfig(o, layout, &text).ok());
  const size_t second = text.find("Export_Id = 2;");
  ASSERT_NE(second, std::string::npos);
  const std::string first_block = text.substr(0, second);
  const std::string second_block = text.substr(second, text.find("\n}\n", second) - second);
  EXPECT_NE(first_block.find("Name = LOCALIO;\n        Client_Root = /mnt/x;\n"
                             "        FSAL {\n            Name = VFS;"),
            std::string::npos)
      << first_block;
  EXPECT_NE(second_block.find("Name = VFS;"), std::string::npos);
  EXPECT_EQ(second_block.find("LOCALIO"), std::string::npos);
  EXPECT_NE(text.find("Path = \"/tmp/t/export-1\";"), std::string::npos);
  EXPECT_NE(text.find("Pseudo = \"/export-2\";"), std::string::npos);
}

TEST(ServerConfig, LocalioBlockCarriesTheMapPathOnlyWhenAnExportUsesLocalio) {
  ServerOptions o;
  o.exports = {Export(1, Fsal::kLocalio)};
  o.localio_lines = {"Max_Entries = 64;"};
  ConfigLayout layout = Layout();
  std::string text;
  EXPECT_FALSE(RenderGaneshaConfig(o, layout, &text).ok()) << "no map path must be an error";
  layout.map_path = "/dev/shm/t/map";
  ASSERT_TRUE(RenderGaneshaConfig(o, layout, &text).ok());
  EXPECT_NE(text.find("LOCALIO {\n    Map_Path = \"/dev/shm/t/map\";\n    Max_Entries = 64;\n}\n"),
            std::string::npos)
      << text;

  o.exports = {Export(1, Fsal::kVfs)};
  ASSERT_TRUE(RenderGaneshaConfig(o, layout, &text).ok());
  EXPECT_EQ(text.find("LOCALIO"), std::string::npos) << text;
}

TEST(ServerConfig, ExportDefaultsAreRwNoRootSquashTcpSysV3V4) {
  ServerOptions o;
  o.exports = {Export(7, Fsal::kVfs)};
  ExpectRendered(o, {"Access_Type = RW;", "Squash = No_Root_Squash;", "Transports = TCP;",
                     "SecType = sys;", "    Protocols = 3, 4;\n    Transports"});
}

TEST(ServerConfig, ReadOnlySquashAndExtraTextAreRendered) {
  ServerOptions o;
  o.exports = {Export(3, Fsal::kVfs)};
  o.exports[0].access = Access::kReadOnly;
  o.exports[0].squash = "Root_Squash";
  o.extra_config = "LOCALIO { Port = 0; }";
  ExpectRendered(o, {"Access_Type = RO;", "Squash = Root_Squash;", "\nLOCALIO { Port = 0; }\n"});
}

TEST(ServerConfig, RejectsWhatGaneshaWouldMisparse) {
  std::string text;
  ServerOptions dup;
  dup.exports = {Export(1, Fsal::kVfs), Export(1, Fsal::kVfs)};
  EXPECT_FALSE(RenderGaneshaConfig(dup, Layout(), &text).ok());

  ServerOptions quote;
  quote.exports = {Export(1, Fsal::kVfs)};
  quote.exports[0].path = "/tmp/a\"b";
  Status s = RenderGaneshaConfig(quote, Layout(), &text);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("quote"), std::string::npos) << s.message;

  ServerOptions relative;
  relative.exports = {Export(1, Fsal::kVfs)};
  relative.exports[0].path = "data";
  EXPECT_FALSE(RenderGaneshaConfig(relative, Layout(), &text).ok());

  ServerOptions none;
  EXPECT_FALSE(RenderGaneshaConfig(none, Layout(), &text).ok());

  ServerOptions same_ports;
  same_ports.exports = {Export(1, Fsal::kVfs)};
  ConfigLayout layout = Layout();
  layout.mnt_port = layout.nfs_port;
  EXPECT_FALSE(RenderGaneshaConfig(same_ports, layout, &text).ok());
}

TEST(NfsUrl, MatchesLibnfsSyntaxForV3AndV4) {
  ExportAddress a{"/srv/data", "/data", 20490, 20491};
  EXPECT_EQ(NfsUrl(a, 3, "f.bin"), "nfs://127.0.0.1/srv/data/f.bin?nfsport=20490&mountport=20491");
  EXPECT_EQ(NfsUrl(a, 4, "f.bin"), "nfs://127.0.0.1/data/f.bin?version=4&nfsport=20490");
  EXPECT_EQ(NfsUrl(a, 4, ""), "nfs://127.0.0.1/data?version=4&nfsport=20490");
  EXPECT_EQ(NfsUrl(a, 3, "/d/f"), "nfs://127.0.0.1/srv/data/d/f?nfsport=20490&mountport=20491");
}

TEST(FreePort, ReturnsAPortThatCanBeBound) {
  const uint16_t port = FindFreePort();
  ASSERT_NE(port, 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);
}

TEST(RunCommand, CapturesStdoutStderrAndExitCode) {
  CommandResult r;
  ASSERT_TRUE(RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000), &r).ok());
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.Succeeded());
}

TEST(RunCommand, KillsACommandPastItsTimeout) {
  CommandResult r;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(RunCommand({"/bin/sleep", "10"}, milliseconds(200), &r).ok());
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(RunCommand, ReportsAMissingProgramAsAnError) {
  CommandResult r;
  Status s = RunCommand({"/nonexistent/program"}, milliseconds(1000), &r);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message.find("/nonexistent/program"), std::string::npos);
}

TEST(ChildProcess, TerminateStopsAndReapsByPid) {
  TempDir dir;
  ASSERT_TRUE(dir.Create("harness-test").ok());
  ChildProcess child;
  ASSERT_TRUE(child.Spawn({"/bin/sleep", "30"}, dir.path() + "/out").ok());
  const pid_t pid = child.pid();
  EXPECT_TRUE(child.Running());
  child.Terminate(milliseconds(2000));
  EXPECT_FALSE(child.Running());
  EXPECT_EQ(child.exit_description(), "signal 15");
  EXPECT_NE(kill(pid, 0), 0);  // reaped: the pid no longer exists as our child
}

TEST(TempDir, IsRemovedWithItsContents) {
  if (KeepTempDirs()) GTEST_SKIP() << "LOCALIO_KEEP_TMP=1 keeps temp dirs";
  std::string path;
  {
    TempDir dir;
    ASSERT_TRUE(dir.Create("harness-test").ok());
    path = dir.path();
    std::filesystem::create_directories(path + "/a/b");
    std::ofstream(path + "/a/b/f") << "x";
    EXPECT_TRUE(std::filesystem::exists(path + "/a/b/f"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(TempDir, TheConstructorMakesACanonicalDirUnderTheBase) {
  // /dev/shm is where the map tests put theirs; the path resolves to itself.
  TempDir dir("harness-test", "/dev/shm");
  EXPECT_EQ(dir.path().rfind("/dev/shm/harness-test.", 0), 0u) << dir.path();
  EXPECT_EQ(std::filesystem::canonical(dir.path()).string(), dir.path());
  EXPECT_TRUE(std::filesystem::is_directory(dir.path()));
  EXPECT_EQ(dir.Path("a/b"), dir.path() + "/a/b");
}

TEST(TempDir, MakesDirsFilesAndSymlinksWithTheirParents) {
  TempDir dir("harness-test");
  EXPECT_TRUE(dir.MakeDir("d/e"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.Path("d/e")));
  EXPECT_TRUE(dir.MakeFile("f/g/file", "content"));
  EXPECT_EQ(ReadFile(dir.Path("f/g/file")), "content");
  EXPECT_TRUE(dir.MakeFile("small"));
  EXPECT_EQ(ReadFile(dir.Path("small")), "x");
  EXPECT_TRUE(dir.MakeSymlink("link", "f/g/file"));
  EXPECT_EQ(std::filesystem::read_symlink(dir.Path("link")), "f/g/file");
  EXPECT_FALSE(dir.MakeSymlink("link", "elsewhere")) << "exists";
  EXPECT_FALSE(dir.MakeFile("small/under-a-file"));
}

TEST(TempDirDeathTest, TheConstructorEndsTheProgramNamingThePath) {
  EXPECT_DEATH(TempDir("harness-test", "/nonexistent/base"),
               "/nonexistent/base/harness-test.XXXXXX.*errno 2");
}

TEST(Files, WriteThenReadGiveTheSameBytes) {
  TempDir dir("harness-test");
  const std::string bytes("a\0b\n\xff", 5);
  ASSERT_TRUE(WriteFile(dir.Path("f"), bytes));
  EXPECT_EQ(ReadFile(dir.Path("f")), bytes);
  ASSERT_TRUE(WriteFile(dir.Path("f"), "shorter"));  // truncates
  std::string read = "stale";
  EXPECT_TRUE(ReadFile(dir.Path("f"), &read));
  EXPECT_EQ(read, "shorter");
  ASSERT_TRUE(WriteFile(dir.Path("empty"), ""));
  EXPECT_TRUE(ReadFile(dir.Path("empty"), &read));
  EXPECT_EQ(read, "");
}

TEST(Files, ReadsProcFilesWhoseSizeIsZero) {
  EXPECT_NE(ReadFile("/proc/self/status").find("Pid:"), std::string::npos);
}

TEST(Files, MissingFilesAndDirectoriesAreErrors) {
  TempDir dir("harness-test");
  std::string read = "stale";
  errno = 0;
  EXPECT_FALSE(ReadFile(dir.Path("missing"), &read));
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(read, "");
  EXPECT_EQ(ReadFile(dir.Path("missing")), "");
  EXPECT_FALSE(ReadFile(dir.path(), &read)) << "a directory";
  EXPECT_FALSE(WriteFile(dir.Path("no/such/dir/f"), "x"));
  EXPECT_FALSE(WriteFile(dir.path(), "x")) << "a directory";
}

TEST(FileTail, KeepsTheLastLines) {
  TempDir dir;
  ASSERT_TRUE(dir.Create("harness-test").ok());
  std::ofstream(dir.path() + "/log") << "1\n2\n3\n4\n";
  EXPECT_EQ(FileTail(dir.path() + "/log", 2), "3\n4\n");
  EXPECT_EQ(FileTail(dir.path() + "/missing", 2), "");
}

}  // namespace
}  // namespace localio::harness
