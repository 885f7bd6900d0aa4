#include "protocol/memory_log.h"

#include "protocol/sync.h"

namespace allmenning {

Result<std::vector<AuthorHead>> MemoryLog::heads() const {
  return headsAfter(std::nullopt, SIZE_MAX);
}

Result<std::vector<AuthorHead>> MemoryLog::headsAfter(const std::optional<PublicKey>& after,
                                                      size_t limit) const {
  std::map<PublicKey, AuthorHead> page;
  // Authors no longer accepted keep their entries here but are not offered.
  auto it = after ? logs_.upper_bound(*after) : logs_.begin();
  for (; it != logs_.end() && page.size() < limit; ++it) {
    const auto& [author, log] = *it;
    if (!log.empty() && accepts(author)) {
      page[author] = {author, log.size(), log.back().hash, frozen(author)};
    }
  }
  std::set<PublicKey> frozenAuthors;
  for (const auto& [author, proof] : forks_) frozenAuthors.insert(author);
  return withFrozen(std::move(page), frozenAuthors, after, limit, *this);
}

Result<Head> MemoryLog::head(const PublicKey& author) const {
  auto it = logs_.find(author);
  if (it == logs_.end() || it->second.empty()) return Head{};
  return Head{it->second.size(), it->second.back().hash};
}

Result<std::optional<Entry>> MemoryLog::entry(const PublicKey& author, uint64_t seq) const {
  auto it = logs_.find(author);
  if (it == logs_.end() || seq == 0 || seq > it->second.size()) {
    return std::optional<Entry>();
  }
  return std::optional<Entry>(it->second[seq - 1]);
}

// Entries are applied one by one in order, so a batch may carry a run of
// one author's log; nothing is rolled back when a later entry is refused,
// matching the store, which commits every accepted entry of a batch.
Result<std::vector<ApplyOutcome>> MemoryLog::apply(std::vector<Entry> entries) {
  std::vector<ApplyOutcome> out;
  out.reserve(entries.size());
  for (Entry& e : entries) out.push_back(applyOne(std::move(e)));
  return out;
}

ApplyOutcome MemoryLog::applyOne(Entry e) {
  const PublicKey author = e.header.author;  // a copy: e is moved into the log below
  const uint64_t seq = e.header.seq;
  AuthorView view{accepts(author), frozen(author), {}, std::nullopt};
  // Looked up, not created: refused entries must not add empty logs.
  auto found = logs_.find(author);
  if (view.accepted && found != logs_.end() && !found->second.empty()) {
    const std::vector<Entry>& log = found->second;
    view.head = Head{log.size(), log.back().hash};
    if (seq >= 1 && seq <= log.size()) view.storedAtSeq = log[seq - 1].hash;
  }
  ApplyOutcome out = decideEntry(e, network_, view);
  if (out.outcome == Outcome::kFork) {
    // Both entries passed checkEntry, so the pair is a valid proof.
    out.fork = forkProofOf(found->second[seq - 1], e);
    forks_[author] = *out.fork;
  } else if (out.outcome == Outcome::kAccepted) {
    logs_[author].push_back(std::move(e));
  }
  return out;
}

Result<bool> MemoryLog::recordFork(const ForkProof& proof) {
  auto author = checkForkProof(proof, network_);
  if (!author.isOk()) return author.status();
  if (!accepts(*author)) return false;  // as the store: only accepted authors' proofs
  return forks_.emplace(*author, proof).second;
}

std::optional<ForkProof> MemoryLog::forkProof(const PublicKey& author) const {
  auto it = forks_.find(author);
  if (it == forks_.end()) return std::nullopt;
  return it->second;
}

size_t MemoryLog::entryCount() const {
  size_t n = 0;
  for (const auto& [author, log] : logs_) n += log.size();
  return n;
}

}  // namespace allmenning
