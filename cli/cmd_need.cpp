// allmenning need put | show | retract, and allmenning experience put | retract
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
      g.json ? printJson(g, *n) : printRecord(g.out(), *n, "need");
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
  addRetract(group, g, Kind::kNeed);
}

void addExperience(CLI::App& app, Globals& g) {
  auto& group = addGroup(app, "experience",
                         "Publish and retract experiences: reports on reusing another body's case");
  addPut(group, g, Kind::kExperience, "docs/needs.md");
  addRetract(group, g, Kind::kExperience);
}

}  // namespace allmenning::cli
