/* convert: pmm-agent buckets into qan.v1 buckets (see convert.h). */
#include "convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct qconv {
    Qan__V1__MetricsBucket mb;
    Qan__V1__MetricsBucket__LabelsEntry *labels;
    Qan__V1__MetricsBucket__LabelsEntry **label_ptrs;
    Qan__V1__MetricsBucket__ErrorsEntry *errors;
    Qan__V1__MetricsBucket__ErrorsEntry **error_ptrs;
    char **histogram;
    size_t n_histogram;
};

static int listed(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

/* Fields of src whose name, type and label dst has too; upstream assigns
 * them one by one with the same names. */
static void copy_same_names(const ProtobufCMessage *src, ProtobufCMessage *dst, const char *const *skip)
{
    const ProtobufCMessageDescriptor *sd = src->descriptor;
    for (unsigned i = 0; i < sd->n_fields; i++) {
        const ProtobufCFieldDescriptor *sf = &sd->fields[i];
        if (listed(skip, sf->name))
            continue;
        const ProtobufCFieldDescriptor *df = protobuf_c_message_descriptor_get_field_by_name(dst->descriptor, sf->name);
        if (!df || df->type != sf->type || df->label != sf->label || sf->type == PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *sp = (const char *)src + sf->offset;
        char *dp = (char *)dst + df->offset;
        if (sf->label == PROTOBUF_C_LABEL_REPEATED) {
            if (sf->type != PROTOBUF_C_TYPE_STRING)
                continue;
            memcpy((char *)dst + df->quantifier_offset, (const char *)src + sf->quantifier_offset, sizeof(size_t));
            char **strings;
            memcpy(&strings, sp, sizeof strings);
            memcpy(dp, &strings, sizeof strings);
            continue;
        }
        switch (sf->type) {
        case PROTOBUF_C_TYPE_FLOAT:
            memcpy(dp, sp, sizeof(float));
            break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_ENUM: /* ExampleType: the same numbers in both packages */
        case PROTOBUF_C_TYPE_BOOL:
            memcpy(dp, sp, sizeof(int32_t));
            break;
        case PROTOBUF_C_TYPE_STRING: {
            char *str;
            memcpy(&str, sp, sizeof str);
            memcpy(dp, &str, sizeof str);
            break;
        }
        default:
            break;
        }
    }
}

const char *qconv_agent_id(const char *id)
{
    static const char prefix[] = "/agent_id/";
    return strncmp(id, prefix, sizeof prefix - 1) == 0 ? id + sizeof prefix - 1 : id;
}

/* Go's json string escaping (encoding/json with HTML escaping). */
static void go_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '<': case '>': case '&': fprintf(f, "\\u%04x", *p); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

char *qconv_histogram_json(const char *range, uint32_t frequency)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fputc('{', f);
    if (range && *range) {
        fputs("\"range\":", f);
        go_quote(f, range);
    }
    if (frequency)
        fprintf(f, "%s\"frequency\":%u", range && *range ? "," : "", frequency);
    fputc('}', f);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

static const char *label_str(json_t *labels, const char *name)
{
    const char *v = json_string_value(json_object_get(labels, name));
    return v ? v : "";
}

static int fill_labels(qconv *c, const Agent__V1__MetricsBucket__Common *cm, const qan_target *t)
{
    Qan__V1__MetricsBucket *mb = &c->mb;
    /* ordered as the fields of MetricsBucket */
    static const char *const fields[] = { "machine_id", "container_id", "container_name", "node_model", "region",
                                          "az", "environment", "cluster", "replication_set", NULL };
    char **targets[] = { &mb->machine_id, &mb->container_id, &mb->container_name, &mb->node_model, &mb->region,
                         &mb->az, &mb->environment, &mb->cluster, &mb->replication_set };
    for (size_t i = 0; fields[i]; i++)
        *targets[i] = (char *)label_str(t->labels, fields[i]);
    static const char *const dropped[] = { "agent_id", "agent_type", "service_id", "service_type", "service_name",
                                           "node_id", "node_type", "node_name", NULL };
    size_t n_comments = cm ? cm->n_comments : 0, cap = json_object_size(t->labels) + n_comments, n = 0;
    c->labels = calloc(cap ? cap : 1, sizeof *c->labels);
    c->label_ptrs = calloc(cap ? cap : 1, sizeof *c->label_ptrs);
    if (!c->labels || !c->label_ptrs)
        return -1;
    const char *key;
    json_t *value;
    json_object_foreach(t->labels, key, value) {
        if (listed(fields, key) || listed(dropped, key) || !json_is_string(value))
            continue;
        int overridden = 0;
        for (size_t i = 0; i < n_comments && !overridden; i++)
            overridden = strcmp(cm->comments[i]->key, key) == 0;
        if (overridden)
            continue;
        qan__v1__metrics_bucket__labels_entry__init(&c->labels[n]);
        c->labels[n].key = (char *)key;
        c->labels[n].value = (char *)json_string_value(value);
        n++;
    }
    for (size_t i = 0; i < n_comments; i++) {
        /* a map entry repeated on the wire: the last one wins, as in Go's map */
        size_t j = 0;
        while (j < n && strcmp(c->labels[j].key, cm->comments[i]->key) != 0)
            j++;
        if (j == n) {
            qan__v1__metrics_bucket__labels_entry__init(&c->labels[n]);
            n++;
        }
        c->labels[j].key = cm->comments[i]->key;
        c->labels[j].value = cm->comments[i]->value;
    }
    for (size_t i = 0; i < n; i++)
        c->label_ptrs[i] = &c->labels[i];
    mb->n_labels = n;
    mb->labels = c->label_ptrs;
    return 0;
}

static int fill_postgresql(qconv *c, const Agent__V1__MetricsBucket__PostgreSQL *pg)
{
    static const char *const skip[] = { "m_plan_time_cnt", "histogram_items", NULL };
    Qan__V1__MetricsBucket *mb = &c->mb;
    copy_same_names(&pg->base, &mb->base, skip);
    mb->m_rows_sent_cnt = pg->m_rows_cnt;
    mb->m_rows_sent_sum = pg->m_rows_sum;
    if (!pg->n_histogram_items)
        return 0;
    c->histogram = calloc(pg->n_histogram_items, sizeof *c->histogram);
    if (!c->histogram)
        return -1;
    for (size_t i = 0; i < pg->n_histogram_items; i++) {
        const Agent__V1__HistogramItem *h = pg->histogram_items[i];
        if (!(c->histogram[c->n_histogram] = qconv_histogram_json(h->range, h->frequency)))
            return -1;
        c->n_histogram++;
    }
    mb->n_histogram_items = c->n_histogram;
    mb->histogram_items = c->histogram;
    return 0;
}

qconv *qconv_new(const Agent__V1__MetricsBucket *in, const qan_target *t)
{
    qconv *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    Qan__V1__MetricsBucket *mb = &c->mb;
    qan__v1__metrics_bucket__init(mb);
    const Agent__V1__MetricsBucket__Common *cm = in->common;
    static const char *const common_skip[] = { "agent_id", "num_queries_with_warnings", "comments", "errors", NULL };
    static const char *const none[] = { NULL };
    int rc = 0;
    if (cm) {
        copy_same_names(&cm->base, &mb->base, common_skip);
        if (cm->n_errors) {
            c->errors = calloc(cm->n_errors, sizeof *c->errors);
            c->error_ptrs = calloc(cm->n_errors, sizeof *c->error_ptrs);
            if (!c->errors || !c->error_ptrs)
                rc = -1;
            for (size_t i = 0; rc == 0 && i < cm->n_errors; i++) {
                qan__v1__metrics_bucket__errors_entry__init(&c->errors[i]);
                c->errors[i].key = cm->errors[i]->key;
                c->errors[i].value = cm->errors[i]->value;
                c->error_ptrs[i] = &c->errors[i];
            }
            mb->n_errors = cm->n_errors;
            mb->errors = c->error_ptrs;
        }
    }
    mb->service_name = (char *)t->service_name;
    mb->node_id = (char *)t->node_id;
    mb->node_name = (char *)t->node_name;
    mb->node_type = (char *)t->node_type;
    mb->service_id = (char *)t->service_id;
    mb->service_type = (char *)t->service_type;
    mb->agent_id = (char *)t->agent_id;
    if (rc == 0) {
        if (in->mysql)
            copy_same_names(&in->mysql->base, &mb->base, none);
        else if (in->mongodb)
            copy_same_names(&in->mongodb->base, &mb->base, none);
        else if (in->postgresql)
            rc = fill_postgresql(c, in->postgresql);
    }
    if (rc == 0)
        rc = fill_labels(c, cm, t);
    if (rc != 0) {
        qconv_free(c);
        return NULL;
    }
    return c;
}

Qan__V1__MetricsBucket *qconv_bucket(qconv *c)
{
    return &c->mb;
}

void qconv_free(qconv *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_histogram; i++)
        free(c->histogram[i]);
    free(c->histogram);
    free(c->labels);
    free(c->label_ptrs);
    free(c->errors);
    free(c->error_ptrs);
    free(c);
}
