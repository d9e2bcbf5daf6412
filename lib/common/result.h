// Errors as values (DESIGN: "expected failures are values"). C++20 has no std::expected, so
// Result<T> is a small stand-in with the same shape: ok() / value() / error(), and Error keeps
// temporary and permanent failures apart all the way up.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace mailroom {

enum class ErrorKind {
  kInvalidArgument,  // the caller's input is wrong; retrying it unchanged cannot help
  kNotFound,
  kTemporary,  // may succeed later (network, DNS SERVFAIL, 4xx, disk full)
  kPermanent,  // will not succeed (5xx, NXDOMAIN where a name is required)
  kInternal,   // a broken invariant or an unexpected system error
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;

  static Error invalidArgument(std::string m) {
    return {ErrorKind::kInvalidArgument, std::move(m)};
  }
  static Error notFound(std::string m) { return {ErrorKind::kNotFound, std::move(m)}; }
  static Error temporary(std::string m) { return {ErrorKind::kTemporary, std::move(m)}; }
  static Error permanent(std::string m) { return {ErrorKind::kPermanent, std::move(m)}; }
  static Error internal(std::string m) { return {ErrorKind::kInternal, std::move(m)}; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace mailroom
