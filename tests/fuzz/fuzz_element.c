/* libFuzzer target: the r128norm element in a GstHarness with random caps
 * (audio, video, tensors, or caps text straight from the input), random
 * property strings (parsed as gst-launch does), set before and while
 * streaming, and random buffers: sizes that fit the caps or not, GAP and
 * DISCONT flags, odd timestamps, NaN/Inf samples, with caps changes,
 * flushes, new streams, reset signals and EOS in between.
 *
 * Besides not crashing: float audio and tensor output is always finite,
 * and running-mean/running-var always read finite values. */
#include <math.h>
#include <string.h>

#include <gst/check/gstharness.h>

#include "fuzz_input.h"
#include "fuzz_gst_common.h"

#define FUZZ_MAX_BUFFER 6000
#define FUZZ_MAX_ACTIONS 12

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 * data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_gst_init ();
  return 0;
}

static const gchar *const audio_formats[] = {
  "F32LE", "F64LE", "S16LE", "S32LE", "U8", "S24LE", "F32BE"
};

static const gchar *const video_formats[] = {
  "GRAY8", "GRAY16_LE", "RGB", "BGR", "RGBA", "BGRA", "ARGB", "ABGR",
  "RGBx", "BGRx", "xRGB", "xBGR", "RGBP", "BGRP", "I420", "YV12", "NV12",
  "NV21", "Y444", "Y42B", "UYVY"
};

static const gchar *const tensor_types[] = {
  "uint8", "int16", "uint16", "float16", "float32", "float64", "int8", ""
};

/* Every property but stats-file (that has its own target, and a bad file
 * fails the harness's start on purpose). */
static const gchar *const properties[] = {
  "variant", "groups", "stats", "momentum", "time-constant", "epsilon",
  "gamma", "beta", "strength", "warmup", "clip-sigma", "min-samples",
  "running-mean", "running-var", "post-messages", "interval",
  "tensor-layout", "n-threads"
};

static const gchar *const values[] = {
  "0", "1", "2", "3", "7", "-1", "0.5", "0.95", "1e-5", "1e308", "-1e308",
  "nan", "inf", "-inf", "1e-320", "18446744073709551615", "4294967296",
  "per-channel", "layer", "group", "auto", "frame", "running", "frozen",
  "hwc", "chw", "true", "false", "<>", "<1.0>", "<0.5, 2.0>",
  "<1.0, 2.0, 3.0>", "<nan, 1.0, 2.0>", "<1e300, -1e300, 0.0>",
  "<inf>", "<-1.0, -1.0, -1.0>", "< 0.1, 0.2, 0.3, 0.4 >", "<\"x\">",
  "<1, 2>", "1000000", "10000000", "\x01\xff", ""
};

static guint
pick (fuzz_input * in, guint n)
{
  return fuzz_below (in, n);
}

/* Caps text: mostly well-formed caps of every family with odd values,
 * sometimes raw text from the input. */
static gchar *
make_caps (fuzz_input * in, guint * channels_out)
{
  guint channels = 1 + pick (in, 8);
  gint w = 1 + pick (in, 24), h = 1 + pick (in, 12);

  if (pick (in, 16) == 0)
    channels = pick (in, 4) ? 64 : pick (in, 2) ? 65 : 0;
  if (pick (in, 16) == 0)
    w = pick (in, 2) ? 0 : 100000;
  *channels_out = channels;
  switch (pick (in, 5)) {
    case 0:
    case 1:{
      static const gint rates[] = { 48000, 1, 8000, G_MAXINT, 44100 };
      return g_strdup_printf ("audio/x-raw,format=%s,rate=%d,channels=%u,"
          "layout=%s%s", audio_formats[pick (in, G_N_ELEMENTS
                  (audio_formats))], rates[pick (in, G_N_ELEMENTS (rates))],
          channels, pick (in, 3) ? "interleaved" : "non-interleaved",
          pick (in, 4) ? "" : ",channel-mask=(bitmask)0x3");
    }
    case 2:{
      static const gchar *const rates[] = { "30/1", "0/1", "1/1000000",
        "2147483647/1", "25/1"
      };
      return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
          "framerate=%s", video_formats[pick (in, G_N_ELEMENTS
                  (video_formats))], w, h, rates[pick (in, G_N_ELEMENTS
                  (rates))]);
    }
    case 3:{
      GString *dims = g_string_new (NULL);
      guint rank = 1 + pick (in, 5), i;
      gchar *text;
      for (i = 0; i < rank; i++)
        g_string_append_printf (dims, "%s%u", i ? ":" : "",
            pick (in, 8) ? 1 + pick (in, 12) : fuzz_u32 (in));
      *channels_out = 0;
      text = g_strdup_printf ("other/tensors,format=static,num_tensors=%d,"
          "types=%s,dimensions=%s,framerate=30/1", pick (in, 8) ? 1 : 2,
          tensor_types[pick (in, G_N_ELEMENTS (tensor_types))], dims->str);
      g_string_free (dims, TRUE);
      return text;
    }
    default:{
      /* fields as raw text after a valid name (an invalid name is a
       * critical inside gst_caps_from_string itself); no ';', which
       * would start another structure with the text after it as its
       * name (found by fuzzing: the critical aborted the harness) */
      static const gchar *const names[] = { "audio/x-raw, ",
        "video/x-raw, ", "other/tensors, "
      };
      guint len = pick (in, 64), i;
      GString *text = g_string_new (names[pick (in, 3)]);
      for (i = 0; i < len; i++) {
        gchar ch = (gchar) (32 + fuzz_u8 (in) % 95);
        g_string_append_c (text, ch == ';' ? ',' : ch);
      }
      *channels_out = 0;
      return g_string_free (text, FALSE);
    }
  }
}

/* What the harness's sink accepts: the same, one of the conversions the
 * element offers, or anything. */
static gchar *
make_sink_caps (fuzz_input * in, const gchar * src_caps)
{
  switch (pick (in, 6)) {
    case 0:
      return g_strdup ("audio/x-raw,format=F32LE");
    case 1:
      return g_strdup ("other/tensors,types=float32");
    case 2:
      return g_strdup ("other/tensors,types=float16");
    case 3:
      return g_strdup ("ANY");
    default:
      return g_strdup (src_caps);
  }
}

static void
set_random_property (fuzz_input * in, GstElement * el)
{
  const gchar *name = properties[pick (in, G_N_ELEMENTS (properties))];
  const gchar *value = values[pick (in, G_N_ELEMENTS (values))];

  gst_util_set_object_arg (G_OBJECT (el), name, value);
}

static GstBuffer *
make_buffer (fuzz_input * in)
{
  gsize size = pick (in, 4) ? 4 * (fuzz_u8 (in) * 8 % FUZZ_MAX_BUFFER)
      : fuzz_u32 (in) % FUZZ_MAX_BUFFER;
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size, NULL);
  GstMapInfo map;
  guint64 seed = fuzz_u32 (in) | 1;
  guint kind = pick (in, 4), n_special = pick (in, 8), k;
  gsize i;

  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  for (i = 0; i < size; i++) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    map.data[i] = kind == 0 ? (guint8) seed : kind == 1 ? 0
        : kind == 2 ? (guint8) (i * 7) : 0x7f;
  }
  for (k = 0; k < n_special && size >= 8; k++) {
    gsize at = (fuzz_u32 (in) % (size / 4)) * 4;
    gfloat f = (gfloat) fuzz_double (in);
    if (at + 8 <= size && pick (in, 2)) {
      gdouble d = fuzz_double (in);
      memcpy (map.data + at, &d, 8);
    } else {
      memcpy (map.data + at, &f, 4);
    }
  }
  gst_buffer_unmap (buf, &map);

  if (pick (in, 4)) {
    GST_BUFFER_PTS (buf) = fuzz_u32 (in) * (guint64) GST_MSECOND;
    GST_BUFFER_DURATION (buf) = pick (in, 3) ? 10 * GST_MSECOND
        : (pick (in, 2) ? GST_CLOCK_TIME_NONE : fuzz_u32 (in));
  }
  if (pick (in, 8) == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_GAP);
  if (pick (in, 8) == 0)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

/* Float audio (interleaved, whole frames) and float32 tensors out are
 * always finite, unless the buffer was a GAP passed through untouched. */
static void
check_output (GstHarness * h, GstBuffer * buf)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);
  GstStructure *s;
  GstMapInfo map;
  gsize i, unit = 0, bytes, limit = G_MAXSIZE;
  gint channels = 0;
  const gchar *format, *layout;

  if (!caps)
    return;
  s = gst_caps_get_structure (caps, 0);
  format = gst_structure_get_string (s, "format");
  layout = gst_structure_get_string (s, "layout");
  if (gst_structure_has_name (s, "audio/x-raw") && format && layout
      && strcmp (layout, "interleaved") == 0
      && gst_structure_get_int (s, "channels", &channels) && channels > 0) {
    if (strcmp (format, "F32LE") == 0)
      unit = 4;
    else if (strcmp (format, "F64LE") == 0)
      unit = 8;
  } else if (gst_structure_has_name (s, "other/tensors")
      && g_strcmp0 (gst_structure_get_string (s, "types"), "float32") == 0) {
    /* the frame the caps describe; bytes of an oversized buffer beyond
     * it pass untouched (docs/reliability.md) */
    const gchar *dims = gst_structure_get_string (s, "dimensions");
    gchar **d = g_strsplit (dims ? dims : "", ":", -1);
    guint k;
    limit = 4;
    for (k = 0; d[k]; k++)
      limit *= g_ascii_strtoull (d[k], NULL, 10);
    g_strfreev (d);
    unit = 4;
    channels = 1;
  }
  if (unit && !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)
      && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    bytes = MIN (map.size, limit) / (unit * channels) * (unit * channels);
    for (i = 0; i + unit <= bytes; i += unit) {
      if (unit == 4) {
        gfloat f;
        memcpy (&f, map.data + i, 4);
        FUZZ_CHECK (isfinite (f));
      } else {
        gdouble d;
        memcpy (&d, map.data + i, 8);
        FUZZ_CHECK (isfinite (d));
      }
    }
    gst_buffer_unmap (buf, &map);
  }
  gst_caps_unref (caps);
}

static void
check_running (GstElement * el)
{
  static const gchar *const names[] = { "running-mean", "running-var" };
  guint k, i;

  for (k = 0; k < 2; k++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, GST_TYPE_ARRAY);
    g_object_get_property (G_OBJECT (el), names[k], &v);
    for (i = 0; i < gst_value_array_get_size (&v); i++) {
      const GValue *d = gst_value_array_get_value (&v, i);
      FUZZ_CHECK (!G_VALUE_HOLDS_DOUBLE (d)
          || isfinite (g_value_get_double (d)));
    }
    g_value_unset (&v);
  }
}

static void
push_caps (GstHarness * h, const gchar * text)
{
  GstCaps *caps = gst_caps_from_string (text);
  GstSegment seg;

  if (caps && gst_caps_is_fixed (caps))
    gst_harness_push_event (h, gst_event_new_caps (caps));
  if (caps)
    gst_caps_unref (caps);      /* the event holds its own reference */
  gst_segment_init (&seg, GST_FORMAT_TIME);
  gst_harness_push_event (h, gst_event_new_segment (&seg));
}

static void
drain (GstHarness * h)
{
  GstBuffer *buf;
  GstEvent *ev;

  while ((buf = gst_harness_try_pull (h))) {
    check_output (h, buf);
    gst_buffer_unref (buf);
  }
  while ((ev = gst_harness_try_pull_event (h)))
    gst_event_unref (ev);
  while ((ev = gst_harness_try_pull_upstream_event (h)))
    gst_event_unref (ev);
}

int
LLVMFuzzerTestOneInput (const guint8 * data, size_t size)
{
  fuzz_input in;
  GstElement *el;
  GstHarness *h;
  GstBus *bus;
  gchar *caps, *sink_caps;
  guint channels, n_props, n_actions, k;

  fuzz_input_init (&in, data, size);
  el = gst_element_factory_make ("r128norm", NULL);
  FUZZ_CHECK (el != NULL);
  n_props = pick (&in, 6);
  for (k = 0; k < n_props; k++)
    set_random_property (&in, el);
  bus = gst_bus_new ();
  gst_element_set_bus (el, bus);
  h = gst_harness_new_with_element (el, "sink", "src");
  gst_object_unref (el);

  caps = make_caps (&in, &channels);
  sink_caps = make_sink_caps (&in, caps);
  {
    GstCaps *parsed = gst_caps_from_string (sink_caps);
    if (parsed) {
      gst_harness_set_sink_caps (h, parsed);    /* takes it */
    }
  }
  gst_harness_push_event (h, gst_event_new_stream_start ("fuzz"));
  push_caps (h, caps);

  n_actions = 1 + pick (&in, FUZZ_MAX_ACTIONS);
  for (k = 0; k < n_actions && !fuzz_input_empty (&in); k++) {
    switch (pick (&in, 12)) {
      case 0:
        set_random_property (&in, h->element);
        break;
      case 1:
        g_signal_emit_by_name (h->element, "reset");
        break;
      case 2:{
        guint ignored;
        gchar *other = make_caps (&in, &ignored);
        push_caps (h, pick (&in, 2) ? other : caps);
        g_free (other);
        break;
      }
      case 3:
        gst_harness_push_event (h, gst_event_new_flush_start ());
        if (pick (&in, 2)) {
          GstSegment seg;
          gst_harness_push_event (h, gst_event_new_flush_stop (TRUE));
          gst_segment_init (&seg, GST_FORMAT_TIME);
          gst_harness_push_event (h, gst_event_new_segment (&seg));
        } else {
          gst_harness_push_event (h, gst_event_new_flush_stop (FALSE));
        }
        break;
      case 4:
        gst_harness_push_event (h, gst_event_new_stream_start (pick (&in, 2)
                ? "fuzz" : "other"));
        break;
      case 5:
        gst_harness_push_event (h, gst_event_new_eos ());
        break;
      default:
        gst_harness_push (h, make_buffer (&in));
        break;
    }
    drain (h);
    check_running (h->element);
    fuzz_drain_bus (bus);
  }
  gst_harness_teardown (h);
  fuzz_drain_bus (bus);
  gst_object_unref (bus);
  g_free (caps);
  g_free (sink_caps);
  (void) channels;
  return 0;
}
