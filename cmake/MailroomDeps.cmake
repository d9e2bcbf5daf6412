# All dependencies come from Debian bookworm packages (hack/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares)
find_package(yaml-cpp REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS system)
find_package(GTest REQUIRED)
# Found at the top so their imported targets are visible everywhere; only proto/, sidecar/grpc,
# tools/ and operator/ link them (protocol libraries never do).
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
# The sidecar sets an Abseil mutex option directly (sidecar/main.cc).
find_package(absl CONFIG REQUIRED)
# The operator's one JSON library (header-only): objects, RFC 6902/7386 patches, provider APIs.
find_package(nlohmann_json 3.11 REQUIRED)
