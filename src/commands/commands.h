/* commands.h: one function per CLI verb; each parses its own options and
 * calls one function of the runtime. */
#ifndef URUN_COMMANDS_H
#define URUN_COMMANDS_H

#include <stdbool.h>

#include "../container.h"
#include "../error.h"

struct urun_global
{
  struct urun_context ctx;
  const char *log_path;
  bool log_json;
  bool debug;
  const char *criu_path; /* --criu */
};

/* Returns the exit status (>= 0), or < 0 with ERR set. ARGV[0] is the verb. */
typedef int (*urun_command_fn) (struct urun_global *g, int argc, char **argv,
                                struct urun_error *err);

int urun_cmd_create (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_run (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_exec (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_start (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_state (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_kill (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_delete (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_list (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_ps (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_pause (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_resume (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_update (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_checkpoint (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_restore (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_spec (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_features (struct urun_global *g, int argc, char **argv, struct urun_error *err);
int urun_cmd_check (struct urun_global *g, int argc, char **argv, struct urun_error *err);

/* Shared by the verbs: "urun VERB: usage" errors and positional checks. */
int urun_usage_error (const char *verb, const char *usage, const char *what,
                      struct urun_error *err);

/* Print HELP when argv asks for it; returns true then. */
bool urun_wants_help (int argc, char **argv, const char *help);

/* For verbs whose only argument is the container ID: *ID = it, or a usage
 * error. */
int urun_one_id (const char *verb, const char *help, int argc, char **argv,
                 const char **id, struct urun_error *err);

#endif
