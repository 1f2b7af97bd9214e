/* desc: what pbjson needs to know about protobuf-c descriptors:
 * well-known types, map entries, NullValue, field lookup by proto or JSON
 * name, element sizes, and the type registry behind google.protobuf.Any. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/empty.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

static const struct {
    const char *name;
    pbj_wkt kind;
} wkt_names[] = {
    {"Timestamp", PBJ_WKT_TIMESTAMP},  {"Duration", PBJ_WKT_DURATION},
    {"Empty", PBJ_WKT_EMPTY},          {"Struct", PBJ_WKT_STRUCT},
    {"Value", PBJ_WKT_VALUE},          {"ListValue", PBJ_WKT_LIST},
    {"Any", PBJ_WKT_ANY},              {"DoubleValue", PBJ_WKT_WRAPPER},
    {"FloatValue", PBJ_WKT_WRAPPER},   {"Int64Value", PBJ_WKT_WRAPPER},
    {"UInt64Value", PBJ_WKT_WRAPPER},  {"Int32Value", PBJ_WKT_WRAPPER},
    {"UInt32Value", PBJ_WKT_WRAPPER},  {"BoolValue", PBJ_WKT_WRAPPER},
    {"StringValue", PBJ_WKT_WRAPPER},  {"BytesValue", PBJ_WKT_WRAPPER},
};

pbj_wkt pbj_wkt_kind(const ProtobufCMessageDescriptor *d)
{
    if (!d->package_name || strcmp(d->package_name, "google.protobuf") != 0)
        return PBJ_WKT_NONE;
    for (size_t i = 0; i < sizeof wkt_names / sizeof wkt_names[0]; i++)
        if (strcmp(d->short_name, wkt_names[i].name) == 0)
            return wkt_names[i].kind;
    return PBJ_WKT_NONE;
}

bool pbj_is_map(const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    const ProtobufCMessageDescriptor *d = f->descriptor;
    if (!d || d->n_fields != 2 || d->fields[0].id != 1 || d->fields[1].id != 2 ||
        strcmp(d->fields[0].name, "key") != 0 || strcmp(d->fields[1].name, "value") != 0)
        return false;
    size_t n = strlen(d->short_name);
    return n > 5 && strcmp(d->short_name + n - 5, "Entry") == 0;
}

bool pbj_is_null_enum(const ProtobufCFieldDescriptor *f)
{
    if (f->type != PROTOBUF_C_TYPE_ENUM || !f->descriptor)
        return false;
    const ProtobufCEnumDescriptor *e = f->descriptor;
    return e->name && strcmp(e->name, "google.protobuf.NullValue") == 0;
}

/* Does key equal the JSON name protoc derives from a proto field name
 * ("node_id" -> "nodeId": drop '_', upper-case the next character)? */
static bool json_name_eq(const char *name, const char *key)
{
    bool up = false;
    for (; *name; name++) {
        if (*name == '_') {
            up = true;
            continue;
        }
        char c = (up && *name >= 'a' && *name <= 'z') ? (char)(*name - 'a' + 'A') : *name;
        up = false;
        if (*key++ != c)
            return false;
    }
    return *key == '\0';
}

void pbj_json_name(const char *name, char *out, size_t outlen)
{
    size_t o = 0;
    bool up = false;
    if (!outlen)
        return;
    for (; *name && o + 1 < outlen; name++) {
        if (*name == '_') {
            up = true;
            continue;
        }
        out[o++] = (up && *name >= 'a' && *name <= 'z') ? (char)(*name - 'a' + 'A') : *name;
        up = false;
    }
    out[o] = '\0';
}

const ProtobufCFieldDescriptor *pbj_field_by_key(const ProtobufCMessageDescriptor *d,
                                                 const char *key)
{
    /* Proto names: binary search over the descriptor's name index. */
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    if (f)
        return f;
    /* JSON names never contain '_'; a camel name differs from the proto
     * name only by upper-case letters (or '_' before a digit). */
    bool upper = false, digit = false;
    size_t len = 0;
    for (const char *p = key; *p; p++, len++) {
        if (*p == '_')
            return NULL;
        upper |= (*p >= 'A' && *p <= 'Z');
        digit |= (*p >= '0' && *p <= '9');
    }
    if (!upper && !digit)
        return NULL;
    if (upper && len < 128) {
        char snake[256];
        size_t o = 0;
        for (const char *p = key; *p; p++) {
            if (*p >= 'A' && *p <= 'Z') {
                snake[o++] = '_';
                snake[o++] = (char)(*p - 'A' + 'a');
            } else {
                snake[o++] = *p;
            }
        }
        snake[o] = '\0';
        f = protobuf_c_message_descriptor_get_field_by_name(d, snake);
        if (f && json_name_eq(f->name, key))
            return f;
    }
    /* Unusual names ("a_1b" -> "a1b"): one linear pass. */
    for (unsigned i = 0; i < d->n_fields; i++)
        if (json_name_eq(d->fields[i].name, key))
            return &d->fields[i];
    return NULL;
}

size_t pbj_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default: /* 32-bit ints, float, enum (protobuf-c stores enums in 4 bytes) */
        return 4;
    }
}

const char *pbj_type_name(const ProtobufCFieldDescriptor *f)
{
    static const char *const names[] = {
        [PROTOBUF_C_TYPE_INT32] = "int32",     [PROTOBUF_C_TYPE_SINT32] = "sint32",
        [PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
        [PROTOBUF_C_TYPE_SINT64] = "sint64",   [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
        [PROTOBUF_C_TYPE_UINT32] = "uint32",   [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
        [PROTOBUF_C_TYPE_UINT64] = "uint64",   [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
        [PROTOBUF_C_TYPE_FLOAT] = "float",     [PROTOBUF_C_TYPE_DOUBLE] = "double",
        [PROTOBUF_C_TYPE_BOOL] = "bool",       [PROTOBUF_C_TYPE_ENUM] = "enum",
        [PROTOBUF_C_TYPE_STRING] = "string",   [PROTOBUF_C_TYPE_BYTES] = "bytes",
        [PROTOBUF_C_TYPE_MESSAGE] = "message",
    };
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor &&
        pbj_wkt_kind(f->descriptor) != PBJ_WKT_NONE)
        return ((const ProtobufCMessageDescriptor *)f->descriptor)->name;
    if ((unsigned)f->type < sizeof names / sizeof names[0] && names[f->type])
        return names[f->type];
    return "unknown";
}

/* ---- Any type registry ---------------------------------------------------- */

static const ProtobufCMessageDescriptor *const builtin_types[] = {
    &google__protobuf__timestamp__descriptor,   &google__protobuf__duration__descriptor,
    &google__protobuf__empty__descriptor,       &google__protobuf__struct__descriptor,
    &google__protobuf__value__descriptor,       &google__protobuf__list_value__descriptor,
    &google__protobuf__any__descriptor,         &google__protobuf__double_value__descriptor,
    &google__protobuf__float_value__descriptor, &google__protobuf__int64_value__descriptor,
    &google__protobuf__uint64_value__descriptor, &google__protobuf__int32_value__descriptor,
    &google__protobuf__uint32_value__descriptor, &google__protobuf__bool_value__descriptor,
    &google__protobuf__string_value__descriptor, &google__protobuf__bytes_value__descriptor,
};

#define MAX_REGISTERED 1024
static const ProtobufCMessageDescriptor *registered[MAX_REGISTERED];
static atomic_size_t n_registered;
static pthread_mutex_t register_lock = PTHREAD_MUTEX_INITIALIZER;

void pbjson_register_type(const ProtobufCMessageDescriptor *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&register_lock);
    size_t n = atomic_load_explicit(&n_registered, memory_order_relaxed);
    bool known = false;
    for (size_t i = 0; i < n && !known; i++)
        known = registered[i] == d;
    if (!known && n < MAX_REGISTERED) {
        registered[n] = d;
        /* readers see the slot before they see the new count */
        atomic_store_explicit(&n_registered, n + 1, memory_order_release);
    }
    pthread_mutex_unlock(&register_lock);
}

const ProtobufCMessageDescriptor *pbj_find_type(const char *type_url)
{
    if (!type_url)
        return NULL;
    const char *slash = strrchr(type_url, '/');
    const char *name = slash ? slash + 1 : type_url;
    for (size_t i = 0; i < sizeof builtin_types / sizeof builtin_types[0]; i++)
        if (strcmp(builtin_types[i]->name, name) == 0)
            return builtin_types[i];
    size_t n = atomic_load_explicit(&n_registered, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strcmp(registered[i]->name, name) == 0)
            return registered[i];
    return NULL;
}
