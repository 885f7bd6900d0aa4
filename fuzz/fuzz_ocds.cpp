// Fuzzes the OCDS import's reading of a release package: readPackage, the
// merge rules, the mapping to a case, fitting it to the case rules, and the
// continuation from a held version (protocol/ocds_package.h).
//
// Input: the package text. Promises checked: any text yields a package or a
// Status; every step's version passes the case rules and decodes back to the
// same bytes; consecutive steps differ; a process has no more steps than
// releases; and a plan that goes on from its own last version holds the same
// promises.
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "protocol/case_json.h"
#include "protocol/ocds_package.h"

using namespace allmenning;

namespace {

void checkPlan(const ocds::Process& p, const ocds::Plan& plan) {
  if (plan.steps.size() > p.releases.size()) fuzz::broken("more steps than releases");
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const auto& payload = plan.steps[i].payload;
    if (i > 0 && payload == plan.steps[i - 1].payload) fuzz::broken("two equal steps in a row");
    if (!payload) continue;
    auto record = decodeCase(*payload);
    if (!record.isOk()) fuzz::broken("a step's version breaks the case rules");
    auto again = caseFromJsonValue(*record);
    if (!again.isOk() || *again != *payload) fuzz::broken("a step's version has two encodings");
    if ((*record)["id"] != p.caseId) fuzz::broken("a step's version has another case id");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto package = ocds::readPackage(text);
  if (!package.isOk()) return 0;
  for (const auto& p : package->processes) {
    ocds::Plan plan = ocds::planProcess(*package, p);
    checkPlan(p, plan);
    if (plan.steps.empty() || !plan.steps.back().payload) continue;
    auto last = decodeCase(*plan.steps.back().payload);
    if (!last.isOk()) fuzz::broken("a step's version does not decode");
    checkPlan(p, ocds::planProcess(*package, p, &*last));
  }
  return 0;
}
