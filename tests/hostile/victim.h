// What the hostile tests watch on the victim node while it is attacked:
// its process (memory, file descriptors) and its sync with an honest peer
// that keeps authoring throughout.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/cli/federation.h"

namespace allmenning::testing {

// The pid of the `allmenning --home <home> run` process, or -1.
pid_t pidOfRun(const std::string& home);
// VmRSS of `pid` in KiB, or 0 when it cannot be read.
uint64_t rssKiB(pid_t pid);
// CPU time `pid` has used, user and system, in ms; 0 when unreadable.
uint64_t cpuMs(pid_t pid);
// Open sockets of `pid` (entries of /proc/<pid>/fd that are sockets), or 0.
size_t fdCount(pid_t pid);

// Samples a process's RSS every 50 ms on its own thread, from construction
// until stop(): a baseline taken on request and the maximum after it.
class RssSampler {
 public:
  explicit RssSampler(pid_t pid);
  ~RssSampler();
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  // Takes the current RSS as the baseline; the maximum restarts from it.
  void markBaseline();
  void stop();
  uint64_t baselineKiB() const { return baseline_; }
  uint64_t maxKiB() const { return max_; }
  size_t samples() const { return samples_; }

 private:
  void run();

  pid_t pid_;
  std::atomic<uint64_t> baseline_{0};
  std::atomic<uint64_t> max_{0};
  std::atomic<size_t> samples_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The honest peer's work: a new case authored at `author` every `period`
// through the CLI, and after each, the head seq `watcher` shows for the
// author's key, with the time it was read.
class HonestLoad {
 public:
  struct Sample {
    std::chrono::steady_clock::time_point at;
    uint64_t seq = 0;
  };

  HonestLoad(FedNode& author, const FedNode& watcher, std::string dir,
             std::chrono::milliseconds period);
  ~HonestLoad();
  HonestLoad(const HonestLoad&) = delete;
  HonestLoad& operator=(const HonestLoad&) = delete;

  void stop();
  // Cases the author published, and `case put` runs that failed.
  size_t puts() const { return puts_; }
  size_t failures() const { return failures_; }
  std::vector<Sample> samples() const;

 private:
  void run();

  FedNode& author_;
  const FedNode& watcher_;
  std::string dir_;
  std::chrono::milliseconds period_;
  std::atomic<size_t> puts_{0};
  std::atomic<size_t> failures_{0};
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Sample> samples_;
  std::thread thread_;
};

}  // namespace allmenning::testing
