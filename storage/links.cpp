// Reverse references (links) and the per-kind record listings of the store.
#include "storage/links.h"

#include <rocksdb/db.h>

#include "protocol/case_rules.h"
#include "protocol/record_json.h"
#include "storage/families.h"
#include "storage/keys.h"
#include "storage/pinned_reads.h"

namespace allmenning {
namespace {

// Splits what follows a target's links prefix: relation|0|author(32)|id.
std::optional<Link> linkOfSuffix(std::string_view rest) {
  const size_t zero = rest.find('\0');
  if (zero == std::string_view::npos || zero == 0) return std::nullopt;
  std::string_view source = rest.substr(zero + 1);
  if (source.size() <= 32 || !rules::isValidId(source.substr(32))) return std::nullopt;
  Link link{std::string(rest.substr(0, zero)), {}};
  std::copy_n(source.begin(), 32, link.source.author.begin());
  link.source.id = std::string(source.substr(32));
  return link;
}

}  // namespace

std::optional<CaseKey> caseKeyOfRef(std::string_view ref) {
  const size_t slash = ref.find('/');
  if (slash != 64) return std::nullopt;
  auto author = fromHexFixed<32>(ref.substr(0, slash));
  std::string_view id = ref.substr(slash + 1);
  if (!author || !rules::isValidId(id)) return std::nullopt;
  return CaseKey{*author, std::string(id)};
}

Result<std::vector<std::string>> linkKeysOf(Kind kind, const CaseKey& source, ByteView payload) {
  std::vector<std::string> out;
  if (kind != Kind::kCase && kind != Kind::kExperience) return out;
  auto record = decodeRecord(kind, payload);
  if (!record.isOk()) return record.status();
  // A valid record holds only well-formed refs; the checks below guard
  // against a rule and this code drifting apart, not against input.
  auto add = [&](const nlohmann::ordered_json& ref, std::string_view relation) -> Status {
    auto target = ref.is_string() ? caseKeyOfRef(ref.get<std::string>()) : std::nullopt;
    if (!target) return Status::corruption(kindName(kind) + " payload: bad case reference");
    out.push_back(keys::link(target->author, target->id, relation, source.author, source.id));
    return Status::ok();
  };
  if (kind == Kind::kExperience) {
    ALM_RETURN_IF_ERROR(add(record->value("case", nlohmann::ordered_json()), kExperienceRelation));
    return out;
  }
  for (const auto& r : record->value("related", nlohmann::ordered_json::array())) {
    ALM_RETURN_IF_ERROR(
        add(r.value("case", nlohmann::ordered_json()), r.value("relationship", std::string())));
  }
  return out;
}

Result<std::vector<Link>> Store::linksTo(const CaseKey& target) const {
  const std::string prefix = keys::linksPrefix(target.author, target.id);
  std::vector<Link> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf_->links));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    auto link = linkOfSuffix(it->key().ToStringView().substr(prefix.size()));
    if (!link) return Status::corruption("links: malformed key");
    out.push_back(std::move(*link));
  }
  ALM_RETURN_IF_ERROR(fromRocks(it->status(), "listing links"));
  return out;
}

Status Store::forEachLive(Kind kind,
                          const std::function<Status(const CaseKey&, const CaseState&)>& fn) const {
  auto* cf = cf_->records(kind);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(readOptionsFor(*db_), cf));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto k = it->key().ToStringView();
    if (k.size() <= 32) return Status::corruption(cf->GetName() + ": malformed key");
    CaseKey key;
    std::copy_n(k.begin(), 32, key.author.begin());
    key.id = std::string(k.substr(32));
    auto state = decodeCaseValue(it->value().ToStringView(), cf->GetName());
    if (!state.isOk()) return state.status();
    if (!state->retracted) ALM_RETURN_IF_ERROR(fn(key, *state));
  }
  return fromRocks(it->status(), "listing " + cf->GetName());
}

}  // namespace allmenning
