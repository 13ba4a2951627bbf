/* caps.c: capability sets through libcap and prctl(2). */
#define _GNU_SOURCE
#include "caps.h"

#include <errno.h>
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

int
urun_caps_apply (const struct urun_capabilities *caps, struct urun_error *err)
{
  cap_t c = cap_init ();
  int r;

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
