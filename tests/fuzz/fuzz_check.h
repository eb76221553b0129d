// FUZZ_CHECK: an invariant of a fuzz target; a violation prints what broke and traps, which libFuzzer reports.
#pragma once

#include <cstdio>
#include <string>

namespace cortex::fuzz {

[[noreturn]] inline void invariant_violated(const char* file, int line, const char* condition,
                                            const std::string& detail) {
  std::fprintf(stderr, "\n==fuzz== invariant violated at %s:%d: %s\n==fuzz== %s\n", file, line, condition,
               detail.c_str());
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace cortex::fuzz

// `detail` is evaluated only on violation, so it may be expensive (a dump of the answer).
#define FUZZ_CHECK(condition, detail)                                                               \
  do {                                                                                              \
    if (!(condition)) ::cortex::fuzz::invariant_violated(__FILE__, __LINE__, #condition, (detail)); \
  } while (0)
