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
    auto node = st.isOk() ? openNode(g) : Result<std::unique_ptr<Node>>(st);
    if (node.isOk()) {
      answer(g,
             Json{{"home", g.home}, {"id", toHex((*node)->id())}, {"name", options->profile.name}},
             [](Globals& g, const Json& r) {
               g.out() << "created node \"" << r["name"].get<std::string>() << "\" in "
                       << r["home"].get<std::string>() << "\n"
                       << "id " << r["id"].get<std::string>() << "\n";
             });
    }
    finish(g, node.status());
  });
}

void addId(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("id", "Print this node's public key (64 hex characters)");
  cmd->callback([&g] {
    withNode(g, [&](Node& node) -> Status {
      auto profile = node.profile();
      if (!profile.isOk()) return profile.status();
      answer(g, Json{{"id", toHex(node.id())}, {"name", profile->name}},
             [](Globals& g, const Json& r) { g.out() << r["id"].get<std::string>() << "\n"; });
      return Status::ok();
    });
  });
}

}  // namespace allmenning::cli
