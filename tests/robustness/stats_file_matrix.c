/* The stats-file against everything that can be wrong with it.  Each case
 * prints one line: what was tried, what the element did, and PASS, FAIL or
 * SKIP.  SPEC section 4: an unreadable or malformed file is a
 * GST_ELEMENT_ERROR that names the setting and the file and says what was
 * expected, and a bad file is never overwritten; a file that cannot be
 * written is a warning, and the old file stays as it was. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/check/gstharness.h>

static const gchar valid3[] = "# r128norm running statistics, normalized "
    "units, biased variance\n[r128norm]\nversion=1\nchannels=3\n"
    "mean=0.25;0.24;0.33\nvar=0.073;0.068;0.086\n";

static guint passed, failed, skipped;
static gchar *dir;

/* One line per case; the behaviour (an error message can quote a whole
 * line of the file) is cut to 110 printable characters. */
static void
result (gboolean ok, const gchar * what, const gchar * behaviour)
{
  gchar shown[112];
  guint i;

  for (i = 0; behaviour && behaviour[i] && i < 110; i++)
    shown[i] = g_ascii_isprint (behaviour[i]) ? behaviour[i] : '?';
  shown[i] = 0;
  printf ("%s  %-44s %s%s\n", ok ? "PASS" : "FAIL", what,
      behaviour ? shown : "(none)", behaviour && i == 110 ? "..." : "");
  if (ok)
    passed++;
  else
    failed++;
}

static void
skip (const gchar * what, const gchar * why)
{
  printf ("SKIP  %-44s %s\n", what, why);
  skipped++;
}

static gchar *
pop_text (GstBus * bus, GstMessageType type)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, type);
  GError *err = NULL;
  gchar *text;

  if (!msg)
    return NULL;
  if (type == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &err, NULL);
  else
    gst_message_parse_warning (msg, &err, NULL);
  text = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  return text;
}

static gboolean
file_is (const gchar * path, const gchar * data, gsize size)
{
  gchar *now;
  gsize len;
  gboolean same;

  if (!g_file_get_contents (path, &now, &len, NULL))
    return FALSE;
  same = len == size && memcmp (now, data, size) == 0;
  g_free (now);
  return same;
}

/* Starts an element on @path: TRUE when it started; else *@text holds the
 * error. */
static gboolean
start_with (const gchar * path, gchar ** text)
{
  GstElement *el = gst_element_factory_make ("r128norm", NULL);
  GstBus *bus = gst_bus_new ();
  GstStateChangeReturn ret;

  gst_element_set_bus (el, bus);
  g_object_set (el, "stats-file", path, NULL);
  ret = gst_element_set_state (el, GST_STATE_PAUSED);
  *text = pop_text (bus, GST_MESSAGE_ERROR);
  gst_element_set_state (el, GST_STATE_NULL);
  gst_object_unref (el);
  gst_object_unref (bus);
  return ret != GST_STATE_CHANGE_FAILURE;
}

/* A file with @data (@size bytes) is refused with an error naming the
 * setting, the file and @expect, and is left as it was. */
static void
expect_refused (const gchar * what, const gchar * data, gssize size,
    const gchar * expect)
{
  gchar *path = g_build_filename (dir, "case.stats", NULL), *text = NULL;
  gboolean started, ok;

  if (size < 0)
    size = strlen (data);
  g_file_set_contents (path, data, size, NULL);
  started = start_with (path, &text);
  ok = !started && text && strstr (text, "stats-file")
      && strstr (text, path) && (!expect || strstr (text, expect))
      && file_is (path, data, size);
  result (ok, what, text ? text : "(started)");
  g_free (text);
  g_unlink (path);
  g_free (path);
}

static void
expect_accepted (const gchar * what, const gchar * data)
{
  gchar *path = g_build_filename (dir, "case.stats", NULL), *text = NULL;
  gboolean ok;

  g_file_set_contents (path, data, -1, NULL);
  ok = start_with (path, &text) && file_is (path, data, strlen (data));
  result (ok, what, ok ? "accepted, file unchanged" : text);
  g_free (text);
  g_unlink (path);
  g_free (path);
}

/* Every prefix of a valid file.  A cut inside the last number of the last
 * list leaves a shorter but valid number (0.086 -> 0.08): that is a valid
 * file with another value, which no reader can tell from the real thing;
 * the writer's atomic rename is what prevents it.  Every other cut must be
 * refused. */
static void
truncations (void)
{
  gsize len = strlen (valid3), cut, refused = 0, accepted = 0, wrong = 0;
  const gchar *last = strrchr (valid3, ';') + 1;
  gsize last_number = last - valid3 + 1;   /* "0.086": a cut after '0' */
  gchar *what;

  for (cut = 0; cut < len; cut++) {
    gchar *path = g_build_filename (dir, "cut.stats", NULL), *text = NULL;
    gboolean started;
    g_file_set_contents (path, valid3, cut, NULL);
    started = start_with (path, &text);
    if (started)
      accepted++;
    else
      refused++;
    if (started ? cut < last_number : (!text || !strstr (text, path)))
      wrong++;
    if (!file_is (path, valid3, cut))
      wrong++;
    g_free (text);
    g_unlink (path);
    g_free (path);
  }
  what = g_strdup_printf ("truncated at each of %" G_GSIZE_FORMAT " bytes",
      len);
  {
    gchar *how = g_strdup_printf ("%" G_GSIZE_FORMAT " refused, %"
        G_GSIZE_FORMAT " accepted (cut inside the last number)",
        refused, accepted);
    result (wrong == 0, what, how);
    g_free (how);
  }
  g_free (what);
}

/* A 3-channel file on a 2-channel stream: refused when the caps come, and
 * still the same file after EOS and stop. */
static void
wrong_stream_channels (void)
{
  gchar *path = g_build_filename (dir, "three.stats", NULL), *text;
  GstElement *el = gst_element_factory_make ("r128norm", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstSegment seg;
  const gchar *caps = "audio/x-raw,format=F32LE,rate=48000,channels=2,"
      "layout=interleaved";
  GstFlowReturn ret;

  g_file_set_contents (path, valid3, -1, NULL);
  g_object_set (el, "stats-file", path, NULL);
  gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_sink_caps_str (h, caps);
  gst_harness_push_event (h, gst_event_new_stream_start ("m"));
  {
    GstCaps *c = gst_caps_from_string (caps);
    gst_harness_push_event (h, gst_event_new_caps (c));
    gst_caps_unref (c);         /* the event holds its own reference */
  }
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  ret = gst_harness_push (h, gst_buffer_new_allocate (NULL, 64, NULL));
  text = pop_text (bus, GST_MESSAGE_ERROR);
  gst_harness_push_event (h, gst_event_new_eos ());
  gst_harness_teardown (h);
  result (ret != GST_FLOW_OK && text && strstr (text, path)
      && strstr (text, "3") && file_is (path, valid3, strlen (valid3)),
      "3-channel file, 2-channel stream", text ? text : "(flowed)");
  g_free (text);
  gst_object_unref (bus);
  g_unlink (path);
  g_free (path);
}

/* Saving where it cannot be written: a warning naming the file, the
 * stream goes on, and whatever was there stays. */
static void
save_fails (const gchar * what, const gchar * path, const gchar * old)
{
  GstElement *el = gst_element_factory_make ("r128norm", NULL);
  GstBus *bus = gst_bus_new ();
  GstHarness *h;
  GstSegment seg;
  const gchar *caps = "audio/x-raw,format=F32LE,rate=48000,channels=3,"
      "layout=interleaved";
  GstFlowReturn ret;
  gchar *warning, *error;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 3 * 4 * 64, NULL);

  gst_buffer_memset (buf, 0, 1, 3 * 4 * 64);
  g_object_set (el, "stats-file", path, NULL);
  gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);
  gst_harness_set_sink_caps_str (h, caps);
  gst_harness_push_event (h, gst_event_new_stream_start ("m"));
  {
    GstCaps *c = gst_caps_from_string (caps);
    gst_harness_push_event (h, gst_event_new_caps (c));
    gst_caps_unref (c);         /* the event holds its own reference */
  }
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
  ret = gst_harness_push (h, buf);
  gst_harness_push_event (h, gst_event_new_eos ());
  warning = pop_text (bus, GST_MESSAGE_WARNING);
  error = pop_text (bus, GST_MESSAGE_ERROR);
  gst_harness_teardown (h);
  result (ret == GST_FLOW_OK && warning && strstr (warning, path)
      && !error && (!old || file_is (path, old, strlen (old))), what,
      warning ? warning : "(no warning)");
  g_free (warning);
  g_free (error);
  gst_object_unref (bus);
}

int
main (int argc, char **argv)
{
  GRand *rand = g_rand_new_with_seed (11);
  gchar garbage[4096], *path, *text = NULL;
  gboolean root = geteuid () == 0, ok;
  guint i;

  gst_init (&argc, &argv);
  dir = g_dir_make_tmp ("r128norm-matrix-XXXXXX", NULL);

  expect_accepted ("a valid file (control)", valid3);
  truncations ();
  expect_refused ("empty file", "", 0, "version");

  expect_refused ("version=2", "[r128norm]\nversion=2\nchannels=1\n"
      "mean=0\nvar=1\n", -1, "expected 1");
  expect_refused ("version=0", "[r128norm]\nversion=0\nchannels=1\n"
      "mean=0\nvar=1\n", -1, "expected 1");
  expect_refused ("version=1.5", "[r128norm]\nversion=1.5\nchannels=1\n"
      "mean=0\nvar=1\n", -1, "expected 1");
  expect_refused ("version=abc", "[r128norm]\nversion=abc\nchannels=1\n"
      "mean=0\nvar=1\n", -1, "expected 1");
  expect_refused ("version missing", "[r128norm]\nchannels=1\nmean=0\n"
      "var=1\n", -1, "version");
  expect_refused ("group missing", "[other]\nversion=1\nchannels=1\n"
      "mean=0\nvar=1\n", -1, "version");

  expect_refused ("channels=0", "[r128norm]\nversion=1\nchannels=0\n"
      "mean=\nvar=\n", -1, "channels");
  expect_refused ("channels=-3", "[r128norm]\nversion=1\nchannels=-3\n"
      "mean=0\nvar=1\n", -1, "channels");
  expect_refused ("channels=16385", "[r128norm]\nversion=1\nchannels=16385\n"
      "mean=0\nvar=1\n", -1, "channels");
  expect_refused ("channels=99999999999", "[r128norm]\nversion=1\n"
      "channels=99999999999\nmean=0\nvar=1\n", -1, "channels");
  expect_refused ("channels=2, 3 means", "[r128norm]\nversion=1\n"
      "channels=2\nmean=0;0;0\nvar=1;1\n", -1, "expected 2");
  expect_refused ("channels=2, 1 variance", "[r128norm]\nversion=1\n"
      "channels=2\nmean=0;0\nvar=1\n", -1, "expected 2");
  expect_refused ("mean list missing", "[r128norm]\nversion=1\n"
      "channels=1\nvar=1\n", -1, "mean");
  wrong_stream_channels ();

  expect_refused ("mean=nan", "[r128norm]\nversion=1\nchannels=1\n"
      "mean=nan\nvar=1\n", -1, "finite");
  expect_refused ("var=inf", "[r128norm]\nversion=1\nchannels=1\n"
      "mean=0\nvar=inf\n", -1, "finite");
  expect_refused ("mean=-inf", "[r128norm]\nversion=1\nchannels=1\n"
      "mean=-inf\nvar=1\n", -1, "finite");
  expect_refused ("var=1e309 (overflows to inf)", "[r128norm]\nversion=1\n"
      "channels=1\nmean=0\nvar=1e309\n", -1, "finite");
  expect_refused ("mean=1e301 (beyond 1e300)", "[r128norm]\nversion=1\n"
      "channels=1\nmean=1e301\nvar=1\n", -1, "finite");
  expect_refused ("var=-1", "[r128norm]\nversion=1\nchannels=1\n"
      "mean=0\nvar=-1\n", -1, ">= 0");
  expect_refused ("mean=1.0abc", "[r128norm]\nversion=1\nchannels=1\n"
      "mean=1.0abc\nvar=1\n", -1, "mean");
  expect_accepted ("var=1e-400 (underflows to 0: valid)",
      "[r128norm]\nversion=1\nchannels=1\nmean=0\nvar=1e-400\n");

  for (i = 0; i < sizeof garbage; i++)
    garbage[i] = (gchar) g_rand_int (rand);
  expect_refused ("4 KiB of random bytes", garbage, sizeof garbage, NULL);
  {
    /* one 1 MiB line: refused with a message of bounded length */
    gsize n = 1 << 20;
    gchar *line = g_malloc (n), *path2, *text2 = NULL;
    gboolean started;
    memset (line, 'x', n);
    path2 = g_build_filename (dir, "long.stats", NULL);
    g_file_set_contents (path2, line, n, NULL);
    started = start_with (path2, &text2);
    result (!started && text2 && strlen (text2) < 1000
        && file_is (path2, line, n), "a 1 MiB line: message cut short",
        text2 ? text2 : "(started)");
    g_free (text2);
    g_unlink (path2);
    g_free (path2);
    g_free (line);
  }
  expect_refused ("NUL bytes inside", "[r128norm]\nversion=1\0\nchannels=1\n"
      "mean=0\nvar=1\n", 40, NULL);
  expect_refused ("invalid UTF-8", "[r128norm]\nversion=1\nchannels=1\n"
      "mean=\xff\xfe\nvar=1\n", -1, NULL);
  {
    gchar *big = g_malloc (8 << 20);
    memset (big, '[', 8 << 20);
    expect_refused ("8 MiB of '['", big, 8 << 20, NULL);
    g_free (big);
  }

  /* paths that cannot be read */
  path = g_build_filename (dir, "a-directory", NULL);
  g_mkdir (path, 0755);
  ok = !start_with (path, &text) && text && strstr (text, path);
  result (ok, "path is a directory", text);
  g_free (text);
  g_rmdir (path);
  g_free (path);

  path = g_build_filename (dir, "fifo.stats", NULL);
  if (mkfifo (path, 0644) == 0) {
    /* opening a FIFO blocks until a writer comes: must not hang */
    ok = !start_with (path, &text) && text && strstr (text, path);
    result (ok, "path is a FIFO (no writer)", text);
    g_free (text);
    g_unlink (path);
  } else {
    skip ("path is a FIFO (no writer)", g_strerror (errno));
  }
  g_free (path);

  ok = !start_with ("/dev/zero", &text) && text;
  result (ok, "path is /dev/zero", text);
  g_free (text);

  path = g_build_filename (dir, "plain-file", NULL);
  g_file_set_contents (path, "x", -1, NULL);
  {
    gchar *under = g_build_filename (path, "cam.stats", NULL);
    /* reading: ENOTDIR is not "missing", it is an error */
    gboolean started = start_with (under, &text);
    result (!started && text && strstr (text, under),
        "path under a regular file (read)", text ? text : "(started)");
    g_free (text);
    g_free (under);
  }
  g_unlink (path);
  g_free (path);

  path = g_build_filename (dir, "unreadable.stats", NULL);
  g_file_set_contents (path, valid3, -1, NULL);
  g_chmod (path, 0);
  if (root) {
    skip ("file mode 000", "running as root, which reads it anyway "
        "(covered by the directory, FIFO and ENOTDIR cases)");
  } else {
    ok = !start_with (path, &text) && text && strstr (text, path);
    result (ok, "file mode 000", text);
    g_free (text);
  }
  g_chmod (path, 0644);
  g_unlink (path);
  g_free (path);

  /* saving where it cannot be written */
  path = g_build_filename (dir, "missing-dir", "cam.stats", NULL);
  save_fails ("save into a directory that does not exist", path, NULL);
  g_free (path);

  {
    gchar *ro = g_build_filename (dir, "read-only", NULL);
    gchar *cmd;
    gboolean locked = FALSE;
    gint status;

    g_mkdir (ro, 0755);
    path = g_build_filename (ro, "cam.stats", NULL);
    g_file_set_contents (path, valid3, -1, NULL);
    if (!root) {
      g_chmod (ro, 0555);
      locked = TRUE;
    } else {
      /* root writes into a 0555 directory; an immutable one stops even
       * root, where the file system and the capability allow it */
      cmd = g_strdup_printf ("chattr +i '%s'", ro);
      locked = g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL)
          && g_spawn_check_wait_status (status, NULL);
      g_free (cmd);
    }
    if (locked) {
      save_fails ("save into a read-only directory", path, valid3);
      if (root) {
        cmd = g_strdup_printf ("chattr -i '%s'", ro);
        g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL);
        g_free (cmd);
      } else {
        g_chmod (ro, 0755);
      }
    } else {
      skip ("save into a read-only directory", "root, and chattr +i is "
          "not possible here (covered by the missing directory case)");
    }
    g_unlink (path);
    g_rmdir (ro);
    g_free (path);
    g_free (ro);
  }

  g_rmdir (dir);
  g_free (dir);
  g_rand_free (rand);
  printf ("stats_file_matrix: %u passed, %u failed, %u skipped\n", passed,
      failed, skipped);
  return failed ? 1 : 0;
}
