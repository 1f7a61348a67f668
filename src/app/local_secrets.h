// Development secrets kept in the data directory: when no JWT secret (or encryption key) is
// configured outside production, one is generated on first start and stored in a file readable
// by the owner only (0600), so that restarts keep sessions and sealed secrets valid.
#pragma once

#include <functional>
#include <string>

#include "core/result.h"

namespace studybot::app {

// Reads `path` if it exists (refusing it when group or others can read it), else creates it with
// `make()` and mode 0600. The parent directory is created when missing.
Result<std::string> LoadOrCreateSecretFile(const std::string& path,
                                           const std::function<std::string()>& make);

}  // namespace studybot::app
