# All dependencies come from Debian bookworm packages (hack/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
find_package(yaml-cpp REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(GTest REQUIRED)
# gRPC/Protobuf and cpprestsdk are looked up where used (proto/, operator/), so that the
# protocol libraries never depend on them.
