/* Shared set-up of the fuzz targets that drive the r128norm element: GStreamer
 * is initialised once, from this build's plugin only. */
#ifndef R128NORM_FUZZ_GST_COMMON_H
#define R128NORM_FUZZ_GST_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include <gst/gst.h>

#define FUZZ_CHECK(cond) do {                                           \
    if (!(cond)) {                                                      \
      fprintf (stderr, "fuzz: broken promise at %s:%d: %s\n",           \
          __FILE__, __LINE__, #cond);                                   \
      abort ();                                                         \
    }                                                                   \
  } while (0)

/* Warnings (a property value out of range refused by GObject, caps that
 * do not parse) are expected here and too many to print; a critical is a
 * g_return_if_fail() hit, a bug, and aborts. */
static void
fuzz_log (const gchar * domain, GLogLevelFlags level, const gchar * message,
    gpointer data)
{
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
    fprintf (stderr, "fuzz: %s: %s\n", domain ? domain : "", message);
    abort ();
  }
}

/* The plugin of this build (meson passes R128NORM_PLUGIN_DIR) unless the
 * environment names one; no registry fork, so an instrumented plugin is
 * scanned in this instrumented process. */
static G_GNUC_UNUSED void
fuzz_gst_init (void)
{
  GstPluginFeature *feature;

  g_setenv ("GST_PLUGIN_SYSTEM_PATH_1_0", "", FALSE);
#ifdef R128NORM_PLUGIN_DIR
  g_setenv ("GST_PLUGIN_PATH_1_0", R128NORM_PLUGIN_DIR, FALSE);
#endif
  g_setenv ("GST_REGISTRY_FORK", "no", FALSE);
  g_setenv ("GST_DEBUG", "*:0", FALSE);
  gst_init (NULL, NULL);
  g_log_set_default_handler (fuzz_log, NULL);
  feature = gst_registry_lookup_feature (gst_registry_get (), "r128norm");
  if (!feature) {
    fprintf (stderr, "fuzz: r128norm not found: check GST_PLUGIN_PATH_1_0\n");
    exit (1);
  }
  /* loaded now, so that libFuzzer sees the plugin's coverage counters
   * from the start */
  gst_object_unref (gst_plugin_feature_load (feature));
  gst_object_unref (feature);
}

/* Drops every message on @bus; returns how many were errors. */
static G_GNUC_UNUSED guint
fuzz_drain_bus (GstBus * bus)
{
  GstMessage *msg;
  guint errors = 0;

  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      errors++;
    gst_message_unref (msg);
  }
  return errors;
}

#endif /* R128NORM_FUZZ_GST_COMMON_H */
