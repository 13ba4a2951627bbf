/* newidmap.h: shadow's newuidmap and newgidmap — where they are and whether
 * they can write a map for us (setuid root, or a file capability). */
#ifndef URUN_NEWIDMAP_H
#define URUN_NEWIDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "../src/error.h"

enum urun_idmap_tool
{
  URUN_NEWUIDMAP,
  URUN_NEWGIDMAP,
};

/* "newuidmap" or "newgidmap". */
const char *urun_idmap_tool_name (enum urun_idmap_tool tool);

/* The helper's path: $URUN_TEST_NEWUIDMAP / $URUN_TEST_NEWGIDMAP when set
 * (tests: a path that does not exist simulates a host without it), else the first
 * executable in /usr/bin, /usr/sbin, /bin, /sbin, /usr/local/bin — fixed
 * directories, not $PATH: the helper runs with privileges. Returns false
 * (and the override or "" in BUF) when it is missing. */
bool urun_find_idmap_tool (enum urun_idmap_tool tool, char *buf, size_t size);

/* What the helper is, for `urun check`. */
enum urun_idmap_tool_state
{
  URUN_IDMAP_MISSING,
  URUN_IDMAP_UNPRIVILEGED, /* neither setuid root nor the file capability */
  URUN_IDMAP_NOSUID,       /* setuid root, on a nosuid mount */
  URUN_IDMAP_SETUID,
  URUN_IDMAP_FILE_CAPS,
};

/* Find the helper (its path, or what was tried, in PATH) and say which. */
enum urun_idmap_tool_state urun_probe_idmap_tool (enum urun_idmap_tool tool,
                                                  char *path, size_t size);

/* "cap_setuid" or "cap_setgid". */
const char *urun_idmap_tool_cap (enum urun_idmap_tool tool);

/* Can the helper map IDs for us? It must be setuid root, or carry the file
 * capability it needs (cap_setuid for newuidmap, cap_setgid for
 * newgidmap, as Fedora ships them). On success *HOW says which ("setuid
 * root" or "file capabilities"); the error says which is missing and how
 * to fix it. */
int urun_check_idmap_tool (enum urun_idmap_tool tool, const char **how,
                           struct urun_error *err);

#endif
