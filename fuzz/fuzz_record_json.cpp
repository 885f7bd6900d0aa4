// Fuzzes the need and experience readers (protocol/record_json.h):
// recordFromJson, the gate for needs and experiences from users and files,
// and decodeRecord, the gate for their payloads from peers.
//
// Input: the JSON text, read as a need and as an experience, and also fed to
// decodeRecord as a payload of either kind. Promises checked: any text
// yields a value or a Status; a record it accepts decodes back, the decoded
// JSON converts to the same canonical bytes (one encoding), and its id is
// found; a payload decodeRecord accepts passes the record rules.
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "protocol/record_json.h"

using namespace allmenning;

namespace {

void checkKind(Kind kind, std::string_view text, ByteView raw) {
  auto payload = recordFromJson(kind, text);
  if (payload.isOk()) {
    auto json = decodeRecord(kind, *payload);
    if (!json.isOk()) fuzz::broken("an accepted record does not decode");
    auto again = recordFromJsonValue(kind, *json);
    if (!again.isOk()) fuzz::broken("a decoded record is refused");
    if (*again != *payload) fuzz::broken("a record has two encodings");
    if (!recordIdOf(kind, *payload).isOk()) fuzz::broken("an accepted record has no id");
  }
  auto decoded = decodeRecord(kind, raw);
  if (decoded.isOk() && !recordFromJsonValue(kind, *decoded).isOk()) {
    fuzz::broken("a payload decodeRecord accepts breaks the record rules");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (Kind kind : {Kind::kNeed, Kind::kExperience}) checkKind(kind, text, ByteView(data, size));
  return 0;
}
