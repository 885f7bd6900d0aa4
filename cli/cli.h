// Shared plumbing of the `allmenning` commands: global options, opening the
// node (or reaching the running one), reading input files, and turning a
// Status into an exit code.
//
// The same command code runs in two places: in the `allmenning` process
// itself, and inside `allmenning run` for a command that came through the
// admin socket (node/admin_socket.h). Commands therefore never touch
// std::cout, std::cerr, std::cin or the process's cwd: they use the streams
// and the cwd held in Globals, which the admin socket points at the client.
#pragma once

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/node.h"

namespace allmenning::cli {

constexpr const char* kAppDescription =
    "Allmenning: a federated database of innovative public procurement cases.";

struct Globals;

// How a command's answer reads as text, printed from the very value that
// --json prints, so that the two forms cannot disagree. A plain function, not
// a closure: it runs once the command's locals are gone.
using TextForm = void (*)(Globals& g, const Json& answer);

struct Globals {
  std::string home;   // --home, else $ALLMENNING_HOME, else ~/.allmenning
  bool json = false;  // --json
  int exitCode = 0;   // set by the command that ran

  // Where the command writes and reads. Not owned; they outlive the command.
  std::ostream* outStream = &std::cout;
  std::ostream* errStream = &std::cerr;
  std::istream* inStream = &std::cin;
  // The absolute folder relative paths on the command line are relative to:
  // the client's cwd. Empty: leave them relative to the process's cwd.
  std::string cwd;
  // The running node, when the command came through its admin socket.
  // Not owned.
  Node* node = nullptr;
  // The whole command line after the program name, for forwarding.
  std::vector<std::string> argv;
  // What the command read from stdin (readStdin), forwarded with it.
  std::optional<std::string> stdinData;
  // The command's answer (answer()), printed by finish().
  std::optional<Json> answerValue;
  TextForm answerText = nullptr;

  std::ostream& out() { return *outStream; }
  std::ostream& err() { return *errStream; }
  // `path` as the command should open it: resolved against `cwd` when it
  // is relative and `cwd` is set. "-" (stdin) stays as it is.
  std::string path(const std::string& path);
  // `message` with every path resolved by path() turned back into the form
  // the user typed, so errors read the same wherever the command ran.
  std::string asTyped(std::string message) const;
  // Makes asTyped() show `resolved` as `typed` (a scratch copy of stdin as "-").
  void alias(std::string resolved, std::string typed);

 private:
  std::vector<std::pair<std::string, std::string>> resolved_;  // (resolved, typed)
};

// Registers --home, --json and every command on `app`. Each command's
// callback sets g.exitCode. A new command is one more line here.
void buildApp(CLI::App& app, Globals& g);
// Parses argv (argv[0] is the program name) and runs the chosen command;
// returns the exit code. Usage errors exit 2, help exits 0, and both are
// printed to g's streams.
int runCli(CLI::App& app, Globals& g, int argc, const char* const* argv);

// "writing to standard output: <reason>", the reason from errno: the
// message of a failed write to g.out().
std::string outputError();
// Output. Whether a command prints text or JSON is decided here and in
// finish(), never by the command: a command states its answer as a value
// and how that value reads as text.
//
// Sets what the command answers. It is printed when the command ends
// (finish()): as JSON on stdout with --json, else by `text`. A command that
// fails after doing part of its work (an import that stored some cases and
// then refused the rest) answers first, and both are printed.
void answer(Globals& g, Json value, TextForm text);
// Prints `line` on stdout at once, in text mode: a case id the moment it is
// durable. With --json stdout holds one JSON document, so nothing is printed
// here and the answer carries the line.
void printNow(Globals& g, const std::string& line);
// Ends the command with `status`: prints its answer, then the error if
// `status` is one, and sets g.exitCode.
void finish(Globals& g, const Status& status);
// Prints the error and returns its exit status: "allmenning: <message>" on
// stderr, or with --json {"error": message, "exit": status} on stdout, with
// the fields of any answer the command gave before it failed.
int fail(Globals& g, const Status& status);
// Opens the database in g.home directly. Another process may hold its lock
// for a moment (a command run directly, a node starting or stopping), so
// this retries for a few seconds; `done`, when given, runs between tries and
// ends the wait when it returns true. Progress lines of the open (an index
// rebuild) go to `progress`, else to g.err().
Result<std::unique_ptr<Node>> openNode(Globals& g, const std::function<bool()>& done = {},
                                       const Progress& progress = {});
// Runs `body` on the node and ends the command (finish()). This is the one place that
// decides where a command runs: on g.node when it came through the admin
// socket; else, when a node runs in g.home and answers on its admin socket,
// the whole command is sent there and its output and exit code relayed;
// else the node is opened here.
void withNode(Globals& g, const std::function<Status(Node&)>& body);
// Reads stdin once, up to maxBytes + 1 bytes (so a limit check still sees
// the excess), and keeps it in g.stdinData. Call before withNode() in a
// command that reads stdin, so the bytes travel with a forwarded command.
void readStdin(Globals& g, size_t maxBytes);
// Reads a whole input file ("-": what readStdin kept), refusing a missing
// file, a directory, or one larger than maxBytes before reading it.
Result<std::string> readInputFile(Globals& g, const std::string& path, size_t maxBytes);
// Prints a JSON value, pretty, on g.out().
void printJson(Globals& g, const Json& j);

// Each command adds its subcommand(s) to `app`; its callback sets g.exitCode.
void addInit(CLI::App& app, Globals& g);
void addId(CLI::App& app, Globals& g);
void addRun(CLI::App& app, Globals& g);
void addCase(CLI::App& app, Globals& g);
void addNeed(CLI::App& app, Globals& g);
void addExperience(CLI::App& app, Globals& g);
void addSearch(CLI::App& app, Globals& g);
void addReindex(CLI::App& app, Globals& g);
void addExport(CLI::App& app, Globals& g);
void addImport(CLI::App& app, Globals& g);
void addVerify(CLI::App& app, Globals& g);
void addTrust(CLI::App& app, Globals& g);
void addVouch(CLI::App& app, Globals& g);
void addPeer(CLI::App& app, Globals& g);
void addStatus(CLI::App& app, Globals& g);
void addBackup(CLI::App& app, Globals& g);  // backup, restore, authoring
void addProfile(CLI::App& app, Globals& g);

}  // namespace allmenning::cli
