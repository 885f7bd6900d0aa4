#include "tests/cli/running_node.h"

#include <sys/wait.h>

#include <regex>
#include <thread>

#include "node/admin_socket.h"
#include "tests/test_util.h"

namespace allmenning::testing {

ProcessResult runCli(const std::vector<std::string>& args, const std::string& stdinPath,
                     const std::string& cwd) {
  std::vector<std::string> argv;
  if (!cwd.empty()) argv = {"/usr/bin/env", "-C", cwd};
  argv.push_back(ALLMENNING_BINARY);
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, stdinPath);
}

namespace {

std::vector<std::string> runArgv(const std::string& home, const std::vector<std::string>& env,
                                 const std::vector<std::string>& runArgs) {
  std::vector<std::string> argv{"/usr/bin/env"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {ALLMENNING_BINARY, "--home", home, "run"});
  argv.insert(argv.end(), runArgs.begin(), runArgs.end());
  return argv;
}

}  // namespace

RunningNode::RunningNode(const std::string& home, const std::string& logPath,
                         const std::vector<std::string>& env,
                         const std::vector<std::string>& runArgs)
    : home_(home), logPath_(logPath), process_(runArgv(home, env, runArgs), logPath) {}

bool RunningNode::waitReady(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (port() != 0 && AdminClient::connect(adminSocketPath(home_)).isOk()) return true;
    // The child ended (its stdout closed) before it was ready.
    std::string line;
    if (!process_.readLine(&line, std::chrono::milliseconds(0)) && process_.atEnd()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
  }
  return false;
}

uint16_t RunningNode::port() const {
  std::smatch m;
  std::string text = log();
  // Plain lines ("INFO listening on") and journal lines ("<6>listening on").
  static const std::regex kListening(R"((INFO |<6>)listening on \S+:(\d+) )");
  if (!std::regex_search(text, m, kListening)) return 0;
  return static_cast<uint16_t>(std::stoi(m[2]));
}

std::string RunningNode::log() const { return readFile(logPath_); }

int RunningNode::stop(int sig) {
  process_.kill(sig);
  int status = process_.wait();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace allmenning::testing
