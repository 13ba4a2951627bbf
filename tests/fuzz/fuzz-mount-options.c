/* fuzz-mount-options.c: OCI mount options (urun_parse_mount_options); the
 * input is the options array, one option per line (at most 64). */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mount-options.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_mount_options opts;
  char *text = fuzz_strndup (data, size);
  char *options[64];
  size_t n = 0;

  /* Empty lines stay: an empty option is one of the errors. */
  for (char *o = text; o != NULL && n < 64;)
    {
      char *nl = strchr (o, '\n');
      if (nl != NULL)
        *nl = '\0';
      options[n++] = o;
      o = nl != NULL ? nl + 1 : NULL;
    }

  memset (&opts, 0, sizeof opts);
  if (urun_parse_mount_options (options, n, &opts, &err) == 0)
    {
      if (err.msg != NULL || opts.n_fs_params > n)
        __builtin_trap ();
      for (size_t i = 0; i < opts.n_fs_params; i++)
        if (opts.fs_params[i] == NULL)
          __builtin_trap ();
      if (opts.fs_params != NULL && opts.fs_params[opts.n_fs_params] != NULL)
        __builtin_trap ();
    }
  else if (err.msg == NULL)
    __builtin_trap ();
  /* The caller frees on failure too (as mounts.c does). */
  urun_free_mount_options (&opts);
  urun_clear_error (&err);
  free (text);
  return 0;
}
