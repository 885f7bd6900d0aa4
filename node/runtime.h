// The running node of `allmenning run`: the Node's store on the network.
//
// A Runtime owns the P2P shell (a P2PNode over a StoreLog of the Node's
// store) and the thread that runs it, and is the Node's NetworkView while it
// runs. It does not own the Node, the admin socket or the signals: `run`
// wires those (cli/cmd_run.cpp), and tests drive a Runtime in process.
//
// Threads: the io thread runs the P2PNode and every sync write through the
// StoreLog; every other thread (the admin socket's, a test's) talks to the
// network through the NetworkView methods, which queue work onto the io
// thread and wait for it. Once the io thread has stopped they return at
// once, with empty results, so no caller can hang at shutdown.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "node/log.h"
#include "node/net/p2p_node.h"
#include "node/network_view.h"
#include "node/node.h"
#include "storage/store_log.h"

namespace allmenning {

struct RuntimeOptions {
  // Timings, limits and the peers to dial at start. `listen` is replaced by
  // the node's config().listen; `log` is replaced by a forward to `log`.
  P2PConfig p2p;
  PeerPolicy policy;  // which keys may connect; empty: all
  LogSink log;        // empty: stderrLog()
  // Called on the io thread every `tickEvery` (zero: never) with the bound
  // listen address and the open sessions: a service manager's watchdog and
  // status line (node/service_notifier.h) learn from it that the event loop
  // turns.
  std::chrono::milliseconds tickEvery{0};
  std::function<void(const std::string& listen, const std::vector<PeerStatus>& peers)> onTick;
};

class Runtime final : public NetworkView {
 public:
  // `node` and `identity` (the node's own key) must outlive the Runtime.
  Runtime(Node& node, const SecretKey& identity, RuntimeOptions options);
  // Stops the network if it still runs.
  ~Runtime() override;
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Resolves and binds config().listen, starts the io thread, and logs the
  // bound address ("listening on HOST:PORT"). Call once.
  Status start();
  // Closes every connection and joins the io thread. Idempotent. Detach the
  // runtime from the Node (setNetwork(nullptr)) before destroying it.
  void stop();

  // Puts new limits in force on the running network (P2PNode::setLimits).
  // Thread-safe.
  void setLimits(const Limits& limits);

  // NetworkView; thread-safe.
  std::vector<PeerStatus> peers() override;
  std::vector<DialStatus> dialing() override;
  void dial(const DialPeer& peer) override;
  void forget(const PublicKey& key) override;
  void publish(std::vector<Entry> entries) override;
  void trustChanged() override;
  std::string listenAddress() override;
  void log(LogLevel level, std::string_view message) const override;

 private:
  // Runs `fn` on the io thread and returns its result; nullopt once the io
  // thread has stopped.
  template <typename T>
  std::optional<T> onIo(std::function<T()> fn);

  Node& node_;
  const SecretKey& identity_;
  RuntimeOptions options_;
  std::unique_ptr<StoreLog> storeLog_;
  std::unique_ptr<P2PNode> p2p_;
  std::thread io_;
  std::atomic<bool> running_{false};  // the io thread runs the P2PNode
  std::string listenAddress_;         // set by start(), read-only after
};

// Splits "host:port" (the host may be "[v6]") and resolves the host, which
// may be a name. Port 0 picks a free port.
Result<boost::asio::ip::tcp::endpoint> resolveListen(const std::string& hostPort);

}  // namespace allmenning
