// allmenning init | id
#include "cli/cli.h"

namespace allmenning::cli {

void addInit(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("init", "Create a node: config, Ed25519 key and database");
  auto options = std::make_shared<InitOptions>();
  Config& c = options->config;
  ProfileRecord& p = options->profile;
  cmd->add_option("--name", p.name, "Name of the body running this node")->required();
  cmd->add_option("--orgnr", p.orgnr, "Organisation number (9 digits, MOD11)");
  cmd->add_option("--kommunenummer", p.kommunenummer, "Municipality number (4 digits)");
  cmd->add_option("--listen", c.listen, "P2P listen address HOST:PORT")->capture_default_str();
  cmd->add_option("--network", c.network, "Federation name")->capture_default_str();
  cmd->callback([&g, options] {
    // Through the admin socket a node runs already; `init` is never sent
    // there by the CLI, and a hand-made request gets this answer.
    Status st = g.node ? Status::refused("init: a node is running in this home")
                       : Node::init(g.home, *options, systemClock());
    if (!st.isOk()) {
      g.exitCode = fail(g, st);
      return;
    }
    auto node = openNode(g);
    if (!node.isOk()) {
      g.exitCode = fail(g, node.status());
      return;
    }
    if (g.json) {
      printJson(g, Json{{"home", g.home}, {"id", toHex((*node)->id())}});
    } else {
      g.out() << "created node \"" << options->profile.name << "\" in " << g.home << "\n"
              << "id " << toHex((*node)->id()) << "\n";
    }
  });
}

void addId(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("id", "Print this node's public key (64 hex characters)");
  cmd->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      std::string hex = toHex(node.id());
      if (g.json) {
        auto profile = node.profile();
        if (!profile.isOk()) return profile.status();
        printJson(g, Json{{"id", hex}, {"name", profile->name}});
      } else {
        g.out() << hex << "\n";
      }
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
