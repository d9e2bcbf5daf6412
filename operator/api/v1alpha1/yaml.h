// Manifests as people write them (YAML, one or more documents) read into the same JSON the API
// server sends, so one strict codec serves both. Plain scalars are typed as YAML 1.2's core
// schema types them (null, true/false, integers, floats); quoted scalars stay strings.
#pragma once

#include <string_view>
#include <vector>

#include "operator/api/v1alpha1/codec.h"

namespace mailroom::api {

// Every document in the text (a JSON text is a YAML document too).
Result<std::vector<Json>> yamlDocumentsToJson(std::string_view text);

}  // namespace mailroom::api
