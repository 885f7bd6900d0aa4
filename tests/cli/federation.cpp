#include "tests/cli/federation.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "node/standing.h"

namespace allmenning::testing {

uint16_t freePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::optional<std::chrono::milliseconds> waitUntil(const std::function<bool()>& done,
                                                   std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (done()) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
    }
    if (std::chrono::steady_clock::now() - start > timeout) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

FedNode::FedNode(const std::string& root, const std::string& name, const std::string& kommunenummer)
    : root_(root), name_(name), home_(root + "/" + name), port_(freePort()) {
  auto r = cli({"init", "--name", name + " kommune", "--kommunenummer", kommunenummer, "--listen",
                address()});
  auto id = cli({"id"});
  if (r.exitCode == 0 && id.exitCode == 0 && id.out.size() >= 64) key_ = id.out.substr(0, 64);
}

FedNode::FedNode(const std::string& root, const std::string& name, const FedNode& original)
    : root_(root), name_(name), home_(root + "/" + name), key_(original.key_), port_(freePort()) {
  namespace fs = std::filesystem;
  fs::copy(original.home_, home_, fs::copy_options::recursive);
  std::string config = home_ + "/allmenning.toml";
  std::ifstream in(config);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  size_t at = s.find(original.address());
  if (at != std::string::npos) s.replace(at, original.address().size(), address());
  std::ofstream(config, std::ios::trunc) << s;
  // A copied home holds authoring until a peer confirms its head; this copy
  // is meant to sign beside the original, so it is told to go ahead.
  cli({"authoring", "resume", "--i-have-no-peers"});
}

FedNode::~FedNode() {
  if (proc_) stop();
}

bool FedNode::start() {
  logPath_ = root_ + "/" + name_ + "-" + std::to_string(++starts_) + ".log";
  proc_ = std::make_unique<BackgroundProcess>(
      std::vector<std::string>{ALLMENNING_BINARY, "--home", home_, "run"}, logPath_);
  if (!proc_->started()) return false;
  // The log first: a CLI command that opened the database directly while
  // `run` starts would hold its lock at the wrong moment.
  return waitUntil([&] { return log().find("admin socket") != std::string::npos; },
                   std::chrono::seconds(20)) &&
         waitUntil(
             [&] {
               FedJson s = status();
               return !s.is_null() && s["node"]["running"].get<bool>();
             },
             std::chrono::seconds(20))
             .has_value();
}

bool FedNode::stop() {
  if (!proc_) return false;
  proc_->kill(SIGTERM);
  int status = proc_->wait();
  proc_.reset();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void FedNode::kill() {
  if (!proc_) return;
  proc_->kill(SIGKILL);
  proc_->wait();
  proc_.reset();
}

ProcessResult FedNode::cli(const std::vector<std::string>& args,
                           const std::string& stdinPath) const {
  std::vector<std::string> argv{ALLMENNING_BINARY, "--home", home_};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, stdinPath, std::chrono::seconds(60));
}

FedJson FedNode::status() const {
  auto r = cli({"status", "--json"});
  if (r.exitCode != 0) return nullptr;
  return FedJson::parse(r.out, nullptr, false);
}

uint64_t FedNode::seqOf(const std::string& author) const {
  FedJson s = status();
  if (s.is_null() || s.is_discarded()) return 0;
  for (const auto& a : s["authors"]) {
    if (a["key"] == author) return a["seq"].get<uint64_t>();
  }
  return 0;
}

std::optional<FedJson> FedNode::show(const std::string& ref, bool history) const {
  std::vector<std::string> args{"case", "show", ref, "--json"};
  if (history) args.push_back("--history");
  auto r = cli(args);
  if (r.exitCode != 0) return std::nullopt;
  FedJson shown = FedJson::parse(r.out);
  for (const std::string& key : standingKeys()) shown.erase(key);
  return shown;
}

std::string FedNode::log() const {
  std::ifstream in(logPath_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void trustEachOther(const std::vector<FedNode*>& nodes) {
  for (FedNode* a : nodes) {
    for (FedNode* b : nodes) {
      if (a != b) a->cli({"trust", "add", b->key(), "--name", b->name()});
    }
  }
}

bool connect(FedNode& from, const FedNode& to) {
  return from.cli({"peer", "add", to.address(), to.key()}).exitCode == 0;
}

}  // namespace allmenning::testing
