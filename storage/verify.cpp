#include "storage/verify.h"

#include <map>

#include "protocol/records.h"
#include "protocol/sync.h"
#include "storage/index_terms.h"
#include "storage/keys.h"
#include "storage/links.h"

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

  // Adds the index keys of every live case and the links of every live
  // case and experience, from their current payloads.
  Status deriveIndexes(const Store& store) {
    for (Kind kind : {Kind::kCase, Kind::kExperience}) {
      for (const auto& [key, state] : derived_.states(kind)) {
        if (state.retracted) continue;
        CaseKey record;
        std::copy_n(key.begin(), 32, record.author.begin());
        record.id = key.substr(32);
        auto e = store.entry(record.author, state.seq);
        if (!e.isOk()) return e.status();
        if (!*e || !(*e)->payload) return Status::corruption("entry vanished during verify");
        ALM_RETURN_IF_ERROR(deriveKeys(kind, record, *(*e)->payload));
      }
    }
    return Status::ok();
  }

 private:
  // What one live version of a record derives besides its state.
  Status deriveKeys(Kind kind, const CaseKey& record, ByteView payload) {
    if (kind == Kind::kCase) {
      auto terms = indexTermsOf(payload);
      if (!terms.isOk()) return terms.status();
      for (auto& [family, k] : indexKeys(record.author, record.id, *terms)) {
        derived_.indexKeys.emplace(static_cast<int>(family), std::move(k));
      }
    }
    auto links = linkKeysOf(kind, record, payload);
    if (!links.isOk()) return links.status();
    derived_.links.insert(links->begin(), links->end());
    return Status::ok();
  }

  // Replays what Store::apply derives from an entry.
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
    auto record = recordOfPayload(e.header.kind, *e.payload);
    if (!record.isOk()) return record.status();
    if (!*record) return Status::ok();
    auto& states = derived_.states((*record)->kind);
    std::string key = keys::caseKey(e.header.author, (*record)->id);
    bool retract = e.header.kind == Kind::kRetract;
    if (retract && !states.count(key)) return Status::ok();
    states[key] = CaseState{e.header.seq, retract, 0};
    if ((*record)->kind == Kind::kCase) {
      derived_.versions.insert(keys::version(e.header.author, (*record)->id, e.header.seq));
    }
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
