// allmenning backup | restore | authoring resume
#include "cli/cli.h"
#include "node/backup.h"

namespace allmenning::cli {
namespace {

uint64_t ownSeq(const BackupReport& r) {
  for (const auto& [author, head] : r.heads) {
    if (author == r.node) return head.seq;
  }
  return 0;
}

// "seq" is this node's own head in the backup.
Json reportJson(const BackupReport& r, const std::string& dir) {
  Json heads = Json::array();
  for (const auto& [author, head] : r.heads) {
    heads.push_back({{"author", toHex(author)}, {"seq", head.seq}, {"hash", toHex(head.hash)}});
  }
  return Json{{"dir", dir},
              {"node", toHex(r.node)},
              {"seq", ownSeq(r)},
              {"created", r.created},
              {"files", r.files},
              {"bytes", r.bytes},
              {"heads", std::move(heads)}};
}

void printBackup(Globals& g, const Json& r) {
  g.out() << "backup of " << r["node"].get<std::string>() << " at seq " << r["seq"].get<uint64_t>()
          << " in " << r["dir"].get<std::string>() << ": " << r["files"].get<uint64_t>()
          << " files, " << r["bytes"].get<uint64_t>() << " bytes, heads of " << r["heads"].size()
          << " authors\n";
}

void printRestore(Globals& g, const Json& r) {
  g.out() << "restored " << r["node"].get<std::string>() << " at seq " << r["seq"].get<uint64_t>()
          << " into " << r["home"].get<std::string>() << " from the backup taken "
          << r["created"].get<std::string>() << "\n"
          << "authoring is held until a peer confirms this node's head: start it with "
             "`allmenning run`\n";
}

void addBackupCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "backup",
      "Write a consistent copy of this node (database checkpoint, key, config, signing intent "
      "and a manifest of checksums) to DIR, running or not; the search index is rebuilt instead");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "New or empty folder for the backup")->required();
  cmd->callback([&g, dir] {
    withNode(g, [&](Node& node) -> Status {
      auto r = writeBackup(node, g.path(*dir));
      if (!r.isOk()) return r.status();
      answer(g, reportJson(*r, *dir), printBackup);
      return Status::ok();
    });
  });
}

void addRestoreCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "restore",
      "Check the backup in DIR against its manifest and restore it as the home given by --home "
      "(new or empty); the restored node holds authoring until a peer confirms its head");
  auto dir = std::make_shared<std::string>();
  cmd->add_option("DIR", *dir, "Folder written by `allmenning backup`")->required();
  cmd->callback([&g, dir] {
    if (g.node) return finish(g, Status::refused("restore: a node is running in this home"));
    auto r = restoreBackup(g.path(*dir), g.home, systemClock());
    if (r.isOk()) {
      Json j = reportJson(*r, *dir);
      j["home"] = g.home;
      answer(g, std::move(j), printRestore);
    }
    finish(g, r.status());
  });
}

void addAuthoringCommand(CLI::App& app, Globals& g) {
  auto* group = app.add_subcommand("authoring", "The authoring hold of a restored or copied node");
  group->require_subcommand(1);
  group->fallthrough();
  auto* resume = group->add_subcommand(
      "resume", "Sign again without a peer confirming this node's head (a node with no peers)");
  auto noPeers = std::make_shared<bool>(false);
  resume->add_flag("--i-have-no-peers", *noPeers,
                   "Confirm that no peer can hold entries this key signed after the copy");
  resume->callback([&g, noPeers] {
    withNode(g, [&](Node& node) -> Status {
      if (!*noPeers) {
        return Status::invalid(
            "authoring resume: refusing without --i-have-no-peers. A peer that holds this "
            "node's log lifts the hold by itself once the node runs and syncs; resume by hand "
            "only when no peer can hold entries this key signed");
      }
      auto resumed = node.resumeAuthoring();
      if (!resumed.isOk()) return resumed.status();
      answer(g, Json{{"held", false}, {"resumed", *resumed}}, [](Globals& g, const Json& r) {
        g.out() << (r["resumed"].get<bool>() ? "authoring resumed\n" : "authoring was not held\n");
      });
      return Status::ok();
    });
  });
}

}  // namespace

void addBackup(CLI::App& app, Globals& g) {
  addBackupCommand(app, g);
  addRestoreCommand(app, g);
  addAuthoringCommand(app, g);
}

}  // namespace allmenning::cli
