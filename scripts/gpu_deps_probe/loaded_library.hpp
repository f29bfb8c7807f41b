// Which file a shared library was loaded from: the smoke programs check that the carried libraries,
// not the system's, are the ones in use.
#pragma once

#include <link.h>

#include <cstdlib>
#include <string>

// The resolved path of the loaded shared object whose file name starts with `stem` ("" if none).
inline std::string loaded_library(const std::string& stem) {
  struct Query {
    std::string stem, path;
  } query{stem, ""};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* q = static_cast<Query*>(data);
        const std::string name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        const std::string base = name.substr(name.find_last_of('/') + 1);
        if (base.rfind(q->stem, 0) != 0) return 0;
        char* resolved = realpath(name.c_str(), nullptr);
        q->path = resolved != nullptr ? resolved : name;
        std::free(resolved);
        return 1;
      },
      &query);
  return query.path;
}

// True when `path` lies under the prefix named by LSGD_PROBE_EXPECT_PREFIX, or when that is unset.
inline bool under_expected_prefix(const std::string& path) {
  const char* prefix = std::getenv("LSGD_PROBE_EXPECT_PREFIX");
  return prefix == nullptr || *prefix == '\0' || path.rfind(prefix, 0) == 0;
}
