// How the CLI prints what other bodies wrote. Every text field, name and
// title may come from a peer, so the text views print them only through
// these functions: each character a terminal would act on or hide
// (rules::isHiddenOnTerminal: controls, bidi controls, zero-width and other
// format characters, line separators) is shown escaped as \u202E, a byte
// that is not UTF-8 as \xFF, and a multi-line text goes on under its label,
// indented, so that it can never start a line of its own. --json prints
// the values exactly; JSON escapes what it must.
//
// An author's standing (node/standing.h) is printed here too, in one text
// form for every view.
#pragma once

#include <string>
#include <string_view>

#include "node/node.h"

namespace allmenning::cli {

// `s` on one line, every hidden character escaped.
std::string shown(std::string_view s);
inline std::string shown(const std::string& s) { return shown(std::string_view(s)); }
inline std::string shown(const char* s) { return shown(std::string_view(s)); }
// A string JSON value as shown(); any other value as its JSON text.
std::string shown(const Json& v);
// Multi-line `s` for a value printed after a label: each line break (LF or
// CR LF) goes on at `indent` spaces; everything else as shown(), a lone CR
// included, so no text can overwrite a label or begin a line that looks
// like one. Tabs stay.
std::string shownBlock(std::string_view s, size_t indent);

// How much a view says about an author's standing.
enum class Detail {
  kShort,  // a row: "this node", "trusted", "vouched by Hub", ...
  kFull,   // `case show`: what the standing means and who said what
};
// The standing of the author of `row` (a JSON row carrying toJson(Standing)).
std::string trustText(const Json& row, Detail detail);
// The name to show for the author of `row` (a key field names it), else
// its key's first 16 digits.
std::string nameText(const Json& row, const std::string& keyField = "author");
// " [its profile says "..."]" when the author's self-declared name is not
// the one shown; else "".
std::string differsText(const Json& row);
// The names of the trusted bodies that vouched for the author, joined.
std::string vouchersText(const Json& row);
// nameText, then differsText.
std::string authorText(const Json& row, const std::string& keyField = "author");
// For lists with a trust column (trust list, status): nameText, then
// ", by <vouchers>" for a vouched author, then differsText.
std::string listedText(const Json& row, const std::string& keyField);
// authorText and, in parentheses, the short trust text: a row's "who".
std::string whoText(const Json& row, const std::string& keyField = "author");

}  // namespace allmenning::cli
