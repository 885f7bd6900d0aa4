// A small network built of Linux network namespaces, for partition tests.
//
//   hub namespace:  bridge br0 --+-- p0 ... p(N-1)   (the bridge ports)
//                                |
//   node namespace i:      eth0 (198.18.0.(i+1)/24), the other end of p(i)
//
// Each node namespace is joined to the bridge by one veth pair; nothing is
// created in the caller's own namespace, so the host's network is never
// touched. The addresses are in 198.18.0.0/15, the range set aside for
// network benchmark tests (RFC 2544), and exist only inside the lab.
//
// Namespace names carry the pid, so parallel runs never clash; the
// destructor deletes every namespace it made, which takes the veth pairs
// and the bridge with it. Namespaces left by a run that was killed (pid no
// longer alive) are deleted by the next lab.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace allmenning::testing {

// Which end of a node's veth pair a cut takes down.
enum class LinkEnd {
  kBridge,  // the bridge port: the node sees its carrier go (a pulled cable)
  kNode,    // the node's own interface: its route goes too, connects fail at once
};

class NetnsLab {
 public:
  // Why no lab can be built here (not root, no `ip`, namespaces, bridges or
  // veth pairs refused), or empty when it can.
  static std::string unavailable();

  explicit NetnsLab(size_t nodes);
  ~NetnsLab();
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  // Empty when every namespace, link and address was set up.
  const std::string& error() const { return error_; }
  size_t size() const { return nodes_; }
  std::string nodeNamespace(size_t i) const;
  std::string address(size_t i) const;
  // The argv prefix that runs a program inside node i's namespace; the
  // program is killed when the calling thread ends.
  std::vector<std::string> execIn(size_t i) const;
  // `ip link set ... down` / `up` on one end of node i's veth pair.
  bool setLink(size_t i, LinkEnd end, bool up);

 private:
  bool build();
  bool ip(const std::vector<std::string>& args);

  size_t nodes_;
  std::string prefix_;  // "almlab-<pid>-"
  std::vector<std::string> created_;
  std::string error_;
};

// The `ip` binary, or empty when none is installed.
std::string ipBinary();

}  // namespace allmenning::testing
