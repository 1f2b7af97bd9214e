/* pbutil: protoc-c messages read and written by field name (see pbutil.h). */
#include "pbutil.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define MEMBER(m, off, type) (*(type *)((uint8_t *)(m) + (off)))

ProtobufCMessage *pb_new(const ProtobufCMessageDescriptor *d)
{
    ProtobufCMessage *m = malloc(d->sizeof_message);
    if (m)
        protobuf_c_message_init(d, m);
    return m;
}

/* Lookups by name are a binary search of strcmp's, and building a list of
 * 20,000 agents makes about thirty per agent; the names are nearly always
 * the same literals, so each thread remembers recent answers. The cache is
 * keyed by addresses, which the build's layout and the load address
 * scatter: two ways per set, so that two hot names meeting in one set do
 * not evict each other on every row. A hit is checked by content too, so a
 * reused buffer can never return a wrong field. */
#define FIELD_CACHE_SETS 256

typedef struct {
    const ProtobufCMessageDescriptor *desc;
    const char *name;
    const ProtobufCFieldDescriptor *field;
} field_cache_slot;

static __thread field_cache_slot field_cache[FIELD_CACHE_SETS][2];

static bool slot_holds(const field_cache_slot *slot, const ProtobufCMessage *m, const char *name)
{
    return slot->desc == m->descriptor && slot->name == name && slot->field && strcmp(slot->field->name, name) == 0;
}

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessage *m, const char *name)
{
    if (!m || !name)
        return NULL;
    uintptr_t h = ((uintptr_t)m->descriptor >> 4) ^ ((uintptr_t)name >> 3);
    field_cache_slot *set = field_cache[(h ^ (h >> 9)) % FIELD_CACHE_SETS];
    if (slot_holds(&set[0], m, name))
        return set[0].field;
    if (slot_holds(&set[1], m, name)) {
        field_cache_slot hit = set[1]; /* the most recent first */
        set[1] = set[0];
        set[0] = hit;
        return hit.field;
    }
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (f) {
        set[1] = set[0];
        set[0] = (field_cache_slot){ m->descriptor, name, f };
    }
    return f;
}

/* Marks a oneof member as the selected one. */
static void select_member(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        MEMBER(m, f->quantifier_offset, uint32_t) = f->id;
}

static bool member_selected(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return true;
    return MEMBER(m, f->quantifier_offset, uint32_t) == f->id;
}

int pb_set_str(ProtobufCMessage *m, const char *field, const char *value)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f)
        return 1;
    if (f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return -1;
    char *copy = strdup(value ? value : "");
    if (!copy)
        return -1;
    char **slot = &MEMBER(m, f->offset, char *);
    if (member_selected(m, f) && *slot && *slot != (char *)f->default_value)
        free(*slot);
    *slot = copy;
    select_member(m, f);
    return 0;
}

static int set_scalar(ProtobufCMessage *m, const char *field, const void *value, size_t size,
                      ProtobufCType t1, ProtobufCType t2)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f)
        return 1;
    if ((f->type != t1 && f->type != t2) || f->label == PROTOBUF_C_LABEL_REPEATED)
        return -1;
    memcpy((uint8_t *)m + f->offset, value, size);
    select_member(m, f);
    if (f->label == PROTOBUF_C_LABEL_OPTIONAL && !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
        f->quantifier_offset)
        MEMBER(m, f->quantifier_offset, protobuf_c_boolean) = 1;
    return 0;
}

int pb_set_bool(ProtobufCMessage *m, const char *field, bool value)
{
    protobuf_c_boolean v = value;
    return set_scalar(m, field, &v, sizeof v, PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_BOOL);
}

int pb_set_u32(ProtobufCMessage *m, const char *field, uint32_t value)
{
    return set_scalar(m, field, &value, sizeof value, PROTOBUF_C_TYPE_UINT32, PROTOBUF_C_TYPE_FIXED32);
}

int pb_set_i32(ProtobufCMessage *m, const char *field, int32_t value)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (f && f->type == PROTOBUF_C_TYPE_ENUM)
        return set_scalar(m, field, &value, sizeof value, PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_TYPE_ENUM);
    return set_scalar(m, field, &value, sizeof value, PROTOBUF_C_TYPE_INT32, PROTOBUF_C_TYPE_SINT32);
}

int pb_set_i64(ProtobufCMessage *m, const char *field, int64_t value)
{
    return set_scalar(m, field, &value, sizeof value, PROTOBUF_C_TYPE_INT64, PROTOBUF_C_TYPE_SINT64);
}

int pb_set_msg(ProtobufCMessage *m, const char *field, ProtobufCMessage *child)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
        (child && child->descriptor != f->descriptor)) {
        if (child)
            protobuf_c_message_free_unpacked(child, NULL);
        return f ? -1 : 1;
    }
    ProtobufCMessage **slot = &MEMBER(m, f->offset, ProtobufCMessage *);
    if (member_selected(m, f) && *slot)
        protobuf_c_message_free_unpacked(*slot, NULL);
    *slot = child;
    select_member(m, f);
    return 0;
}

ProtobufCMessage *pb_wrap(const ProtobufCMessageDescriptor *d, const char *field, ProtobufCMessage *child)
{
    ProtobufCMessage *m = pb_new(d);
    if (!m) {
        protobuf_c_message_free_unpacked(child, NULL);
        return NULL;
    }
    if (pb_set_msg(m, field, child) != 0) {
        protobuf_c_message_free_unpacked(m, NULL);
        return NULL;
    }
    return m;
}

int pb_respond(rpc_status *st, const ProtobufCMessageDescriptor *d, const char *field, ProtobufCMessage *child,
               ProtobufCMessage **out)
{
    *out = pb_wrap(d, field, child);
    return *out ? RPC_OK : rpc_fail(st, RPC_INTERNAL, "failed to build the response");
}

/* Grows a repeated field by one pointer-sized element. */
static int append_ptr(ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, void *elem)
{
    size_t *n = &MEMBER(m, f->quantifier_offset, size_t);
    void ***arr = &MEMBER(m, f->offset, void **);
    /* Doubling capacity: n is a power of two exactly when the array is full. */
    if ((*n & (*n - 1)) == 0) {
        size_t cap = *n ? *n * 2 : 4;
        void **na = realloc(*arr, cap * sizeof *na);
        if (!na)
            return -1;
        *arr = na;
    }
    (*arr)[(*n)++] = elem;
    return 0;
}

int pb_append_msg(ProtobufCMessage *m, const char *field, ProtobufCMessage *child)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED ||
        child->descriptor != f->descriptor || append_ptr(m, f, child) != 0) {
        protobuf_c_message_free_unpacked(child, NULL);
        return f ? -1 : 1;
    }
    return 0;
}

int pb_append_str(ProtobufCMessage *m, const char *field, const char *value)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f)
        return 1;
    if (f->type != PROTOBUF_C_TYPE_STRING || f->label != PROTOBUF_C_LABEL_REPEATED)
        return -1;
    char *copy = strdup(value ? value : "");
    if (!copy || append_ptr(m, f, copy) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int pb_set_map_json(ProtobufCMessage *m, const char *field, const char *json_text)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f)
        return 1;
    if (f->type != PROTOBUF_C_TYPE_MESSAGE || f->label != PROTOBUF_C_LABEL_REPEATED)
        return -1;
    /* "{}" is what nearly every stored row holds: no parser needed */
    if (!json_text || !*json_text || strcmp(json_text, "{}") == 0)
        return 0;
    json_t *obj = json_loads(json_text, 0, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return 0; /* a corrupt stored value reads as no labels */
    }
    const char *key;
    json_t *val;
    int rc = 0;
    json_object_foreach(obj, key, val) {
        ProtobufCMessage *entry = pb_new(f->descriptor);
        if (!entry || pb_set_str(entry, "key", key) != 0 ||
            pb_set_str(entry, "value", json_is_string(val) ? json_string_value(val) : "") != 0) {
            if (entry)
                protobuf_c_message_free_unpacked(entry, NULL);
            rc = -1;
            break;
        }
        if (append_ptr(m, f, entry) != 0) {
            protobuf_c_message_free_unpacked(entry, NULL);
            rc = -1;
            break;
        }
    }
    json_decref(obj);
    return rc;
}

const char *pb_get_str(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED ||
        !member_selected(m, f))
        return "";
    const char *s = MEMBER(m, f->offset, const char *);
    return s ? s : "";
}

bool pb_get_bool(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || f->type != PROTOBUF_C_TYPE_BOOL || !member_selected(m, f))
        return false;
    return MEMBER(m, f->offset, protobuf_c_boolean) != 0;
}

uint32_t pb_get_u32(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || (f->type != PROTOBUF_C_TYPE_UINT32 && f->type != PROTOBUF_C_TYPE_FIXED32) ||
        !member_selected(m, f))
        return 0;
    return MEMBER(m, f->offset, uint32_t);
}

int32_t pb_get_i32(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || (f->type != PROTOBUF_C_TYPE_INT32 && f->type != PROTOBUF_C_TYPE_SINT32 &&
               f->type != PROTOBUF_C_TYPE_ENUM) ||
        !member_selected(m, f))
        return 0;
    return MEMBER(m, f->offset, int32_t);
}

const ProtobufCMessage *pb_get_msg(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f || f->type != PROTOBUF_C_TYPE_MESSAGE || f->label == PROTOBUF_C_LABEL_REPEATED ||
        !member_selected(m, f))
        return NULL;
    return MEMBER(m, f->offset, const ProtobufCMessage *);
}

bool pb_has(const ProtobufCMessage *m, const char *field)
{
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (!f)
        return false;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        return member_selected(m, f);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED)
        return MEMBER(m, f->offset, const void *) != NULL;
    return true;
}

char *pb_map_to_json(const ProtobufCMessage *m, const char *field)
{
    json_t *obj = json_object();
    const ProtobufCFieldDescriptor *f = field_of(m, field);
    if (f && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label == PROTOBUF_C_LABEL_REPEATED) {
        size_t n = MEMBER(m, f->quantifier_offset, size_t);
        ProtobufCMessage **arr = MEMBER(m, f->offset, ProtobufCMessage **);
        for (size_t i = 0; i < n; i++)
            json_object_set_new(obj, pb_get_str(arr[i], "key"), json_string(pb_get_str(arr[i], "value")));
    }
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(obj);
    return s;
}

const char *pb_oneof_selected(const ProtobufCMessage *m, const char *any_member)
{
    const ProtobufCFieldDescriptor *f = field_of(m, any_member);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
        return NULL;
    uint32_t id = MEMBER(m, f->quantifier_offset, uint32_t);
    if (id == 0)
        return NULL;
    const ProtobufCFieldDescriptor *sel = protobuf_c_message_descriptor_get_field(m->descriptor, id);
    return sel ? sel->name : NULL;
}
