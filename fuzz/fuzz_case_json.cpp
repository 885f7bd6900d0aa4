// Fuzzes caseFromJson, the gate for case records from users and files, and
// decodeCase, the gate for case payloads from peers.
//
// Input: the JSON text. Promises checked: any text yields a value or a
// Status; a case it accepts decodes back, and the decoded JSON converts to
// the same canonical bytes (the record has exactly one encoding). The input
// is also fed to decodeCase as a payload.
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "protocol/case_json.h"

using namespace allmenning;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto payload = caseFromJson(text);
  if (payload.isOk()) {
    auto json = decodeCase(*payload);
    if (!json.isOk()) fuzz::broken("an accepted case does not decode");
    auto again = caseFromJsonValue(*json);
    if (!again.isOk()) fuzz::broken("a decoded case is refused");
    if (*again != *payload) fuzz::broken("a case has two encodings");
    if (!caseIdOf(*payload).isOk()) fuzz::broken("an accepted case has no id");
  }
  auto decoded = decodeCase(ByteView(data, size));
  if (decoded.isOk() && !caseFromJsonValue(*decoded).isOk()) {
    fuzz::broken("a payload decodeCase accepts breaks the case rules");
  }
  return 0;
}
