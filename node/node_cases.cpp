// Node: showing and finding cases.
#include "node/node.h"
#include "protocol/case_json.h"
#include "protocol/case_rules.h"
#include "protocol/echo.h"

namespace allmenning {

Result<CaseKey> Node::parseCaseRef(const std::string& ref, Kind kind) const {
  const std::string what = kindName(kind) + " id " + quote(ref);
  size_t slash = ref.find('/');
  CaseKey key{id(), ref};
  if (slash != std::string::npos) {
    auto author = fromHexFixed<32>(ref.substr(0, slash));
    if (!author) return Status::invalid(what + ": the part before '/' must be 64 hex digits");
    key = CaseKey{*author, ref.substr(slash + 1)};
  }
  if (!rules::isValidId(key.id)) {
    // The ref is echoed once; the id within it is what fails.
    if (slash == std::string::npos)
      return Status::invalid(what + " does not match [a-z0-9][a-z0-9-]{0,79}");
    return Status::invalid(what + ": the part after '/' does not match [a-z0-9][a-z0-9-]{0,79}");
  }
  return key;
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
  std::optional<Entry> shown;
  int64_t latestTimestamp = 0;  // of the last entry that touched the case
  Json entries = Json::array();
  for (uint64_t seq : *versions) {
    auto e = store_->entry(key.author, seq);
    if (!e.isOk()) return e.status();
    if (!*e)
      return Status::corruption("versions of " + caseRef(key) + " name missing seq " +
                                std::to_string(seq));
    if ((*e)->header.kind == Kind::kCase && (*e)->payload) shown = **e;
    latestTimestamp = (*e)->header.timestamp;
    auto summary = entrySummary(**e);
    if (!summary.isOk()) return summary.status();
    entries.push_back(std::move(*summary));
  }
  auto out = showRecord(Kind::kCase, key, **state, shown, latestTimestamp);
  if (!out.isOk()) return out.status();
  auto links = linksJson(key);
  if (!links.isOk()) return links.status();
  out->update(*links);
  if (history) (*out)["history"] = std::move(entries);
  return out;
}

}  // namespace allmenning
