// allmenning run: the node on the network, serving the other commands on its
// admin socket, until SIGINT or SIGTERM.
//
// Threads: the main thread waits for the stop signal; the io thread runs the
// P2P shell (node/runtime.h); the admin thread runs the commands that come
// through <home>/admin.sock, one at a time, with the same code the CLI runs
// directly (cli/app.cpp).
#include <pthread.h>
#include <signal.h>

#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "node/admin_socket.h"
#include "node/runtime.h"

namespace allmenning::cli {
namespace {

// Blocks SIGINT and SIGTERM in this thread, and so in every thread started
// after it. waitForStop() then takes them synchronously: no code ever runs
// inside a signal handler.
sigset_t blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

std::string waitForStop(const sigset_t& set) {
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

// The command line for the log: control characters replaced, so a request
// cannot forge log lines, and the length capped.
std::string loggable(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) out += (out.empty() ? "" : " ") + arg;
  if (out.size() > 200) out = out.substr(0, 200) + "...";
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '"') c = '?';
  }
  return out;
}

// Runs one command that came through the admin socket, on the open node,
// exactly as the CLI would have run it in the client's folder.
int serveCommand(Node& node, const std::string& home, const LogSink& log,
                 const AdminRequest& request, std::ostream& out, std::ostream& err) {
  Globals g;
  g.home = home;
  g.node = &node;
  g.cwd = request.cwd;
  g.outStream = &out;
  g.errStream = &err;
  std::istringstream noInput;
  g.inStream = &noInput;
  g.stdinData = request.stdinData;
  g.argv = request.argv;
  CLI::App app{kAppDescription, "allmenning"};
  buildApp(app, g);
  std::vector<const char*> argv{"allmenning"};
  for (const auto& arg : request.argv) argv.push_back(arg.c_str());
  int code = runCli(app, g, static_cast<int>(argv.size()), argv.data());
  log(LogLevel::kInfo,
      "admin command=\"" + loggable(request.argv) + "\" exit=" + std::to_string(code));
  return code;
}

Result<RuntimeOptions> runtimeOptions(Node& node, const LogSink& log) {
  RuntimeOptions options;
  applyLimits(node.config().limits, options.p2p);
  auto peers = node.peers();
  if (!peers.isOk()) return peers.status();
  options.p2p.peers = std::move(*peers);
  options.policy = [&node](const PublicKey& key) { return node.allowsPeer(key); };
  options.log = log;
  return options;
}

// Serves the admin socket on its own thread until a stop signal; the socket
// file is gone when this returns.
int serveUntilStopped(Globals& g, Node& node, const LogSink& log, const sigset_t& stop) {
  AdminServerOptions options;
  options.log = [log](std::string_view line) { log(LogLevel::kWarn, line); };
  std::string home = g.home;
  auto server = AdminServer::listen(
      adminSocketPath(home),
      [&node, home, log](const AdminRequest& r, std::ostream& out, std::ostream& err) {
        return serveCommand(node, home, log, r, out, err);
      },
      std::move(options));
  if (!server.isOk()) return fail(g, server.status());
  log(LogLevel::kInfo, "admin socket path=" + (*server)->path());
  std::thread admin([&server] { (*server)->serve(); });
  log(LogLevel::kInfo, "stopping signal=" + waitForStop(stop));
  (*server)->stop();
  admin.join();
  return 0;
}

int runNode(Globals& g) {
  if (g.node) return fail(g, Status::refused("run: this node is running already"));
  sigset_t stop = blockStopSignals();
  // A client that hangs up must cost its own connection, never the node.
  ::signal(SIGPIPE, SIG_IGN);
  std::string socket = adminSocketPath(g.home);
  if (AdminClient::connect(socket).isOk()) {
    return fail(
        g, Status::refused("a node is already running in " + g.home + ": " + socket + " answers"));
  }
  // From here on the database lock is ours, so any admin.sock is stale.
  auto node = openNode(g);
  if (!node.isOk()) return fail(g, node.status());
  auto key = loadKey(HomePaths{g.home}.key());
  if (!key.isOk()) return fail(g, key.status());
  LogSink log = stderrLog();
  log(LogLevel::kInfo, "node starting key=" + toHex((*node)->id()) + " home=" + g.home);
  auto options = runtimeOptions(**node, log);
  if (!options.isOk()) return fail(g, options.status());
  Runtime runtime(**node, **key, std::move(*options));
  Status st = runtime.start();
  if (!st.isOk()) return fail(g, st);
  (*node)->setNetwork(&runtime);
  int code = serveUntilStopped(g, **node, log, stop);
  (*node)->setNetwork(nullptr);
  runtime.stop();
  log(LogLevel::kInfo, "node stopped exit=" + std::to_string(code));
  return code;
}

}  // namespace

void addRun(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "run", "Run the node on the network until SIGINT or SIGTERM; serves the other commands");
  cmd->callback([&g] { g.exitCode = runNode(g); });
}

}  // namespace allmenning::cli
