// Field rules of the case format, each a pure predicate, shared by the JSON
// parser and by later importers (OCDS) so that one rule has one definition.
#pragma once

#include <string_view>

namespace allmenning::rules {

// Norwegian organisation number: 9 digits, MOD11 with weights 3,2,7,6,5,4,3,2.
bool isValidOrgnr(std::string_view s);
// Kommunenummer: exactly 4 digits.
bool isValidKommunenummer(std::string_view s);
// CPV code: DDDDDDDD-D.
bool isValidCpv(std::string_view s);
// Case, need and experience ids: [a-z0-9][a-z0-9-]{0,79}.
bool isValidId(std::string_view s);
// Calendar date YYYY-MM-DD that exists (leap years included).
bool isValidDate(std::string_view s);
// Doffin notice id: YYYY-NNNNNN.
bool isValidDoffinId(std::string_view s);
// Well-formed UTF-8 without overlong forms or surrogates.
bool isValidUtf8(std::string_view s);
// Number of Unicode code points in valid UTF-8 text.
size_t codePoints(std::string_view s);

}  // namespace allmenning::rules
