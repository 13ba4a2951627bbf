/* fuzz-spec.c: config.json -> struct urun_spec (urun_parse_spec), with the
 * input as the bundle's whole config.json. */
#include "fuzz.h"

#include "error.h"
#include "spec.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_spec *spec;

  spec = urun_parse_spec ((const char *) data, size, "config.json", &err);
  /* Exactly one of a spec and an error (STYLE.md: err set once). */
  if ((spec == NULL) == (err.msg == NULL))
    __builtin_trap ();
  urun_free_spec (spec);
  urun_clear_error (&err);
  return 0;
}
