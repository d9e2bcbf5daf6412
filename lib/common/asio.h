// The one way to include Boost.Asio here. Boost 1.74's awaitable.hpp uses std::exchange
// without including <utility>, which fails under GCC 12; include it first.
#pragma once

#include <utility>

#include <boost/asio.hpp>

namespace mailroom {
namespace asio = boost::asio;
template <class T = void>
using Task = boost::asio::awaitable<T>;
}  // namespace mailroom
