// The one acceptance decision: what a store does with an entry that
// arrives, whoever sends it (a peer, an import, this node's own author).
//
// Every LogStore (the RocksDB Store through StoreLog, and MemoryLog) reads
// what it holds of the entry's author into an AuthorView and calls
// decideEntry; none of them decides anything itself. So a peer is treated
// the same whichever store sits behind the session, and the store contract
// suite (tests/storage/store_log_test.cpp) holds both to it.
//
// The checks run in one fixed order (docs/architecture.md, "One acceptance
// decision"):
//   1. trust      an author this node does not accept: kUntrusted. First,
//                 because it costs nothing, and a stranger's bytes then cost
//                 no lookup and no signature check. It holds for exact copies
//                 of stored entries too: once trust in an author is removed,
//                 nothing of it is accepted, not even as a duplicate.
//   2. copy       an exact copy of the stored entry at its seq (same entry
//                 hash, so the same header and signature, checked when it was
//                 stored): kDuplicate without a second signature check; a
//                 payload that does not match the header is still kInvalid.
//   3. entry      checkEntry (network, shape, signature, payload hash):
//                 kInvalid. Before the frozen test, so forged entries of a
//                 frozen author still mark their sender as misbehaving.
//   4. frozen     the author equivocated before: kFrozen.
//   5. placement  against the head: kGap, kBadPrev, kFork (a second valid
//                 entry at a stored seq; the store records the proof).
//   6. payload    present and valid for its kind (checkPayload): kAccepted,
//                 else kInvalid. Only entries that would be stored get here.
#pragma once

#include <optional>
#include <string>

#include "protocol/entry.h"
#include "protocol/status.h"
#include "protocol/wire.h"

namespace allmenning {

// What a store does with one entry.
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

// The outcome for one entry, as decideEntry gives it and as every store's
// apply() returns it.
struct ApplyOutcome {
  Outcome outcome = Outcome::kAccepted;
  Status status;                  // why, when the entry was refused
  std::optional<ForkProof> fork;  // set with kFork by the store: the stored and the new header
  bool stored() const { return outcome == Outcome::kAccepted; }
};

// What a store holds of an entry's author, as the batch being applied sees
// it (earlier entries of the same batch included).
struct AuthorView {
  bool accepted = false;  // trusted directly or vouched for
  bool frozen = false;    // a fork proof of the author is stored
  // Read only when `accepted`: a store need not look them up otherwise.
  Head head;
  std::optional<Hash> storedAtSeq;  // the stored hash at the entry's seq, when seq <= head.seq
};

// The decision for `entry` in a store of federation `network`. Pure: it
// reads nothing but its arguments. kAccepted means "append it"; with kFork
// the caller builds the proof from its stored entry and records it.
ApplyOutcome decideEntry(const Entry& entry, const Hash& network, const AuthorView& view);

}  // namespace allmenning
