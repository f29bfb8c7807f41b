#include "tools/cli_paths.hpp"

#include <filesystem>
#include <system_error>

#include "tools/cli_args.hpp"

namespace lsgd::cli {

namespace fs = std::filesystem;

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (fs::equivalent(a, b, ec) && !ec) return true;
  std::error_code ea, eb;
  // weakly_canonical leaves a relative path relative when no part of it exists yet: absolute first.
  const fs::path ca = fs::weakly_canonical(fs::absolute(a, ea), ea);
  const fs::path cb = fs::weakly_canonical(fs::absolute(b, eb), eb);
  return !ea && !eb && ca == cb;
}

void check_distinct_files(const std::string& command,
                          const std::vector<std::pair<std::string, std::string>>& inputs,
                          const std::vector<std::pair<std::string, std::string>>& outputs) {
  for (size_t k = 0; k < outputs.size(); ++k) {
    const auto& [oname, opath] = outputs[k];
    if (opath.empty()) continue;
    for (const auto& [iname, ipath] : inputs) {
      if (!ipath.empty() && same_file(opath, ipath)) {
        throw UsageError(command + ": --" + oname + " '" + opath + "' is the same file as --" +
                         iname + " '" + ipath + "': writing it would destroy the input");
      }
    }
    for (size_t l = 0; l < k; ++l) {
      const auto& [pname, ppath] = outputs[l];
      if (!ppath.empty() && same_file(opath, ppath)) {
        throw UsageError(command + ": --" + oname + " and --" + pname + " name the same file '" +
                         opath + "': one output would overwrite the other");
      }
    }
  }
}

}  // namespace lsgd::cli
