// Node: publishing and retracting records of every kind (case, need,
// experience), showing needs, and what the `need match` command builds on.
#include "node/node.h"
#include "protocol/echo.h"
#include "protocol/record_json.h"
#include "storage/links.h"

namespace allmenning {

Result<PutResult> Node::put(Kind kind, std::string_view json) {
  auto payload = recordFromJson(kind, json);
  if (!payload.isOk()) return payload.status();
  auto recordId = recordIdOf(kind, *payload);
  if (!recordId.isOk()) return recordId.status();
  PutResult out{CaseKey{id(), *recordId}, 0, false, {}};
  if (kind == Kind::kExperience) ALM_RETURN_IF_ERROR(checkExperience(*payload, out.warning));
  auto current = unchangedAt(kind, out.key, *payload);
  if (!current.isOk()) return current.status();
  if (*current) {
    out.seq = **current;
    out.unchanged = true;
    return out;
  }
  auto entries = author({{kind, std::move(*payload)}});
  if (!entries.isOk()) return entries.status();
  out.seq = entries->front().header.seq;
  return out;
}

Result<std::optional<uint64_t>> Node::unchangedAt(Kind kind, const CaseKey& key, ByteView payload) {
  auto state = store_->recordState(kind, key);
  if (!state.isOk()) return state.status();
  if (!*state || (*state)->retracted) return std::optional<uint64_t>();
  auto current = store_->entry(key.author, (*state)->seq);
  if (!current.isOk()) return current.status();
  const bool same = *current && (*current)->payload &&
                    std::equal((*current)->payload->begin(), (*current)->payload->end(),
                               payload.begin(), payload.end());
  return same ? std::optional<uint64_t>((*state)->seq) : std::nullopt;
}

// The rules of an experience that depend on this node: whose case it is
// about, and whether the case is here. The payload passed every format rule.
Status Node::checkExperience(ByteView payload, std::string& warning) {
  auto record = decodeRecord(Kind::kExperience, payload);
  if (!record.isOk()) return record.status();
  const std::string ref = record->value("case", std::string());
  auto target = caseKeyOfRef(ref);
  if (!target) return Status::invalid("case: " + quote(ref) + " is not a case reference");
  if (target->author == id()) {
    return Status::invalid("case: " + ref +
                           " is this node's own case; an experience is another body's report on "
                           "reusing a case (put your own results in the case itself)");
  }
  auto state = store_->caseState(*target);
  if (!state.isOk()) return state.status();
  if (!*state) {
    warning = "this node holds no case " + ref +
              " yet; the experience is published and shows under the case once it arrives";
  } else if ((*state)->retracted) {
    warning = "case " + ref + " is retracted; the experience is published all the same";
  }
  return Status::ok();
}

Status Node::retract(Kind kind, const CaseKey& key) {
  const std::string what = kindName(kind) + " " + caseRef(key);
  if (key.author != id()) {
    return Status::refused(what + " belongs to another author; only " + toHex(key.author) +
                           " can retract it");
  }
  auto state = store_->recordState(kind, key);
  if (!state.isOk()) return state.status();
  if (!*state) return Status::notFound("no " + what);
  if ((*state)->retracted) return Status::refused(what + " is already retracted");
  return author({{Kind::kRetract, encodeRetract(RetractRecord{key.id, false, kind})}}).status();
}

// The JSON of the version `state` points at, which must be live.
Result<Json> Node::currentRecord(Kind kind, const CaseKey& key, const CaseState& state) {
  auto e = store_->entry(key.author, state.seq);
  if (!e.isOk()) return e.status();
  if (!*e || !(*e)->payload || (*e)->header.kind != kind) {
    return Status::corruption(kindName(kind) + " " + caseRef(key) + " points at seq " +
                              std::to_string(state.seq) + ", which holds no such record");
  }
  return decodeRecord(kind, *(*e)->payload);
}

// The latest entry that published the record: the one `state` points at, or
// for a retracted record the last one before it, found by walking the log
// back (only cases keep a list of their versions).
Result<std::optional<Entry>> Node::lastVersion(Kind kind, const CaseKey& key,
                                               const CaseState& state) {
  for (uint64_t seq = state.seq; seq >= 1; --seq) {
    auto e = store_->entry(key.author, seq);
    if (!e.isOk()) return e.status();
    if (!*e || !(*e)->payload || (*e)->header.kind != kind) continue;
    auto recordId = recordIdOf(kind, *(*e)->payload);
    if (recordId.isOk() && *recordId == key.id) return e;
  }
  return std::optional<Entry>();
}

// What `case show` and `need show` print about any record: who signed the
// shown version, whether it and the chain verify, and the record itself.
Result<Json> Node::showRecord(Kind kind, const CaseKey& key, const CaseState& state,
                              const std::optional<Entry>& shown, int64_t latestTimestamp) {
  Json record;
  if (shown && shown->payload) {
    auto r = decodeRecord(kind, *shown->payload);
    if (!r.isOk()) return r.status();
    record = std::move(*r);
  }
  const uint64_t seq = shown ? shown->header.seq : 0;
  auto check = chainCheck(key.author, seq);
  if (!check.isOk()) return check.status();
  auto standing = standingJson(key.author);
  if (!standing.isOk()) return standing.status();
  Json out{{kindName(kind), caseRef(key)}, {"author", toHex(key.author)}};
  out.update(*standing);
  out.update(Json{{"retracted", state.retracted},
                  {"seq", seq},
                  {"entryHash", shown ? Json(toHex(shown->hash)) : Json(nullptr)},
                  {"signature", (*check)["signature"]},
                  {"chain", (*check)["chain"]},
                  {"timestamp", latestTimestamp},
                  {"time", isoTime(latestTimestamp)},
                  {"record", std::move(record)}});
  return out;
}

Result<Json> Node::showNeed(const CaseKey& key) {
  auto state = store_->recordState(Kind::kNeed, key);
  if (!state.isOk()) return state.status();
  if (!*state) return Status::notFound("no need " + caseRef(key));
  auto latest = store_->entry(key.author, (*state)->seq);
  if (!latest.isOk()) return latest.status();
  if (!*latest) return Status::corruption("need " + caseRef(key) + " points at a missing entry");
  auto shown = lastVersion(Kind::kNeed, key, **state);
  if (!shown.isOk()) return shown.status();
  return showRecord(Kind::kNeed, key, **state, *shown, (*latest)->header.timestamp);
}

Result<Json> Node::needRecord(const CaseKey& key) {
  auto state = store_->recordState(Kind::kNeed, key);
  if (!state.isOk()) return state.status();
  if (!*state || (*state)->retracted) return Status::notFound("no live need " + caseRef(key));
  return currentRecord(Kind::kNeed, key, **state);
}

Status Node::forEachNeed(const std::function<Status(const CaseKey&, const Json& record)>& fn) {
  return store_->forEachLive(Kind::kNeed, [&](const CaseKey& key, const CaseState& state) {
    auto record = currentRecord(Kind::kNeed, key, state);
    if (!record.isOk()) return record.status();
    return fn(key, *record);
  });
}

}  // namespace allmenning
