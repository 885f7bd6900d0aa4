// Letters: Unicode normalisation and the ASCII stand-ins of æ, ø and å.
//
// NFC. The same word can arrive as one code point per letter ("å", U+00E5)
// or as a letter and a combining mark ("a" + U+030A), depending on the
// keyboard and the program that wrote it. Every text and every query is put
// in Normalization Form C (ICU) before it is split into words, so both meet.
//
// Folding. An officer on a keyboard without æ, ø and å types them as the
// digraphs "ae", "oe", "aa" or as the single letters "a", "o", "a" (æ as
// "a", not "e": "Bærum" is typed "Barum" or "Baerum"). foldings() gives both
// spellings of a word that holds any of the three. The index stores the stem
// of each folded spelling under its own prefix (kFolded), and a query word
// matches it at kFoldWeight, so "snoskred", "Skjak" and "Tromso" find
// "snøskred", "Skjåk" and "Tromsø" while a case that spells the word as typed
// ranks first. The folded word is stemmed, not the stem folded: Snowball
// treats the ASCII letters differently ("snøen" and "snoen" need not share an
// ending), and a query word is folded or typed before it is stemmed, too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace allmenning::search {

// `text` in Unicode Normalization Form C; invalid UTF-8 comes back as it is.
std::string nfc(std::string_view text);

// The ASCII spellings of a lowercased word with æ, ø or å: the digraph one
// ("tromsoe") then the single-letter one ("tromso"); empty for other words.
std::vector<std::string> foldings(const std::string& lowerWord);

}  // namespace allmenning::search
