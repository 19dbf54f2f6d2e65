/* config.h - the YAML configuration file (docs/config.md): named inputs,
 * named outputs, rules that route messages from inputs to outputs
 * (src/rules), the global knobs the CLI also sets, and the control section.
 * It builds the same struct tr_engine_conf the command line builds.
 *
 * The loader fails loudly and early: every error is one line
 * "FILE:LINE: KEY: expected ..., got ..." (KEY a dotted path such as
 * outputs.homer.capture_id or rules[2].match.status); unknown keys,
 * duplicate keys, wrong types and out-of-range values are errors.
 */
#ifndef TRAWL_CONFIG_H
#define TRAWL_CONFIG_H

#include "../core/core.h"
#include "../engine/engine.h"
#include "../rules/rules.h"

/* Owns every string the engine conf points into, and the compiled rules. */
struct tr_config;

/* Loads and checks a file (Lua rule scripts are loaded once too, so a script
 * that does not compile fails here). Returns owned; NULL with err set
 * (code -TR_E_CONFIG; -TR_E_IO if the file cannot be read; -TR_E_NOMEM). */
struct tr_config *tr_config_load_file(const char *path, struct tr_err *err);

/* The same from memory; name stands for the file in messages. Relative Lua
 * script paths are taken from the current directory. */
struct tr_config *tr_config_load_string(const char *name, const char *text, size_t len,
                                        struct tr_err *err);

/* The engine configuration (borrowed: lives as long as c). Its rules
 * pointer is NULL when the file has no rules: section. */
const struct tr_engine_conf *tr_config_engine(const struct tr_config *c);

void tr_config_free(struct tr_config *c); /* accepts NULL */

#endif
