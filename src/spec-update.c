/* spec-update.c: `update --resources FILE` — a linux.resources object on
 * its own, read by the same parser as config.json's. */
#define _GNU_SOURCE
#include "spec-update.h"

#include <stdlib.h>

#include "spec-parse.h"

void
urun_free_resources (struct urun_resources *r)
{
  if (r == NULL)
    return;
  spec_free_resources (r);
  free (r);
}

static void
resources_release (struct urun_resources **r)
{
  urun_free_resources (*r);
}

struct urun_resources *
urun_parse_resources (const char *json, size_t len, const char *name,
                      struct urun_error *err)
{
  cleanup_yajl yajl_val tree = NULL;
  __attribute__ ((cleanup (resources_release))) struct urun_resources *r = NULL;
  struct spec_ctx c = { .name = name, .err = err };

  tree = spec_parse_tree (json, len, name, err);
  if (tree == NULL)
    return NULL;
  r = calloc (1, sizeof *r);
  if (r == NULL)
    {
      spec_fail_oom (&c);
      return NULL;
    }
  if (spec_parse_resources (&c, tree, r) < 0)
    return NULL;
  return TAKE_PTR (r);
}
