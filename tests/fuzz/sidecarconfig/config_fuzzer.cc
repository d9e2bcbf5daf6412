// parse(bytes) is an error or a config c with parse(render(c)) == c and render stable: what the
// operator renders is exactly what the sidecar parses, for any config the parser accepts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lib/sidecarconfig/parse.h"
#include "lib/sidecarconfig/render.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailroom::sidecarconfig;
  auto c = parseConfig(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!c.ok()) return 0;
  const std::string yaml = render(*c);
  auto back = parseConfig(yaml, "rendered");
  if (!back.ok() || !(*back == *c)) std::abort();
  if (render(*back) != yaml) std::abort();
  return 0;
}
