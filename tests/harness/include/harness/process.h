/* SPDX-License-Identifier: LGPL-3.0-or-later */
// Running other programs from tests: one-shot commands with captured output
// (nfs-cp, nfs-cat, nfs-ls, sha256sum) and long-lived children (servers)
// that are signalled and reaped by pid.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "localio/status.h"

namespace localio::harness {

struct CommandResult {
  int exit_code = -1;       // exit status, or -1 when killed by a signal
  int term_signal = 0;      // signal that ended it, 0 if it exited
  bool timed_out = false;   // killed by RunCommand after the timeout
  std::string out;          // everything it wrote to stdout
  std::string err;          // everything it wrote to stderr
  bool Succeeded() const { return exit_code == 0 && !timed_out; }
  // "exit 10 / signal 9 / timed out" plus stderr, for assertion messages.
  std::string Describe() const;
};

// Runs argv[0] (a path, or a name looked up in PATH) with the arguments,
// stdin from /dev/null. Past the timeout the child gets SIGKILL.
// Status is an error only when the command could not be started.
Status RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  CommandResult* result);

// A child process started with fork/exec; stdout and stderr go to a file.
// The child gets SIGTERM if the starting thread dies (PR_SET_PDEATHSIG) so a
// crashed test leaves no server behind.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // kills (SIGKILL) and reaps a child still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  Status Spawn(const std::vector<std::string>& argv, const std::string& output_path);
  pid_t pid() const { return pid_; }
  // True while the child has not been reaped; reaps it if it has exited.
  bool Running();
  // Status text of how the reaped child ended ("exit 2", "signal 11").
  const std::string& exit_description() const { return exit_description_; }
  Status Signal(int sig);
  // Waits until the child ends; false if it is still running after timeout.
  bool WaitExit(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL after grace; always reaps.
  void Terminate(std::chrono::milliseconds grace);

 private:
  void Reaped(int wait_status);
  pid_t pid_ = -1;
  std::string exit_description_;
};

// The last max_lines lines of a text file ("" if it cannot be read).
std::string FileTail(const std::string& path, size_t max_lines);

}  // namespace localio::harness
