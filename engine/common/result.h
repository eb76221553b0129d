// Result<T> and Status: typed outcomes for every boundary that can fail for reasons outside the program.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace cortex {

enum class ErrorCode {
  InvalidArgument,  // bad input from a person or a client
  NotFound,
  IOError,          // disk, network, storage target
  Corruption,       // a stored record that cannot be read back
  Unavailable,      // transient: worth retrying
  Conflict,         // lost a race (lease taken, task changed state)
  Internal,
};

const char* to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::Internal;
  std::string message;

  // "context: message", so that each layer can say where it was.
  Error with_context(const std::string& context) const { return {code, context + ": " + message}; }
  std::string describe() const { return message; }
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Error error) : value_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<T>(value_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<T>(value_);
  }
  T&& value() && {
    assert(ok());
    return std::get<T>(std::move(value_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<Error>(value_);
  }

 private:
  std::variant<T, Error> value_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), failed_(true) {}
  static Status OK() { return {}; }

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace cortex

// Return the error of a failed Status or Result from the enclosing function.
#define CORTEX_RETURN_IF_ERROR(expr)              \
  do {                                            \
    auto&& cortex_status_ = (expr);               \
    if (!cortex_status_.ok()) return cortex_status_.error(); \
  } while (0)
