#include "core/inspect/op_attributes.h"

#include <flatbuffers/minireflect.h>

#include <algorithm>
#include <cctype>

#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Collects the top-level fields of one options table; nested vectors and
// tables are written inline ("[1, 2]").
class AttributeCollector : public flatbuffers::IterationVisitor {
public:
    std::vector<OpAttribute> attributes;

    void StartSequence() override {
        if (depth_++ > 0) append("{");
    }
    void EndSequence() override {
        if (--depth_ > 0) append("}");
    }
    void Field(size_t, size_t, flatbuffers::ElementaryType type, bool repeated, const flatbuffers::TypeTable* table,
               const char* name, const uint8_t* value) override {
        if (depth_ != 1) {
            if (value) append(std::string(name ? name : "?") + ": ");
            return;
        }
        attributes.push_back({name ? name : "?", value ? "" : defaultValue(name, type, repeated, table)});
    }
    void UType(uint8_t value, const char* name) override { scalar(value, name); }
    void Bool(bool value) override { append(value ? "true" : "false"); }
    void Char(int8_t value, const char* name) override { scalar(value, name); }
    void UChar(uint8_t value, const char* name) override { scalar(value, name); }
    void Short(int16_t value, const char* name) override { scalar(value, name); }
    void UShort(uint16_t value, const char* name) override { scalar(value, name); }
    void Int(int32_t value, const char* name) override { scalar(value, name); }
    void UInt(uint32_t value, const char* name) override { scalar(value, name); }
    void Long(int64_t value) override { append(std::to_string(value)); }
    void ULong(uint64_t value) override { append(std::to_string(value)); }
    void Float(float value) override { append(number(value)); }
    void Double(double value) override { append(number(value)); }
    void String(const flatbuffers::String* value) override {
        std::string quoted = "\"";  // appended, not "\"" + a temporary: GCC 12 warns on that at -O3 (-Wrestrict, a false positive)
        if (value) quoted += value->str();
        quoted += '"';
        append(quoted);
    }
    void StartVector() override { append("["); }
    void EndVector() override {
        truncated_ = false;
        append("]");
    }
    // Long vectors (a SHAPE's new_shape is short; some custom tables are not)
    // show their first 16 elements.
    void Element(size_t index, flatbuffers::ElementaryType, const flatbuffers::TypeTable*, const uint8_t*) override {
        if (index > 0) append(", ");
        if (index == 16) append("…");
        truncated_ = index >= 16;
    }

private:
    // Fields the file leaves out hold the schema's default: zero, or the
    // enum's zero member, except the dilation factors, which default to 1.
    static std::string defaultValue(const char* name, flatbuffers::ElementaryType type, bool repeated,
                                    const flatbuffers::TypeTable* table) {
        if (repeated || type == flatbuffers::ET_STRING || type == flatbuffers::ET_SEQUENCE) return "none";
        if (type == flatbuffers::ET_BOOL) return "false";
        if (table && table->st == flatbuffers::ST_ENUM && table->names && table->num_elems > 0) {
            for (size_t i = 0; i < table->num_elems; ++i)
                if (!table->values || table->values[i] == 0) return table->names[i];
        }
        if (name && std::string_view(name).starts_with("dilation_")) return "1";
        return "0";
    }
    template <typename T>
    void scalar(T value, const char* name) {
        append(name ? std::string(name) : std::to_string(value));
    }
    static std::string number(double value) {
        char text[32];
        snprintf(text, sizeof text, "%g", value);
        return text;
    }
    void append(const std::string& text) {
        if (attributes.empty() || truncated_) return;
        std::string& value = attributes.back().value;
        if (value.size() < 200) value += text;
    }
    int depth_ = 0;
    bool truncated_ = false;
};

const OpAttribute* find(const std::vector<OpAttribute>& attributes, std::string_view name) {
    for (const OpAttribute& attribute : attributes)
        if (attribute.name == name) return &attribute;
    return nullptr;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// One member of an options union (`type` 0 is NONE), through its reflection table.
void collectUnionMember(const flatbuffers::TypeTable* unionTable, size_t type, const void* table,
                        AttributeCollector& collector) {
    if (type == 0 || !table || type >= unionTable->num_elems) return;
    int reference = unionTable->type_codes[type].sequence_ref;
    if (reference >= 0)
        flatbuffers::IterateObject(static_cast<const uint8_t*>(table), unionTable->type_refs[reference](), &collector);
}

}  // namespace

std::vector<OpAttribute> opAttributes(const Model&, const Op& op) {
    AttributeCollector collector;
    if (!op.options) return {};
    collectUnionMember(schema::BuiltinOptionsTypeTable(), op.options->builtin_options_type(), op.options->builtin_options(),
                       collector);
    collectUnionMember(schema::BuiltinOptions2TypeTable(), op.options->builtin_options_2_type(),
                       op.options->builtin_options_2(), collector);
    if (!op.customOptions.empty())
        collector.attributes.push_back({"custom_options", std::to_string(op.customOptions.size()) + " bytes"});
    return collector.attributes;
}

std::string opKeyAttributes(const Model& model, const Subgraph& subgraph, const Op& op) {
    std::vector<OpAttribute> attributes = opAttributes(model, op);
    std::vector<std::string> words;
    const std::string name = model.opCode(op).displayName();
    auto value = [&](std::string_view field) -> std::string {
        const OpAttribute* attribute = find(attributes, field);
        return attribute ? attribute->value : "";
    };
    if (name == "CONV_2D" || name == "DEPTHWISE_CONV_2D" || name == "TRANSPOSE_CONV") {
        int weights = op.inputs.size() > 1 ? op.inputs[1] : -1;
        if (weights >= 0 && static_cast<size_t>(weights) < subgraph.tensors.size()) {
            const auto& shape = subgraph.tensors[static_cast<size_t>(weights)].shape;
            if (shape.size() == 4) words.push_back(std::to_string(shape[1]) + "x" + std::to_string(shape[2]));
        }
    } else if (name == "AVERAGE_POOL_2D" || name == "MAX_POOL_2D" || name == "L2_POOL_2D") {
        std::string w = value("filter_width"), h = value("filter_height");
        if (!w.empty() && !h.empty()) words.push_back(h + "x" + w);
    } else if (name == "CONCATENATION" || name == "PACK" || name == "UNPACK" || name == "GATHER") {
        std::string axis = value("axis");
        words.push_back("axis " + (axis.empty() ? std::string("0") : axis));
    }
    std::string stride = value("stride_w");
    if (!stride.empty() && stride != "1" && stride != "0") words.push_back("/" + stride);
    std::string dilation = value("dilation_w_factor");
    if (!dilation.empty() && dilation != "1") words.push_back("d" + dilation);
    std::string activation = value("fused_activation_function");
    if (!activation.empty() && activation != "NONE") words.push_back(lower(activation));
    std::string text;
    for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

}  // namespace litestudio
