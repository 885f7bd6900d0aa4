// Structured search over the secondary indexes. The most selective kind of
// filter that is set picks the candidates; every candidate is then checked
// against all filters on its current version, so results are exact.
#include <rocksdb/db.h>

#include <algorithm>
#include <set>

#include "storage/families.h"
#include "storage/index_terms.h"
#include "storage/keys.h"
#include "storage/pinned_reads.h"
#include "storage/store.h"

namespace allmenning {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool anyStartsWith(const std::vector<std::string>& v, const std::string& prefix) {
  return std::any_of(v.begin(), v.end(), [&](const auto& s) { return s.starts_with(prefix); });
}

// Splits an index key value|0|author|caseId into its case key.
std::optional<CaseKey> caseOfIndexKey(std::string_view k) {
  size_t zero = k.find('\0');
  if (zero == std::string_view::npos || k.size() < zero + 1 + 32 + 1) return std::nullopt;
  CaseKey key;
  std::copy_n(k.begin() + zero + 1, 32, key.author.begin());
  key.id = std::string(k.substr(zero + 1 + 32));
  return key;
}

}  // namespace

Result<std::vector<CaseKey>> Store::candidates(const SearchFilter& f) const {
  // Exact-value indexes first: each key prefix "value\0" is one case set.
  std::pair<rocksdb::ColumnFamilyHandle*, std::string> source{nullptr, {}};
  if (!f.kommune.empty())
    source = {cf_->idxKommune, f.kommune + '\0'};
  else if (!f.procedure.empty())
    source = {cf_->idxProcedure, f.procedure + '\0'};
  else if (!f.sector.empty())
    source = {cf_->idxSector, f.sector + '\0'};
  else if (!f.status.empty())
    source = {cf_->idxStatus, f.status + '\0'};
  else if (!f.cpvPrefix.empty())
    source = {cf_->idxCpv, f.cpvPrefix};

  std::set<std::pair<PublicKey, std::string>> seen;
  std::vector<CaseKey> out;
  std::unique_ptr<rocksdb::Iterator> it;
  if (source.first != nullptr) {
    it.reset(db_->NewIterator(readOptionsFor(*db_), source.first));
    for (it->Seek(source.second); it->Valid() && it->key().starts_with(source.second); it->Next()) {
      auto key = caseOfIndexKey(it->key().ToStringView());
      if (!key) return Status::corruption(source.first->GetName() + ": malformed key");
      if (seen.insert({key->author, key->id}).second) out.push_back(std::move(*key));
    }
  } else {
    // No indexed filter: every case (of one author, when --author is set).
    std::string prefix = f.author ? keys::author(*f.author) : std::string();
    it.reset(db_->NewIterator(readOptionsFor(*db_), cf_->cases));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      auto k = it->key().ToStringView();
      if (k.size() <= 32) return Status::corruption("cases: malformed key");
      CaseKey key;
      std::copy_n(k.begin(), 32, key.author.begin());
      key.id = std::string(k.substr(32));
      out.push_back(std::move(key));
    }
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "searching"));
  return out;
}

Result<bool> Store::matches(const CaseKey& key, const SearchFilter& f, int64_t* received) const {
  if (f.author && *f.author != key.author) return false;
  auto state = caseState(key);
  if (!state.isOk()) return state.status();
  if (!*state || (*state)->retracted) return false;
  auto e = entry(key.author, (*state)->seq);
  if (!e.isOk()) return e.status();
  if (!*e || !(*e)->payload) return Status::corruption("cases: points at a missing entry");
  auto t = indexTermsOf(*(*e)->payload);
  if (!t.isOk()) return t.status();
  // An author's clock orders honest entries the same way on every node; the
  // local receive time caps it, so a timestamp in the future cannot keep a
  // case on top of every search.
  *received = std::min((*e)->header.timestamp, (*state)->receivedAt);
  return (f.cpvPrefix.empty() || anyStartsWith(t->cpv, f.cpvPrefix)) &&
         (f.procedure.empty() || t->procedure == f.procedure) &&
         (f.sector.empty() || t->sector == f.sector) &&
         (f.status.empty() || t->status == f.status) &&
         (f.kommune.empty() || contains(t->kommune, f.kommune));
}

Result<Page<CaseKey>> Store::search(const SearchFilter& f) const {
  auto found = candidates(f);
  if (!found.isOk()) return found.status();
  std::vector<std::pair<int64_t, CaseKey>> hits;
  for (auto& key : *found) {
    int64_t received = 0;
    auto ok = matches(key, f, &received);
    if (!ok.isOk()) return ok.status();
    if (*ok) hits.emplace_back(received, std::move(key));
  }
  // Most recently received first; ties by author and id, so output is stable.
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return std::tie(a.second.author, a.second.id) < std::tie(b.second.author, b.second.id);
  });
  Page<CaseKey> out{{}, hits.size()};
  for (size_t i = f.offset; i < hits.size() && out.items.size() < f.limit; ++i) {
    out.items.push_back(std::move(hits[i].second));
  }
  return out;
}

}  // namespace allmenning
