// Sync messages: plain C++ values and their Cap'n Proto wire form
// (protocol/schema/wire.capnp).
//
// One encoded Message is the plaintext of one transport frame, so every
// message fits in kMaxMessageBytes. The decoder bounds its work by the input
// size, refuses lists longer than the limits below, and returns a Status for
// any input: it never throws. A union member this version does not know
// decodes to UnknownMessage, which the session answers with an Error
// "unimplemented" rather than dropping the peer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/status.h"

namespace allmenning {

constexpr uint32_t kProtocolVersion = 1;
// The largest plaintext frame; must equal the transport's frame limit.
constexpr size_t kMaxMessageBytes = 1024 * 1024;
// A head on the wire is 88 bytes (struct, two 32-byte Data, list pointer
// word), so 4096 heads stay well under a frame.
constexpr size_t kMaxHeadsPerMessage = 4096;
// Entries are packed by size as well (see kMaxEntriesBytes); the count limit
// bounds per-entry overhead for tiny entries.
constexpr size_t kMaxEntriesPerMessage = 256;
// The sum of entry sizes (header, signature, payload, overhead) one Entries
// message may carry. Leaves room for framing; one maximal entry (512 KiB
// payload) always fits.
constexpr size_t kMaxEntriesBytes = kMaxMessageBytes - 64 * 1024;
// A Want spans at most this many seqs, so one Want is answered by a bounded
// amount of work.
constexpr uint64_t kMaxWantRange = kMaxEntriesPerMessage;
constexpr size_t kMaxErrorTextBytes = 1024;

enum class ErrorCode : uint16_t {
  kUnimplemented = 1,  // a message kind the receiver does not know
  kBadMessage = 2,     // undecodable or over a limit
  kBadEntry = 3,       // an entry failed the acceptance checks
  kWrongNetwork = 4,
  kWrongVersion = 5,
  kBadRequest = 6,  // a valid message that makes no sense (e.g. Want range)
};

struct AuthorHead {
  PublicKey author{};
  uint64_t seq = 0;
  Hash hash{};
  bool forked = false;  // the sender holds a fork proof for this author
  bool operator==(const AuthorHead&) const = default;
};

struct WireEntry {
  Bytes header;
  Signature signature{};
  std::optional<Bytes> payload;  // nullopt: the sender holds no payload
  bool operator==(const WireEntry&) const = default;
};

struct SignedHeader {
  Bytes header;
  Signature signature{};
  bool operator==(const SignedHeader&) const = default;
};

struct Hello {
  uint32_t version = kProtocolVersion;
  Hash network{};
  bool ack = false;  // true: the sender already has the peer's Hello
  bool operator==(const Hello&) const = default;
};
struct Heads {
  std::vector<AuthorHead> heads;
  bool operator==(const Heads&) const = default;
};
struct Want {
  PublicKey author{};
  uint64_t fromSeq = 1;
  uint64_t toSeq = 1;
  bool operator==(const Want&) const = default;
};
struct Entries {
  std::vector<WireEntry> entries;
  bool operator==(const Entries&) const = default;
};
struct ForkProof {
  SignedHeader a;
  SignedHeader b;
  bool operator==(const ForkProof&) const = default;
};
struct PeerError {
  ErrorCode code = ErrorCode::kBadMessage;
  std::string text;
  bool operator==(const PeerError&) const = default;
};
struct Ping {
  uint64_t nonce = 0;
  bool operator==(const Ping&) const = default;
};
struct Pong {
  uint64_t nonce = 0;
  bool operator==(const Pong&) const = default;
};
// A union member this version does not know (sent by a newer peer).
struct UnknownMessage {
  uint16_t which = 0;
  bool operator==(const UnknownMessage&) const = default;
};

using Message =
    std::variant<Hello, Heads, Want, Entries, ForkProof, PeerError, Ping, Pong, UnknownMessage>;

// A short name of the message kind, for logs and test output.
std::string messageName(const Message& m);

// The wire bytes of `m` (canonical Cap'n Proto, one segment). An
// UnknownMessage encodes with its raw union tag, as a newer peer would send
// it. Precondition: `m` is within the limits above (the session only builds
// such messages); decodeMessage refuses anything else.
Bytes encodeMessage(const Message& m);

// Decodes one message. Refuses, with Status::corruption: more than
// kMaxMessageBytes, bytes that are not canonical Cap'n Proto, key/hash fields
// of the wrong size, lists or texts over their limits, and Want ranges that
// are empty, start at 0 or span more than kMaxWantRange.
Result<Message> decodeMessage(ByteView bytes);

// Encoded size estimate of one entry inside an Entries message, used to pack
// batches under kMaxEntriesBytes.
size_t wireEntrySize(const WireEntry& e);

}  // namespace allmenning
