#include "protocol/memory_log.h"

#include "protocol/records.h"
#include "protocol/sync.h"

namespace allmenning {

std::string outcomeName(Outcome o) {
  switch (o) {
    case Outcome::kAccepted:
      return "accepted";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kGap:
      return "gap";
    case Outcome::kBadPrev:
      return "wrong prev";
    case Outcome::kFork:
      return "fork";
    case Outcome::kFrozen:
      return "frozen";
    case Outcome::kUntrusted:
      return "untrusted";
    case Outcome::kInvalid:
      return "invalid";
  }
  return "unknown";
}

Result<std::vector<AuthorHead>> MemoryLog::heads() const {
  // Frozen authors are listed even without entries, so that peers learn of
  // the fork from the Heads exchange when a ForkProof push was lost.
  std::map<PublicKey, AuthorHead> all;
  for (const auto& [author, log] : logs_) {
    if (!log.empty()) all[author] = {author, log.size(), log.back().hash, frozen(author)};
  }
  for (const auto& [author, proof] : forks_) {
    all.try_emplace(author, AuthorHead{author, 0, Hash{}, true});
  }
  std::vector<AuthorHead> out;
  out.reserve(all.size());
  for (auto& [author, head] : all) out.push_back(head);
  return out;
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
  // Looked up, not created: refused entries must not add empty logs.
  static const std::vector<Entry> kEmpty;
  auto found = logs_.find(author);
  const std::vector<Entry>& log = found == logs_.end() ? kEmpty : found->second;
  std::optional<Hash> storedAtSeq;
  if (seq >= 1 && seq <= log.size()) storedAtSeq = log[seq - 1].hash;

  // An exact copy of a stored entry (the hash covers header and signature)
  // was fully checked when it was stored, so the signature is not verified
  // again: in gossip most arrivals are such copies. Only the payload can
  // differ from the stored one, and a changed payload is still refused.
  if (storedAtSeq == e.hash) {
    const Header& h = e.header;
    if (e.payload &&
        (e.payload->size() != h.payloadSize || blake2b256(*e.payload) != h.payloadHash)) {
      return {Outcome::kInvalid, Status::corruption("payload does not match the header"), {}};
    }
    return {Outcome::kDuplicate, Status::ok(), {}};
  }
  // Checked before the frozen test, so a peer sending forged entries of a
  // frozen author is still recognised as misbehaving.
  Status st = checkEntry(e, network_);
  if (!st.isOk()) return {Outcome::kInvalid, st, {}};
  if (!accepts(author)) return {Outcome::kUntrusted, Status::refused("author is not trusted"), {}};
  if (frozen(author))
    return {Outcome::kFrozen, Status::refused("author is frozen after a fork"), {}};

  switch (placeEntry(Head{log.size(), log.empty() ? Hash{} : log.back().hash}, e, storedAtSeq)) {
    case Placement::kNext:
      break;
    case Placement::kDuplicate:
      return {Outcome::kDuplicate, Status::ok(), {}};
    case Placement::kGap:
      return {Outcome::kGap, Status::refused("gap before this entry"), {}};
    case Placement::kBadPrev:
      return {Outcome::kBadPrev, Status::refused("prev does not match the stored head"), {}};
    case Placement::kFork: {
      // Both entries passed checkEntry, so the pair is a valid proof.
      ForkProof proof = forkProofOf(log[seq - 1], e);
      forks_[author] = proof;
      return {Outcome::kFork, Status::refused("equivocation at seq " + std::to_string(seq)), proof};
    }
  }
  // The payload rules run only for entries that would be stored: a gap or
  // a fork is decided by the header alone.
  if (!e.payload) return {Outcome::kInvalid, Status::corruption("payload missing"), {}};
  st = checkPayload(e.header.kind, *e.payload);
  if (!st.isOk()) return {Outcome::kInvalid, st, {}};
  logs_[author].push_back(std::move(e));
  return {Outcome::kAccepted, Status::ok(), {}};
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
