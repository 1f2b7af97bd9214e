/* config: command-line flags with PMM_* environment overrides and --help.
 * Precedence: built-in default < environment < flag. */
#ifndef PMM_CONFIG_H
#define PMM_CONFIG_H

#include <stdbool.h>

typedef enum { CFG_STRING, CFG_INT, CFG_BOOL } cfg_type;

typedef struct {
    const char *flag;   /* "postgres-addr" for --postgres-addr */
    const char *env;    /* "PMM_POSTGRES_ADDR" or NULL */
    cfg_type type;
    const char *def;    /* default as text ("" / "0" / "false") */
    const char *help;
    void *target;       /* char ** (malloc'd, caller frees) | int * | bool * */
} cfg_option;

/* Fills every target. Returns 0 to go on, 1 when --help was printed (exit 0),
 * -1 on a bad flag or value (message already on stderr, exit 2).
 * opts is terminated by an entry with flag == NULL. */
int cfg_parse(const cfg_option *opts, int argc, char **argv,
              const char *program, const char *summary);

/* Go strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False. */
int cfg_parse_bool(const char *s, bool *out);

/* Frees every CFG_STRING target and sets it to NULL. */
void cfg_free(const cfg_option *opts);

#endif
