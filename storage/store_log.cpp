#include "storage/store_log.h"

#include <map>

namespace allmenning {

StoreLog::StoreLog(Store& store, std::function<int64_t()> clock)
    : store_(store), clock_(std::move(clock)) {}

Result<std::vector<AuthorHead>> StoreLog::heads() const {
  return headsAfter(std::nullopt, SIZE_MAX);
}

Result<std::vector<AuthorHead>> StoreLog::headsAfter(const std::optional<PublicKey>& after,
                                                     size_t limit) const {
  std::map<PublicKey, AuthorHead> page;
  std::optional<PublicKey> cursor = after;
  // Authors no longer accepted are kept but not relayed: skipped, and the
  // page filled from further on.
  while (page.size() < limit) {
    size_t asked = limit - page.size();
    auto stored = store_.headsAfter(cursor, asked);
    if (!stored.isOk()) return stored.status();
    for (const auto& [author, head] : *stored) {
      if (!store_.accepts(author)) continue;
      page[author] = AuthorHead{author, head.seq, head.hash, store_.frozen(author)};
    }
    if (stored->size() < asked) break;
    cursor = stored->back().first;
  }
  return withFrozen(std::move(page), store_.frozenAuthors(), after, limit, *this);
}

Result<std::vector<ApplyOutcome>> StoreLog::apply(std::vector<Entry> entries) {
  return store_.apply(std::move(entries), /*sync=*/true, clock_());
}

std::optional<ForkProof> StoreLog::forkProof(const PublicKey& author) const {
  auto proof = store_.forkProof(author);
  return proof.isOk() ? *proof : std::nullopt;
}

}  // namespace allmenning
