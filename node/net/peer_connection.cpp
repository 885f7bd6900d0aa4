#include "node/net/peer_connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "protocol/wire.h"

namespace allmenning {

namespace asio = boost::asio;
using boost::system::error_code;

MsClock steadyMsClock() {
  return [] {
    auto t = std::chrono::steady_clock::now().time_since_epoch();
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t).count());
  };
}

MsClock systemMsClock() {
  return [] {
    auto t = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t).count());
  };
}

std::string closeKindName(CloseKind kind) {
  switch (kind) {
    case CloseKind::kShutdown:
      return "shutdown";
    case CloseKind::kRemote:
      return "remote";
    case CloseKind::kTimeout:
      return "timeout";
    case CloseKind::kBacklog:
      return "backlog";
    case CloseKind::kRefused:
      return "refused";
    case CloseKind::kMisbehaved:
      return "misbehaved";
    case CloseKind::kLocal:
      return "local";
  }
  return "unknown";
}

namespace {

// Messages one connection handles per turn of the event loop before it
// lets the other handlers run, and the bytes one write takes from the
// queue (at least one frame).
constexpr size_t kMessagesPerTurn = 64;
constexpr size_t kWriteBytes = size_t{256} << 10;

// A dialed peer must be the one we meant to reach. Checking inside the
// handshake means we refuse before proving our own identity to an impostor.
PeerPolicy dialPolicy(PeerPolicy policy, std::optional<PublicKey> expected) {
  if (!expected) return policy;
  return [policy = std::move(policy), key = *expected](const PublicKey& peer) {
    return peer == key && (!policy || policy(peer));
  };
}

// The remote endpoint, or an empty one when the socket is already dead.
asio::ip::tcp::endpoint remoteOf(const asio::ip::tcp::socket& s) {
  error_code ec;
  auto ep = s.remote_endpoint(ec);
  return ec ? asio::ip::tcp::endpoint{} : ep;
}

}  // namespace

PeerConnection::PeerConnection(tcp::socket socket, Params p, PeerHost& host, uint64_t id)
    : socket_(std::move(socket)),
      remote_(remoteOf(socket_)),
      handshakeTimer_(socket_.get_executor()),
      helloTimer_(socket_.get_executor()),
      tickTimer_(socket_.get_executor()),
      readPause_(socket_.get_executor()),
      host_(host),
      id_(id),
      log_(*p.log),
      expectedKey_(p.expectedKey),
      config_(std::move(p.config)),
      clock_(std::move(p.clock)),
      wallClock_(p.wallClock ? std::move(p.wallClock) : systemMsClock()),
      transport_(p.expectedKey ? Handshake::Role::kInitiator : Handshake::Role::kResponder,
                 *p.identity, p.network, dialPolicy(std::move(p.policy), p.expectedKey),
                 std::move(p.random)),
      sendMemory_(p.sendMemory) {}

std::string PeerConnection::describe() const {
  std::string s = "conn=" + std::to_string(id_) + " dir=" + (dialed() ? "out" : "in");
  error_code ec;
  s += " addr=" + remote_.address().to_string(ec) + ":" + std::to_string(remote_.port());
  if (state_ == State::kOpen || state_ == State::kDraining) {
    s += " peer=" + toHex(peerKey()).substr(0, 16);
  }
  return s;
}

// The handshake deadline bounds what a silent or slow client can hold: one
// socket and a few hundred bytes, for handshakeTimeout at most.
void PeerConnection::start() {
  lastHeard_ = lastSent_ = lastDrained_ = startedAt_ = clock_();
  verifies_.start(static_cast<double>(config_.verifyPerSecond), lastHeard_);
  replies_.start(static_cast<double>(config_.replyBytesPerSecond), lastHeard_);
  handshakeTimer_.expires_after(config_.handshakeTimeout);
  handshakeTimer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec && self->state_ == State::kHandshaking) {
      self->close(CloseKind::kTimeout, "handshake timeout");
    }
  });
  if (!dialed()) armHelloDeadline();
  flush();  // the initiator's hello is queued already
  readSome();
}

// Until the hello is in, the responder has spent nothing but a socket; a
// client that cannot send 65 bytes in helloTimeout is not worth the slot.
void PeerConnection::armHelloDeadline() {
  if (config_.helloTimeout >= config_.handshakeTimeout) return;
  helloTimer_.expires_after(config_.helloTimeout);
  helloTimer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->state_ != State::kHandshaking) return;
    if (self->bytesIn_ >= Handshake::kHelloBytes) return;
    self->close(CloseKind::kTimeout,
                "no hello within " + std::to_string(self->config_.helloTimeout.count()) + " ms");
  });
}

void PeerConnection::readSome() {
  socket_.async_read_some(
      asio::buffer(readBuf_),
      [self = shared_from_this()](const error_code& ec, size_t n) { self->onRead(ec, n); });
}

void PeerConnection::onRead(const error_code& ec, size_t n) {
  if (state_ == State::kClosed) return;
  if (ec && ec == asio::error::eof && state_ == State::kHandshaking && dialed()) {
    // A node refuses a key it does not accept by hanging up mid-handshake.
    return close(CloseKind::kRemote,
                 "the peer closed the connection during the handshake: it may not accept this "
                 "node's key (its accept_peers), or it is on another network");
  }
  if (ec) return close(CloseKind::kRemote, ec == asio::error::eof ? "peer closed" : ec.message());
  // Any bytes count as life, so a peer busy sending a large frame is not
  // taken for idle.
  lastHeard_ = clock_();
  bytesIn_ += n;
  auto messages = transport_.receivedBytes(ByteView(readBuf_.data(), n));
  if (!messages.isOk()) {
    // A refusal (other network, untrusted key) is policy; anything else is
    // a peer sending bytes that no honest implementation sends.
    const Status& st = messages.status();
    return close(st.code() == Status::Code::kRefused ? CloseKind::kRefused : CloseKind::kMisbehaved,
                 st.message());
  }
  // Frames may arrive in the same read that finished the handshake; the
  // session must exist before they are handed on.
  if (state_ == State::kHandshaking && transport_.ready() && !open()) return;
  for (Bytes& m : *messages) pendingIn_.push_back(std::move(m));
  serveInput();
}

// Handles the messages read so far: at most kMessagesPerTurn before the
// other handlers get their turn, and none while the peer's backlog is over
// pauseReadBytes (onWritten goes on once it has drained). A peer that does
// not read therefore gets no more answers, and nothing more is read from it
// until the messages in hand are handled.
void PeerConnection::serveInput() {
  size_t handled = 0;
  while (!pendingIn_.empty() && state_ == State::kOpen && !backlogged() &&
         handled < kMessagesPerTurn && replies_.waitMs(clock_()) == 0) {
    Bytes m = std::move(pendingIn_.front());
    pendingIn_.pop_front();
    ++framesIn_;
    ++handled;
    size_t replied = handle(session_->onBytes(m, clock_()));
    replies_.take(static_cast<double>(replied), clock_());
  }
  flush();
  // While draining, nothing the peer says matters any more.
  if (state_ != State::kOpen && state_ != State::kHandshaking) return;
  if (backlogged()) {
    waitingDrain_ = true;
    return;
  }
  if (!pendingIn_.empty() && replies_.waitMs(clock_()) == 0) {
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      if (self->state_ == State::kOpen) self->serveInput();
    });
    return;
  }
  readWhenPaid();
}

// Goes on at once while the peer is within its budgets (verification and
// replies): with the messages in hand, or else with a read. Otherwise waits
// until the debt is paid. Meanwhile the kernel's buffers fill and TCP stops
// the peer: its cost to us stays bounded, and honest peers are served as
// before.
void PeerConnection::readWhenPaid() {
  int64_t now = clock_();
  int64_t wait = std::max(replies_.waitMs(now), verifies_.waitMs(now));
  if (wait == 0) return pendingIn_.empty() ? readSome() : serveInput();
  ++readPauses_;
  paused_ = true;
  readPause_.expires_after(std::chrono::milliseconds(wait));
  readPause_.async_wait([self = shared_from_this()](const error_code& ec) {
    self->paused_ = false;
    if (ec || self->state_ != State::kOpen) return;
    // A paused peer has not been silent: the pause is ours.
    self->lastHeard_ = self->clock_();
    self->readWhenPaid();
  });
}

bool PeerConnection::open() {
  handshakeTimer_.cancel();
  state_ = State::kOpen;
  openedAt_ = wallClock_();
  host_.onOpened(*this);  // may refuse the key (banned, too many peers)
  if (state_ != State::kOpen) return false;
  session_ = std::make_unique<SyncSession>(log_, config_.sync);
  handle(session_->onConnected(clock_()));
  scheduleTick();
  return state_ == State::kOpen;
}

size_t PeerConnection::handle(Effects fx) {
  verifies_.take(static_cast<double>(fx.checked), clock_());
  size_t queued = transport_.queuedBytes();
  for (const Message& m : fx.send) {
    // A refused send is a message over the frame limit: our bug, not the
    // peer's, and the session goes on without it.
    (void)transport_.send(encodeMessage(m));
  }
  queued = transport_.queuedBytes() - queued;
  // Fan-out first: what this peer gave us reaches the others even if this
  // connection is about to close.
  if (!fx.accepted.empty()) host_.onAccepted(*this, fx.accepted);
  for (const ForkProof& f : fx.forks) host_.onFork(*this, f);
  if (state_ == State::kClosed) return queued;
  account();
  if (fx.disconnect) {
    drain(fx.disconnect->text, fx.localFailure ? CloseKind::kLocal : CloseKind::kMisbehaved);
  } else if (queuedMemory() > config_.maxBufferedBytes) {
    close(CloseKind::kBacklog,
          "peer does not read: " + std::to_string(queuedMemory()) + " bytes queued");
  } else {
    host_.onQueued(*this);  // may close this connection (the node-wide bound)
    flush();
  }
  return queued;
}

// Keeps this connection's share of the node's SendMemory up to date; a
// closed connection holds none.
void PeerConnection::account() {
  size_t now = state_ == State::kClosed ? 0 : queuedMemory();
  if (sendMemory_) sendMemory_->total = sendMemory_->total - accounted_ + now;
  accounted_ = now;
}

std::optional<PeerLag> PeerConnection::lag() const {
  if (!session_) return std::nullopt;
  return session_->lag();
}

std::optional<AuthorHead> PeerConnection::selfHead() const {
  if (!session_) return std::nullopt;
  return session_->selfHead();
}

void PeerConnection::pushAccepted(const std::vector<Entry>& entries) {
  if (state_ == State::kOpen) handle(session_->onLocalAccepted(entries, clock_()));
}

void PeerConnection::pushFork(const ForkProof& proof) {
  if (state_ == State::kOpen) handle(session_->onLocalFork(proof));
}

void PeerConnection::trustChanged() {
  if (state_ == State::kOpen) handle(session_->onTrustChanged(clock_()));
}

// The session queued an Error for the peer; send it, then hang up, so the
// peer learns why.
void PeerConnection::drain(const std::string& why, CloseKind kind) {
  state_ = State::kDraining;
  drainReason_ = why;
  drainKind_ = kind;
  flush();
}

// Writes the queued frames from their own buffers, a few at a time: the
// queue is never copied, so what it holds is all it costs.
void PeerConnection::flush() {
  if (writing_ || state_ == State::kClosed) return;
  writeFrames_ = transport_.takeQueued(kWriteBytes);
  if (writeFrames_.empty()) {
    if (state_ == State::kDraining) close(drainKind_, drainReason_);
    return;
  }
  std::vector<asio::const_buffer> buffers;
  writingMemory_ = 0;
  for (const Bytes& f : writeFrames_) {
    buffers.push_back(asio::buffer(f));
    writingMemory_ += queuedMemoryOf(f);
  }
  writing_ = true;
  lastSent_ = lastDrained_ = clock_();
  asio::async_write(socket_, buffers, [self = shared_from_this()](const error_code& ec, size_t) {
    self->onWritten(ec);
  });
}

void PeerConnection::onWritten(const error_code& ec) {
  writing_ = false;
  for (const Bytes& f : writeFrames_) bytesOut_ += ec ? 0 : f.size();
  writeFrames_.clear();
  writingMemory_ = 0;
  if (state_ == State::kClosed) return;
  if (ec) return close(CloseKind::kRemote, "write: " + ec.message());
  lastDrained_ = clock_();
  account();
  flush();
  // The queue is empty: the session may send what it held back (the next
  // page of its Heads).
  if (!writing_ && state_ == State::kOpen && session_) handle(session_->onDrained(clock_()));
  if (waitingDrain_ && !backlogged() && state_ == State::kOpen) {
    waitingDrain_ = false;
    lastHeard_ = clock_();  // the pause was ours, not the peer's silence
    serveInput();
  }
}

void PeerConnection::scheduleTick() {
  tickTimer_.expires_after(config_.tickInterval);
  tickTimer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec) self->onTick();
  });
}

void PeerConnection::onTick() {
  if (state_ == State::kClosed) return;
  // A drain that has not finished by the next tick waits on a peer that
  // does not read; it gets no more time.
  if (state_ == State::kDraining) return close(drainKind_, drainReason_);
  int64_t now = clock_();
  // Not read while it does not read: its silence is ours, and what counts
  // is whether it takes what we send.
  if (waitingDrain_ && now - lastDrained_ > config_.idleTimeout.count()) {
    return close(CloseKind::kBacklog, "peer does not read: " + std::to_string(queuedMemory()) +
                                          " bytes queued, none taken for " +
                                          std::to_string(now - lastDrained_) + " ms");
  }
  if (!paused_ && !waitingDrain_ && now - lastHeard_ > config_.idleTimeout.count()) {
    return close(CloseKind::kTimeout, "idle for " + std::to_string(now - lastHeard_) + " ms");
  }
  keepAlive(now);
  handle(session_->onTick(now));
  if (state_ != State::kClosed) scheduleTick();
}

// Pinging when this side has sent nothing keeps the peer hearing us even
// while it only receives (a long push); pinging when we heard nothing asks
// a peer that never pings on its own for a Pong. At most one Ping every
// third of idleTimeout, so a live peer has two chances to answer before it
// is given up; the session's tick flushes it.
void PeerConnection::keepAlive(int64_t now) {
  int64_t interval = config_.idleTimeout.count() / 3;
  if (interval <= 0 || now - lastPing_ < interval) return;
  if (now - lastSent_ < interval && now - lastHeard_ < interval) return;
  lastPing_ = now;
  (void)transport_.send(encodeMessage(Ping{++pings_}));
}

// Pending handlers hold a shared_ptr to this object and see kClosed when
// they run, so closing from inside any handler is safe.
// The host hears of the close (bans a misbehaving peer, logs the event)
// before the socket closes: a peer that sees its connection end and comes
// straight back finds the ban in place and the line in the log. The caller
// holds a reference, so this object outlives the host's erasing it.
void PeerConnection::close(CloseKind kind, const std::string& why) {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  handshakeTimer_.cancel();
  helloTimer_.cancel();
  tickTimer_.cancel();
  readPause_.cancel();
  // The frames of a write in flight stay until its handler has run.
  (void)transport_.takeQueued(SIZE_MAX);
  pendingIn_ = {};
  account();
  host_.onClosed(*this, kind, why);
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace allmenning
