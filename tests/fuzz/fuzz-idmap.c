/* fuzz-idmap.c: the ID mappings of a config.json — the validator
 * (urun_check_id_mappings, urun_check_mapped_ids) and the text written to
 * uid_map/gid_map (urun_format_id_map), whose lines must match the spec. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "spec.h"
#include "../../userns/idmap.h"
#include "../../userns/mappings.h"

/* The text has one "C H N\n" line per mapping, nothing else. */
static void
check_map_text (const struct urun_id_mapping *map, size_t n)
{
  char *text = urun_format_id_map (map, n);
  const char *p = text;

  for (size_t i = 0; i < n; i++)
    {
      unsigned c, h, s;
      int used = 0;
      if (sscanf (p, "%u %u %u\n%n", &c, &h, &s, &used) != 3 || used == 0
          || c != map[i].container_id || h != map[i].host_id || s != map[i].size)
        __builtin_trap ();
      p += used;
    }
  if (*p != '\0')
    __builtin_trap ();
  free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct urun_error err = URUN_ERROR_INIT;
  struct urun_spec *spec;

  spec = urun_parse_spec ((const char *) data, size, "config.json", &err);
  if (spec == NULL)
    {
      urun_clear_error (&err);
      return 0;
    }
  if (urun_check_id_mappings (spec, &err) < 0 && err.msg == NULL)
    __builtin_trap ();
  urun_clear_error (&err);
  if (urun_check_mapped_ids (spec, &err) < 0 && err.msg == NULL)
    __builtin_trap ();
  urun_clear_error (&err);
  check_map_text (spec->linux_.uid_mappings, spec->linux_.n_uid_mappings);
  check_map_text (spec->linux_.gid_mappings, spec->linux_.n_gid_mappings);
  urun_free_spec (spec);
  return 0;
}
