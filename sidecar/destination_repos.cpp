#include "sidecar/destination_repos.h"

#include "common/config/context.h"
#include "common/util/error.h"

namespace dm::sidecar {

void require_destination_repos(const config::Config& datamon, const std::vector<DestinationRepo>& destinations) {
  if (destinations.empty()) return;
  auto ctx = config::open_context(datamon);
  auto catalog = ctx.catalog();
  for (const auto& d : destinations) {
    try {
      catalog.require_repo(d.repo);
    } catch (const Error& e) {
      throw Error(e.kind(), "destination repo " + dm::quoted(d.repo) + " of " + d.of + ": " + e.what());
    }
  }
}

}  // namespace dm::sidecar
