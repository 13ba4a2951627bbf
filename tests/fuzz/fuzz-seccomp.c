/* fuzz-seccomp.c: linux.seccomp of a config.json compiled to BPF
 * (urun_parse_spec, then urun_seccomp_prepare), as `create` does before
 * the container exists. */
#include "fuzz.h"

#include "error.h"
#include "seccomp.h"
#include "spec.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_seccomp_program prog = URUN_SECCOMP_PROGRAM_INIT;
  struct urun_spec *spec;

  spec = urun_parse_spec ((const char *) data, size, "config.json", &err);
  if (spec == NULL)
    {
      urun_clear_error (&err);
      return 0;
    }
  if (spec->linux_.has_seccomp)
    {
      int ret = urun_seccomp_prepare (&spec->linux_.seccomp, &prog, &err);
      if ((ret < 0) == (err.msg == NULL))
        __builtin_trap ();
      if (ret == 0 && prog.len == 0)
        __builtin_trap ();
      urun_seccomp_free (&prog);
      urun_clear_error (&err);
    }
  urun_free_spec (spec);
  return 0;
}
