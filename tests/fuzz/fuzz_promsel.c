/* fuzz_promsel: libFuzzer target of the PromQL series-selector parser
 * (common/promsel.c), which decides what access-control filters reach
 * VictoriaMetrics. An input is a selector text. Whatever it is, parsing
 * must not crash, leak or read out of bounds; a selector it accepts must
 * say the same thing once written back: every matcher rendered with
 * double quotes and escapes parses again to the same names, operators and
 * values. tests/unit/test_promsel.c replays its seeds through this
 * function and runs the fuzzer briefly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/promsel.h"

static size_t render(const promsel *p, char *out)
{
    static const char *const ops[] = { "=", "!=", "=~", "!~" };
    size_t o = 0;
    out[o++] = '{';
    for (size_t i = 0; i < p->n; i++) {
        o += (size_t)sprintf(out + o, "%s%s%s\"", i ? ", " : "", p->m[i].name, ops[p->m[i].op]);
        for (const unsigned char *c = (const unsigned char *)p->m[i].value; *c; c++) {
            if (*c == '"' || *c == '\\')
                o += (size_t)sprintf(out + o, "\\%c", *c);
            else if (*c < 0x20 || *c >= 0x7f)
                o += (size_t)sprintf(out + o, "\\x%02x", *c);
            else
                out[o++] = (char)*c;
        }
        out[o++] = '"';
    }
    out[o++] = '}';
    out[o] = '\0';
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    promsel p;
    char err[128];
    if (promsel_parse((const char *)data, size, &p, err, sizeof err) != 0) {
        if (!err[0])
            abort(); /* a refusal always says why */
        return 0;
    }
    if (p.n == 0)
        abort();
    size_t cap = 8;
    for (size_t i = 0; i < p.n; i++)
        cap += strlen(p.m[i].name) + 4 * strlen(p.m[i].value) + 16;
    char *text = malloc(cap);
    if (!text)
        abort();
    size_t len = render(&p, text);
    promsel q;
    if (promsel_parse(text, len, &q, err, sizeof err) != 0 || q.n != p.n)
        abort();
    for (size_t i = 0; i < p.n; i++)
        if (strcmp(p.m[i].name, q.m[i].name) != 0 || p.m[i].op != q.m[i].op || strcmp(p.m[i].value, q.m[i].value) != 0)
            abort();
    promsel_free(&q);
    promsel_free(&p);
    free(text);
    return 0;
}
