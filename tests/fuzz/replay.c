/* Runs a libFuzzer target over files and directories of inputs without
 * libFuzzer: the corpus and every crash ever found replay in the normal
 * test suite, with any compiler.  Exits non-zero when no input was found
 * (a misconfigured test must not pass silently); a failing input aborts. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv) __attribute__ ((weak));

static int
run_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  uint8_t *data;
  long size;

  if (!f) {
    perror (path);
    exit (1);
  }
  fseek (f, 0, SEEK_END);
  size = ftell (f);
  fseek (f, 0, SEEK_SET);
  data = malloc (size > 0 ? size : 1);
  if (!data || (size > 0 && fread (data, 1, size, f) != (size_t) size)) {
    fprintf (stderr, "%s: cannot read\n", path);
    exit (1);
  }
  fclose (f);
  LLVMFuzzerTestOneInput (data, size);
  free (data);
  return 1;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
run_path (const char *path)
{
  struct stat st;
  DIR *d;
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, i;
  int count = 0;

  if (stat (path, &st) != 0) {
    perror (path);
    exit (1);
  }
  if (!S_ISDIR (st.st_mode))
    return run_file (path);
  d = opendir (path);
  if (!d) {
    perror (path);
    exit (1);
  }
  while ((e = readdir (d))) {
    if (e->d_name[0] == '.')
      continue;
    char **grown = realloc (names, (n + 1) * sizeof *names);
    if (!grown) {
      fprintf (stderr, "out of memory\n");
      exit (1);
    }
    names = grown;
    names[n] = malloc (strlen (path) + strlen (e->d_name) + 2);
    if (!names[n]) {
      fprintf (stderr, "out of memory\n");
      exit (1);
    }
    sprintf (names[n], "%s/%s", path, e->d_name);
    n++;
  }
  closedir (d);
  if (n)
    qsort (names, n, sizeof *names, cmp_names);
  for (i = 0; i < n; i++) {
    count += run_path (names[i]);
    free (names[i]);
  }
  free (names);
  return count;
}

int
main (int argc, char **argv)
{
  int i, count = 0;

  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize (&argc, &argv);
  for (i = 1; i < argc; i++)
    count += run_path (argv[i]);
  printf ("%s: %d inputs replayed, no broken promise\n", argv[0], count);
  return count > 0 ? 0 : 1;
}
