// allmenning case put | show | retract
#include <cstdio>

#include "cli/cli.h"
#include "cli/record_cmds.h"
#include "cli/show_text.h"

namespace allmenning::cli {
namespace {

void printHistory(std::ostream& out, const Json& history) {
  out << "\nhistory\n";
  for (const auto& v : history) {
    char row[512];
    std::snprintf(row, sizeof row, "  seq %-6llu %s  %-8s %-16s %s\n",
                  static_cast<unsigned long long>(v["seq"].get<uint64_t>()),
                  v["time"].get<std::string>().c_str(), shown(v["kind"]).c_str(),
                  v.contains("status") ? shown(v["status"]).c_str() : "-",
                  v["entryHash"].get<std::string>().c_str());
    out << row;
  }
}

// The experiences about the case and the cases linking to it, when any.
void printLinks(std::ostream& out, const Json& c) {
  if (!c["experiences"].empty()) out << "\nexperiences\n";
  for (const auto& x : c["experiences"]) {
    out << "  " << whoText(x) << ": " << shown(x["experience"]) << "\n    "
        << shownBlock(x["excerpt"].get<std::string>(), 4) << "\n";
  }
  if (!c["linkedFrom"].empty()) out << "\nlinked from\n";
  for (const auto& l : c["linkedFrom"]) {
    out << "  " << shown(l["relationship"]) << "  " << shown(l["case"]) << "\n    "
        << shown(l["title"]) << " (" << whoText(l) << ")\n";
  }
}

void addShow(CLI::App& group, Globals& g) {
  auto* show = group.add_subcommand(
      "show", "Show a case, who signed it, whether it verifies, and what refers to it");
  auto ref = std::make_shared<std::string>();
  auto history = std::make_shared<bool>(false);
  show->add_option("ID", *ref, "<author-hex>/<id>, or <id> for this node's own case")->required();
  show->add_flag("--history", *history, "List every version");
  show->callback([&g, ref, history] {
    withNode(g, [&](Node& node) -> Status {
      auto key = node.parseCaseRef(*ref);
      if (!key.isOk()) return key.status();
      auto c = node.showCase(*key, *history);
      if (!c.isOk()) return c.status();
      answer(g, std::move(*c), [](Globals& g, const Json& c) {
        printRecord(g.out(), c, "case");
        printLinks(g.out(), c);
        if (c.contains("history")) printHistory(g.out(), c["history"]);
      });
      return Status::ok();
    });
  });
}

}  // namespace

void addCase(CLI::App& app, Globals& g) {
  auto& group = addGroup(app, "case", "Publish, show and retract cases");
  addPut(group, g, Kind::kCase, "docs/case-format.md");
  addShow(group, g);
  addRetract(group, g, Kind::kCase);
}

}  // namespace allmenning::cli
