#include "storage/store_log.h"

#include <map>

namespace allmenning {

StoreLog::StoreLog(Store& store, std::function<int64_t()> clock)
    : store_(store), clock_(std::move(clock)) {}

Result<std::vector<AuthorHead>> StoreLog::heads() const {
  auto stored = store_.heads();
  if (!stored.isOk()) return stored.status();
  // Frozen authors are listed even without entries, as MemoryLog does, so
  // a peer learns of the fork from Heads when the ForkProof push was lost.
  std::map<PublicKey, AuthorHead> all;
  for (const auto& [author, head] : *stored) {
    if (!store_.accepts(author)) continue;  // kept, but no longer relayed
    all[author] = AuthorHead{author, head.seq, head.hash, store_.frozen(author)};
  }
  for (const PublicKey& author : store_.frozenAuthors()) {
    if (!store_.accepts(author)) continue;
    all.try_emplace(author, AuthorHead{author, 0, Hash{}, true});
  }
  std::vector<AuthorHead> out;
  out.reserve(all.size());
  for (auto& [author, head] : all) out.push_back(head);
  return out;
}

Result<std::vector<ApplyOutcome>> StoreLog::apply(std::vector<Entry> entries) {
  return store_.apply(std::move(entries), /*sync=*/true, clock_());
}

std::optional<ForkProof> StoreLog::forkProof(const PublicKey& author) const {
  auto proof = store_.forkProof(author);
  return proof.isOk() ? *proof : std::nullopt;
}

}  // namespace allmenning
