// The command line as one CLI::App, built the same way for the process's
// own argv (main.cpp) and for a command sent to a running node (cmd_run.cpp).
#include <kj/exception.h>

#include <cerrno>

#include "cli/cli.h"
#include "cli/usage.h"

namespace allmenning::cli {

void buildApp(CLI::App& app, Globals& g) {
  app.require_subcommand(1);
  app.fallthrough();  // --home and --json may follow the subcommand too
  app.add_option("--home", g.home, "Node home folder (default $ALLMENNING_HOME or ~/.allmenning)")
      ->capture_default_str();
  app.add_flag("--json", g.json,
               "Machine-readable output: every command, and every error, writes one JSON "
               "document on stdout");
  app.set_version_flag("--version", std::string(),
                       "Print the program, entry format, protocol and storage format versions");
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
  std::vector<std::string> args(argv + 1, argv + argc);
  g.json = g.json || asksForJson(args);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion&) {
    answer(g, versionInfo(), printVersion);
    finish(g, Status::ok());
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e, g.out(), g.err());  // --help
    return fail(g, usageError(app, e, args));
  } catch (const std::exception& e) {
    // Every expected failure is a Status; reaching here is a bug, reported
    // as a failed operation rather than an abort.
    return fail(g, Status::ioError(std::string("internal error: ") + e.what()));
  } catch (const kj::Exception& e) {
    return fail(g, Status::ioError(std::string("internal error: ") + e.getDescription().cStr()));
  }
  return g.exitCode;
}

}  // namespace

int runCli(CLI::App& app, Globals& g, int argc, const char* const* argv) {
  return checkOutput(g, parseAndRun(app, g, argc, argv));
}

}  // namespace allmenning::cli
