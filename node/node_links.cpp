// Node: what `case show` lists under a case: the experiences about it and
// the cases that name it in their related list.
#include "node/node.h"
#include "storage/links.h"

namespace allmenning {
namespace {

constexpr size_t kExcerptCodePoints = 160;

// The start of `text` on one line: runs of white space become one space,
// and text longer than kExcerptCodePoints is cut (at a code point) with "...".
std::string excerpt(std::string_view text) {
  std::string out;
  size_t codePoints = 0;
  bool space = false;
  for (char c : text) {
    const bool continuation = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
    if (!continuation && codePoints == kExcerptCodePoints) return out + "...";
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      ++codePoints;
      space = false;
      if (codePoints == kExcerptCodePoints) return out + "...";
    }
    out += c;
    codePoints += continuation ? 0 : 1;
  }
  return out;
}

}  // namespace

Result<Json> Node::linksJson(const CaseKey& key) {
  auto links = store_->linksTo(key);
  if (!links.isOk()) return links.status();
  Json experiences = Json::array(), linkedFrom = Json::array();
  for (const Link& link : *links) {
    const bool isExperience = link.relation == kExperienceRelation;
    const Kind kind = isExperience ? Kind::kExperience : Kind::kCase;
    auto state = store_->recordState(kind, link.source);
    if (!state.isOk()) return state.status();
    if (!*state || (*state)->retracted) {
      return Status::corruption("links: " + caseRef(link.source) + " is no live " + kindName(kind) +
                                " (run verify)");
    }
    auto record = currentRecord(kind, link.source, **state);
    if (!record.isOk()) return record.status();
    auto standing = standingJson(link.source.author);
    if (!standing.isOk()) return standing.status();
    Json row{{kindName(kind), caseRef(link.source)}, {"author", toHex(link.source.author)}};
    row.update(*standing);
    if (isExperience) {
      row["id"] = link.source.id;
      row["excerpt"] = excerpt(record->value("text", std::string()));
      experiences.push_back(std::move(row));
    } else {
      row["relationship"] = link.relation;
      row["title"] = record->value("title", std::string());
      linkedFrom.push_back(std::move(row));
    }
  }
  return Json{{"experiences", std::move(experiences)}, {"linkedFrom", std::move(linkedFrom)}};
}

}  // namespace allmenning
