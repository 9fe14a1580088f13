// SPDX-License-Identifier: LGPL-3.0-or-later
// The SIGBUS guard (mapping_guard.h) in a process of its own: a truncated
// guarded mapping reads as zeros, and any other SIGBUS ends the process, or
// reaches the handler it replaced, exactly as without the guard.
#include "localio/mapping_guard.h"

#include <fcntl.h>
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
  if (p == MAP_FAILED || !GuardMapping(p, 4096, PROT_READ)) _exit(3);
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
    if (q == MAP_FAILED || !GuardMapping(const_cast<char*>(q), 8192, PROT_READ)) _exit(5);
    if (ftruncate(fd, 0) != 0) _exit(6);
    if (q[4096] != 0 || GuardedFaults() != 1) _exit(7);
  });
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << Describe(status);
}

}  // namespace
}  // namespace localio
