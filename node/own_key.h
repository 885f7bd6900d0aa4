// Which key signs this node's log. The database records it (Store::authorKey),
// so a key file that belongs to another node is refused at open instead of
// becoming "(this node)" (docs/architecture.md, "The database knows its own
// key").
#pragma once

#include "node/home.h"
#include "protocol/entry.h"
#include "storage/store.h"

namespace allmenning {

// Checks that `key`, read from the home's key file, is the database's own
// key, before anything is written. A database that records another key is
// refused, naming both. One made before the key was recorded gets `key`
// recorded only when its state agrees (the intent in `paths` was signed by
// `key`, and the database holds `key`'s log and trusts it, or holds no log
// at all); otherwise it is refused and left as it was.
Status claimOwnKey(const HomePaths& paths, Store& store, const PublicKey& key);

}  // namespace allmenning
