/* fdtable.c: see fdtable.h. */
#include "fdtable.h"

#include <stdlib.h>
#include <string.h>

void *
urun_fdtable_reserve (void *table, size_t *n, size_t size, size_t first,
                      int fd)
{
  size_t want = *n ? *n : first;
  char *grown;

  if ((size_t) fd < *n)
    return table;
  while (want <= (size_t) fd)
    want *= 2;
  grown = realloc (table, want * size);
  if (grown == NULL)
    return NULL;
  memset (grown + *n * size, 0, (want - *n) * size);
  *n = want;
  return grown;
}
