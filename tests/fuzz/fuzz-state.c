/* fuzz-state.c: a container's state.json as `state`, `kill`, `delete` and
 * `list` read it (urun_state_read), written into a private directory. */
#include "fuzz.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"
#include "state.h"

static int dir_fd = -1;
static char dir_path[] = "/tmp/urun-fuzz-state.XXXXXX";

static void
remove_dir (void)
{
  unlinkat (dir_fd, "state.json", 0);
  rmdir (dir_path);
}

static void
open_dir (void)
{
  if (mkdtemp (dir_path) == NULL)
    abort ();
  dir_fd = open (dir_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dir_fd < 0)
    abort ();
  atexit (remove_dir);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_state state;
  int fd;

  if (dir_fd < 0)
    open_dir ();
  fd = openat (dir_fd, "state.json", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    abort ();
  if (write (fd, data, size) != (ssize_t) size)
    abort ();
  close (fd);

  if (urun_state_read (dir_fd, &state, &err) == 0)
    {
      /* No pid only while a create runs (its creator known). */
      if (err.msg != NULL || state.id == NULL || state.pid < 0
          || (state.pid == 0 && state.creator <= 0))
        __builtin_trap ();
      urun_state_free (&state);
    }
  else if (err.msg == NULL)
    __builtin_trap ();
  urun_clear_error (&err);
  return 0;
}
