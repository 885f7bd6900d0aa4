// Fork proofs at rest: the `forks` family's value codec and its readers.
// The writer is Store::recordFork / Store::Writer in apply.cpp.
#include <rocksdb/db.h>

#include <algorithm>

#include "storage/families.h"
#include "storage/keys.h"
#include "storage/pinned_reads.h"
#include "storage/store.h"

namespace allmenning {
namespace {

constexpr size_t kSig = std::tuple_size_v<Signature>;

Result<PublicKey> authorOfKey(std::string_view key) {
  auto author = toFixed<32>(view(key));
  if (!author) return Status::corruption("forks: malformed key");
  return *author;
}

}  // namespace

std::string encodeForkValue(const ForkProof& proof) {
  // Both signatures first: fixed offsets, so only header A needs a length.
  std::string v(asChars(proof.a.signature));
  v += asChars(proof.b.signature);
  const size_t lenA = proof.a.header.size();
  v.push_back(static_cast<char>(lenA >> 8));
  v.push_back(static_cast<char>(lenA & 0xff));
  v += asChars(proof.a.header);
  v += asChars(proof.b.header);
  return v;
}

Result<ForkProof> decodeForkValue(std::string_view value) {
  if (value.size() < 2 * kSig + 2) return Status::corruption("forks: value too short");
  ByteView raw = view(value);
  ForkProof p;
  std::copy_n(raw.begin(), kSig, p.a.signature.begin());
  std::copy_n(raw.begin() + kSig, kSig, p.b.signature.begin());
  const size_t lenA = (size_t{raw[2 * kSig]} << 8) | raw[2 * kSig + 1];
  ByteView headers = raw.subspan(2 * kSig + 2);
  if (lenA > headers.size()) return Status::corruption("forks: header length out of range");
  p.a.header.assign(headers.begin(), headers.begin() + lenA);
  p.b.header.assign(headers.begin() + lenA, headers.end());
  return p;
}

// Fills the in-memory frozen set. Forks are rare (one per equivocating
// author), so reading the whole family at open is cheap, and it lets
// frozen() answer without I/O and without a failure path.
Status Store::loadForks() {
  frozen_.clear();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->forks));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto author = authorOfKey(it->key().ToStringView());
    if (!author.isOk()) return author.status();
    frozen_.insert(*author);
  }
  return fromRocks(it->status(), "reading forks");
}

bool Store::frozen(const PublicKey& author) const {
  std::lock_guard lock(stateMu_);
  return frozen_.count(author) != 0;
}

std::set<PublicKey> Store::frozenAuthors() const {
  std::lock_guard lock(stateMu_);
  return frozen_;
}

Result<std::optional<ForkProof>> Store::forkProof(const PublicKey& author) const {
  auto v = get(cf_->forks, keys::author(author));
  if (!v.isOk()) return v.status();
  if (!*v) return std::optional<ForkProof>();
  auto proof = decodeForkValue(**v);
  if (!proof.isOk()) return proof.status();
  return std::optional<ForkProof>(std::move(*proof));
}

Status Store::forEachFork(
    const std::function<Status(const PublicKey&, Result<ForkProof>)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->forks));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto author = authorOfKey(it->key().ToStringView());
    if (!author.isOk()) return author.status();
    ALM_RETURN_IF_ERROR(fn(*author, decodeForkValue(it->value().ToStringView())));
  }
  return fromRocks(it->status(), "reading forks");
}

Result<std::vector<std::pair<PublicKey, Head>>> Store::heads() const {
  return headsAfter(std::nullopt, SIZE_MAX);
}

Result<std::vector<std::pair<PublicKey, Head>>> Store::headsAfter(
    const std::optional<PublicKey>& after, size_t limit) const {
  std::vector<std::pair<PublicKey, Head>> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->heads));
  if (after) {
    std::string key = keys::author(*after);
    it->Seek(key);
    if (it->Valid() && it->key().ToStringView() == key) it->Next();
  } else {
    it->SeekToFirst();
  }
  for (; it->Valid() && out.size() < limit; it->Next()) {
    auto key = toFixed<32>(view(it->key().ToStringView()));
    std::string_view v = it->value().ToStringView();
    if (!key || v.size() != 40) return Status::corruption("heads: malformed entry");
    Head h;
    h.seq = readBigEndian64(v);
    std::copy(v.begin() + 8, v.end(), h.hash.begin());
    out.emplace_back(*key, h);
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "listing heads"));
  return out;
}

}  // namespace allmenning
