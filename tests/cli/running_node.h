// `allmenning run` as a background child process for end-to-end tests, and
// the CLI run against a node's home.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/cli/process.h"

namespace allmenning::testing {

// Runs ALLMENNING_BINARY with `args`; with a non-empty `cwd`, in that folder
// (through `env -C`, so relative paths are relative to it).
ProcessResult runCli(const std::vector<std::string>& args, const std::string& stdinPath = "",
                     const std::string& cwd = "");

// `allmenning --home HOME run`, its stderr (the log) kept in a file. The
// destructor kills a child still running.
class RunningNode {
 public:
  // `env` ("NAME=value") is added to the child's environment, and `runArgs`
  // follow `run`.
  RunningNode(const std::string& home, const std::string& logPath,
              const std::vector<std::string>& env = {},
              const std::vector<std::string>& runArgs = {});

  // Waits until the log shows the listening line and admin.sock answers.
  // False on timeout, or when the child exits first.
  bool waitReady(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The P2P port from the "listening on HOST:PORT" line; 0 before it.
  uint16_t port() const;
  // Everything logged so far.
  std::string log() const;
  // Sends `sig` and waits for the child to end; returns its exit code, or
  // -1 when a signal ended it.
  int stop(int sig);
  // Sends `sig` without waiting.
  void signal(int sig) { process_.kill(sig); }

 private:
  std::string home_;
  std::string logPath_;
  BackgroundProcess process_;
};

}  // namespace allmenning::testing
