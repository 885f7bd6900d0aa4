// allmenning run: the node on the network, serving the other commands on its
// admin socket, until SIGINT or SIGTERM; SIGHUP reloads the config.
//
// Threads: the main thread waits for the signals and reloads the config; the io thread runs the
// P2P shell (node/runtime.h); the admin thread runs the commands that come
// through <home>/admin.sock, one at a time, with the same code the CLI runs
// directly (cli/app.cpp).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <sstream>
#include <thread>

#include "cli/cli.h"
#include "node/admin_socket.h"
#include "node/config_reload.h"
#include "node/runtime.h"
#include "node/service_notifier.h"

namespace allmenning::cli {
namespace {

// Blocks SIGINT, SIGTERM and SIGHUP in this thread, and so in every thread
// started after it. waitForStop() then takes them synchronously: no code
// ever runs inside a signal handler, and a SIGHUP that comes while the node
// still starts waits for it.
sigset_t blockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Calls `hangup` for each SIGHUP until SIGINT or SIGTERM, and names that.
std::string waitForStop(const sigset_t& set, const std::function<void()>& hangup) {
  for (;;) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig != SIGHUP) return sig == SIGINT ? "SIGINT" : "SIGTERM";
    hangup();
  }
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

// The command's name ("case put"), from the subcommands CLI11 parsed.
std::string commandName(const CLI::App& app) {
  std::string name;
  for (const CLI::App* cmd = &app;;) {
    auto parsed = cmd->get_subcommands();
    if (parsed.empty()) break;
    cmd = parsed.front();
    name += (name.empty() ? "" : " ") + cmd->get_name();
  }
  return name.empty() ? "?" : name;
}

// Runs one command that came through the admin socket, on the open node,
// exactly as the CLI would have run it in the client's folder. The log names
// the command; its arguments (a search's words, a file's path) are what a
// user asked, and appear only at debug level.
int serveCommand(Node& node, const std::string& home, const Logger& log,
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
  std::string line = "admin command=\"" + loggable({commandName(app)}) + "\"";
  if (log.enabled(LogLevel::kDebug)) line += " args=\"" + loggable(request.argv) + "\"";
  log.log(LogLevel::kInfo, line + " exit=" + std::to_string(code));
  return code;
}

Result<RuntimeOptions> runtimeOptions(Node& node, const LogSink& log, ServiceNotifier& notifier) {
  RuntimeOptions options;
  applyLimits(node.config().limits, options.p2p);
  ALM_RETURN_IF_ERROR(node.store().setMaxVouchedPerVoucher(
      node.config().limits.maxVouchedPerVoucher,
      [log](std::string_view line) { log(LogLevel::kWarn, "trust " + std::string(line)); }));
  auto peers = node.peers();
  if (!peers.isOk()) return peers.status();
  options.p2p.peers = std::move(*peers);
  options.policy = [&node](const PublicKey& key) { return node.allowsPeer(key); };
  options.log = log;
  if (notifier.enabled()) {
    // The ticks come from the P2P event loop, so a loop that hangs stops
    // the watchdog pings and systemd restarts the node.
    constexpr std::chrono::seconds kStatusEvery{5};
    auto every = notifier.watchdogInterval();
    options.tickEvery =
        every.count() > 0 ? std::min<std::chrono::milliseconds>(every, kStatusEvery) : kStatusEvery;
    auto last = std::make_shared<std::string>();
    options.onTick = [&notifier, last](const std::string& listen,
                                       const std::vector<PeerStatus>& peers) {
      if (notifier.watchdogInterval().count() > 0) notifier.watchdog();
      std::string line = runningStatus(listen, peers);
      if (line != *last) notifier.status(line);
      *last = std::move(line);
    };
  }
  return options;
}

// Serves the admin socket on its own thread until a stop signal, reloading
// the config on each SIGHUP; the socket file is gone when this returns.
// systemd hears READY=1 once both listeners (P2P, bound by the caller, and
// the admin socket) are bound.
int serveUntilStopped(Globals& g, const ReloadTargets& reload, const sigset_t& stop,
                      ServiceNotifier& notifier, const std::string& listening) {
  Node& node = reload.node;
  const Logger& log = reload.log;
  AdminServerOptions options;
  options.log = [&log](std::string_view line) { log.log(LogLevel::kWarn, line); };
  std::string home = g.home;
  auto server = AdminServer::listen(
      adminSocketPath(home),
      [&node, home, &log](const AdminRequest& r, std::ostream& out, std::ostream& err) {
        return serveCommand(node, home, log, r, out, err);
      },
      std::move(options));
  if (!server.isOk()) return fail(g, server.status());
  log.log(LogLevel::kInfo, "admin socket path=" + (*server)->path());
  std::thread admin([&server] { (*server)->serve(); });
  notifier.ready(runningStatus(listening, {}));
  std::string config = HomePaths{g.home}.config();
  std::string signal = waitForStop(stop, [&] {
    notifier.reloading("reloading " + config);
    (void)reloadConfig(config, reload);  // a refusal is logged; the old config holds
    notifier.ready(runningStatus(listening, reload.runtime.peers()));
  });
  notifier.stopping("stopping on " + signal);
  log.log(LogLevel::kInfo, "stopping signal=" + signal);
  (*server)->stop();
  admin.join();
  answer(g, Json{{"stopped", signal}}, [](Globals&, const Json&) {});  // the log said it
  return 0;
}

// The level of the config in `home`, read before the node opens so that it
// holds from the first line; a config that does not load is reported by the
// open that follows.
LogLevel configuredLevel(const std::string& home) {
  auto config = loadConfig(HomePaths{home}.config());
  return config.isOk() ? config->logLevel : LogLevel::kInfo;
}

int runNode(Globals& g, const std::optional<LogLevel>& level) {
  if (g.node) return fail(g, Status::refused("run: this node is running already"));
  sigset_t stop = blockSignals();
  // A client that hangs up must cost its own connection, never the node.
  ::signal(SIGPIPE, SIG_IGN);
  std::string socket = adminSocketPath(g.home);
  if (AdminClient::connect(socket).isOk()) {
    return fail(
        g, Status::refused("a node is already running in " + g.home + ": " + socket + " answers"));
  }
  Logger log(2, stderrLogOptions(level.value_or(configuredLevel(g.home))), {});
  ServiceNotifier notifier = ServiceNotifier::fromEnvironment(
      [](const char* name) { return std::getenv(name); }, ::getpid(), log.sink());
  notifier.starting("opening the database in " + g.home);
  // From here on the database lock is ours, so any admin.sock is stale.
  auto node = openNode(g, {}, [&](std::string_view line) {
    log.log(LogLevel::kInfo, line);
    notifier.starting(line);
  });
  if (!node.isOk()) return fail(g, node.status());
  auto key = loadKey(HomePaths{g.home}.key());
  if (!key.isOk()) return fail(g, key.status());
  log.log(LogLevel::kInfo, "node starting key=" + toHex((*node)->id()) + " home=" + g.home +
                               " log_level=" + logLevelName(log.level()));
  for (const std::string& w : (*node)->config().warnings) log.log(LogLevel::kWarn, "config " + w);
  Limits limits = (*node)->config().limits;
  raiseDescriptorLimit(descriptorsNeeded(limits),
                       [&log](std::string_view line) { log.log(LogLevel::kWarn, line); });
  auto options = runtimeOptions(**node, log.sink(), notifier);
  if (!options.isOk()) return fail(g, options.status());
  Runtime runtime(**node, **key, std::move(*options));
  Status st = runtime.start();
  if (!st.isOk()) return fail(g, st);
  (*node)->setNetwork(&runtime);
  int code = serveUntilStopped(g, ReloadTargets{**node, runtime, log, level}, stop, notifier,
                               runtime.listenAddress());
  (*node)->setNetwork(nullptr);
  runtime.stop();
  log.log(LogLevel::kInfo, "node stopped exit=" + std::to_string(code));
  return code;
}

}  // namespace

void addRun(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "run", "Run the node on the network until SIGINT or SIGTERM; serves the other commands");
  auto level = std::make_shared<std::string>();
  cmd->add_option("--log-level", *level,
                  "Log debug, info, warn or error and above (default: node.log_level, else info)")
      ->check([](const std::string& value) {
        auto parsed = parseLogLevel(value);
        return parsed.isOk() ? std::string() : parsed.status().message();
      });
  cmd->callback([&g, level] {
    std::optional<LogLevel> chosen;
    if (!level->empty()) chosen = *parseLogLevel(*level);
    int code = runNode(g, chosen);
    if (code == 0) {
      finish(g, Status::ok());
    } else {
      g.exitCode = code;  // runNode printed the error
    }
  });
}

}  // namespace allmenning::cli
