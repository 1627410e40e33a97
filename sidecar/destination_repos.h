// Before a sidecar says its inputs are ready (mountdone, {db}/dbstarted), every repo it will
// save into must exist: otherwise the app would run (possibly for hours) and its outputs be
// lost at upload time. A missing repo fails the sidecar at once, naming the repo and what it
// was the destination of. Errors are dm::Error.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"

namespace dm::sidecar {

struct DestinationRepo {
  std::string repo;
  std::string of;  // what is saved there, for the message: "output bundle 'out'"
};

void require_destination_repos(const config::Config& datamon, const std::vector<DestinationRepo>& destinations);

}  // namespace dm::sidecar
