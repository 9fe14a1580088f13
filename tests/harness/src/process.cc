// SPDX-License-Identifier: LGPL-3.0-or-later
#include "harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <thread>

namespace localio::harness {
namespace {

using Steady = std::chrono::steady_clock;

std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> ptrs;
  for (const std::string& a : argv) ptrs.push_back(const_cast<char*>(a.c_str()));
  ptrs.push_back(nullptr);
  return ptrs;
}

// In the child after fork: a clean signal state (the parent may block or
// ignore signals it waits for), then exec.
void ResetSignals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
}

// In the child after fork: report errno through the close-on-exec pipe, so
// the parent can tell "could not exec" from "ran and failed".
[[noreturn]] void ExecOrReport(std::vector<char*>& argv, int report_fd) {
  execvp(argv[0], argv.data());
  int err = errno;
  ssize_t ignored = write(report_fd, &err, sizeof(err));
  (void)ignored;
  _exit(127);
}

// Reads the exec report: 0 when exec succeeded (pipe closed with no data).
int ExecErrno(int report_fd) {
  int err = 0;
  ssize_t r;
  do {
    r = read(report_fd, &err, sizeof(err));
  } while (r < 0 && errno == EINTR);
  close(report_fd);
  return r == static_cast<ssize_t>(sizeof(err)) ? err : 0;
}

std::string DescribeWait(int wait_status) {
  if (WIFEXITED(wait_status)) return "exit " + std::to_string(WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return "signal " + std::to_string(WTERMSIG(wait_status));
  return "unknown wait status";
}

}  // namespace

std::string CommandResult::Describe() const {
  std::string what = timed_out ? "timed out" :
                     term_signal != 0 ? "signal " + std::to_string(term_signal) :
                                        "exit " + std::to_string(exit_code);
  return what + (err.empty() ? "" : ", stderr: " + err);
}

Status RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  CommandResult* result) {
  *result = CommandResult();
  if (argv.empty()) return Status::Error(-EINVAL, "RunCommand: empty argv");
  int out[2], err[2], report[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    const int e = errno;
    return Status::Error(-e, std::string("pipe: ") + std::strerror(e));
  }
  std::vector<char*> args = ArgvPointers(argv);
  pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    return Status::Error(-e, std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    ResetSignals();
    ExecOrReport(args, report[1]);
  }
  close(out[1]);
  close(err[1]);
  close(report[1]);
  if (int e = ExecErrno(report[0]); e != 0) {
    close(out[0]);
    close(err[0]);
    waitpid(pid, nullptr, 0);
    return Status::Error(-e, "cannot run " + argv[0] + ": " + std::strerror(e));
  }

  const auto deadline = Steady::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result->out, &result->err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      result->timed_out = true;
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[65536];
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        sinks[i]->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result->exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result->term_signal = WTERMSIG(status);
  return Status::Ok();
}

ChildProcess::~ChildProcess() {
  if (Running()) Terminate(std::chrono::milliseconds(0));
}

Status ChildProcess::Spawn(const std::vector<std::string>& argv, const std::string& output_path) {
  if (Running())
    return Status::Error(-EBUSY,
                         "ChildProcess::Spawn: already running as pid " + std::to_string(pid_));
  if (argv.empty()) return Status::Error(-EINVAL, "ChildProcess::Spawn: empty argv");
  int log = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    const int e = errno;
    return Status::Error(-e, "cannot open " + output_path + ": " + std::strerror(e));
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    const int e = errno;
    close(log);
    return Status::Error(-e, std::string("pipe: ") + std::strerror(e));
  }
  std::vector<char*> args = ArgvPointers(argv);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(log);
    return Status::Error(-e, std::string("fork: ") + std::strerror(e));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(1);  // parent already gone
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    dup2(devnull, 0);
    dup2(log, 1);
    dup2(log, 2);
    setpgid(0, 0);  // own group: a terminal's Ctrl-C reaches the owner, who stops it
    ResetSignals();
    ExecOrReport(args, report[1]);
  }
  close(log);
  close(report[1]);
  if (int e = ExecErrno(report[0]); e != 0) {
    waitpid(pid, nullptr, 0);
    return Status::Error(-e, "cannot run " + argv[0] + ": " + std::strerror(e));
  }
  pid_ = pid;
  exit_description_.clear();
  return Status::Ok();
}

void ChildProcess::Reaped(int wait_status) {
  exit_description_ = DescribeWait(wait_status);
  pid_ = -1;
}

bool ChildProcess::Running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    Reaped(status);
    return false;
  }
  return true;
}

Status ChildProcess::Signal(int sig) {
  if (!Running()) return Status::Error(-ESRCH, "process is not running");
  if (kill(pid_, sig) != 0) {
    const int e = errno;
    return Status::Error(-e, std::string("kill: ") + std::strerror(e));
  }
  return Status::Ok();
}

bool ChildProcess::WaitExit(std::chrono::milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  while (Running()) {
    if (Steady::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

void ChildProcess::Terminate(std::chrono::milliseconds grace) {
  if (!Running()) return;
  if (grace.count() > 0) {
    kill(pid_, SIGTERM);
    if (WaitExit(grace)) return;
  }
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  Reaped(status);
}

std::string FileTail(const std::string& path, size_t max_lines) {
  std::ifstream in(path);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > max_lines) lines.pop_front();
  }
  std::string text;
  for (const std::string& l : lines) text += l + "\n";
  return text;
}

}  // namespace localio::harness
