/* fuzz-common.c: helpers for the harnesses. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

char *
fuzz_strndup (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);

  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}
