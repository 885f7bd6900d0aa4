// Test harness: real `allmenning run` processes on loopback, each in its own
// home, driven through the CLI (and so through their admin sockets).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tests/cli/process.h"

namespace allmenning::testing {

using FedJson = nlohmann::ordered_json;

// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t freePort();

// Polls `done` every 20 ms until it is true or `timeout` passes. Returns the
// time it took, or nullopt on timeout.
std::optional<std::chrono::milliseconds> waitUntil(const std::function<bool()>& done,
                                                   std::chrono::milliseconds timeout);

class FedNode {
 public:
  // Creates the home `<root>/<name>` with a node listening on a free port.
  FedNode(const std::string& root, const std::string& name, const std::string& kommunenummer);
  // A copy of `original`'s home (same key, same log so far) on its own port:
  // two processes signing with one key, as an equivocating body would.
  FedNode(const std::string& root, const std::string& name, const FedNode& original);
  ~FedNode();
  FedNode(const FedNode&) = delete;
  FedNode& operator=(const FedNode&) = delete;

  // Starts `allmenning run` and waits until its admin socket answers.
  // Each start logs to a new file, `<root>/<name>-<n>.log`.
  bool start();
  // SIGTERM, then waits; true when it exited 0.
  bool stop();
  // SIGKILL, then waits: a crash, with no chance to flush or clean up.
  void kill();
  bool running() const { return proc_ != nullptr; }

  // Runs the binary with `--home <home>` and `args`.
  ProcessResult cli(const std::vector<std::string>& args, const std::string& stdinPath = "") const;
  // `status --json`, or null when it failed.
  FedJson status() const;
  // The head seq of `author` (hex) in status, 0 if absent.
  uint64_t seqOf(const std::string& author) const;
  // Whether `case show ref` succeeds, and its JSON.
  // `case show --json` without the author's standing (node/standing.h): the
  // signed facts every node shares, not why this node holds the author or
  // what it calls it.
  std::optional<FedJson> show(const std::string& ref, bool history = false) const;
  // Everything this run logged so far.
  std::string log() const;

  const std::string& name() const { return name_; }
  const std::string& home() const { return home_; }
  const std::string& key() const { return key_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  std::string root_, name_, home_, key_;
  uint16_t port_ = 0;
  int starts_ = 0;
  std::string logPath_;
  std::unique_ptr<BackgroundProcess> proc_;
};

// Makes every node in `nodes` trust every other one directly.
void trustEachOther(const std::vector<FedNode*>& nodes);
// `from` dials `to`.
bool connect(FedNode& from, const FedNode& to);

}  // namespace allmenning::testing
