// The sync state machine's view (LogStore) of the RocksDB Store.
//
// An adapter rather than Store implementing LogStore itself: Store::apply
// takes `sync` and `receivedAt` explicitly because its other callers (local
// authoring, import) choose them, while LogStore::apply has neither. The
// adapter fixes that policy in one place (always sync, receivedAt from an
// injected clock) and keeps Store's own API free of a second, differently
// shaped apply. The rules live in decideEntry, which Store::apply calls; this
// class adds no rule, so the store has one writer path whichever caller
// uses it.
#pragma once

#include <cstdint>
#include <functional>

#include "protocol/log_store.h"
#include "storage/store.h"

namespace allmenning {

class StoreLog : public LogStore {
 public:
  // `store` must outlive this object. `clock` returns ms on this node's
  // clock; it is recorded as receivedAt of the cases an apply() touches.
  StoreLog(Store& store, std::function<int64_t()> clock);
  StoreLog(const StoreLog&) = delete;
  StoreLog& operator=(const StoreLog&) = delete;

  const Hash& network() const override { return store_.network(); }
  Result<std::vector<AuthorHead>> heads() const override;
  Result<std::vector<AuthorHead>> headsAfter(const std::optional<PublicKey>& after,
                                             size_t limit) const override;
  Result<Head> head(const PublicKey& author) const override { return store_.head(author); }
  Result<std::optional<Entry>> entry(const PublicKey& author, uint64_t seq) const override {
    return store_.entry(author, seq);
  }
  // One Store::apply call with sync = true: when this returns, every
  // accepted entry and any fork proof found are on disk.
  Result<std::vector<ApplyOutcome>> apply(std::vector<Entry> entries) override;
  // Verifies the proof itself too (checkForkProof), so a caller that skips
  // the check cannot freeze an author with a bogus proof.
  Result<bool> recordFork(const ForkProof& proof) override { return store_.recordFork(proof); }
  bool frozen(const PublicKey& author) const override { return store_.frozen(author); }
  bool accepts(const PublicKey& author) const override { return store_.accepts(author); }
  // A read error gives nullopt: the interface has no error path here, and
  // the caller only loses one chance to relay the proof; the next Heads
  // exchange asks again.
  std::optional<ForkProof> forkProof(const PublicKey& author) const override;

 private:
  Store& store_;
  std::function<int64_t()> clock_;
};

}  // namespace allmenning
