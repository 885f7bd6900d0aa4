// allmenning: the command-line interface. main() builds the objects; each
// command lives in its own cmd_<name>.cpp, and cli/app.cpp puts them together.
#include <cstdlib>
#include <filesystem>

#include "cli/cli.h"
#include "protocol/crypto.h"

using namespace allmenning;

namespace {

std::string defaultHome() {
  if (const char* env = std::getenv("ALLMENNING_HOME"); env && *env) return env;
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.allmenning";
  return ".allmenning";
}

}  // namespace

int main(int argc, char** argv) {
  cli::Globals g;
  Status st = initCrypto();
  if (!st.isOk()) return cli::fail(g, st);
  g.home = defaultHome();
  g.argv.assign(argv + 1, argv + argc);
  // Commands open absolute paths wherever they run, so a path typed here and
  // the same path sent to a running node name the same file.
  std::error_code ec;
  g.cwd = std::filesystem::current_path(ec).string();
  CLI::App app{cli::kAppDescription, "allmenning"};
  cli::buildApp(app, g);
  return cli::runCli(app, g, argc, argv);
}
