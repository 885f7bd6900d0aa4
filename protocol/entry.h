// Entries: the signed, hash-chained records of one author's append-only log.
//
//   signature = Ed25519(sk, "allmenning/entry/v1" || canonical header bytes)
//   entryHash = BLAKE2b-256(canonical header bytes || signature)
//
// The header commits to the payload by hash and size, so a payload can be
// erased later while the chain of headers stays verifiable. See
// docs/entry-format.md.
#pragma once

#include <optional>
#include <string>

#include "protocol/bytes.h"
#include "protocol/crypto.h"
#include "protocol/status.h"

namespace allmenning {

constexpr std::string_view kEntryDomain = "allmenning/entry/v1";
// A canonical header is 7 words of struct data plus 4 Data fields of 32
// bytes; 256 bytes leaves room for fields added later.
constexpr size_t kMaxHeaderBytes = 256;

enum class Kind : uint16_t {
  kCase = 0,
  kNeed = 1,
  kExperience = 2,
  kRetract = 3,
  kVouch = 4,
  kProfile = 5,
};
std::string kindName(Kind kind);

struct Header {
  Hash network{};
  PublicKey author{};
  uint64_t seq = 0;
  Hash prev{};
  Kind kind = Kind::kCase;
  int64_t timestamp = 0;  // ms since the epoch, author's clock
  Hash payloadHash{};
  uint32_t payloadSize = 0;
};

Bytes encodeHeader(const Header& header);
// Decodes canonical header bytes. Refuses non-canonical encodings, Data
// fields that are not 32 bytes, and kinds this version does not know.
Result<Header> decodeHeader(ByteView bytes);

// A decoded entry. `payload` is empty when it was erased or not yet fetched.
struct Entry {
  Header header;
  Bytes headerBytes;  // canonical; what the signature covers
  Signature signature{};
  Hash hash{};  // entryHash
  std::optional<Bytes> payload;
};

// Builds, signs and hashes an entry. The caller fills network, author, seq,
// prev, kind and timestamp; payload hash and size are set here.
Entry signEntry(const SecretKey& key, Header header, Bytes payload);

// Decodes an entry from its wire parts. Checks only the encoding; the
// signature and the rules are checked by checkEntry and placeEntry.
Result<Entry> entryFromParts(ByteView headerBytes, ByteView signature,
                             std::optional<Bytes> payload);

// Checks everything about an entry that does not depend on the author's log:
// network id, seq and prev shape, signature, payload size and hash.
Status checkEntry(const Entry& entry, const Hash& network);

// The state of one author's log: seq 0 means empty.
struct Head {
  uint64_t seq = 0;
  Hash hash{};
};

// Where an entry falls relative to its author's log.
enum class Placement {
  kNext,       // seq == head+1 and prev == head hash: append it
  kDuplicate,  // already stored with this hash: ignore it
  kFork,       // same seq as a stored entry, different hash: equivocation
  kGap,        // seq > head+1: not stored; the missing range is requested
  kBadPrev,    // seq == head+1 but prev is not the head hash: refused
};
std::string placementName(Placement p);

// Places `entry` against `head`. `storedAtSeq` is the hash of the stored
// entry with the same seq, required when entry.header.seq <= head.seq.
Placement placeEntry(const Head& head, const Entry& entry, std::optional<Hash> storedAtSeq);

}  // namespace allmenning
