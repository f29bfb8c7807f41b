#pragma once
// Checks on the files a command names, made before anything is read or written.
#include <string>
#include <utility>
#include <vector>

namespace lsgd::cli {

// True when a and b name the same file: the same inode if both exist (through links), otherwise
// the same normalized absolute path.
bool same_file(const std::string& a, const std::string& b);

// Throws UsageError when an output names the same file as an input or as another output.
// Each pair is {option name without dashes, path}; empty paths are ignored.
void check_distinct_files(const std::string& command,
                          const std::vector<std::pair<std::string, std::string>>& inputs,
                          const std::vector<std::pair<std::string, std::string>>& outputs);

}  // namespace lsgd::cli
