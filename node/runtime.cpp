#include "node/runtime.h"

#include <chrono>
#include <future>

#include "node/address.h"
#include "protocol/echo.h"

namespace allmenning {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// The P2P shell's lines carry no level; what it drops or trips over is
// worth a WARN or an ERROR.
LogLevel levelOf(std::string_view p2pLine) {
  if (p2pLine.find("handler_exception") != p2pLine.npos) return LogLevel::kError;
  if (p2pLine.find("kind=misbehaved") != p2pLine.npos) return LogLevel::kWarn;
  if (p2pLine.find("event=refused") != p2pLine.npos) return LogLevel::kWarn;
  return LogLevel::kInfo;
}

std::string endpointText(const tcp::endpoint& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

}  // namespace

// config().listen was checked when the config was loaded, by the same rule;
// this turns it into an endpoint, resolving a host name.
Result<tcp::endpoint> resolveListen(const std::string& hostPort) {
  auto parsed = parseHostPort(hostPort, PortZero::kAllowed);
  if (!parsed.isOk()) return parsed.status().withContext("listen");
  const std::string& host = parsed->host;
  uint16_t port = parsed->port;
  std::string portText = std::to_string(port);
  boost::system::error_code aec;
  auto address = asio::ip::make_address(host, aec);
  if (!aec) return tcp::endpoint(address, port);
  // A name: the first address it resolves to.
  asio::io_context io;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, portText, tcp::resolver::passive, aec);
  if (aec || results.empty()) {
    return Status::invalid("listen: cannot resolve " + quote(host) + ": " + aec.message());
  }
  return results.begin()->endpoint();
}

Runtime::Runtime(Node& node, const SecretKey& identity, RuntimeOptions options)
    : node_(node), identity_(identity), options_(std::move(options)) {
  if (!options_.log) options_.log = stderrLog();
}

Runtime::~Runtime() { stop(); }

// The P2PNode is built here rather than in the constructor: the listen
// address is resolved only now, and a failure is a Status, not a half-made
// object.
Status Runtime::start() {
  // The handshake proves `identity_`; a different key would let peers see a
  // node whose log it cannot sign.
  if (identity_.publicKey() != node_.id()) return Status::invalid("runtime: key is not the node's");
  auto listen = resolveListen(node_.config().listen);
  if (!listen.isOk()) return listen.status();
  P2PConfig config = options_.p2p;
  config.listen = *listen;
  config.connection.sync.self = node_.id();  // for the authoring hold (node/authoring_hold.cpp)
  config.log = [this](std::string_view line) { log(levelOf(line), line); };
  if (options_.onTick) {
    config.tickEvery = options_.tickEvery;
    config.onTick = [this] { options_.onTick(listenAddress_, p2p_->peerStatus()); };
  }
  // Sync writes go through the Node's store and clock, the same writer path
  // the admin thread's commands use.
  storeLog_ = std::make_unique<StoreLog>(node_.store(), [this] { return node_.now(); });
  p2p_ = std::make_unique<P2PNode>(identity_, node_.store().network(), *storeLog_, options_.policy,
                                   std::move(config));
  ALM_RETURN_IF_ERROR(p2p_->start());
  tcp::endpoint bound = *listen;
  bound.port(p2p_->localPort());
  listenAddress_ = endpointText(bound);
  log(LogLevel::kInfo, "listening on " + listenAddress_ + " key=" + toHex(node_.id()));
  auto hold = node_.store().authoringHold();
  if (hold.isOk() && *hold) {
    log(LogLevel::kWarn, "authoring held: " + (*hold)->reason +
                             "; it signs again once a peer confirms this node's head");
  }
  // Set before the thread exists, so a view call right after start() waits
  // for the io thread instead of returning empty.
  running_ = true;
  io_ = std::thread([this] {
    p2p_->run();
    running_ = false;
  });
  return Status::ok();
}

void Runtime::stop() {
  if (!io_.joinable()) return;
  p2p_->stop();
  io_.join();
  log(LogLevel::kInfo, "p2p stopped");
}

template <typename T>
std::optional<T> Runtime::onIo(std::function<T()> fn) {
  if (!running_) return std::nullopt;
  auto done = std::make_shared<std::promise<T>>();
  auto result = done->get_future();
  p2p_->post([done, fn = std::move(fn)] { done->set_value(fn()); });
  // The io thread may stop before it gets to the task, and then never runs
  // it: wait in slices and look. Once running_ is false nothing more runs,
  // so a result not ready then never will be.
  using namespace std::chrono_literals;
  while (result.wait_for(20ms) != std::future_status::ready) {
    if (!running_ && result.wait_for(0ms) != std::future_status::ready) return std::nullopt;
  }
  return result.get();
}

std::vector<PeerStatus> Runtime::peers() {
  auto out = onIo<std::vector<PeerStatus>>([this] { return p2p_->peerStatus(); });
  return out ? std::move(*out) : std::vector<PeerStatus>{};
}

std::vector<DialStatus> Runtime::dialing() {
  auto out = onIo<std::vector<DialStatus>>([this] { return p2p_->dialStatus(); });
  return out ? std::move(*out) : std::vector<DialStatus>{};
}

// The P2PNode queues these itself; once the io thread is gone they would
// only queue work that never runs, so they are dropped.
void Runtime::dial(const DialPeer& peer) {
  if (running_) p2p_->dial(peer);
}

void Runtime::forget(const PublicKey& key) {
  if (running_) p2p_->forget(key);
}

void Runtime::setLimits(const Limits& limits) {
  if (running_) p2p_->setLimits(limits);
}

void Runtime::publish(std::vector<Entry> entries) {
  if (running_) p2p_->publish(std::move(entries));
}

void Runtime::trustChanged() {
  if (running_) p2p_->trustChanged();
}

std::string Runtime::listenAddress() { return listenAddress_; }

void Runtime::log(LogLevel level, std::string_view message) const { options_.log(level, message); }

}  // namespace allmenning
