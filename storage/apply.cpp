// The single writer path of the store: Store::apply and its Writer.
#include <rocksdb/write_batch.h>

#include <map>
#include <set>

#include "protocol/acceptance.h"
#include "protocol/records.h"
#include "protocol/sync.h"
#include "storage/families.h"
#include "storage/index_terms.h"
#include "storage/keys.h"
#include "storage/links.h"
#include "storage/store.h"

namespace allmenning {

// Accumulates one WriteBatch. Reads see the store plus what this batch has
// already added, so a batch may carry several entries of one author or
// several versions of one case.
class Store::Writer {
 public:
  Writer(Store& store, int64_t receivedAt) : s_(store), receivedAt_(receivedAt) {}

  // Decides one entry (decideEntry) and, when it extends its author's
  // log, adds it. Returns a non-ok Status only for I/O errors; refusals are
  // in the outcome.
  Result<ApplyOutcome> add(Entry e) {
    auto view = viewOf(e);
    if (!view.isOk()) return view.status();
    ApplyOutcome out = decideEntry(e, s_.network_, *view);
    if (out.outcome == Outcome::kFork) return fork(e, std::move(out));
    if (out.outcome == Outcome::kAccepted) ALM_RETURN_IF_ERROR(write(e));
    return out;
  }

  // What the store plus this batch hold of the entry's author. Nothing is
  // read for an author this node does not accept.
  Result<AuthorView> viewOf(const Entry& e) {
    const PublicKey& author = e.header.author;
    AuthorView view{accepts(author), frozen(author), {}, std::nullopt};
    if (!view.accepted) return view;
    auto head = headOf(author);
    if (!head.isOk()) return head.status();
    view.head = *head;
    if (e.header.seq >= 1 && e.header.seq <= head->seq) {
      auto h = hashAt(author, e.header.seq);
      if (!h.isOk()) return h.status();
      view.storedAtSeq = *h;
    }
    return view;
  }

  // Adds a fork proof of `author` to the batch; later entries of the author
  // in this batch are refused as frozen.
  void addFork(const PublicKey& author, const ForkProof& proof) {
    batch_.Put(s_.cf_->forks, keys::author(author), encodeForkValue(proof));
    newlyFrozen_.insert(author);
  }

  const std::vector<Entry>& stored() const { return stored_; }

  Status commit(bool sync) {
    // Nothing to write (only duplicates or refusals): no durable write, so
    // a peer repeating known entries cannot make every message cost an fsync.
    if (batch_.Count() == 0) return Status::ok();
    ALM_RETURN_IF_ERROR(writeBatch(*s_.db_, batch_, sync, "writing batch"));
    std::lock_guard lock(s_.stateMu_);
    s_.frozen_.insert(newlyFrozen_.begin(), newlyFrozen_.end());
    for (const auto& [vouchee, voucher] : newVouches_) s_.vouchers_[vouchee].insert(voucher);
    for (const auto& [voucher, vouchee] : vouchOrder_) s_.admitLocked(voucher, vouchee);
    return Status::ok();
  }

 private:
  bool frozen(const PublicKey& author) const {
    return s_.frozen(author) || newlyFrozen_.count(author) != 0;
  }

  // The store's answer, plus vouches earlier in this batch, so a batch may
  // carry a vouch and the vouched author's first entries.
  bool accepts(const PublicKey& author) const {
    if (s_.accepts(author)) return true;
    auto [begin, end] = newVouches_.equal_range(author);
    for (auto it = begin; it != end; ++it) {
      if (s_.trusts(it->second) && admitted(it->second, author)) return true;
    }
    return false;
  }

  // Whether the vouch of `voucher` for `vouchee` admits it, counting the
  // keys this batch's earlier vouches of `voucher` admit.
  bool admitted(const PublicKey& voucher, const PublicKey& vouchee) const {
    auto it = batchAdmitted_.find(voucher);
    if (it != batchAdmitted_.end() && it->second.count(vouchee)) return true;
    std::lock_guard lock(s_.stateMu_);
    return s_.admitsLocked(voucher, vouchee);
  }

  // Records what a vouch of this batch admits: the voucher's stored
  // admitted keys plus this batch's, up to the cap (Store::admitLocked
  // decides the same at commit).
  void noteVouch(const PublicKey& voucher, const PublicKey& vouchee) {
    vouchOrder_.emplace_back(voucher, vouchee);
    std::set<PublicKey>& mine = batchAdmitted_[voucher];
    std::lock_guard lock(s_.stateMu_);
    if (s_.admitsLocked(voucher, vouchee) || mine.count(vouchee)) return;
    auto stored = s_.admitted_.find(voucher);
    const size_t n = (stored == s_.admitted_.end() ? 0 : stored->second.size()) + mine.size();
    if (n < s_.maxVouched_) mine.insert(vouchee);
  }

  // A second valid entry at a stored seq: the stored one and `e` are the
  // proof. It goes into this batch, so the proof and the entries the
  // batch accepts reach the disk together or not at all.
  Result<ApplyOutcome> fork(const Entry& e, ApplyOutcome out) {
    auto stored = entryAt(e.header.author, e.header.seq);
    if (!stored.isOk()) return stored.status();
    if (!*stored) {
      return Status::corruption("entry " + toHex(e.header.author).substr(0, 16) + "/" +
                                std::to_string(e.header.seq) + ": stored entry vanished");
    }
    out.fork = forkProofOf(**stored, e);
    addFork(e.header.author, *out.fork);
    return out;
  }

  Result<Head> headOf(const PublicKey& author) {
    auto it = heads_.find(author);
    if (it != heads_.end()) return it->second;
    return s_.head(author);
  }

  // The entry at (author, seq) as this batch sees it.
  Result<std::optional<Entry>> entryAt(const PublicKey& author, uint64_t seq) {
    auto it = added_.find({author, seq});
    if (it != added_.end()) return std::optional<Entry>(it->second);
    return s_.entry(author, seq);
  }

  Result<std::optional<Hash>> hashAt(const PublicKey& author, uint64_t seq) {
    auto e = entryAt(author, seq);
    if (!e.isOk()) return e.status();
    return *e ? std::optional<Hash>((*e)->hash) : std::nullopt;
  }

  Result<std::optional<Bytes>> payloadAt(const PublicKey& author, uint64_t seq) {
    auto e = entryAt(author, seq);
    if (!e.isOk()) return e.status();
    return *e ? (*e)->payload : std::nullopt;
  }

  Result<std::optional<CaseState>> recordStateOf(Kind kind, const CaseKey& key) {
    auto it = records_.find({kind, keys::caseKey(key.author, key.id)});
    if (it != records_.end()) return std::optional<CaseState>(it->second);
    return s_.recordState(kind, key);
  }

  Status write(const Entry& e) {
    const Header& h = e.header;
    std::string value(asChars(e.signature));
    value += asChars(e.headerBytes);
    batch_.Put(s_.cf_->entries, keys::entry(h.author, h.seq), value);
    batch_.Put(s_.cf_->payloads, keys::payload(e.hash), asChars(*e.payload));
    batch_.Put(s_.cf_->heads, keys::author(h.author), keys::headValue(h.seq, e.hash));
    heads_[h.author] = Head{h.seq, e.hash};
    added_[{h.author, h.seq}] = e;  // whole: a fork proof may need its header
    stored_.push_back(e);
    switch (h.kind) {
      case Kind::kCase:
      case Kind::kNeed:
      case Kind::kExperience:
      case Kind::kRetract:
        return updateRecord(e);
      case Kind::kProfile:
        batch_.Put(s_.cf_->profiles, keys::author(h.author), keys::seqValue(h.seq));
        return Status::ok();
      case Kind::kVouch: {
        auto v = decodeVouch(*e.payload);
        if (!v.isOk()) return v.status();
        batch_.Put(s_.cf_->vouches, keys::vouch(v->key, h.author), keys::seqValue(h.seq));
        newVouches_.emplace(v->key, h.author);
        noteVouch(h.author, v->key);
        return Status::ok();
      }
      default:
        return Status::ok();
    }
  }

  // Moves a record's derived keys (docs/storage.md) from its previous live
  // version (if any) to the new one, or drops them on retraction.
  Status updateRecord(const Entry& e) {
    auto record = recordOfPayload(e.header.kind, *e.payload);
    if (!record.isOk()) return record.status();
    if (!*record) return Status::ok();
    const Kind kind = (*record)->kind;
    CaseKey key{e.header.author, (*record)->id};
    auto previous = recordStateOf(kind, key);
    if (!previous.isOk()) return previous.status();
    bool retracted = e.header.kind == Kind::kRetract;
    // A retraction of a record this node never saw hides nothing; the entry
    // stays in the log, but no record appears.
    if (retracted && !*previous) return Status::ok();
    if (*previous && !(*previous)->retracted) {
      auto old = payloadAt(key.author, (*previous)->seq);
      if (!old.isOk()) return old.status();
      if (*old) ALM_RETURN_IF_ERROR(deriveKeys(kind, key, **old, /*add=*/false));
    }
    if (!retracted) ALM_RETURN_IF_ERROR(deriveKeys(kind, key, *e.payload, /*add=*/true));
    CaseState state{e.header.seq, retracted, receivedAt_};
    const std::string k = keys::caseKey(key.author, key.id);
    records_[{kind, k}] = state;
    batch_.Put(s_.cf_->records(kind), k,
               keys::caseValue(state.seq, state.retracted, state.receivedAt));
    if (kind == Kind::kCase) {
      batch_.Put(s_.cf_->versions, keys::version(key.author, key.id, e.header.seq), "");
    }
    return Status::ok();
  }

  // Adds (or removes) what one version of a record derives: a case's index
  // keys, and the links of a case or an experience.
  Status deriveKeys(Kind kind, const CaseKey& key, ByteView payload, bool add) {
    if (kind == Kind::kCase) ALM_RETURN_IF_ERROR(indexCase(key, payload, add));
    return linkRecord(kind, key, payload, add);
  }

  Status linkRecord(Kind kind, const CaseKey& key, ByteView payload, bool add) {
    auto links = linkKeysOf(kind, key, payload);
    if (!links.isOk()) return links.status();
    for (const auto& k : *links) mark(s_.cf_->links, k, add);
    return Status::ok();
  }

  // Adds or deletes one key of a family whose values are empty.
  void mark(rocksdb::ColumnFamilyHandle* cf, const std::string& k, bool add) {
    if (add) {
      batch_.Put(cf, k, "");
    } else {
      batch_.Delete(cf, k);
    }
  }

  Status indexCase(const CaseKey& key, ByteView payload, bool add) {
    auto terms = indexTermsOf(payload);
    if (!terms.isOk()) return terms.status();
    for (const auto& [family, k] : indexKeys(key.author, key.id, *terms)) {
      mark(s_.cf_->index(family), k, add);
    }
    return Status::ok();
  }

  Store& s_;
  int64_t receivedAt_;
  rocksdb::WriteBatch batch_;
  std::map<PublicKey, Head> heads_;
  std::map<std::pair<PublicKey, uint64_t>, Entry> added_;
  std::vector<Entry> stored_;  // in input order, for the stored listener
  std::map<std::pair<Kind, std::string>, CaseState> records_;  // (kind, keys::caseKey)
  std::set<PublicKey> newlyFrozen_;
  std::multimap<PublicKey, PublicKey> newVouches_;           // vouchee -> voucher
  std::vector<std::pair<PublicKey, PublicKey>> vouchOrder_;  // (voucher, vouchee), in order
  std::map<PublicKey, std::set<PublicKey>> batchAdmitted_;   // voucher -> keys it admits here
};

Result<std::vector<ApplyOutcome>> Store::apply(std::vector<Entry> entries, bool sync,
                                               int64_t receivedAt) {
  std::lock_guard lock(writeMu_);
  Writer writer(*this, receivedAt);
  std::vector<ApplyOutcome> results;
  results.reserve(entries.size());
  for (auto& e : entries) {
    auto r = writer.add(std::move(e));
    if (!r.isOk()) return r.status();
    results.push_back(std::move(*r));
  }
  ALM_RETURN_IF_ERROR(writer.commit(sync));
  if (storedListener_ && !writer.stored().empty()) storedListener_(writer.stored());
  return results;
}

// A peer's proof goes through the Writer too, so the frozen set is updated
// in one place and only after the proof is on disk.
Result<bool> Store::recordFork(const ForkProof& proof) {
  auto author = checkForkProof(proof, network_);
  if (!author.isOk()) return author.status();
  std::lock_guard lock(writeMu_);
  // A proof costs its sender nothing but two signatures under a fresh key:
  // only authors this node accepts are worth storing or relaying.
  if (frozen(*author) || !accepts(*author)) return false;
  Writer writer(*this, 0);
  writer.addFork(*author, proof);
  ALM_RETURN_IF_ERROR(writer.commit(/*sync=*/true));
  return true;
}

}  // namespace allmenning
