// allmenning: the command-line interface. main() builds the objects; each
// command lives in its own cmd_<name>.cpp.
#include <kj/exception.h>

#include <cstdlib>
#include <iostream>

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
  Status st = initCrypto();
  if (!st.isOk()) return cli::fail(st);

  CLI::App app{"Allmenning: a federated database of innovative public procurement cases.",
               "allmenning"};
  app.require_subcommand(1);
  app.fallthrough();  // --home and --json may follow the subcommand too
  cli::Globals g;
  g.home = defaultHome();
  app.add_option("--home", g.home, "Node home folder (default $ALLMENNING_HOME or ~/.allmenning)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "Machine-readable JSON output");
  cli::addInit(app, g);
  cli::addId(app, g);
  cli::addCase(app, g);
  cli::addSearch(app, g);
  cli::addExport(app, g);
  cli::addImport(app, g);
  cli::addVerify(app, g);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors are bad input
  } catch (const std::exception& e) {
    // Every expected failure is a Status; reaching here is a bug, reported
    // as a failed operation rather than an abort.
    std::cerr << "allmenning: internal error: " << e.what() << "\n";
    return 1;
  } catch (const kj::Exception& e) {
    std::cerr << "allmenning: internal error: " << e.getDescription().cStr() << "\n";
    return 1;
  }
  return g.exitCode;
}
