// The admin socket: how CLI commands reach a running node.
//
// While `allmenning run` holds the database, no other process can open it.
// Commands then go to <home>/admin.sock instead: the CLI sends its argv,
// cwd and any stdin it read (node/admin_wire.h), and the node runs the very
// same command code against its open Node, streaming stdout and stderr back
// and ending with the exit code. The server is deliberately small: each
// connection on its own thread (at most maxClients at once), every size
// bounded and every wait limited by a deadline, so a stuck or hostile
// client costs its own connection and never crashes or blocks the node or
// the other clients. Commands run one at a time; a client whose command
// waits for another is told so on its stderr, naming the other command.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "node/admin_wire.h"
#include "protocol/status.h"

namespace allmenning {

// <home>/admin.sock
std::string adminSocketPath(const std::string& home);

// Runs one request, writing the command's output to `out` and `err`, and
// returns its exit code. Called on the connection's thread, never for two
// requests at once.
using AdminHandler =
    std::function<int(const AdminRequest& request, std::ostream& out, std::ostream& err)>;

struct AdminServerOptions {
  AdminLimits limits;
  // For the whole request to arrive, and for each reply write to progress.
  std::chrono::milliseconds timeout{30'000};
  // Connections served at once; one more is told the node is busy.
  size_t maxClients = 16;
  // One line per refused or failed connection; empty: none.
  std::function<void(std::string_view)> log;
};

class AdminServer {
 public:
  // Creates the socket at `path`, listening, with mode 0600 from the moment
  // it can be reached: it is bound in a fresh 0700 folder beside `path`,
  // chmod-ed, and then renamed into place. A file already at `path` is
  // replaced, so the caller must know no live node serves it (`run` holds
  // the database lock when it calls this).
  static Result<std::unique_ptr<AdminServer>> listen(const std::string& path, AdminHandler handler,
                                                     AdminServerOptions options = {});
  // Closes the socket and removes its file, if the file is still this socket.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Accepts connections until stop(), serving each on a thread of its own,
  // and returns once every one has ended. Call once.
  void serve();
  // Thread-safe. Makes serve() return: at once when idle, otherwise as soon
  // as the command in progress has finished (waits for a client, and for
  // another command, are cut short).
  void stop();
  const std::string& path() const { return path_; }

 private:
  class Connection;
  AdminServer(std::string path, int listenFd, int wakeRead, int wakeWrite, dev_t dev, ino_t ino,
              AdminHandler handler, AdminServerOptions options);
  void startConnection(int fd);
  void handle(int fd);
  Result<AdminRequest> readRequest(Connection& conn,
                                   std::chrono::steady_clock::time_point deadline);
  // Takes the turn to run a command, telling `conn` whose command it waits
  // for. Refused when the node stops or the client left meanwhile.
  Result<std::unique_lock<std::timed_mutex>> awaitTurn(Connection& conn,
                                                       const std::vector<std::string>& argv);
  void log(const std::string& line) const;

  std::string path_;
  int listenFd_;
  int wakeRead_;  // a byte written to wakeWrite_ ends serve()
  int wakeWrite_;
  dev_t dev_;  // of the socket file, so the destructor removes only ours
  ino_t ino_;
  AdminHandler handler_;
  AdminServerOptions options_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // guards the three below
  std::condition_variable idle_;
  size_t active_ = 0;      // connection threads running
  std::string running_;    // the command that has the turn, as typed
  std::timed_mutex turn_;  // held while a command runs
};

// A connection to a running node's admin socket.
class AdminClient {
 public:
  // Not found when nothing answers at `path`: no file there, or a stale one
  // left by a node that died (connection refused). Other errors are I/O.
  static Result<std::unique_ptr<AdminClient>> connect(const std::string& path);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // Sends `request`, hands each stdout and stderr frame to `output` as it
  // arrives, and returns the command's exit code. Call once.
  Result<int> call(const AdminRequest& request,
                   const std::function<void(FrameType, std::string_view)>& output);

 private:
  explicit AdminClient(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace allmenning
