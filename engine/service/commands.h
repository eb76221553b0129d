// The cortexd subcommands; each takes the arguments after its name and returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace cortex::cli {

using Args = std::vector<std::string>;

int serve(const Args& args);
int submit(const Args& args);
int estimate(const Args& args);
int token(const Args& args);
int status(const Args& args);
int cancel(const Args& args);
int profiles(const Args& args);
int import(const Args& args);
int generate(const Args& args);
int demo(const Args& args);

}  // namespace cortex::cli
