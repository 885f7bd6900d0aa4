#include "storage/migrations.h"

#include <filesystem>

namespace allmenning {
namespace {

// 1 -> 2: the authoring hold (node/authoring_hold.cpp) tells a copied
// database folder by the placement recorded in it.
Status recordPlacement(MigrationContext& c, rocksdb::WriteBatch& batch) {
  auto placement = placementOf(c.dir);
  if (!placement.isOk()) return placement.status();
  batch.Put(c.cf.meta, kPlacementKey, encodePlacement(*placement));
  return Status::ok();
}

}  // namespace

const std::vector<MigrationStep>& migrationSteps() {
  static const std::vector<MigrationStep> steps = {
      {1, "record where the database folder lives, so a copied home holds authoring",
       recordPlacement},
  };
  return steps;
}

// A checkpoint of the database as it is, unless an earlier, interrupted
// migration from this format left one: that one holds the database before
// any step ran.
Status Store::migrate(int from, const StoreProgress& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress("storage: " + line);
  };
  std::string saved = dir_ + ".format-" + std::to_string(from);
  say("database format " + std::to_string(from) + " is older than this build's " +
      std::to_string(kStorageFormat) + "; keeping a copy of it in " + saved);
  std::error_code ec;
  if (!std::filesystem::exists(saved, ec)) ALM_RETURN_IF_ERROR(checkpoint(saved));
  MigrationContext context{*db_, *cf_, dir_};
  for (const MigrationStep& step : migrationSteps()) {
    if (step.from < from) continue;
    say("migrating format " + std::to_string(step.from) + " -> " + std::to_string(step.from + 1) +
        ": " + step.what);
    rocksdb::WriteBatch batch;
    ALM_RETURN_IF_ERROR(step.run(context, batch));
    batch.Put(cf_->meta, "format", std::to_string(step.from + 1));
    ALM_RETURN_IF_ERROR(writeBatch(*db_, batch, /*sync=*/true, "migrating the database"));
  }
  say("database migrated to format " + std::to_string(kStorageFormat) + "; " + saved +
      " is for a rollback to the older version, delete it once this one runs well");
  return Status::ok();
}

}  // namespace allmenning
