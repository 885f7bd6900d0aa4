// The command line as one CLI::App, built the same way for the process's
// own argv (main.cpp) and for a command sent to a running node (cmd_run.cpp).
#include <kj/exception.h>

#include <cerrno>

#include "cli/cli.h"

namespace allmenning::cli {

void buildApp(CLI::App& app, Globals& g) {
  app.require_subcommand(1);
  app.fallthrough();  // --home and --json may follow the subcommand too
  app.add_option("--home", g.home, "Node home folder (default $ALLMENNING_HOME or ~/.allmenning)")
      ->capture_default_str();
  app.add_flag("--json", g.json, "Machine-readable JSON output");
  addInit(app, g);
  addId(app, g);
  addRun(app, g);
  addCase(app, g);
  addNeed(app, g);
  addExperience(app, g);
  addSearch(app, g);
  addReindex(app, g);
  addExport(app, g);
  addImport(app, g);
  addVerify(app, g);
  addTrust(app, g);
  addVouch(app, g);
  addPeer(app, g);
  addStatus(app, g);
  addBackup(app, g);
  addProfile(app, g);
}

namespace {

// Every command's output ends here: a write error on stdout (a full disk, a
// closed pipe) fails a command that had succeeded, and says so. A command
// that failed already keeps its own exit status and message.
int checkOutput(Globals& g, int code) {
  errno = 0;
  g.out().flush();
  if (g.out() || code != 0) return code;
  g.err() << "allmenning: " << outputError() << "\n";
  return 1;
}

int parseAndRun(CLI::App& app, Globals& g, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e, g.out(), g.err());
    return rc == 0 ? 0 : 2;  // usage errors are bad input
  } catch (const std::exception& e) {
    // Every expected failure is a Status; reaching here is a bug, reported
    // as a failed operation rather than an abort.
    g.err() << "allmenning: internal error: " << e.what() << "\n";
    return 1;
  } catch (const kj::Exception& e) {
    g.err() << "allmenning: internal error: " << e.getDescription().cStr() << "\n";
    return 1;
  }
  return g.exitCode;
}

}  // namespace

int runCli(CLI::App& app, Globals& g, int argc, const char* const* argv) {
  return checkOutput(g, parseAndRun(app, g, argc, argv));
}

}  // namespace allmenning::cli
