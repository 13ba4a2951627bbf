/* test-units.c: the small pure functions — signals, IDs, maps, mount options. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "../../userns/idmap.h"
#include "mount-options.h"
#include "signals.h"
#include "state.h"
#include "tap.h"

static void
test_signals (void)
{
  tap_ok (urun_parse_signal ("TERM") == SIGTERM, "TERM");
  tap_ok (urun_parse_signal ("SIGKILL") == SIGKILL, "SIGKILL");
  tap_ok (urun_parse_signal ("sigusr1") == SIGUSR1, "names are case-insensitive");
  tap_ok (urun_parse_signal ("9") == 9, "a number");
  tap_ok (urun_parse_signal ("RTMIN+2") == SIGRTMIN + 2, "RTMIN+2");
  tap_ok (urun_parse_signal ("RTMAX-1") == SIGRTMAX - 1, "RTMAX-1");
  tap_ok (urun_parse_signal ("FOO") == -1, "unknown name");
  tap_ok (urun_parse_signal ("0") == -1, "0 is not a signal");
  tap_ok (urun_parse_signal ("65") == -1, "past the last signal");
  tap_ok (urun_parse_signal ("-9") == -1, "negative");
  tap_ok (urun_parse_signal ("") == -1, "empty");
}

static bool
id_ok (const char *id)
{
  struct urun_error err = URUN_ERROR_INIT;
  int r = urun_state_check_id (id, &err);

  urun_clear_error (&err);
  return r == 0;
}

static void
test_ids (void)
{
  char long_id[300];

  memset (long_id, 'a', sizeof long_id - 1);
  long_id[sizeof long_id - 1] = '\0';
  tap_ok (id_ok ("web-1_2.3+x"), "letters, digits and _.+- are fine");
  tap_ok (!id_ok ("a/b"), "a slash is refused");
  tap_ok (!id_ok (".."), "`..` is refused");
  tap_ok (!id_ok ("."), "`.` is refused");
  tap_ok (!id_ok (""), "empty is refused");
  tap_ok (!id_ok (long_id), "299 characters are refused");
  tap_ok (!id_ok ("a b"), "a space is refused");
}

static void
test_id_map (void)
{
  struct urun_id_mapping m[] = { { 0, 1000, 1 }, { 1, 100000, 65536 } };
  char *text = urun_format_id_map (m, 2);

  tap_ok (strcmp (text, "0 1000 1\n1 100000 65536\n") == 0, "id map text");
  free (text);
}

static void
test_mount_options (void)
{
  char *opts[] = { "rbind", "ro", "nosuid", "relatime", "rprivate", "mode=755", "size=1k", "rw" };
  struct urun_mount_options o;
  struct urun_error err = URUN_ERROR_INIT;

  tap_ok (urun_parse_mount_options (opts, 8, &o, &err) == 0, "mount options parse");
  tap_ok (o.is_bind && o.is_recursive, "rbind is a recursive bind");
  tap_ok (!(o.attr_set & MOUNT_ATTR_RDONLY) && (o.attr_clr & MOUNT_ATTR_RDONLY), "a later rw overrides ro");
  tap_ok (o.attr_set & MOUNT_ATTR_NOSUID, "nosuid");
  tap_ok ((o.attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_RELATIME && (o.attr_clr & MOUNT_ATTR__ATIME), "relatime sets the atime field");
  tap_ok (o.propagation == MS_PRIVATE && o.propagation_recursive, "rprivate");
  tap_ok (o.n_fs_params == 2 && strcmp (o.fs_params[0], "mode=755") == 0, "filesystem parameters kept in order");
  urun_free_mount_options (&o);
}

int
main (void)
{
  test_signals ();
  test_ids ();
  test_id_map ();
  test_mount_options ();
  return tap_done ();
}
