#include "protocol/framing.h"

#include <sodium.h>

#include <algorithm>
#include <string>
#include <utility>

namespace allmenning {

static_assert(kFrameTagBytes == crypto_secretstream_xchacha20poly1305_ABYTES);
static_assert(kStreamHeaderBytes == crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(Secret32::kSize == crypto_secretstream_xchacha20poly1305_KEYBYTES);

// The stream state holds a subkey and the running nonce; wipe it on the way out.
struct StreamState {
  crypto_secretstream_xchacha20poly1305_state s;
  ~StreamState() { sodium_memzero(&s, sizeof s); }
};

namespace {

// A buffer that has held a big frame is released rather than kept for the
// life of the connection.
constexpr size_t kKeepBodyCapacity = 64 * 1024;

uint32_t readBigEndian32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

// ---- FrameEncoder ----------------------------------------------------------

FrameEncoder::FrameEncoder(const Secret32& key, const RandomFill& random)
    : state_(std::make_unique<StreamState>()) {
  random(header_);
  // init_push would draw the header from randombytes itself. init_pull
  // derives exactly the same state from a given header (HChaCha20 subkey,
  // counter 1, header tail as nonce), which lets the header come from the
  // injected source so a seeded run is byte-for-byte repeatable.
  crypto_secretstream_xchacha20poly1305_init_pull(&state_->s, header_.data(), key.data());
}

FrameEncoder::~FrameEncoder() = default;

Result<Bytes> FrameEncoder::seal(ByteView plaintext) {
  if (plaintext.size() > kMaxFramePlaintext) {
    return Status::invalid("frame: message of " + std::to_string(plaintext.size()) +
                           " bytes exceeds the limit of " + std::to_string(kMaxFramePlaintext));
  }
  size_t n = plaintext.size() + kFrameTagBytes;
  Bytes frame(kFrameLengthBytes + n);
  for (size_t i = 0; i < kFrameLengthBytes; ++i) {
    frame[i] = static_cast<uint8_t>(n >> (8 * (kFrameLengthBytes - 1 - i)));
  }
  crypto_secretstream_xchacha20poly1305_push(&state_->s, frame.data() + kFrameLengthBytes, nullptr,
                                             plaintext.data(), plaintext.size(), nullptr, 0,
                                             crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  return frame;
}

// ---- FrameDecoder ----------------------------------------------------------

FrameDecoder::FrameDecoder(const Secret32& key) {
  std::copy(key.bytes().begin(), key.bytes().end(), key_.data());
}

FrameDecoder::~FrameDecoder() = default;

Result<std::vector<Bytes>> FrameDecoder::receivedBytes(ByteView bytes) {
  if (failed()) return status_;
  std::vector<Bytes> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    Status st = step(bytes, pos, out);
    if (!st.isOk()) {
      state_ = State::kFailed;
      status_ = std::move(st);
      body_ = Bytes{};
      stream_.reset();
      return status_;
    }
  }
  return out;
}

// Takes as many bytes as the current state still needs (never more, so the
// buffers stay within one frame) and acts once the piece is complete.
Status FrameDecoder::step(ByteView bytes, size_t& pos, std::vector<Bytes>& out) {
  size_t left = bytes.size() - pos;
  if (state_ == State::kBody) {
    size_t take = std::min(bodySize_ - body_.size(), left);
    body_.insert(body_.end(), bytes.begin() + pos, bytes.begin() + pos + take);
    pos += take;
    return body_.size() == bodySize_ ? openFrame(out) : Status::ok();
  }
  size_t need = state_ == State::kHeader ? kStreamHeaderBytes : kFrameLengthBytes;
  size_t take = std::min(need - have_, left);
  std::copy(bytes.begin() + pos, bytes.begin() + pos + take, fixed_.begin() + have_);
  have_ += take;
  pos += take;
  if (have_ < need) return Status::ok();
  have_ = 0;
  return state_ == State::kHeader ? openStream() : checkLength();
}

Status FrameDecoder::openStream() {
  stream_ = std::make_unique<StreamState>();
  // init_pull only fails for bad arguments, never for header contents: a
  // forged header just yields a stream whose first frame will not open.
  crypto_secretstream_xchacha20poly1305_init_pull(&stream_->s, fixed_.data(), key_.data());
  key_ = Secret32();  // the stream state holds what it needs
  state_ = State::kLength;
  return Status::ok();
}

// The announced length is checked before a single body byte is buffered, so
// a peer cannot make us reserve memory by announcing a huge frame.
Status FrameDecoder::checkLength() {
  uint32_t n = readBigEndian32(fixed_.data());
  if (n < kFrameTagBytes) {
    return Status::corruption("frame: length " + std::to_string(n) + " is shorter than its tag");
  }
  if (n > kMaxFrameCiphertext) {
    return Status::corruption("frame: length " + std::to_string(n) + " exceeds the limit of " +
                              std::to_string(kMaxFrameCiphertext));
  }
  bodySize_ = n;
  body_.reserve(n);
  state_ = State::kBody;
  return Status::ok();
}

Status FrameDecoder::openFrame(std::vector<Bytes>& out) {
  Bytes plain(bodySize_ - kFrameTagBytes);
  unsigned char tag = 0;
  // The stream nonce moves on only when a frame opens, so a replayed,
  // reordered, truncated or foreign frame is refused here.
  if (crypto_secretstream_xchacha20poly1305_pull(&stream_->s, plain.data(), nullptr, &tag,
                                                 body_.data(), body_.size(), nullptr, 0) != 0) {
    return Status::corruption(
        "frame: does not authenticate (tampered, replayed, reordered or from another session)");
  }
  // Version 1 only sends TAG_MESSAGE; a FINAL or REKEY tag is not ours.
  if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    return Status::corruption("frame: unexpected stream tag " + std::to_string(tag));
  }
  out.push_back(std::move(plain));
  body_.clear();
  if (body_.capacity() > kKeepBodyCapacity) body_ = Bytes{};
  state_ = State::kLength;
  return Status::ok();
}

// ---- Transport -------------------------------------------------------------

Transport::Transport(Handshake::Role role, const SecretKey& identity, const Hash& network,
                     PeerPolicy acceptPeer, RandomFill random)
    : random_(std::move(random)),
      handshake_(
          std::make_unique<Handshake>(role, identity, network, std::move(acceptPeer), random_)) {
  takeHandshakeBytes();
}

Transport::~Transport() = default;

Result<std::vector<Bytes>> Transport::receivedBytes(ByteView bytes) {
  if (failed()) return status_;
  if (ready()) return decode(bytes);
  Status st = handshake_->receivedBytes(bytes);
  takeHandshakeBytes();
  if (!st.isOk()) return fail(std::move(st));
  if (!handshake_->done()) return std::vector<Bytes>{};
  return startFrames();
}

size_t queuedMemoryOf(const Bytes& b) { return b.capacity() + sizeof(Bytes) + 16; }

std::vector<Bytes> Transport::takeQueued(size_t maxBytes) {
  std::vector<Bytes> out;
  size_t bytes = 0;
  while (!out_.empty() && (out.empty() || bytes + out_.front().size() <= maxBytes)) {
    bytes += out_.front().size();
    queuedBytes_ -= out_.front().size();
    queuedMemory_ -= queuedMemoryOf(out_.front());
    out.push_back(std::move(out_.front()));
    out_.pop_front();
  }
  return out;
}

Bytes Transport::takeBytesToSend() {
  Bytes all;
  all.reserve(queuedBytes_);
  for (const Bytes& b : out_) all.insert(all.end(), b.begin(), b.end());
  clearQueue();
  return all;
}

void Transport::queue(Bytes bytes) {
  if (bytes.empty()) return;
  queuedBytes_ += bytes.size();
  queuedMemory_ += queuedMemoryOf(bytes);
  out_.push_back(std::move(bytes));
}

// Assigning an empty deque frees its blocks; clear() would keep them.
void Transport::clearQueue() {
  out_ = {};
  queuedBytes_ = 0;
  queuedMemory_ = 0;
}

Status Transport::send(ByteView plaintext) {
  if (failed()) return status_;
  if (!ready()) return Status::refused("transport: handshake not finished");
  Result<Bytes> frame = encoder_->seal(plaintext);
  if (!frame.isOk()) return frame.status();  // our own mistake; the session goes on
  queue(std::move(*frame));
  return Status::ok();
}

// The handshake keeps its own output; move it here at once so that it stays
// ahead of the stream header and frames in a single queue.
void Transport::takeHandshakeBytes() {
  ByteView pending = handshake_->bytesToSend();
  queue(Bytes(pending.begin(), pending.end()));
  handshake_->markBytesSent(pending.size());
}

Result<std::vector<Bytes>> Transport::startFrames() {
  encoder_ = std::make_unique<FrameEncoder>(handshake_->txKey(), random_);
  decoder_ = std::make_unique<FrameDecoder>(handshake_->rxKey());
  queue(Bytes(encoder_->header().begin(), encoder_->header().end()));
  peer_ = handshake_->peerKey();
  // The peer may already have sent its first frames behind its last
  // handshake message; they are in the surplus.
  Bytes surplus = handshake_->takeSurplus();
  handshake_.reset();  // zeroes the handshake's copies of the keys
  state_ = State::kReady;
  return decode(surplus);
}

Result<std::vector<Bytes>> Transport::decode(ByteView bytes) {
  Result<std::vector<Bytes>> messages = decoder_->receivedBytes(bytes);
  if (!messages.isOk()) return fail(messages.status());
  return messages;
}

Status Transport::fail(Status status) {
  state_ = State::kFailed;
  status_ = std::move(status);
  clearQueue();
  handshake_.reset();
  encoder_.reset();
  decoder_.reset();
  return status_;
}

}  // namespace allmenning
