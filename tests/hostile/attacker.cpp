#include "tests/hostile/attacker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "protocol/case_json.h"
#include "tests/test_util.h"

namespace allmenning::testing {

using Clock = std::chrono::steady_clock;

Attacker::Attacker(std::string source, std::shared_ptr<const SecretKey> key, Hash network)
    : source_(std::move(source)), key_(std::move(key)), network_(network) {}

Attacker::~Attacker() { close(); }

void Attacker::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool Attacker::connect(uint16_t port) {
  close();
  eof_ = false;
  transport_.reset();
  received_.clear();
  taken_ = 0;
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return false;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  if (::inet_pton(AF_INET, source_.c_str(), &from.sin_addr) != 1) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{};
  tv.tv_sec = sendTimeout_.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((sendTimeout_.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close();
    return false;
  }
  return true;
}

Status Attacker::handshake(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return Status::ioError("attacker: not connected");
  transport_ = std::make_unique<Transport>(Handshake::Role::kInitiator, *key_, network_);
  auto deadline = Clock::now() + timeout;
  while (!transport_->ready()) {
    if (!flushTransport()) return Status::ioError("attacker: write failed in the handshake");
    if (transport_->failed()) return transport_->status();
    if (!readOnce(deadline)) {
      return Status::ioError(eof_ ? "attacker: victim closed in the handshake"
                                  : "attacker: handshake timed out");
    }
  }
  // The proof and the stream header.
  if (!flushTransport()) return Status::ioError("attacker: write failed after the handshake");
  return Status::ok();
}

Status Attacker::hello(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return Status::ioError("attacker: not connected");
  transport_ = std::make_unique<Transport>(Handshake::Role::kInitiator, *key_, network_);
  if (!flushTransport()) return Status::ioError("attacker: write failed in the hello");
  auto deadline = Clock::now() + timeout;
  while (!transport_->ready()) {
    if (transport_->failed()) return transport_->status();
    if (!readOnce(deadline)) {
      return Status::ioError(eof_ ? "attacker: victim closed before its reply"
                                  : "attacker: no reply in time");
    }
  }
  return Status::ok();
}

Status Attacker::open(uint16_t port) {
  if (!connect(port)) return Status::ioError("attacker: connect from " + source_ + " failed");
  return handshake();
}

bool Attacker::sendRaw(ByteView bytes) {
  size_t at = 0;
  while (at < bytes.size() && fd_ >= 0) {
    ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    at += static_cast<size_t>(n);
    bytesSent_ += static_cast<uint64_t>(n);
  }
  return at == bytes.size();
}

bool Attacker::flushTransport() { return sendRaw(transport_->takeBytesToSend()); }

bool Attacker::sendPlaintext(ByteView plaintext) {
  if (!transport_ || !transport_->ready()) return false;
  if (!transport_->send(plaintext).isOk()) return false;
  return flushTransport();
}

// Bytes go through the Transport: handshake bytes first, then frames, whose
// plaintexts are decoded and kept. Undecodable plaintext is kept as an
// UnknownMessage with tag 0xffff, so a test sees that something came.
bool Attacker::readOnce(Clock::time_point deadline) {
  if (fd_ < 0 || eof_) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  pollfd p{fd_, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
  if (ready <= 0) return false;
  std::array<uint8_t, 64 * 1024> buf;
  ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
  if (n < 0 && errno == EINTR) return true;
  if (n <= 0) {
    eof_ = true;  // closed (0) or reset (ECONNRESET)
    return false;
  }
  if (!transport_) return true;  // a raw connection: what comes back is ignored
  auto messages = transport_->receivedBytes(ByteView(buf.data(), static_cast<size_t>(n)));
  if (!messages.isOk()) return true;
  for (const Bytes& b : *messages) {
    auto m = decodeMessage(b);
    received_.push_back(m.isOk() ? *m : Message{UnknownMessage{0xffff}});
    auto* ping = std::get_if<Ping>(&received_.back());
    if (ping && answerPings_) send(Pong{ping->nonce});
  }
  return true;
}

std::optional<Message> Attacker::next(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (taken_ == received_.size()) {
    if (!readOnce(deadline)) {
      if (eof_ || fd_ < 0 || Clock::now() >= deadline) break;
    }
  }
  if (taken_ == received_.size()) return std::nullopt;
  return received_[taken_++];
}

bool Attacker::waitClosed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  // At least one look, so a zero timeout still sees a close already there.
  do {
    readOnce(deadline);
  } while (!eof_ && fd_ >= 0 && Clock::now() < deadline);
  return eof_;
}

std::optional<PeerError> Attacker::error() const {
  for (const Message& m : received_) {
    if (auto* e = std::get_if<PeerError>(&m)) return *e;
  }
  return std::nullopt;
}

// ---- Entries -----------------------------------------------------------------

Entry signedCase(const SecretKey& key, const Hash& network, uint64_t seq, const Hash& prev,
                 const std::string& caseId) {
  return signedCaseJson(key, network, seq, prev, caseJson(caseId));
}

Entry signedCaseJson(const SecretKey& key, const Hash& network, uint64_t seq, const Hash& prev,
                     const std::string& json) {
  Header h;
  h.network = network;
  h.author = key.publicKey();
  h.seq = seq;
  h.prev = prev;
  h.kind = Kind::kCase;
  h.timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  auto payload = caseFromJson(json);
  return signEntry(key, h, payload.isOk() ? *payload : Bytes{});
}

WireEntry forgedSignature(const Entry& e, size_t byte) {
  WireEntry w{e.headerBytes, e.signature, e.payload};
  w.signature[byte % w.signature.size()] ^= 0x01;
  return w;
}

WireEntry mismatchedPayload(const Entry& e) {
  WireEntry w{e.headerBytes, e.signature, e.payload};
  if (w.payload && !w.payload->empty()) (*w.payload)[w.payload->size() / 2] ^= 0x20;
  return w;
}

}  // namespace allmenning::testing
