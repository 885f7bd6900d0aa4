// The narrow view of a node's logs that the sync session needs.
//
// The node implements it over its RocksDB Store; MemoryLog
// (protocol/memory_log.h) implements it in memory for tests and the
// simulation. Every implementation decides acceptance with the one pure
// decision, decideEntry (protocol/acceptance.h), so a peer is treated the
// same whichever store sits behind the session.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/acceptance.h"
#include "protocol/entry.h"
#include "protocol/status.h"
#include "protocol/wire.h"

namespace allmenning {

class LogStore {
 public:
  virtual ~LogStore() = default;

  virtual const Hash& network() const = 0;
  // Every author this store holds entries of and accepts, sorted by author
  // key, with `forked` set for frozen authors.
  virtual Result<std::vector<AuthorHead>> heads() const = 0;
  // One page of heads(): at most `limit`, those of authors after `after`
  // (from the first when nullopt). A page costs about a page of reads, so a
  // session can send its Heads a page at a time (SyncSession::onDrained).
  virtual Result<std::vector<AuthorHead>> headsAfter(const std::optional<PublicKey>& after,
                                                     size_t limit) const = 0;
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

// Completes a page of heads (at most `limit`, sorted, of authors after
// `after`) with the frozen authors that have no entries: they are listed
// with seq 0 and `forked`, so a peer learns of the fork from Heads when the
// ForkProof push was lost. Authors beyond the page's last one are left for
// the next page. Shared by every LogStore, so they page alike.
std::vector<AuthorHead> withFrozen(std::map<PublicKey, AuthorHead> page,
                                   const std::set<PublicKey>& frozen,
                                   const std::optional<PublicKey>& after, size_t limit,
                                   const LogStore& log);

}  // namespace allmenning
