// allmenning need put | show | list | search | match | retract, and
// allmenning experience put | show | retract
#include <cstdio>

#include "cli/cli.h"
#include "cli/record_cmds.h"
#include "cli/show_text.h"
#include "protocol/case_rules.h"

namespace allmenning::cli {
namespace {

void addNeedShow(CLI::App& group, Globals& g) {
  auto* show = group.add_subcommand("show", "Show a need, who signed it, and whether it verifies");
  auto ref = std::make_shared<std::string>();
  show->add_option("ID", *ref, "<author-hex>/<id>, or <id> for this node's own need")->required();
  show->callback([&g, ref] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*ref, Kind::kNeed);
      if (!key.isOk()) return key.status();
      auto n = node.showNeed(*key);
      if (!n.isOk()) return n.status();
      answer(g, std::move(*n), [](Globals& g, const Json& n) { printRecord(g.out(), n, "need"); });
      return Status::ok();
    });
  });
}

struct NeedArgs {
  NeedFilter filter;
  std::string author;
  std::vector<std::string> words;  // joined into filter.text
};

Status checkNeedArgs(NeedArgs& a) {
  const std::string& cpv = a.filter.cpvPrefix;
  if (!cpv.empty() && (cpv.size() > 10 || cpv.find_first_not_of("0123456789-") != cpv.npos)) {
    return Status::invalid("--cpv: \"" + cpv + "\" is not a CPV code prefix (digits, DDDDDDDD-D)");
  }
  if (!a.author.empty()) {
    auto key = fromHexFixed<32>(a.author);
    if (!key) return Status::invalid("--author: must be 64 hex digits");
    a.filter.author = *key;
  }
  a.filter.text.clear();
  for (const auto& w : a.words) a.filter.text += (a.filter.text.empty() ? "" : " ") + w;
  return Status::ok();
}

void printNeeds(std::ostream& out, const Json& rows) {
  for (const auto& r : rows) {
    std::string sector = r["sector"].is_null() ? "no sector" : shown(r["sector"]);
    out << shown(r["need"]) << "\n    " << shown(r["title"]) << "\n    " << whoText(r) << " | "
        << sector << " | updated " << r["updated"].get<std::string>() << "\n";
  }
  out << rows.size() << (rows.size() == 1 ? " need\n" : " needs\n");
}

// `need list` and `need search`: the same filters; search also takes words.
void addNeedFind(CLI::App& group, Globals& g, bool withWords) {
  auto* cmd = withWords
                  ? group.add_subcommand("search",
                                         "Find live needs, of every author this node holds, by "
                                         "the words of their title and text")
                  : group.add_subcommand("list",
                                         "List the live needs of every author this node "
                                         "holds (yours and your peers')");
  auto a = std::make_shared<NeedArgs>();
  if (withWords) {
    cmd->add_option("TEXT", a->words,
                    "Words every result's title or need text contains, in any inflection or as "
                    "the last part of a compound")
        ->required();
  }
  cmd->add_option("--cpv", a->filter.cpvPrefix, "CPV code prefix, e.g. 72 or 72000000-5");
  cmd->add_option("--sector", a->filter.sector, "Sector code")
      ->check(CLI::IsMember(rules::sectorCodes()));
  cmd->add_option("--author", a->author, "Author public key (64 hex)");
  cmd->callback([&g, a] {
    withNode(g, [&](Node& node) -> Status {
      ALM_RETURN_IF_ERROR(checkNeedArgs(*a));
      auto rows = node.listNeeds(a->filter);
      if (!rows.isOk()) return rows.status();
      answer(g, std::move(*rows), [](Globals& g, const Json& rows) { printNeeds(g.out(), rows); });
      return Status::ok();
    });
  });
}

void printExperience(Globals& g, const Json& e) {
  printRecord(g.out(), e, "experience");
  const Json& about = e["about"];
  g.out() << "\nabout            "
          << (about.is_null() ? "a case this node does not hold (or holds retracted)"
                              : shown(about["title"].get<std::string>()))
          << "\n";
}

void addExperienceShow(CLI::App& group, Globals& g) {
  auto* show = group.add_subcommand(
      "show", "Show an experience in full, who signed it, whether it verifies, and its case");
  auto ref = std::make_shared<std::string>();
  show->add_option("ID", *ref, "<author-hex>/<id>, or <id> for this node's own experience")
      ->required();
  show->callback([&g, ref] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*ref, Kind::kExperience);
      if (!key.isOk()) return key.status();
      auto e = node.showExperience(*key);
      if (!e.isOk()) return e.status();
      answer(g, std::move(*e), printExperience);
      return Status::ok();
    });
  });
}

void printMatches(std::ostream& out, const Json& rows) {
  for (const auto& r : rows) {
    const Json& why = r["why"];
    std::string reasons;
    auto add = [&](const std::string& s) { reasons += (reasons.empty() ? "" : "; ") + s; };
    if (!why["words"].empty()) {
      std::string w;
      for (const auto& x : why["words"]) w += (w.empty() ? "" : ", ") + shown(x);
      add("words: " + w);
    }
    if (!why["cpv"].is_null()) {
      add("CPV " + shown(why["cpv"]["case"]) + " shares " +
          std::to_string(why["cpv"]["digits"].get<int>()) + " digits with " +
          shown(why["cpv"]["need"]));
    }
    if (!why["sector"].is_null()) add("same sector (" + shown(why["sector"]) + ")");
    if (!why["procedure"].is_null()) add("same procedure (" + shown(why["procedure"]) + ")");
    char score[16];
    std::snprintf(score, sizeof score, "%.2f", r["score"].get<double>());
    out << score << "  " << shown(r["case"]) << "\n      " << shown(r["title"]) << "\n      "
        << whoText(r) << " | " << shown(r["procedure"]) << " | " << shown(r["status"])
        << "\n      why: " << reasons << "\n";
  }
  out << rows.size() << (rows.size() == 1 ? " case\n" : " cases\n");
}

void addNeedMatch(CLI::App& group, Globals& g) {
  auto* cmd = group.add_subcommand(
      "match", "Rank the cases that answer a need, from every author, and say why each was chosen");
  auto ref = std::make_shared<std::string>();
  auto limit = std::make_shared<size_t>(10);
  cmd->add_option("ID", *ref, "<author-hex>/<id> of any author's need, or <id> for your own")
      ->required();
  cmd->add_option("--limit", *limit, "Most cases to show")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->callback([&g, ref, limit] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*ref, Kind::kNeed);
      if (!key.isOk()) return key.status();
      auto need = node.needRecord(*key);
      if (!need.isOk()) return need.status();
      auto rows = node.matchNeed(*need, *limit);
      if (!rows.isOk()) return rows.status();
      answer(g, std::move(*rows),
             [](Globals& g, const Json& rows) { printMatches(g.out(), rows); });
      return Status::ok();
    });
  });
}

}  // namespace

void addNeed(CLI::App& app, Globals& g) {
  auto& group =
      addGroup(app, "need",
               "Publish, show, list, search, match and retract needs: what a body looks for "
               "(\"who has done this?\")");
  addPut(group, g, Kind::kNeed, "docs/needs.md");
  addNeedShow(group, g);
  addNeedFind(group, g, false);
  addNeedFind(group, g, true);
  addNeedMatch(group, g);
  addRetract(group, g, Kind::kNeed);
}

void addExperience(CLI::App& app, Globals& g) {
  auto& group = addGroup(app, "experience",
                         "Publish, show and retract experiences: reports on reusing another body's "
                         "case");
  addPut(group, g, Kind::kExperience, "docs/needs.md");
  addExperienceShow(group, g);
  addRetract(group, g, Kind::kExperience);
}

}  // namespace allmenning::cli
