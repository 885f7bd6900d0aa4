// One `allmenning run` inside a network namespace, driven through the CLI
// from the test's own namespace: the admin socket is a Unix socket in the
// node's home, so the file system reaches it wherever the node's network is.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/cli/federation.h"
#include "tests/cli/process.h"

namespace allmenning::testing {

// author (hex) -> (head seq, head hash), as `status --json` shows them.
using HeadMap = std::map<std::string, std::pair<uint64_t, std::string>>;

class NsNode {
 public:
  // Creates the home `<root>/<name>`, listening on `host`:7400. `exec` is
  // the argv prefix that runs a program in the node's namespace.
  NsNode(const std::string& root, const std::string& name, const std::string& host,
         std::vector<std::string> exec);
  ~NsNode();
  NsNode(const NsNode&) = delete;
  NsNode& operator=(const NsNode&) = delete;

  // Starts `allmenning run` in the namespace; waits until the admin socket
  // answers and the node reports running.
  bool start();
  // SIGTERM, then waits; true when it exited 0.
  bool stop();

  ProcessResult cli(const std::vector<std::string>& args) const;
  // `status --json`, or null when it failed.
  FedJson status() const;
  // The heads in `status`; empty when status failed.
  HeadMap heads() const;
  // Open connections in `status`.
  size_t connections() const;
  std::string log() const;

  const std::string& name() const { return name_; }
  const std::string& key() const { return key_; }
  const std::string& address() const { return address_; }

 private:
  std::string root_, name_, home_, address_, key_;
  std::vector<std::string> exec_;
  std::string logPath_;
  std::unique_ptr<BackgroundProcess> proc_;
};

}  // namespace allmenning::testing
