#include "storage/verify.h"

#include <map>

#include "protocol/records.h"
#include "protocol/sync.h"
#include "storage/index_terms.h"
#include "storage/keys.h"

namespace allmenning {
namespace {

// Walks one author's log in seq order and checks each link of the chain.
class ChainChecker {
 public:
  explicit ChainChecker(const Hash& network) : network_(network) {}

  Status check(const Entry& e, VerifyReport& report) {
    const Header& h = e.header;
    std::string name = toHex(h.author) + "/" + std::to_string(h.seq);
    if (h.author != author_ || first_) {
      first_ = false;
      author_ = h.author;
      head_ = Head{};
      ++report.authors;
    }
    Status st = checkEntry(e, network_);
    if (!st.isOk()) return Status::corruption("entry " + name + ": " + st.message());
    Placement p = placeEntry(head_, e, std::nullopt);
    if (p != Placement::kNext) {
      return Status::corruption("entry " + name + ": " + placementName(p) + " after seq " +
                                std::to_string(head_.seq));
    }
    // No version erases payloads yet, so every entry must still have one.
    if (!e.payload) return Status::corruption("entry " + name + ": payload is missing");
    st = checkPayload(h.kind, *e.payload);
    if (!st.isOk()) return Status::corruption("entry " + name + ": " + st.message());
    ALM_RETURN_IF_ERROR(derive(e));
    head_ = Head{h.seq, e.hash};
    heads_[h.author] = head_;
    ++report.entries;
    return Status::ok();
  }

  const std::map<PublicKey, Head>& heads() const { return heads_; }
  DerivedState& derived() { return derived_; }

  // Adds the index keys of every live case, from its current payload.
  Status deriveIndexes(const Store& store) {
    for (const auto& [key, state] : derived_.cases) {
      if (state.retracted) continue;
      PublicKey author;
      std::copy_n(key.begin(), 32, author.begin());
      auto e = store.entry(author, state.seq);
      if (!e.isOk()) return e.status();
      if (!*e || !(*e)->payload) return Status::corruption("case entry vanished during verify");
      auto terms = indexTermsOf(*(*e)->payload);
      if (!terms.isOk()) return terms.status();
      for (auto& [family, k] : indexKeys(author, key.substr(32), *terms)) {
        derived_.indexKeys.emplace(static_cast<int>(family), std::move(k));
      }
    }
    return Status::ok();
  }

 private:
  // Replays what Store::apply derives from a case or retract entry.
  Status derive(const Entry& e) {
    if (e.header.kind == Kind::kProfile) {
      derived_.profiles[keys::author(e.header.author)] = e.header.seq;
      return Status::ok();
    }
    if (e.header.kind == Kind::kVouch) {
      auto v = decodeVouch(*e.payload);
      if (!v.isOk()) return v.status();
      derived_.vouches[keys::vouch(v->key, e.header.author)] = e.header.seq;
      return Status::ok();
    }
    if (e.header.kind != Kind::kCase && e.header.kind != Kind::kRetract) return Status::ok();
    auto id = caseIdOfPayload(e.header.kind, *e.payload);
    if (!id.isOk()) return id.status();
    std::string key = keys::caseKey(e.header.author, *id);
    bool retract = e.header.kind == Kind::kRetract;
    if (retract && !derived_.cases.count(key)) return Status::ok();
    derived_.cases[key] = CaseState{e.header.seq, retract, 0};
    derived_.versions.insert(keys::version(e.header.author, *id, e.header.seq));
    return Status::ok();
  }

  Hash network_;
  DerivedState derived_;
  bool first_ = true;
  PublicKey author_{};
  Head head_;
  std::map<PublicKey, Head> heads_;
};

Status checkHeads(const Store& store, const std::map<PublicKey, Head>& computed) {
  auto authors = store.authors();
  if (!authors.isOk()) return authors.status();
  if (authors->size() != computed.size()) {
    return Status::corruption("heads: " + std::to_string(authors->size()) +
                              " authors have heads but " + std::to_string(computed.size()) +
                              " have entries");
  }
  for (const auto& a : *authors) {
    auto stored = store.head(a);
    if (!stored.isOk()) return stored.status();
    auto it = computed.find(a);
    if (it == computed.end() || it->second.seq != stored->seq || it->second.hash != stored->hash) {
      return Status::corruption("head of " + toHex(a) + " does not match its log");
    }
  }
  return Status::ok();
}

// Every stored fork proof must prove an equivocation by the author it is
// filed under: otherwise a damaged or planted value would freeze an honest
// author, and this node would relay the bogus proof to its peers.
Status checkForks(const Store& store, VerifyReport& report) {
  return store.forEachFork([&](const PublicKey& author, Result<ForkProof> proof) -> Status {
    std::string name = "forks: " + toHex(author);
    if (!proof.isOk()) return Status::corruption(name + ": " + proof.status().message());
    auto signer = checkForkProof(*proof, store.network());
    if (!signer.isOk()) return Status::corruption(name + ": " + signer.status().message());
    if (*signer != author) return Status::corruption(name + ": the proof is of another author");
    ++report.forks;
    return Status::ok();
  });
}

}  // namespace

Result<VerifyReport> verifyStore(const Store& store,
                                 const std::function<void(uint64_t)>& progress) {
  VerifyReport report;
  ChainChecker chain(store.network());
  Status st = store.forEachEntry([&](Result<Entry> e) -> Status {
    if (!e.isOk()) return e.status();
    ALM_RETURN_IF_ERROR(chain.check(*e, report));
    if (progress && report.entries % 10000 == 0) progress(report.entries);
    return Status::ok();
  });
  ALM_RETURN_IF_ERROR(st);
  ALM_RETURN_IF_ERROR(checkHeads(store, chain.heads()));
  ALM_RETURN_IF_ERROR(checkForks(store, report));
  ALM_RETURN_IF_ERROR(chain.deriveIndexes(store));
  ALM_RETURN_IF_ERROR(store.checkDerived(chain.derived()));
  report.cases = chain.derived().cases.size();
  ALM_RETURN_IF_ERROR(store.verifyChecksums());
  return report;
}

}  // namespace allmenning
