#include "tests/net/netns_lab.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <sstream>

#include "tests/cli/process.h"

namespace allmenning::testing {
namespace {

constexpr const char* kLabPrefix = "almlab-";

ProcessResult runIp(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ipBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, "", std::chrono::seconds(10));
}

std::string joined(const std::vector<std::string>& args) {
  std::string out = "ip";
  for (const auto& a : args) out += " " + a;
  return out;
}

// Deletes lab namespaces whose creating process is gone (a run that was
// killed before its destructor ran). Names are "almlab-<pid>-...".
void deleteOrphans() {
  ProcessResult list = runIp({"netns", "list"});
  for (const std::string& line : linesOf(list.out)) {
    std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kLabPrefix, 0) != 0) continue;
    pid_t pid =
        static_cast<pid_t>(std::atol(name.c_str() + std::char_traits<char>::length(kLabPrefix)));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) runIp({"netns", "del", name});
  }
}

}  // namespace

std::string ipBinary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

// Tries, in a namespace of its own, everything a lab needs.
std::string NetnsLab::unavailable() {
  if (::geteuid() != 0) return "network namespaces need root";
  if (ipBinary().empty()) return "no `ip` binary (iproute2 is not installed)";
  std::string probe = kLabPrefix + std::to_string(::getpid()) + "-probe";
  std::vector<std::vector<std::string>> steps{
      {"netns", "add", probe},
      {"-n", probe, "link", "add", "br0", "type", "bridge"},
      {"-n", probe, "link", "add", "v0", "type", "veth", "peer", "name", "v1"},
  };
  std::string why;
  for (const auto& step : steps) {
    ProcessResult r = runIp(step);
    if (r.exitCode != 0) {
      why = "`" + joined(step) + "` failed: " + describe(r);
      break;
    }
  }
  runIp({"netns", "del", probe});
  return why;
}

NetnsLab::NetnsLab(size_t nodes)
    : nodes_(nodes), prefix_(kLabPrefix + std::to_string(::getpid()) + "-") {
  deleteOrphans();
  if (!build() && error_.empty()) error_ = "lab setup failed";
}

NetnsLab::~NetnsLab() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) runIp({"netns", "del", *it});
}

std::string NetnsLab::nodeNamespace(size_t i) const { return prefix_ + "n" + std::to_string(i); }

std::string NetnsLab::address(size_t i) const { return "198.18.0." + std::to_string(i + 1); }

// setpriv (util-linux) makes the program die with the test process, so a
// run killed by a timeout leaves no node behind holding its namespace.
std::vector<std::string> NetnsLab::execIn(size_t i) const {
  std::vector<std::string> argv{ipBinary(), "netns", "exec", nodeNamespace(i)};
  if (::access("/usr/bin/setpriv", X_OK) == 0) {
    argv.insert(argv.end(), {"/usr/bin/setpriv", "--pdeathsig", "KILL"});
  }
  return argv;
}

bool NetnsLab::setLink(size_t i, LinkEnd end, bool up) {
  std::string state = up ? "up" : "down";
  if (end == LinkEnd::kBridge) {
    return ip({"-n", prefix_ + "hub", "link", "set", "p" + std::to_string(i), state});
  }
  return ip({"-n", nodeNamespace(i), "link", "set", "eth0", state});
}

bool NetnsLab::build() {
  std::string hub = prefix_ + "hub";
  if (!ip({"netns", "add", hub})) return false;
  created_.push_back(hub);
  if (!ip({"-n", hub, "link", "add", "br0", "type", "bridge"}) ||
      !ip({"-n", hub, "link", "set", "br0", "up"}))
    return false;
  for (size_t i = 0; i < nodes_; ++i) {
    std::string ns = nodeNamespace(i);
    std::string port = "p" + std::to_string(i);
    if (!ip({"netns", "add", ns})) return false;
    created_.push_back(ns);
    // Made inside the hub, with its peer moved straight into the node's
    // namespace: no interface ever appears in ours.
    if (!ip({"-n", ns, "link", "set", "lo", "up"}) ||
        !ip({"-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
             ns}) ||
        !ip({"-n", hub, "link", "set", port, "master", "br0"}) ||
        !ip({"-n", hub, "link", "set", port, "up"}) ||
        !ip({"-n", ns, "addr", "add", address(i) + "/24", "dev", "eth0"}) ||
        !ip({"-n", ns, "link", "set", "eth0", "up"}))
      return false;
  }
  return true;
}

bool NetnsLab::ip(const std::vector<std::string>& args) {
  ProcessResult r = runIp(args);
  if (r.exitCode == 0) return true;
  if (error_.empty()) error_ = "`" + joined(args) + "` failed: " + describe(r);
  return false;
}

}  // namespace allmenning::testing
