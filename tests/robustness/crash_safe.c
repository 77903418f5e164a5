/* Crash safety of the stats-file: a child process saves the statistics
 * over and over (stats=frozen, a new seed each time, EOS saves), and is
 * killed with SIGKILL at a random moment, many times.  After every kill the
 * file must be a complete version the child wrote: the last one it
 * finished saving, or the one it was saving when it died; never a partial
 * or mixed file.  At the end the element itself loads the survivor, and
 * the next start removes the temporary files that killed saves left
 * behind (made older than a minute here), and no other file.
 *
 *   crash_safe [KILLS] [SEED]     (default 60 kills)
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>

#define CHANNELS 3

static void
values_for (gint64 k, gdouble * mean, gdouble * var)
{
  guint c;

  for (c = 0; c < CHANNELS; c++) {
    mean[c] = (gdouble) k + 0.25 * c;   /* exact in binary and in text */
    var[c] = 0.5 * (gdouble) k + c;
  }
}

static void
set_doubles (GstElement * el, const gchar * name, const gdouble * d)
{
  GValue v = G_VALUE_INIT;
  guint c;

  g_value_init (&v, GST_TYPE_ARRAY);
  for (c = 0; c < CHANNELS; c++) {
    GValue x = G_VALUE_INIT;
    g_value_init (&x, G_TYPE_DOUBLE);
    g_value_set_double (&x, d[c]);
    gst_value_array_append_and_take_value (&v, &x);
  }
  g_object_set_property (G_OBJECT (el), name, &v);
  g_value_unset (&v);
}

static void
report (int fd, char what, gint64 k)
{
  gchar line[32];
  gint n = g_snprintf (line, sizeof line, "%c %" G_GINT64_FORMAT "\n", what,
      k);
  if (write (fd, line, n) != n)
    _exit (3);
}

/* The child: saves versions k, k + 1, ... until it is killed. */
static void
child (const gchar * path, gint64 k, int fd)
{
  GstElement *el;
  GstHarness *h;
  GstSegment seg;
  const gchar *caps = "audio/x-raw,format=F32LE,rate=48000,channels=3,"
      "layout=interleaved";
  gdouble mean[CHANNELS], var[CHANNELS];

  gst_init (NULL, NULL);
  el = gst_element_factory_make ("r128norm", NULL);
  if (!el)
    _exit (2);
  g_object_set (el, "stats-file", path, "stats", 2 /* frozen */ , NULL);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_sink_caps_str (h, caps);
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_stream_start ("crash"));
  {
    GstCaps *c = gst_caps_from_string (caps);
    gst_harness_push_event (h, gst_event_new_caps (c));
    gst_caps_unref (c);         /* the event holds its own reference */
  }
  report (fd, 'R', 0);          /* ready: the kills may begin */
  for (;; k++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 4 * CHANNELS * 32, NULL);
    gst_buffer_memset (buf, 0, 0, 4 * CHANNELS * 32);
    values_for (k, mean, var);
    set_doubles (h->element, "running-mean", mean);
    set_doubles (h->element, "running-var", var);
    gst_harness_push_event (h, gst_event_new_flush_start ());
    gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
    gst_harness_push_event (h, gst_event_new_segment (&seg));
    if (gst_harness_push (h, buf) != GST_FLOW_OK)
      _exit (4);
    report (fd, 'B', k);
    gst_harness_push_event (h, gst_event_new_eos ());  /* saves */
    report (fd, 'D', k);
    while ((buf = gst_harness_try_pull (h)))
      gst_buffer_unref (buf);
  }
}

/* The version a complete file holds, or -1 for anything else. */
static gint64
version_in_file (const gchar * path, gchar ** why)
{
  GKeyFile *kf = g_key_file_new ();
  GError *err = NULL;
  gdouble *mean = NULL, *var = NULL, m[CHANNELS], v[CHANNELS];
  gsize n_mean = 0, n_var = 0;
  gint64 k = -1;
  guint c;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &err)) {
    *why = g_strdup (err->message);
    goto out;
  }
  if (g_key_file_get_integer (kf, "r128norm", "version", NULL) != 1
      || g_key_file_get_integer (kf, "r128norm", "channels", NULL)
      != CHANNELS) {
    *why = g_strdup ("wrong version or channel count");
    goto out;
  }
  mean = g_key_file_get_double_list (kf, "r128norm", "mean", &n_mean, NULL);
  var = g_key_file_get_double_list (kf, "r128norm", "var", &n_var, NULL);
  if (n_mean != CHANNELS || n_var != CHANNELS) {
    *why = g_strdup ("incomplete lists");
    goto out;
  }
  values_for ((gint64) mean[0], m, v);
  for (c = 0; c < CHANNELS; c++) {
    if (mean[c] != m[c] || var[c] != v[c]) {
      *why = g_strdup_printf ("channel %u does not belong to version %g", c,
          mean[0]);
      goto out;
    }
  }
  k = (gint64) mean[0];
out:
  g_clear_error (&err);
  g_free (mean);
  g_free (var);
  g_key_file_unref (kf);
  return k;
}

/* @path's times set two minutes back: older than the start's minute */
static void
make_old (const gchar * path)
{
  struct utimbuf old;

  old.actime = old.modtime = time (NULL) - 120;
  g_utime (path, &old);
}

/* The temporary files of killed saves in @dir, made old; how many. */
static guint
aged_leftovers (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d))) {
    if (g_str_has_prefix (name, "cam.stats.r128norm-save-")) {
      gchar *p = g_build_filename (dir, name, NULL);
      make_old (p);
      g_free (p);
      n++;
    }
  }
  if (d)
    g_dir_close (d);
  return n;
}

/* Files the start must not remove: a user's "cam.stats.backup" (old) and
 * a recent temporary file.  @create: make them, else: are they there? */
static gboolean
user_files (const gchar * dir, gboolean create)
{
  static const gchar *const names[] = { "cam.stats.backup",
    "cam.stats.r128norm-save-recent"
  };
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++) {
    gchar *p = g_build_filename (dir, names[i], NULL);
    if (create) {
      g_file_set_contents (p, "keep", -1, NULL);
      if (i == 0)
        make_old (p);
    } else if (!g_file_test (p, G_FILE_TEST_EXISTS)) {
      fprintf (stderr, "crash_safe: '%s' was removed\n", names[i]);
      ok = FALSE;
    }
    g_free (p);
  }
  return ok;
}

int
main (int argc, char **argv)
{
  guint kills = argc > 1 ? atoi (argv[1]) : 60;
  guint32 seed = argc > 2 ? (guint32) atoi (argv[2]) : (guint32) time (NULL);
  gchar *dir = g_dir_make_tmp ("r128norm-crash-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "cam.stats", NULL);
  GRand *rand = g_rand_new_with_seed (seed);
  gint64 next = 1, last_done = -1;
  guint i, mid_save = 0, leftovers = 0, failures = 0;
  guint64 saves = 0;
  GDir *d;
  const gchar *name;

  printf ("crash_safe: seed %u, %u kills, file %s\n", seed, kills, path);
  for (i = 0; i < kills; i++) {
    int fds[2];
    pid_t pid;
    gint64 begun = -1, done = -1, found;
    gchar buf[4096], *why = NULL;
    GString *lines = g_string_new (NULL);
    gchar **parts, **p;
    ssize_t n;

    if (pipe (fds) != 0)
      return 99;
    pid = fork ();
    if (pid == 0) {
      close (fds[0]);
      child (path, next, fds[1]);
      _exit (0);
    }
    close (fds[1]);
    /* wait until it is set up (a registry scan under a sanitizer takes
     * seconds), then let it save for a random while */
    n = read (fds[0], buf, 2);
    if (n != 2 || buf[0] != 'R') {
      fprintf (stderr, "crash_safe: the child did not start\n");
      return 1;
    }
    g_usleep (g_rand_int_range (rand, 1000, 60000));
    kill (pid, SIGKILL);
    waitpid (pid, NULL, 0);
    while ((n = read (fds[0], buf, sizeof buf)) > 0)
      g_string_append_len (lines, buf, n);
    close (fds[0]);
    parts = g_strsplit (lines->str, "\n", -1);
    for (p = parts; *p; p++) {
      if ((*p)[0] == 'B')
        begun = g_ascii_strtoll (*p + 2, NULL, 10);
      else if ((*p)[0] == 'D') {
        done = g_ascii_strtoll (*p + 2, NULL, 10);
        saves++;
      }
    }
    g_strfreev (parts);
    g_string_free (lines, TRUE);
    if (done >= 0)
      last_done = done;
    if (begun > done)
      mid_save++;

    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      /* no file is right only while no save has ever finished */
      if (last_done >= 0) {
        fprintf (stderr, "crash_safe: kill %u: the file is gone after save "
            "%" G_GINT64_FORMAT "\n", i, last_done);
        failures++;
      }
      next = MAX (MAX (begun, done), next - 1) + 1;
      continue;
    }
    found = version_in_file (path, &why);
    if (found < 0 || (found != last_done && found != begun)) {
      fprintf (stderr, "crash_safe: kill %u: the file holds %s (%s); last "
          "finished save %" G_GINT64_FORMAT ", save in progress %"
          G_GINT64_FORMAT "\n", i, found < 0 ? "no complete version"
          : "another version", why ? why : "", last_done, begun);
      failures++;
    }
    if (found >= 0)
      last_done = found;        /* the survivor is the base of the next */
    next = MAX (begun, done) + 1;
    g_free (why);
  }

  /* the element accepts the survivor and seeds exactly its values */
  if (g_file_test (path, G_FILE_TEST_EXISTS)) {
    GstElement *el;
    gchar *why = NULL;
    gint64 k = version_in_file (path, &why);

    gst_init (NULL, NULL);
    el = gst_element_factory_make ("r128norm", NULL);
    g_object_set (el, "stats-file", path, NULL);
    if (k < 0 || gst_element_set_state (el, GST_STATE_PAUSED)
        != GST_STATE_CHANGE_SUCCESS) {
      fprintf (stderr, "crash_safe: the element refuses the last file\n");
      failures++;
    } else {
      GValue v = G_VALUE_INIT;
      gdouble mean[CHANNELS], var[CHANNELS];
      values_for (k, mean, var);
      g_value_init (&v, GST_TYPE_ARRAY);
      g_object_get_property (G_OBJECT (el), "running-mean", &v);
      if (gst_value_array_get_size (&v) != CHANNELS || g_value_get_double
          (gst_value_array_get_value (&v, 2)) != mean[2]) {
        fprintf (stderr, "crash_safe: the element loaded other values\n");
        failures++;
      }
      g_value_unset (&v);
    }
    gst_element_set_state (el, GST_STATE_NULL);
    gst_object_unref (el);
    g_free (why);
  }

  /* a killed save leaves its temporary file behind, under the element's
   * own name for it: the next start removes those older than a minute
   * (made so here), and leaves alone a user's file that GLib's pattern
   * "cam.stats.XXXXXX" would match, and a recent temporary file (a save
   * of another pipeline may be under way) */
  leftovers = aged_leftovers (dir);
  user_files (dir, TRUE);
  {
    GstElement *el;

    gst_init (NULL, NULL);
    el = gst_element_factory_make ("r128norm", NULL);
    g_object_set (el, "stats-file", path, NULL);
    gst_element_set_state (el, GST_STATE_PAUSED);
    gst_element_set_state (el, GST_STATE_NULL);
    gst_object_unref (el);
  }
  failures += !user_files (dir, FALSE);
  d = g_dir_open (dir, 0, NULL);
  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);
    if (strcmp (name, "cam.stats") != 0
        && strcmp (name, "cam.stats.backup") != 0
        && strcmp (name, "cam.stats.r128norm-save-recent") != 0) {
      fprintf (stderr, "crash_safe: '%s' was left behind\n", name);
      failures++;
    }
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);

  printf ("crash_safe: %u kills, %" G_GUINT64_FORMAT " completed saves, %u "
      "kills during a save, %u temporary files left by killed saves, "
      "removed by the next start; %u failures\n", kills, saves, mid_save,
      leftovers, failures);
  if (saves == 0 || mid_save == 0 || leftovers == 0) {
    fprintf (stderr, "crash_safe: the kills never hit a save, or left no "
        "temporary file: nothing proven\n");
    failures++;
  }
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
  g_rand_free (rand);
  return failures ? 1 : 0;
}
