// The values of a case that the secondary indexes hold.
#pragma once

#include <string>
#include <vector>

#include "protocol/bytes.h"
#include "protocol/status.h"

namespace allmenning {

struct IndexTerms {
  std::vector<std::string> cpv;
  std::string procedure;
  std::string sector;
  std::string status;
  std::vector<std::string> kommune;  // buyers' kommunenummer, deduplicated
};

// Decodes a case payload (with full validation) and extracts its terms.
Result<IndexTerms> indexTermsOf(ByteView casePayload);

enum class IndexFamily { kCpv, kProcedure, kSector, kStatus, kKommune };
constexpr IndexFamily kIndexFamilies[] = {IndexFamily::kCpv, IndexFamily::kProcedure,
                                          IndexFamily::kSector, IndexFamily::kStatus,
                                          IndexFamily::kKommune};

// Every secondary index key of a live case: the writer adds and removes
// exactly these, and verify recomputes them.
std::vector<std::pair<IndexFamily, std::string>> indexKeys(const PublicKey& author,
                                                           const std::string& id,
                                                           const IndexTerms& terms);

}  // namespace allmenning
