// SPDX-License-Identifier: LGPL-3.0-or-later
// The SIGBUS guard (mapping_guard.h) in a process of its own: a truncated
// guarded mapping reads as zeros, and any other SIGBUS ends the process, or
// reaches the handler it replaced, exactly as without the guard.
#include "localio/mapping_guard.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "localio/map_file.h"

namespace localio {
namespace {

// Runs `body` in a child; its wait status, or -1 when it has not ended
// within 10 s (then killed).
int InChild(const std::function<void()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status;
}

std::string Describe(int status) {
  if (status == -1) return "hung";
  if (WIFSIGNALED(status)) return std::string("killed by ") + strsignal(WTERMSIG(status));
  return "exit " + std::to_string(WEXITSTATUS(status));
}

void GuardSomething() {
  void* p = mmap(nullptr, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED || !GuardMapping(p, 4096, PROT_READ).ok()) _exit(3);
}

TEST(MappingGuard, AnUnrelatedSigbusStillKillsTheProcess) {
  const int sent = InChild([] {
    GuardSomething();
    raise(SIGBUS);
  });
  EXPECT_TRUE(WIFSIGNALED(sent) && WTERMSIG(sent) == SIGBUS) << Describe(sent);

  // A real fault outside any guarded mapping: a mapped file past its end.
  const int fault = InChild([] {
    GuardSomething();
    char path[] = "/tmp/localio-guard-XXXXXX";
    const int fd = mkstemp(path);
    unlink(path);
    if (fd < 0 || ftruncate(fd, 4096) != 0) _exit(4);
    auto* q = static_cast<volatile char*>(mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0));
    if (q == MAP_FAILED || ftruncate(fd, 0) != 0) _exit(5);
    (void)q[0];
  });
  EXPECT_TRUE(WIFSIGNALED(fault) && WTERMSIG(fault) == SIGBUS) << Describe(fault);
}

TEST(MappingGuard, AnIgnoredSentSigbusStaysIgnored) {
  const int status = InChild([] {
    signal(SIGBUS, SIG_IGN);
    GuardSomething();
    raise(SIGBUS);
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Describe(status);
}

// As Ganesha's crash handler (-C): SA_RESETHAND, note the crash, raise again
// to die of the default action.
int g_pipe = -1;
void CrashHandler(int sig, siginfo_t*, void*) {
  const char note = 'C';
  (void)!write(g_pipe, &note, 1);
  raise(sig);
}

TEST(MappingGuard, APreviousResetHandHandlerRunsOnceAndTheProcessDies) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const int status = InChild([&] {
    close(fds[0]);
    g_pipe = fds[1];
    struct sigaction crash = {};
    crash.sa_sigaction = CrashHandler;
    crash.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&crash.sa_mask);
    sigaction(SIGBUS, &crash, nullptr);
    GuardSomething();
    raise(SIGBUS);
  });
  close(fds[1]);
  std::string notes;
  char c;
  while (read(fds[0], &c, 1) == 1) notes.push_back(c);
  close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) << Describe(status);
  EXPECT_EQ(notes.size(), 1u) << "times the crash handler ran";
}

TEST(MappingGuard, ATruncatedGuardedMappingReadsAsZeros) {
  const int status = InChild([] {
    char path[] = "/tmp/localio-guard-XXXXXX";
    const int fd = mkstemp(path);
    unlink(path);
    if (fd < 0 || ftruncate(fd, 8192) != 0) _exit(4);
    auto* q = static_cast<volatile char*>(mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0));
    if (q == MAP_FAILED || !GuardMapping(const_cast<char*>(q), 8192, PROT_READ).ok()) _exit(5);
    if (ftruncate(fd, 0) != 0) _exit(6);
    if (q[4096] != 0 || GuardedFaults() != 1) _exit(7);
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Describe(status);
}

// A temp file of `pages` pages, unlinked; its fd (exits the child on failure).
int TempFile(size_t pages, std::string* path) {
  char name[] = "/tmp/localio-guard-XXXXXX";
  const int fd = mkstemp(name);
  if (fd < 0 || ftruncate(fd, static_cast<off_t>(pages * 4096)) != 0) _exit(4);
  *path = name;
  return fd;
}

// Many clients in one process (two mappings per session: the map and the
// hello file): far more mappings than any fixed table, each of which reads
// zeros once a hostile client truncated the file. Mapped and unmapped in
// waves, so that freed ranges are used again too.
TEST(MappingGuard, HundredsOfMappingsOfATruncatedFileAllReadAsZeros) {
  constexpr int kMappings = 600;
  const int status = InChild([] {
    std::string path;
    const int fd = TempFile(2, &path);
    std::vector<SharedFile> files(kMappings);
    for (int round = 0; round < 2; ++round) {
      for (SharedFile& f : files)
        if (!OpenSharedFile(path, /*writable=*/round == 1, nullptr, &f).ok()) _exit(5);
      if (round == 0) files.resize(kMappings / 3);  // unmapped: their ranges are free
      files.resize(kMappings);
    }
    for (SharedFile& f : files)
      if (f.base()[4096] != 0) _exit(6);  // touched while the file is whole
    if (ftruncate(fd, 0) != 0) _exit(7);
    unlink(path.c_str());
    for (SharedFile& f : files)
      if (f.base()[4096] != 0 || f.base()[0] != 0) _exit(8);
    if (GuardedFaults() != 2 * kMappings) _exit(9);
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Describe(status);
}

// Reads the process's mapped size in pages from /proc/self/statm, without
// allocating (the test limits the address space right after).
long MappedPages() {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  char text[128] = {};
  const ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
  if (fd >= 0) close(fd);
  return n > 0 ? std::strtol(text, nullptr, 10) : -1;
}

// When the guard has no room for another range (its chunks are full and no
// memory is left for another), the file is not used: OpenSharedFile fails
// and says why, instead of handing out a mapping that a truncation would
// turn into SIGBUS.
TEST(MappingGuard, AMappingThatCannotBeGuardedIsNotUsed) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const int status = InChild([&] {
    close(fds[0]);
    std::string path;
    TempFile(1, &path);
    // Every range of the first chunk in use.
    std::vector<SharedFile> files(kGuardChunkRanges);
    for (SharedFile& f : files)
      if (!OpenSharedFile(path, false, nullptr, &f).ok()) _exit(5);
    // Room for the file's page, not for the guard's next chunk.
    const long pages = MappedPages();
    if (pages <= 0) _exit(6);
    const rlim_t limit = static_cast<rlim_t>(pages + 1) * 4096 + 2048;
    const struct rlimit as = {limit, limit};
    if (setrlimit(RLIMIT_AS, &as) != 0) _exit(7);
    SharedFile one_more;
    const Status st = OpenSharedFile(path, false, nullptr, &one_more);
    const struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_AS, &unlimited);
    unlink(path.c_str());
    const std::string report = std::to_string(st.code) + " " + st.message;
    (void)!write(fds[1], report.data(), report.size());
    _exit(st.ok() || one_more.base() != nullptr ? 8 : 0);
  });
  close(fds[1]);
  std::string report;
  char c;
  while (read(fds[0], &c, 1) == 1) report.push_back(c);
  close(fds[0]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Describe(status) << ": " << report;
  EXPECT_NE(report.find("could not be guarded against truncation"), std::string::npos) << report;
  EXPECT_EQ(report.rfind(std::to_string(-ENOMEM) + " ", 0), 0u) << report;
}

}  // namespace
}  // namespace localio
