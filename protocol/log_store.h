// The narrow view of a node's logs that the sync session needs.
//
// The node implements it over its RocksDB Store; MemoryLog
// (protocol/memory_log.h) implements it in memory for tests and the
// simulation. Every implementation must decide acceptance with the same
// pure rules (checkEntry, placeEntry, checkPayload), so a peer is treated
// the same whichever store sits behind the session.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/entry.h"
#include "protocol/status.h"
#include "protocol/wire.h"

namespace allmenning {

// What apply() did with one entry.
enum class Outcome {
  kAccepted,   // appended to its author's log
  kDuplicate,  // already stored with the same hash
  kGap,        // seq > head+1: not stored; the caller asks for the gap
  kBadPrev,    // seq == head+1 but prev differs: the author's chain forked earlier
  kFork,       // a second valid entry at a stored seq; a fork proof was recorded
  kFrozen,     // the author equivocated before; nothing more is accepted for it
  kUntrusted,  // this node does not accept the author (not trusted, not vouched for)
  kInvalid,    // failed checkEntry or checkPayload, or had no payload
};
std::string outcomeName(Outcome o);

struct ApplyOutcome {
  Outcome outcome = Outcome::kAccepted;
  Status status;                  // why, when the entry was refused
  std::optional<ForkProof> fork;  // set with kFork: the stored and the new header
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  virtual const Hash& network() const = 0;
  // Every author this store holds entries of and accepts, sorted by author
  // key, with `forked` set for frozen authors.
  virtual Result<std::vector<AuthorHead>> heads() const = 0;
  // seq 0 when nothing of `author` is stored.
  virtual Result<Head> head(const PublicKey& author) const = 0;
  // The entry at (author, seq) with its payload when stored; nullopt if absent.
  virtual Result<std::optional<Entry>> entry(const PublicKey& author, uint64_t seq) const = 0;
  // Checks and stores `entries` in order; entries may build on earlier ones
  // in the same call. One outcome per entry, in input order. A non-ok
  // Result means a local failure (I/O), not a bad entry.
  virtual Result<std::vector<ApplyOutcome>> apply(std::vector<Entry> entries) = 0;
  // Records a fork proof received from a peer (already verified with
  // checkForkProof) and freezes its author. Returns false when the author
  // was already frozen, so a proof is relayed only once.
  virtual Result<bool> recordFork(const ForkProof& proof) = 0;
  virtual bool frozen(const PublicKey& author) const = 0;
  // Whether entries of `author` may be stored and relayed here (trust).
  virtual bool accepts(const PublicKey& author) const = 0;
  // The recorded fork proof of `author`, if it equivocated.
  virtual std::optional<ForkProof> forkProof(const PublicKey& author) const = 0;
};

}  // namespace allmenning
