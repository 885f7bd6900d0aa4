#include "tests/net/ns_node.h"

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

namespace allmenning::testing {

NsNode::NsNode(const std::string& root, const std::string& name, const std::string& host,
               std::vector<std::string> exec)
    : root_(root),
      name_(name),
      home_(root + "/" + name),
      address_(host + ":7400"),
      exec_(std::move(exec)),
      logPath_(root + "/" + name + ".log") {
  auto r = cli({"init", "--name", name + " kommune", "--listen", address_});
  auto id = cli({"id"});
  if (r.exitCode == 0 && id.exitCode == 0 && id.out.size() >= 64) key_ = id.out.substr(0, 64);
}

NsNode::~NsNode() {
  if (proc_) stop();
}

bool NsNode::start() {
  std::vector<std::string> argv = exec_;
  argv.insert(argv.end(), {ALLMENNING_BINARY, "--home", home_, "run"});
  proc_ = std::make_unique<BackgroundProcess>(argv, logPath_);
  if (!proc_->started()) return false;
  // The log first: a CLI command that opened the database directly while
  // `run` starts would hold its lock at the wrong moment.
  return waitUntil([&] { return log().find("admin socket") != std::string::npos; },
                   std::chrono::seconds(20)) &&
         waitUntil(
             [&] {
               FedJson s = status();
               return !s.is_null() && !s.is_discarded() && s["node"]["running"].get<bool>();
             },
             std::chrono::seconds(20))
             .has_value();
}

bool NsNode::stop() {
  if (!proc_) return false;
  proc_->kill(SIGTERM);
  int status = proc_->wait();
  proc_.reset();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

ProcessResult NsNode::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{ALLMENNING_BINARY, "--home", home_};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, "", std::chrono::seconds(60));
}

FedJson NsNode::status() const {
  auto r = cli({"status", "--json"});
  if (r.exitCode != 0) return nullptr;
  return FedJson::parse(r.out, nullptr, false);
}

HeadMap NsNode::heads() const {
  HeadMap out;
  FedJson s = status();
  if (s.is_null() || s.is_discarded()) return out;
  for (const auto& a : s["authors"]) {
    out[a["key"].get<std::string>()] = {a["seq"].get<uint64_t>(), a["head"].get<std::string>()};
  }
  return out;
}

size_t NsNode::connections() const {
  FedJson s = status();
  return s.is_null() || s.is_discarded() ? 0 : s["connections"].size();
}

std::string NsNode::log() const {
  std::ifstream in(logPath_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace allmenning::testing
