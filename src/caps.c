/* caps.c: capability sets through libcap and prctl(2). */
#define _GNU_SOURCE
#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "log.h"

/* Capabilities this kernel knows: 0..last. Spec names beyond it (a newer
 * libcap than kernel) are ignored, as runc does. */
static int
last_cap (void)
{
  int max = (int) cap_max_bits ();

  return (max > 64 ? 64 : max) - 1;
}

static bool
has_cap (uint64_t set, int cap)
{
  return (set >> cap) & 1;
}

int
urun_caps_limit_bounding (const struct urun_capabilities *caps,
                          struct urun_error *err)
{
  for (int cap = 0; cap <= last_cap (); cap++)
    if (!has_cap (caps->bounding, cap) && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0
        && errno != EINVAL)
      return urun_set_error (err, errno, "drop capability %d from the bounding set", cap);
  return 0;
}

static void
set_flags (cap_t c, cap_flag_t flag, uint64_t set)
{
  for (int cap = 0; cap <= last_cap (); cap++)
    if (has_cap (set, cap))
      {
        cap_value_t v = cap;
        cap_set_flag (c, flag, 1, &v, CAP_SET);
      }
}

/* What this process can still grant: its permitted set within its bounding
 * set. A new user namespace starts with both full (user_namespaces(7)), but
 * without one they are whatever urun was started with: some hosts (this
 * kind of VM: no CAP_SYS_RESOURCE) and nested containers give less. */
static uint64_t
grantable (void)
{
  cap_t c = cap_get_proc ();
  uint64_t set = 0;

  for (int cap = 0; c != NULL && cap <= last_cap (); cap++)
    {
      cap_flag_value_t v = CAP_CLEAR;

      if (cap_get_flag (c, cap, CAP_PERMITTED, &v) == 0 && v == CAP_SET
          && prctl (PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
        set |= UINT64_C (1) << cap;
    }
  cap_free (c);
  return set;
}

/* "Any value which cannot be mapped to a relevant kernel interface, or
 * cannot be granted otherwise MUST be logged as a warning by the runtime.
 * Runtimes SHOULD NOT fail" (runtime-spec config.md, since 1.1). */
static void
warn_not_granted (const struct urun_capabilities *caps, uint64_t missing)
{
  char names[512] = "";
  size_t len = 0;

  if (caps->unknown[0] != '\0')
    urun_warn ("process.capabilities: unknown to this system, ignored: %s", caps->unknown);
  for (int cap = 0; cap <= last_cap () && len < sizeof names; cap++)
    if (has_cap (missing, cap))
      {
        char *name = cap_to_name (cap); /* "cap_chown": the spec's is CAP_CHOWN */
        int n = snprintf (names + len, sizeof names - len, "%s%s", len ? "," : "",
                          name ? name : "?");

        cap_free (name);
        for (size_t i = len; n > 0 && i < sizeof names && names[i] != '\0'; i++)
          names[i] = (char) toupper ((unsigned char) names[i]);
        len += n > 0 ? (size_t) n : 0;
      }
  if (len > 0)
    urun_warn ("process.capabilities: cannot be granted (outside the bounding set, or not held by urun), so left out: %s", names);
}

int
urun_caps_apply (const struct urun_capabilities *wanted, struct urun_error *err)
{
  struct urun_capabilities granted = *wanted;
  const struct urun_capabilities *caps = &granted;
  const uint64_t can = grantable ();
  cap_t c;
  int r;

  warn_not_granted (wanted, (wanted->effective | wanted->permitted | wanted->inheritable
                             | wanted->ambient) & ~can);
  granted.effective &= can;
  granted.permitted &= can;
  granted.inheritable &= can;
  granted.ambient &= can;
  c = cap_init ();
  if (c == NULL)
    return urun_set_error (err, errno, "allocate capability state");
  set_flags (c, CAP_EFFECTIVE, caps->effective);
  set_flags (c, CAP_PERMITTED, caps->permitted);
  set_flags (c, CAP_INHERITABLE, caps->inheritable);
  r = cap_set_proc (c);
  cap_free (c);
  if (r < 0)
    return urun_set_error (err, errno, "set capabilities");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return urun_set_error (err, errno, "clear ambient capabilities");
  /* An ambient capability must also be permitted and inheritable;
   * capabilities(7). */
  for (int cap = 0; cap <= last_cap (); cap++)
    if (has_cap (caps->ambient, cap)
        && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return urun_set_error (err, errno, "raise ambient capability %d (it must be permitted and inheritable too)", cap);
  return 0;
}
