// Node: reading needs and experiences. `need list` and `need search` walk
// the live needs (there are few: a body has a handful open at a time, so no
// index); `experience show` shows one experience whole.
#include "node/node.h"
#include "protocol/record_json.h"
#include "search/text.h"
#include "storage/links.h"

namespace allmenning {
namespace {

Json fieldOr(const Json& record, const char* field, Json absent) {
  auto it = record.find(field);
  return it == record.end() ? absent : *it;
}

bool anyStartsWith(const Json& codes, const std::string& prefix) {
  for (const auto& c : codes) {
    if (c.get<std::string>().starts_with(prefix)) return true;
  }
  return false;
}

// Whether a need's record passes the filter's fields; the words are checked
// against its title and need text as search checks a case's.
bool needMatches(const Json& record, const NeedFilter& f, const std::vector<std::string>& stems) {
  if (!f.sector.empty() && record.value("sector", std::string()) != f.sector) return false;
  if (!f.cpvPrefix.empty() &&
      !(record.contains("cpv") && anyStartsWith(record["cpv"], f.cpvPrefix))) {
    return false;
  }
  if (stems.empty()) return true;
  return search::containsEvery(
      record.value("title", std::string()) + "\n" + record.value("need", std::string()), stems);
}

}  // namespace

Result<Json> Node::listNeeds(const NeedFilter& filter) {
  const std::vector<std::string> stems = search::queryStems(filter.text);
  Json rows = Json::array();
  Status st = store_->forEachLive(Kind::kNeed, [&](const CaseKey& key, const CaseState& state) {
    if (filter.author && *filter.author != key.author) return Status::ok();
    auto e = store_->entry(key.author, state.seq);
    if (!e.isOk()) return e.status();
    if (!*e || !(*e)->payload || (*e)->header.kind != Kind::kNeed) {
      return Status::corruption("need " + caseRef(key) + " points at seq " +
                                std::to_string(state.seq) + ", which holds no need");
    }
    auto record = decodeRecord(Kind::kNeed, *(*e)->payload);
    if (!record.isOk()) return record.status();
    if (!needMatches(*record, filter, stems)) return Status::ok();
    auto standing = standingJson(key.author);
    if (!standing.isOk()) return standing.status();
    Json row{{"need", caseRef(key)}, {"title", (*record)["title"]}, {"author", toHex(key.author)}};
    row.update(*standing);
    row.update(Json{{"sector", fieldOr(*record, "sector", nullptr)},
                    {"cpv", fieldOr(*record, "cpv", Json::array())},
                    {"updated", isoTime((*e)->header.timestamp)}});
    rows.push_back(std::move(row));
    return Status::ok();
  });
  if (!st.isOk()) return st;
  return rows;
}

Result<Json> Node::showExperience(const CaseKey& key) {
  auto state = store_->recordState(Kind::kExperience, key);
  if (!state.isOk()) return state.status();
  if (!*state) return Status::notFound("no experience " + caseRef(key));
  auto latest = store_->entry(key.author, (*state)->seq);
  if (!latest.isOk()) return latest.status();
  if (!*latest) {
    return Status::corruption("experience " + caseRef(key) + " points at a missing entry");
  }
  auto shown = lastVersion(Kind::kExperience, key, **state);
  if (!shown.isOk()) return shown.status();
  auto out = showRecord(Kind::kExperience, key, **state, *shown, (*latest)->header.timestamp);
  if (!out.isOk()) return out;
  // The case it is about, as far as this node holds it.
  Json about = nullptr;
  auto target = caseKeyOfRef((*out)["record"].value("case", std::string()));
  if (target) {
    auto caseState = store_->caseState(*target);
    if (!caseState.isOk()) return caseState.status();
    if (*caseState && !(*caseState)->retracted) {
      auto record = currentRecord(Kind::kCase, *target, **caseState);
      if (!record.isOk()) return record.status();
      about = Json{{"case", caseRef(*target)}, {"title", (*record)["title"]}};
    }
  }
  (*out)["about"] = std::move(about);
  return out;
}

}  // namespace allmenning
