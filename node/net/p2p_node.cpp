#include "node/net/p2p_node.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <iostream>

namespace allmenning {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// One configured peer: its dial state and the backoff before the next try.
struct P2PNode::DialSlot {
  DialSlot(asio::io_context& io, DialPeer p, std::chrono::milliseconds backoff)
      : peer(std::move(p)), resolver(io), socket(io), timer(io), backoff(backoff) {}
  DialPeer peer;
  tcp::resolver resolver;
  tcp::socket socket;        // while connecting
  asio::steady_timer timer;  // backoff wait, then the connect deadline
  std::chrono::milliseconds backoff;
  bool forgotten = false;  // dropped by forget(); its pending handlers do nothing
  std::string lastError;   // why the last attempt ended (redial's reason)
  // Where the peer was last resolved to: inbound connections from there
  // may use the handshake slots kept for configured peers.
  std::vector<asio::ip::address> addresses;
};

P2PNode::P2PNode(const SecretKey& identity, const Hash& network, LogStore& store, PeerPolicy policy,
                 P2PConfig config, RandomFill random, MsClock clock)
    : identity_(identity),
      network_(network),
      store_(store),
      policy_(std::move(policy)),
      config_(std::move(config)),
      random_(std::move(random)),
      clock_(std::move(clock)),
      wallClock_(config_.wallClock ? config_.wallClock : systemMsClock()),
      acceptor_(io_),
      acceptRetry_(io_),
      tick_(io_),
      admission_(config_.admission),
      refusals_(io_, clock_, "refused", [this](const std::string& l) { logLine(l); }),
      earlyCloses_(io_, clock_, "closed_in_handshake",
                   [this](const std::string& l) { logLine(l); }) {}

// Connections still referenced by queued handlers die with io_; they never
// call back into the node from their destructors.
P2PNode::~P2PNode() = default;

Status P2PNode::start() {
  if (store_.network() != network_) return Status::invalid("p2p: store is on another network");
  error_code ec;
  acceptor_.open(config_.listen.protocol(), ec);
  // Lets a restarted node listen again on its port while old sockets linger.
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(config_.listen, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::ioError("p2p: listen on port " + std::to_string(config_.listen.port()) + ": " +
                           ec.message());
  port_ = acceptor_.local_endpoint(ec).port();
  logLine("p2p event=listen port=" + std::to_string(port_));
  accept();
  for (const DialPeer& p : config_.peers) addSlot(p);
  if (config_.onTick && config_.tickEvery.count() > 0) tick();
  return Status::ok();
}

void P2PNode::tick() {
  tick_.expires_after(config_.tickEvery);
  tick_.async_wait([this](const error_code& ec) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    config_.onTick();
    tick();
  });
}

// One thread runs every handler, so the node, its connections and the store
// need no locks; work from other threads arrives through post().
void P2PNode::run() {
  // Handlers report failures as error codes and Status values; an exception
  // here is a bug or an allocation failure. It is logged and the loop goes
  // on, so one bad connection cannot take the whole node down.
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& e) {
      logLine(std::string("p2p event=handler_exception what=\"") + e.what() + "\"");
    }
  }
}

void P2PNode::stop() {
  asio::post(io_, [this] { shutdown(); });
}

void P2PNode::post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

void P2PNode::publish(std::vector<Entry> entries) {
  asio::post(io_, [this, entries = std::move(entries)] {
    for (const auto& conn : openSessions()) conn->pushAccepted(entries);
  });
}

// Trust may have shrunk as well as grown: a session whose key the policy
// no longer allows ends now, as its handshake would be refused now. The
// others ask for what they may accept now.
void P2PNode::trustChanged() {
  asio::post(io_, [this] {
    for (const auto& conn : openSessions()) {
      if (policy_ && !policy_(conn->peerKey())) {
        conn->close(CloseKind::kRefused, "key no longer accepted (accept_peers)");
        continue;
      }
      conn->trustChanged();
    }
  });
}

void P2PNode::dial(DialPeer peer) {
  asio::post(io_, [this, peer = std::move(peer)] {
    if (stopped_) return;
    for (const auto& slot : slots_) {
      if (slot->peer.key == peer.key && slot->peer.host == peer.host &&
          slot->peer.port == peer.port)
        return;
    }
    dropSlots(peer.key);
    addSlot(peer);
  });
}

void P2PNode::forget(const PublicKey& key) {
  asio::post(io_, [this, key] {
    dropSlots(key);
    // close() erases from peers_ through onClosed, so walk a snapshot.
    std::vector<std::shared_ptr<PeerConnection>> doomed;
    for (const auto& [id, peer] : peers_) {
      // A dialed connection still in its handshake has no proven key yet.
      bool ours = peer.conn->peerKey() == key || (peer.slot && peer.slot->forgotten);
      if (ours) doomed.push_back(peer.conn);
    }
    for (const auto& conn : doomed) conn->close(CloseKind::kShutdown, "peer forgotten");
  });
}

void P2PNode::setLimits(const Limits& limits) {
  asio::post(io_, [this, limits] {
    applyLimits(limits, config_);
    admission_.setLimits(config_.admission);
  });
}

size_t P2PNode::openPeers() const { return openSessions().size(); }

std::vector<PeerStatus> P2PNode::peerStatus() const {
  std::vector<PeerStatus> out;
  for (const auto& conn : openSessions()) {
    PeerStatus s;
    s.key = conn->peerKey();
    error_code ec;
    s.address =
        conn->remote().address().to_string(ec) + ":" + std::to_string(conn->remote().port());
    s.dialed = conn->dialed();
    s.since = conn->openedAt();
    s.bytesIn = conn->bytesIn();
    s.bytesOut = conn->bytesOut();
    if (auto lag = conn->lag()) {
      s.lagKnown = true;
      s.ahead = lag->ahead;
      s.behind = lag->behind;
    }
    s.selfHead = conn->selfHead();
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const PeerStatus& a, const PeerStatus& b) { return a.key < b.key; });
  return out;
}

std::vector<DialStatus> P2PNode::dialStatus() const {
  std::vector<DialStatus> out;
  for (const SlotPtr& slot : slots_) {
    DialStatus s{slot->peer.key, slot->peer.host + ":" + std::to_string(slot->peer.port), false,
                 slot->lastError};
    for (const auto& [id, peer] : peers_) {
      if (peer.slot == slot && peer.conn->state() == PeerConnection::State::kOpen)
        s.connected = true;
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const DialStatus& a, const DialStatus& b) { return a.key < b.key; });
  return out;
}

// Cancelling everything leaves the io_context without work, so run() returns
// once the aborted handlers have run.
void P2PNode::shutdown() {
  stopped_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  acceptRetry_.cancel();
  refusals_.cancel();
  earlyCloses_.cancel();
  tick_.cancel();
  for (auto& slot : slots_) {
    slot->resolver.cancel();
    slot->socket.close(ignored);
    slot->timer.cancel();
  }
  // close() erases from peers_ through onClosed, so walk a copy.
  std::vector<std::shared_ptr<PeerConnection>> all;
  for (auto& [id, peer] : peers_) all.push_back(peer.conn);
  for (auto& conn : all) conn->close(CloseKind::kShutdown, "node stopping");
}

// ---- Accepting ---------------------------------------------------------------

void P2PNode::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (stopped_ || ec == asio::error::operation_aborted) return;
    if (!ec) {
      onAccept(std::move(socket));
      return accept();
    }
    // Other errors (out of descriptors, a peer that reset before accept)
    // leave the listener up; the pause keeps a persistent one from spinning.
    acceptRetry_.expires_after(std::chrono::milliseconds(100));
    acceptRetry_.async_wait([this](const error_code& tec) {
      if (!tec && !stopped_) accept();
    });
  });
}

// Refusals here cost one accept and a close: no handshake work is spent on
// a banned address or beyond the limits (Admission::admitHandshake).
void P2PNode::onAccept(tcp::socket socket) {
  error_code ec;
  tcp::endpoint remote = socket.remote_endpoint(ec);
  if (ec) return;  // gone before we looked
  const asio::ip::address& address = remote.address();
  Verdict v = admitInbound(address);
  if (!v.admitted()) {
    refusals_.log("addr=" + address.to_string(ec) + " reason=\"" + v.refusal + "\"");
    socket.close(ec);
    return;
  }
  if (v.evict) evict(*v.evict, "evicted: the handshake pool is full and this one is the oldest");
  addConnection(std::move(socket), nullptr);
}

Verdict P2PNode::admitInbound(const asio::ip::address& address) {
  if (addressBanned(address)) return {"address banned", std::nullopt};
  std::string full = admission_.tableRefusal(inbound(PeerConnection::State::kOpen, nullptr),
                                             sessionCount(nullptr));
  if (!full.empty()) return {full, std::nullopt};
  return admission_.admitHandshake(address, configuredAddress(address),
                                   inbound(PeerConnection::State::kHandshaking, nullptr), clock_());
}

void P2PNode::addConnection(tcp::socket socket, SlotPtr slot) {
  PeerConnection::Params p;
  p.identity = &identity_;
  p.network = network_;
  p.log = &store_;
  p.policy = policy_;
  if (slot) p.expectedKey = slot->peer.key;
  p.config = config_.connection;
  p.clock = clock_;
  p.wallClock = wallClock_;
  p.random = random_;
  p.sendMemory = &sendMemory_;
  uint64_t id = nextId_++;
  auto conn = std::make_shared<PeerConnection>(std::move(socket), std::move(p),
                                               static_cast<PeerHost&>(*this), id);
  peers_[id] = Peer{conn, std::move(slot)};
  conn->start();
}

// ---- Dialing -----------------------------------------------------------------

void P2PNode::addSlot(const DialPeer& peer) {
  slots_.push_back(std::make_shared<DialSlot>(io_, peer, config_.reconnectMin));
  connect(slots_.back());
}

// The slot leaves slots_ at once; handlers still queued hold it alive and
// see `forgotten`. Its connections are left to the caller.
void P2PNode::dropSlots(const PublicKey& key) {
  std::erase_if(slots_, [&](const SlotPtr& slot) {
    if (slot->peer.key != key) return false;
    slot->forgotten = true;
    error_code ignored;
    slot->resolver.cancel();
    slot->socket.close(ignored);
    slot->timer.cancel();
    return true;
  });
}

void P2PNode::connect(const SlotPtr& slot) {
  if (stopped_ || slot->forgotten) return;
  if (config_.onDial) config_.onDial(slot->peer);
  slot->resolver.async_resolve(
      slot->peer.host, std::to_string(slot->peer.port),
      [this, slot](const error_code& ec, const tcp::resolver::results_type& results) {
        if (stopped_ || slot->forgotten) return;
        if (ec) return redial(slot, "resolve: " + ec.message());
        slot->addresses.clear();
        for (const auto& r : results)
          slot->addresses.push_back(plainAddress(r.endpoint().address()));
        // A connect to a black hole can hang for minutes; the handshake
        // deadline bounds it too.
        slot->timer.expires_after(config_.connection.handshakeTimeout);
        slot->timer.async_wait([slot](const error_code& tec) {
          error_code ignored;
          if (!tec) slot->socket.close(ignored);
        });
        asio::async_connect(
            slot->socket, results,
            [this, slot](const error_code& cec, const tcp::endpoint&) { onConnected(slot, cec); });
      });
}

void P2PNode::onConnected(const SlotPtr& slot, const error_code& ec) {
  slot->timer.cancel();
  if (stopped_ || slot->forgotten) return;
  if (ec) return redial(slot, "connect: " + ec.message());
  addConnection(std::move(slot->socket), slot);
}

// Exponential backoff with jitter, so peers that lost the same hub do not
// all knock on its door in the same millisecond.
void P2PNode::redial(const SlotPtr& slot, const std::string& why) {
  if (stopped_ || slot->forgotten) return;
  uint32_t r = 0;
  random_(std::span<uint8_t>(reinterpret_cast<uint8_t*>(&r), sizeof r));
  double factor = 0.5 + 0.5 * (static_cast<double>(r) / 4294967295.0);
  auto wait = std::chrono::milliseconds(static_cast<int64_t>(slot->backoff.count() * factor));
  slot->lastError = why;
  slot->backoff = std::min(slot->backoff * 2, config_.reconnectMax);
  logLine("p2p event=redial host=" + slot->peer.host + ":" + std::to_string(slot->peer.port) +
          " in_ms=" + std::to_string(wait.count()) + " reason=\"" + why + "\"");
  // The socket was moved into a connection or closed by the deadline;
  // each attempt starts from a fresh one.
  slot->socket = tcp::socket(io_);
  slot->timer.expires_after(wait);
  slot->timer.async_wait([this, slot](const error_code& ec) {
    if (!ec) connect(slot);
  });
}

// ---- Sessions ----------------------------------------------------------------

// The inbound connections in `state` (draining ones count as open), for
// admission, `except` left out.
std::vector<Inbound> P2PNode::inbound(PeerConnection::State state,
                                      const PeerConnection* except) const {
  using State = PeerConnection::State;
  std::vector<Inbound> out;
  for (const auto& [id, peer] : peers_) {
    const PeerConnection& c = *peer.conn;
    State s = c.state() == State::kDraining ? State::kOpen : c.state();
    if (c.dialed() || s != state || &c == except) continue;
    bool handshake = state == State::kHandshaking;
    bool favoured =
        handshake ? configuredAddress(c.remote().address()) : store_.accepts(c.peerKey());
    out.push_back({id, c.remote().address(), handshake ? c.startedAt() : c.openedAt(), favoured});
  }
  return out;
}

bool P2PNode::configuredAddress(const asio::ip::address& address) const {
  asio::ip::address plain = plainAddress(address);
  return std::any_of(slots_.begin(), slots_.end(), [&](const SlotPtr& slot) {
    return std::find(slot->addresses.begin(), slot->addresses.end(), plain) !=
           slot->addresses.end();
  });
}

void P2PNode::evict(uint64_t id, const std::string& why) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  std::shared_ptr<PeerConnection> conn = it->second.conn;  // close() erases it
  conn->close(CloseKind::kRefused, why);
}

// Open sessions (draining ones still hold their socket), `except` left out.
size_t P2PNode::sessionCount(const PeerConnection* except) const {
  size_t n = 0;
  for (const auto& [id, peer] : peers_) {
    auto state = peer.conn->state();
    bool session =
        state == PeerConnection::State::kOpen || state == PeerConnection::State::kDraining;
    if (session && peer.conn.get() != except) ++n;
  }
  return n;
}

// The key is known only now, so a key ban is checked here, and the session
// limit again: sessions may have opened while this handshake ran. A dialed
// connection answers to its key's ban only: an address ban was earned by an
// inbound connection, and another peer behind the same address (a NAT, a
// shared server) is still the one we chose to dial.
void P2PNode::onOpened(PeerConnection& conn) {
  if (keyBanned(conn.peerKey()) || (!conn.dialed() && addressBanned(conn.remote().address()))) {
    return conn.close(CloseKind::kRefused, "peer banned");
  }
  if (!conn.dialed()) {
    Verdict v =
        admission_.admitSession(conn.remote().address(), store_.accepts(conn.peerKey()),
                                inbound(PeerConnection::State::kOpen, &conn), sessionCount(&conn));
    if (!v.admitted()) return conn.close(CloseKind::kRefused, v.refusal);
    if (v.evict) evict(*v.evict, "evicted for a peer whose key this node accepts");
  }
  peers_[conn.id()].announced = true;
  event(conn, PeerEvent::Kind::kOpened, CloseKind::kShutdown, "");
}

// Push: the peer that sent the entries has them, everyone else gets them at
// once (docs/protocol.md, "Push"). Sessions not yet open catch up by Heads.
void P2PNode::onAccepted(PeerConnection& from, const std::vector<Entry>& entries) {
  for (const auto& conn : openSessions()) {
    if (conn.get() != &from) conn->pushAccepted(entries);
  }
  if (config_.onAccepted) config_.onAccepted(entries);
}

void P2PNode::onFork(PeerConnection& from, const ForkProof& proof) {
  for (const auto& conn : openSessions()) {
    if (conn.get() != &from) conn->pushFork(proof);
  }
}

void P2PNode::onClosed(PeerConnection& conn, CloseKind kind, const std::string& why) {
  if (kind == CloseKind::kMisbehaved) ban(conn);
  auto it = peers_.find(conn.id());
  // An inbound connection that never became a session costs one line a
  // second at most, however many there are: a connect and close loop
  // must not fill the disk.
  bool early = !conn.dialed() && (it == peers_.end() || !it->second.announced);
  event(conn, PeerEvent::Kind::kClosed, kind, why, early ? &earlyCloses_ : nullptr);
  if (it == peers_.end()) return;
  SlotPtr slot = std::move(it->second.slot);
  peers_.erase(it);  // the caller holds its own reference to `conn`
  if (!slot) return;
  // Only a session the peer took part in proves it is back; a peer that
  // completes the handshake and then refuses our key must not be redialed
  // at the shortest interval forever.
  // Nor does a session our own store failed (a full disk): backing off
  // spares both sides from resending the same entries in a tight loop.
  bool served = conn.framesIn() > 0 && kind != CloseKind::kRefused &&
                kind != CloseKind::kMisbehaved && kind != CloseKind::kLocal;
  if (served) slot->backoff = config_.reconnectMin;
  redial(slot, closeKindName(kind) + ": " + why);
}

// The node-wide bound on send queues. A peer that reads keeps its queue
// near empty, so the connections whose output has waited longest are those
// of peers that do not read; they go first.
void P2PNode::onQueued(PeerConnection&) {
  while (sendMemory_.total > config_.maxBufferedTotal) {
    std::shared_ptr<PeerConnection> stalled;
    for (const auto& [id, peer] : peers_) {
      const PeerConnection& c = *peer.conn;
      if (c.queuedMemory() <= config_.connection.pauseReadBytes) continue;
      if (!stalled || c.lastDrained() < stalled->lastDrained()) stalled = peer.conn;
    }
    if (!stalled) return;
    stalled->close(CloseKind::kBacklog,
                   "the node's send buffers are full (" + std::to_string(sendMemory_.total) +
                       " bytes): this peer's " + std::to_string(stalled->queuedMemory()) +
                       " bytes waited longest");
  }
}

// A snapshot: pushing to one connection may close it (backlog), which erases
// it from peers_ while the caller is still iterating.
std::vector<std::shared_ptr<PeerConnection>> P2PNode::openSessions() const {
  std::vector<std::shared_ptr<PeerConnection>> out;
  for (const auto& [id, peer] : peers_) {
    if (peer.conn->state() == PeerConnection::State::kOpen) out.push_back(peer.conn);
  }
  return out;
}

// ---- Bans and events -----------------------------------------------------------

// Expired bans are dropped on every check, so the maps hold only live bans
// (at most one per misbehaving connection within banTime).
bool P2PNode::keyBanned(const PublicKey& key) {
  int64_t now = clock_();
  std::erase_if(bannedKeys_, [now](const auto& kv) { return kv.second <= now; });
  return bannedKeys_.count(key) != 0;
}

bool P2PNode::addressBanned(const asio::ip::address& address) {
  int64_t now = clock_();
  std::erase_if(bannedAddresses_, [now](const auto& kv) { return kv.second <= now; });
  return bannedAddresses_.count(address) != 0;
}

void P2PNode::ban(const PeerConnection& conn) {
  if (config_.banTime.count() <= 0) return;
  int64_t until = clock_() + config_.banTime.count();
  // The key is only known after the handshake, and an all-zero key is no one.
  if (conn.peerKey() != PublicKey{}) bannedKeys_[conn.peerKey()] = until;
  // An address we dialed was our choice; only inbound addresses are refused.
  if (!conn.dialed()) bannedAddresses_[conn.remote().address()] = until;
}

void P2PNode::event(const PeerConnection& conn, PeerEvent::Kind kind, CloseKind closeKind,
                    const std::string& why, LogThrottle* throttle) {
  bool opened = kind == PeerEvent::Kind::kOpened;
  std::string fields =
      conn.describe() +
      (opened ? "" : " kind=" + closeKindName(closeKind) + " reason=\"" + why + "\"");
  if (throttle) {
    throttle->log(fields);
  } else {
    logLine("p2p event=" + std::string(opened ? "open " : "close ") + fields);
  }
  if (!config_.onPeerEvent) return;
  PeerEvent e;
  e.kind = kind;
  e.connection = conn.id();
  e.dialed = conn.dialed();
  e.key = conn.peerKey();
  error_code ec;
  e.remote = conn.remote().address().to_string(ec) + ":" + std::to_string(conn.remote().port());
  e.closeKind = closeKind;
  e.reason = why;
  config_.onPeerEvent(e);
}

void P2PNode::logLine(const std::string& line) const {
  if (config_.log) return config_.log(line);
  std::cerr << line << '\n';
}

}  // namespace allmenning
