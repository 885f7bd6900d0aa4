// The man page allmenning(1) and the bash completion, generated from the
// same CLI::App the binary parses its arguments with (cli/app.cpp), so
// neither can name a command or option the binary lacks, or miss one it has.
// The build runs cli/docs_main.cpp to write both (cli/CMakeLists.txt);
// tests/cli/docs_test.cpp checks them against every command's --help.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace allmenning::cli {

// roff source of allmenning(1): synopsis, global options, one subsection
// per command ("allmenning case put") with its arguments and options, then
// environment, files and exit status. `version` goes into the header.
std::string manPage(const CLI::App& app, const std::string& version);

// A bash completion script defining `_allmenning` and registering it with
// `complete`: command names after the command words typed so far, then
// that command's options; the value of an option that takes one (--home
// DIR) completes as a file name.
std::string bashCompletion(const CLI::App& app);

}  // namespace allmenning::cli
