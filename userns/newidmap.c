/* newidmap.c: locating newuidmap/newgidmap and checking their privileges. */
#define _GNU_SOURCE
#include "newidmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "../src/utils.h"

static const struct
{
  const char *name;
  const char *env;
  cap_value_t cap;
  const char *cap_name;
} tools[] = {
  [URUN_NEWUIDMAP] = { "newuidmap", "URUN_TEST_NEWUIDMAP", CAP_SETUID, "cap_setuid" },
  [URUN_NEWGIDMAP] = { "newgidmap", "URUN_TEST_NEWGIDMAP", CAP_SETGID, "cap_setgid" },
};

const char *
urun_idmap_tool_name (enum urun_idmap_tool tool)
{
  return tools[tool].name;
}

bool
urun_find_idmap_tool (enum urun_idmap_tool tool, char *buf, size_t size)
{
  static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin" };
  const char *override = getenv (tools[tool].env);

  if (override && *override)
    {
      snprintf (buf, size, "%s", override);
      return urun_is_executable (buf);
    }
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      snprintf (buf, size, "%s/%s", dirs[i], tools[tool].name);
      if (urun_is_executable (buf))
        return true;
    }
  *buf = '\0';
  return false;
}

/* The file capability CAP in both the permitted and effective sets (the
 * xattr security.capability; a helper without the effective bit would have
 * to raise it itself, which shadow's do not). capabilities(7) */
static bool
has_file_capability (const char *path, cap_value_t cap)
{
  cap_t caps = cap_get_file (path);
  cap_flag_value_t permitted = CAP_CLEAR, effective = CAP_CLEAR;

  if (caps == NULL)
    return false; /* ENODATA: no capabilities at all */
  cap_get_flag (caps, cap, CAP_PERMITTED, &permitted);
  cap_get_flag (caps, cap, CAP_EFFECTIVE, &effective);
  cap_free (caps);
  return permitted == CAP_SET && effective == CAP_SET;
}

const char *
urun_idmap_tool_cap (enum urun_idmap_tool tool)
{
  return tools[tool].cap_name;
}

enum urun_idmap_tool_state
urun_probe_idmap_tool (enum urun_idmap_tool tool, char *path, size_t size)
{
  struct statvfs vfs;
  struct stat st;

  if (!urun_find_idmap_tool (tool, path, size) || stat (path, &st) < 0)
    return URUN_IDMAP_MISSING;
  /* A nosuid mount ignores the bit and file capabilities alike. mount(2) */
  if (statvfs (path, &vfs) == 0 && (vfs.f_flag & ST_NOSUID))
    return URUN_IDMAP_NOSUID;
  if ((st.st_mode & S_ISUID) && st.st_uid == 0)
    return URUN_IDMAP_SETUID;
  if (has_file_capability (path, tools[tool].cap))
    return URUN_IDMAP_FILE_CAPS;
  return URUN_IDMAP_UNPRIVILEGED;
}

int
urun_check_idmap_tool (enum urun_idmap_tool tool, const char **how,
                       struct urun_error *err)
{
  const char *name = tools[tool].name;
  const char *cap = tools[tool].cap_name;
  char path[256];

  switch (urun_probe_idmap_tool (tool, path, sizeof path))
    {
    case URUN_IDMAP_SETUID:
      *how = "setuid root";
      return 0;
    case URUN_IDMAP_FILE_CAPS:
      *how = "file capabilities";
      return 0;
    case URUN_IDMAP_MISSING:
      if (*path)
        return urun_set_error (err, 0,
                               "`%s` not found at `%s` ($%s): a user namespace with more than your own ID needs it (Debian package `uidmap`)",
                               name, path, tools[tool].env);
      return urun_set_error (err, 0,
                             "`%s` not found: a user namespace with more than your own ID needs it (Debian package `uidmap`)",
                             name);
    case URUN_IDMAP_NOSUID:
      return urun_set_error (err, 0, "`%s` is on a nosuid mount, which ignores its privileges: it cannot map IDs", path);
    case URUN_IDMAP_UNPRIVILEGED:
      break;
    }
  return urun_set_error (err, 0,
                         "`%s` is neither setuid root nor has the file capability %s, so it cannot map IDs "
                         "(fix as root: `chmod u+s %s` or `setcap %s+ep %s`; see `urun check`)",
                         path, cap, path, cap, path);
}
