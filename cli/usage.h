// What the command line answers before any command runs: --version, and the
// usage errors of a command line that does not parse (an unknown command,
// with the nearest known one; CLI11's own complaints, with every value they
// echo cut and escaped by the one echo rule of protocol/echo.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli.h"

namespace allmenning::cli {

// True when `args` (after the program name) ask for --json, before any "--".
// Read before parsing, so that a line that does not parse answers in JSON too.
bool asksForJson(const std::vector<std::string>& args);

// The versions this build speaks, each taken from the constant that defines
// it: the program, the entry format, the P2P protocol and handshake, and the
// storage format.
Json versionInfo();
void printVersion(Globals& g, const Json& versions);

// The error for a command line that did not parse (exit 2). `args` are the
// words after the program name.
Status usageError(const CLI::App& app, const CLI::ParseError& error,
                  const std::vector<std::string>& args);

// Edit distance with adjacent transpositions counted once ("serach" is 1
// from "search").
size_t editDistance(std::string_view a, std::string_view b);

}  // namespace allmenning::cli
