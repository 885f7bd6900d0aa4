// Shared plumbing of the `allmenning` commands: global options, opening the
// node, reading input files, and turning a Status into an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "node/node.h"

namespace allmenning::cli {

struct Globals {
  std::string home;   // --home, else $ALLMENNING_HOME, else ~/.allmenning
  bool json = false;  // --json
  int exitCode = 0;   // set by the command that ran
};

// Prints "allmenning: <message>" on stderr and returns the exit code.
int fail(const Status& status);
// Opens the node in globals.home.
Result<std::unique_ptr<Node>> openNode(const Globals& g);
// Opens the node and runs `body`; a failure of either sets g.exitCode.
void withNode(Globals& g, const std::function<Status(Node&)>& body);
// Reads a whole input file ("-" for stdin), refusing a missing file, a
// directory, or one larger than maxBytes before reading it.
Result<std::string> readInputFile(const std::string& path, size_t maxBytes);
// Prints a JSON value, pretty, on stdout.
void printJson(const Json& j);

// Each command adds its subcommand(s) to `app`; its callback sets g.exitCode.
void addInit(CLI::App& app, Globals& g);
void addId(CLI::App& app, Globals& g);
void addCase(CLI::App& app, Globals& g);
void addSearch(CLI::App& app, Globals& g);
void addExport(CLI::App& app, Globals& g);
void addImport(CLI::App& app, Globals& g);
void addVerify(CLI::App& app, Globals& g);

}  // namespace allmenning::cli
