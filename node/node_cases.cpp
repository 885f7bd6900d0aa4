// Node: publishing, retracting, showing and finding cases.
#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/case_rules.h"
#include "protocol/records.h"

namespace allmenning {

Result<CaseKey> Node::parseCaseRef(const std::string& ref) const {
  size_t slash = ref.find('/');
  CaseKey key{id(), ref};
  if (slash != std::string::npos) {
    auto author = fromHexFixed<32>(ref.substr(0, slash));
    if (!author) {
      return Status::invalid("case id \"" + ref + "\": the part before '/' must be 64 hex digits");
    }
    key = CaseKey{*author, ref.substr(slash + 1)};
  }
  if (!rules::isValidId(key.id)) {
    return Status::invalid("case id \"" + ref + "\": \"" + key.id +
                           "\" does not match [a-z0-9][a-z0-9-]{0,79}");
  }
  return key;
}

Result<PutResult> Node::putCase(std::string_view json) {
  auto payload = caseFromJson(json);
  if (!payload.isOk()) return payload.status();
  auto caseId = caseIdOf(*payload);
  if (!caseId.isOk()) return caseId.status();
  PutResult out{CaseKey{id(), *caseId}, 0, false};
  auto state = store_->caseState(out.key);
  if (!state.isOk()) return state.status();
  if (*state && !(*state)->retracted) {
    auto current = store_->entry(id(), (*state)->seq);
    if (!current.isOk()) return current.status();
    if (*current && (*current)->payload == *payload) {
      out.seq = (*state)->seq;
      out.unchanged = true;
      return out;
    }
  }
  auto entries = author({{Kind::kCase, std::move(*payload)}});
  if (!entries.isOk()) return entries.status();
  out.seq = entries->front().header.seq;
  return out;
}

Status Node::retractCase(const CaseKey& key) {
  if (key.author != id()) {
    return Status::refused("case " + caseRef(key) + " belongs to another author; only " +
                           toHex(key.author) + " can retract it");
  }
  auto state = store_->caseState(key);
  if (!state.isOk()) return state.status();
  if (!*state) return Status::notFound("no case " + caseRef(key));
  if ((*state)->retracted) return Status::refused("case " + caseRef(key) + " is already retracted");
  return author({{Kind::kRetract, encodeRetract(RetractRecord{key.id, false})}}).status();
}

// Verifies the hash links of `author`'s log from seq 1 to its head, and the
// signature of entry `seq`, so `case show` can say both were checked.
Result<Json> Node::chainCheck(const PublicKey& author, uint64_t seq) {
  auto head = store_->head(author);
  if (!head.isOk()) return head.status();
  Hash prev{};
  std::string signature = "not checked";
  for (uint64_t s = 1; s <= head->seq; ++s) {
    auto e = store_->entry(author, s);
    if (!e.isOk()) return e.status();
    if (!*e || (*e)->header.prev != prev) {
      return Json{{"signature", signature}, {"chain", "broken at seq " + std::to_string(s)}};
    }
    if (s == seq) signature = checkEntry(**e, store_->network()).isOk() ? "verified" : "INVALID";
    prev = (*e)->hash;
  }
  bool linked = prev == head->hash;
  return Json{{"signature", signature},
              {"chain", linked ? "verified" : "head does not match the log"},
              {"head", head->seq}};
}

Result<Json> Node::entrySummary(const Entry& e) {
  Json j{{"seq", e.header.seq},
         {"kind", kindName(e.header.kind)},
         {"entryHash", toHex(e.hash)},
         {"timestamp", e.header.timestamp},
         {"time", isoTime(e.header.timestamp)}};
  if (e.header.kind == Kind::kCase && e.payload) {
    auto c = decodeCase(*e.payload);
    if (!c.isOk()) return c.status();
    j["status"] = (*c)["status"];
    j["title"] = (*c)["title"];
  }
  return j;
}

Result<Json> Node::showCase(const CaseKey& key, bool history) {
  auto state = store_->caseState(key);
  if (!state.isOk()) return state.status();
  if (!*state) return Status::notFound("no case " + caseRef(key));
  auto versions = store_->caseVersions(key);
  if (!versions.isOk()) return versions.status();
  // A retracted case shows its last published version, marked retracted.
  uint64_t shownSeq = 0;
  int64_t latestTimestamp = 0;  // of the last entry that touched the case
  Json record, shownHash, entries = Json::array();
  for (uint64_t seq : *versions) {
    auto e = store_->entry(key.author, seq);
    if (!e.isOk()) return e.status();
    if (!*e)
      return Status::corruption("versions of " + caseRef(key) + " name missing seq " +
                                std::to_string(seq));
    if ((*e)->header.kind == Kind::kCase && (*e)->payload) {
      auto c = decodeCase(*(*e)->payload);
      if (!c.isOk()) return c.status();
      record = std::move(*c);
      shownSeq = seq;
      shownHash = toHex((*e)->hash);
    }
    latestTimestamp = (*e)->header.timestamp;
    auto summary = entrySummary(**e);
    if (!summary.isOk()) return summary.status();
    entries.push_back(std::move(*summary));
  }
  auto check = chainCheck(key.author, shownSeq);
  if (!check.isOk()) return check.status();
  auto name = store_->authorName(key.author);
  if (!name.isOk()) return name.status();
  auto vouchers = vouchersOf(key.author);
  if (!vouchers.isOk()) return vouchers.status();
  Json out{{"case", caseRef(key)},
           {"author", toHex(key.author)},
           {"authorName", *name ? Json(**name) : Json(nullptr)},
           {"trust", trustOf(key.author)},
           {"vouchedBy", std::move(*vouchers)},
           {"retracted", (*state)->retracted},
           {"seq", shownSeq},
           {"entryHash", std::move(shownHash)},
           {"signature", (*check)["signature"]},
           {"chain", (*check)["chain"]},
           {"timestamp", latestTimestamp},
           {"time", isoTime(latestTimestamp)},
           {"record", std::move(record)}};
  if (history) out["history"] = std::move(entries);
  return out;
}

}  // namespace allmenning
