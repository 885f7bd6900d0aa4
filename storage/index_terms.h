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

}  // namespace allmenning
