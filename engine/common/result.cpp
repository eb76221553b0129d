// Names of error codes, for messages and logs.
#include "common/result.h"

namespace cortex {

const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::IOError: return "I/O error";
    case ErrorCode::Corruption: return "corruption";
    case ErrorCode::Unavailable: return "unavailable";
    case ErrorCode::Conflict: return "conflict";
    case ErrorCode::Internal: return "internal error";
  }
  return "unknown error";
}

}  // namespace cortex
