#pragma once
// What `lsgd advise` prints: the ranking (text or JSON), the validation report of --check, and the
// grid of --map that tools/crossover.py draws.
#include <string>
#include <vector>

#include "tools/advise.hpp"

namespace lsgd::cli {

// `sources_note`: which results directories were used and why ("default: the committed ...").
std::string advice_text(const advise::Advice& a, const advise::Advisor& adv,
                        const std::string& sources_note);
std::string advice_json(const advise::Advice& a, const advise::Advisor& adv,
                        const std::string& sources_note);

std::string check_text(const advise::CheckReport& r, const std::string& fitted_on,
                       const std::string& checked_on, double digits_f64, double digits_f32);
std::string check_json(const advise::CheckReport& r, const std::string& fitted_on,
                       const std::string& checked_on, double digits_f64, double digits_f32);

// Shape of a measurement for people: "4096x64", "1024x(256x32)", "4096x64 i100".
std::string shape_label(const advise::Measurement& m);

}  // namespace lsgd::cli
