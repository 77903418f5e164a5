/* r128norm-example: the library on two synthetic streams.
 *
 * A dim, blue-cast, slowly flickering 320x240 RGB video and a quiet stereo
 * 48 kHz S16 signal with a DC offset are normalized with running
 * statistics and the format defaults of SPEC section 3 (video gamma 0.2,
 * beta 0.5; audio gamma 0.1, beta 0).  Prints each channel's mean and
 * standard deviation before and after, in normalized units, and the
 * running statistics; with a directory argument it also writes the first
 * video frame before and after as PPM images.
 *
 *   r128norm-example [OUTPUT_DIR]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "r128norm.h"

#define WIDTH 320
#define HEIGHT 240
#define FRAMES 10
#define FPS 30.0

#define RATE 48000
#define PERIOD 480              /* frames per buffer: 10 ms */
#define BUFFERS 50              /* 0.5 s */

static const char *const rgb_names[] = { "R", "G", "B" };
static const char *const stereo_names[] = { "L", "R" };

static void
die (const char *what, int err)
{
  fprintf (stderr, "r128norm-example: %s: %s\n", what, r128norm_strerror (err));
  exit (1);
}

/* A state for @channels channels of @format in place, running statistics
 * (the default), with one gamma and beta for all channels. */
static r128norm_state *
make_state (unsigned channels, r128norm_format format, double gamma,
    double beta)
{
  r128norm_config cfg;
  r128norm_state *st;
  int err;

  st = r128norm_create (channels, &err);
  if (!st)
    die ("create", err);
  err = r128norm_set_formats (st, format, format);
  if (err)
    die ("set_formats", err);
  r128norm_config_init (&cfg);
  cfg.gamma = &gamma;
  cfg.n_gamma = 1;
  cfg.beta = &beta;
  cfg.n_beta = 1;
  cfg.diagnostics = 1;          /* fill out_mean / out_var in the reports */
  err = r128norm_set_config (st, &cfg);
  if (err && err != R128NORM_ERROR_NO_CHANGE)   /* NO_CHANGE is no failure */
    die ("set_config", err);
  return st;
}

/* A sky gradient, a disc and some grain; dim, cast towards blue, and
 * flickering by +-15 % at 1.5 Hz. */
static void
synthesize_frame (uint8_t *rgb, int frame)
{
  static const double cast[3][2] = { {0.55, 4}, {0.75, 10}, {1.0, 22} };
  double flicker = 1.0 + 0.15 * sin (2 * M_PI * 1.5 * frame / FPS);
  uint32_t seed = 12345u + (uint32_t) frame;

  for (int y = 0; y < HEIGHT; y++) {
    for (int x = 0; x < WIDTH; x++) {
      double dx = x - 200.0, dy = y - 110.0;
      double v = 30.0 + 40.0 * (HEIGHT - y) / HEIGHT;
      if (dx * dx + dy * dy < 60.0 * 60.0)
        v += 35.0;
      seed = seed * 1664525u + 1013904223u;
      v += (seed >> 29) - 3.5;
      for (int c = 0; c < 3; c++) {
        double o = (v * cast[c][0] + cast[c][1]) * flicker;
        rgb[(y * WIDTH + x) * 3 + c] = (uint8_t) (o < 0 ? 0 : o > 255 ? 255 : o);
      }
    }
  }
}

/* Quiet tones, -40 and -46 dBFS, on DC offsets of +2 % and -1 %. */
static void
synthesize_audio (int16_t *pcm, int buffer)
{
  for (int i = 0; i < PERIOD; i++) {
    double t = (double) (buffer * PERIOD + i) / RATE;
    pcm[2 * i] = (int16_t) lrint (32768 * (0.02 + 0.01 * sin (2 * M_PI * 440 * t)));
    pcm[2 * i + 1] = (int16_t) lrint (32768 * (-0.01 + 0.005 * sin (2 * M_PI * 660 * t)));
  }
}

static void
write_ppm (const char *dir, const char *name, const uint8_t *rgb)
{
  char path[4096];
  FILE *f;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  f = fopen (path, "wb");
  if (!f || fprintf (f, "P6\n%d %d\n255\n", WIDTH, HEIGHT) < 0
      || fwrite (rgb, 3, WIDTH * HEIGHT, f) != WIDTH * HEIGHT
      || fclose (f) != 0) {
    perror (path);
    exit (1);
  }
  printf ("wrote %s\n", path);
}

/* One table row: each channel's input and output mean/stddev. */
static void
print_row (const r128norm_state *st, int index)
{
  unsigned n = r128norm_get_channels (st);

  printf ("%6d", index);
  for (unsigned c = 0; c < n; c++) {
    const r128norm_report *r = r128norm_get_report (st, c);
    printf (" | %6.3f %5.3f -> %6.3f %5.3f", r->mean, sqrt (r->var),
        r->out_mean, sqrt (r->out_var));
  }
  printf ("\n");
}

static void
print_header (const char *unit, const char *const *names, unsigned n)
{
  printf ("%6s", unit);
  for (unsigned c = 0; c < n; c++)
    printf (" | %-2s in: mean   sd -> out: mean   sd", names[c]);
  printf ("\n");
}

static void
print_running (const r128norm_state *st, const char *const *names)
{
  double mean[3], var[3];
  unsigned n = r128norm_get_channels (st);

  r128norm_get_running (st, mean, var, n);
  printf ("running statistics:");
  for (unsigned c = 0; c < n; c++)
    printf ("  %s mean %.4f sd %.4f", names[c], mean[c], sqrt (var[c]));
  printf ("\n");
}

static void
run_video (const char *dir)
{
  static uint8_t in[HEIGHT * WIDTH * 3], out[HEIGHT * WIDTH * 3];
  static uint8_t first_in[sizeof in], first_out[sizeof out];
  r128norm_state *st = make_state (3, R128NORM_FORMAT_U8, 0.2, 0.5);
  r128norm_channel src[3], dst[3];

  /* packed RGB: channel c starts at byte c, samples 3 bytes apart */
  for (int c = 0; c < 3; c++) {
    src[c] = (r128norm_channel) { in + c, 3, WIDTH * 3, WIDTH, HEIGHT };
    dst[c] = (r128norm_channel) { out + c, 3, WIDTH * 3, WIDTH, HEIGHT };
  }

  printf ("video: %dx%d RGB u8, %d frames at %.0f fps, stats=running, "
      "gamma 0.2, beta 0.5 (kernels: %s)\n", WIDTH, HEIGHT, FRAMES, FPS,
      r128norm_get_kernel_name (st));
  print_header ("frame", rgb_names, 3);
  for (int f = 0; f < FRAMES; f++) {
    int err;
    synthesize_frame (in, f);
    err = r128norm_process (st, src, dst, 1.0 / FPS);
    if (err)
      die ("process video", err);
    print_row (st, f);
    if (f == 0) {
      memcpy (first_in, in, sizeof in);
      memcpy (first_out, out, sizeof out);
    }
  }
  print_running (st, rgb_names);
  if (dir) {
    write_ppm (dir, "video-before.ppm", first_in);
    write_ppm (dir, "video-after.ppm", first_out);
  }
  r128norm_destroy (&st);
}

static void
run_audio (void)
{
  static int16_t pcm[PERIOD * 2];
  r128norm_state *st = make_state (2, R128NORM_FORMAT_S16, 0.1, 0.0);
  r128norm_channel ch[2];

  /* interleaved stereo: one row of PERIOD frames, channel c at sample c */
  for (int c = 0; c < 2; c++)
    ch[c] = (r128norm_channel) { pcm + c, 2 * sizeof *pcm, 0, PERIOD, 1 };

  printf ("\naudio: %d Hz stereo S16 interleaved, %d buffers of 10 ms, "
      "stats=running, gamma 0.1, beta 0, in place\n", RATE, BUFFERS);
  print_header ("buffer", stereo_names, 2);
  for (int b = 0; b < BUFFERS; b++) {
    int err;
    synthesize_audio (pcm, b);
    err = r128norm_process (st, ch, NULL, (double) PERIOD / RATE);
    if (err)
      die ("process audio", err);
    if (b % 10 == 0 || b == BUFFERS - 1)
      print_row (st, b);
  }
  print_running (st, stereo_names);
  printf ("(out sd is below gamma 0.1 because epsilon 1e-5, a level of "
      "-50 dBFS, is added to\n the variance of these quiet signals: "
      "0.1 * sd / sqrt(sd^2 + 1e-5))\n");
  r128norm_destroy (&st);
}

int
main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : NULL;

  if (argc > 2 || (dir && dir[0] == '-')) {
    fprintf (stderr, "usage: r128norm-example [OUTPUT_DIR]\n");
    return 2;
  }
  printf ("mean and sd (standard deviation) per channel in normalized units "
      "(u8 v/255, s16 v/32768)\n\n");
  run_video (dir);
  run_audio ();
  return 0;
}
