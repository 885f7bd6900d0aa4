// allmenning need put | show | retract, and allmenning experience put | retract
#include <cstdio>

#include "cli/cli.h"
#include "cli/record_cmds.h"

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

void printMatches(std::ostream& out, const Json& rows) {
  for (const auto& r : rows) {
    const Json& why = r["why"];
    std::string reasons;
    auto add = [&](const std::string& s) { reasons += (reasons.empty() ? "" : "; ") + s; };
    if (!why["words"].empty()) {
      std::string w;
      for (const auto& x : why["words"]) w += (w.empty() ? "" : ", ") + x.get<std::string>();
      add("words: " + w);
    }
    if (!why["cpv"].is_null()) {
      add("CPV " + why["cpv"]["case"].get<std::string>() + " shares " +
          std::to_string(why["cpv"]["digits"].get<int>()) + " digits with " +
          why["cpv"]["need"].get<std::string>());
    }
    if (!why["sector"].is_null()) add("same sector (" + why["sector"].get<std::string>() + ")");
    if (!why["procedure"].is_null()) {
      add("same procedure (" + why["procedure"].get<std::string>() + ")");
    }
    char score[16];
    std::snprintf(score, sizeof score, "%.2f", r["score"].get<double>());
    std::string who = r["authorName"].is_null() ? r["author"].get<std::string>().substr(0, 16)
                                                : r["authorName"].get<std::string>();
    out << score << "  " << r["case"].get<std::string>() << "\n      "
        << r["title"].get<std::string>() << "\n      " << who << " | "
        << r["procedure"].get<std::string>() << " | " << r["status"].get<std::string>()
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
               "Publish, show and retract needs: what a body looks for (\"who has done this?\")");
  addPut(group, g, Kind::kNeed, "docs/needs.md");
  addNeedShow(group, g);
  addNeedMatch(group, g);
  addRetract(group, g, Kind::kNeed);
}

void addExperience(CLI::App& app, Globals& g) {
  auto& group = addGroup(app, "experience",
                         "Publish and retract experiences: reports on reusing another body's case");
  addPut(group, g, Kind::kExperience, "docs/needs.md");
  addRetract(group, g, Kind::kExperience);
}

}  // namespace allmenning::cli
