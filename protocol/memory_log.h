// An in-memory LogStore for protocol tests and the multi-node simulation.
//
// It decides acceptance with the same pure decision as the RocksDB store
// (decideEntry, protocol/acceptance.h) and keeps fork proofs the way the
// design asks: the first proof for an author is stored, the author is
// frozen, and no later entry of that author is accepted.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "protocol/log_store.h"

namespace allmenning {

class MemoryLog : public LogStore {
 public:
  explicit MemoryLog(const Hash& network) : network_(network) {}

  const Hash& network() const override { return network_; }
  Result<std::vector<AuthorHead>> heads() const override;
  Result<std::vector<AuthorHead>> headsAfter(const std::optional<PublicKey>& after,
                                             size_t limit) const override;
  Result<Head> head(const PublicKey& author) const override;
  Result<std::optional<Entry>> entry(const PublicKey& author, uint64_t seq) const override;
  Result<std::vector<ApplyOutcome>> apply(std::vector<Entry> entries) override;
  Result<bool> recordFork(const ForkProof& proof) override;
  bool frozen(const PublicKey& author) const override { return forks_.count(author) != 0; }
  bool accepts(const PublicKey& author) const override {
    return !trusted_ || trusted_->count(author) != 0;
  }
  // Accept only these authors from now on (default: every author). Vouches
  // are the RocksDB store's business; this models direct trust only.
  void trustOnly(std::set<PublicKey> authors) { trusted_ = std::move(authors); }

  std::optional<ForkProof> forkProof(const PublicKey& author) const override;
  size_t entryCount() const;

 private:
  ApplyOutcome applyOne(Entry e);

  Hash network_;
  std::map<PublicKey, std::vector<Entry>> logs_;  // index i holds seq i+1
  std::map<PublicKey, ForkProof> forks_;
  std::optional<std::set<PublicKey>> trusted_;
};

}  // namespace allmenning
