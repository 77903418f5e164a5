/* IEEE half conversions (lib/r128norm_half.c), internal but exported:
 * - every one of the 65536 half bit patterns decodes exactly like the
 *   compiler's _Float16 and encodes back to itself (NaNs stay NaN);
 * - r128norm_double_to_half against numpy's float16 on a table of tricky
 *   values (ties to even, subnormals, overflow at 65520, -0, NaN);
 * - a million random doubles, many of them exact ties, against _Float16's
 *   correctly rounded conversion. */
#include "test_common.h"
#include "r128norm_kernels.h"

/* Generated once with /usr/bin/python3 and numpy 1.24.2:
 *
 *   import numpy as np
 *   v = [0.0, -0.0, 1.0, -1.0, 0.1, -0.1, 1/3, 3.141592653589793, 1e-5, 6.1e-5,
 *        65504.0, 65519.99, 65520.0, -65520.0, 65519.999999999993, 65536.0,
 *        1e10, 1e300, 1.7976931348623157e308,
 *        float('inf'), float('-inf'), float('nan'),
 *        1 + 2**-11, 1 + 3 * 2**-11, 1 + 2**-11 + 2**-40, 1 + 2**-11 - 2**-40,
 *        2049.0, 2051.0, 2050.0, -2049.0,
 *        2**-24, 2**-25, -2**-25, 3 * 2**-25, 2**-25 + 2**-60, 2**-26,
 *        2**-14, 2**-14 - 2**-25, 2**-14 - 2**-24, 1023 * 2**-24, 1.5 * 2**-24,
 *        1e-8, 5.96e-8, -2.5e-8, 1e-30, -1e-30, 4.9e-324,
 *        0.333251953125, 0.99951171875, 0.999755859375, 0.9997558593750001,
 *        2047.5, 4095.0, 32768.5, 1024.5, 1025.5, -1024.5, 12345.678]
 *   for x in v:
 *       h = np.array([x], dtype=np.float64).astype(np.float16).view(np.uint16)[0]
 *       print("  { %s, 0x%04x }," % (float(x).hex() if x == x else "NAN", h))
 *
 * (inf printed as INFINITY) */
static const struct {
  double value;
  uint16_t half;
} numpy_table[] = {
  { 0x0.0p+0, 0x0000 },
  { -0x0.0p+0, 0x8000 },
  { 0x1.0000000000000p+0, 0x3c00 },
  { -0x1.0000000000000p+0, 0xbc00 },
  { 0x1.999999999999ap-4, 0x2e66 },
  { -0x1.999999999999ap-4, 0xae66 },
  { 0x1.5555555555555p-2, 0x3555 },
  { 0x1.921fb54442d18p+1, 0x4248 },
  { 0x1.4f8b588e368f1p-17, 0x00a8 },
  { 0x1.ffb480a5accd5p-15, 0x03ff },
  { 0x1.ffc0000000000p+15, 0x7bff },
  { 0x1.ffdffae147ae1p+15, 0x7bff },
  { 0x1.ffe0000000000p+15, 0x7c00 },
  { -0x1.ffe0000000000p+15, 0xfc00 },
  { 0x1.ffdffffffffffp+15, 0x7bff },
  { 0x1.0000000000000p+16, 0x7c00 },
  { 0x1.2a05f20000000p+33, 0x7c00 },
  { 0x1.7e43c8800759cp+996, 0x7c00 },
  { 0x1.fffffffffffffp+1023, 0x7c00 },
  { INFINITY, 0x7c00 },
  { -INFINITY, 0xfc00 },
  { NAN, 0x7e00 },
  { 0x1.0020000000000p+0, 0x3c00 },
  { 0x1.0060000000000p+0, 0x3c02 },
  { 0x1.0020000001000p+0, 0x3c01 },
  { 0x1.001fffffff000p+0, 0x3c00 },
  { 0x1.0020000000000p+11, 0x6800 },
  { 0x1.0060000000000p+11, 0x6802 },
  { 0x1.0040000000000p+11, 0x6801 },
  { -0x1.0020000000000p+11, 0xe800 },
  { 0x1.0000000000000p-24, 0x0001 },
  { 0x1.0000000000000p-25, 0x0000 },
  { -0x1.0000000000000p-25, 0x8000 },
  { 0x1.8000000000000p-24, 0x0002 },
  { 0x1.0000000020000p-25, 0x0001 },
  { 0x1.0000000000000p-26, 0x0000 },
  { 0x1.0000000000000p-14, 0x0400 },
  { 0x1.ffc0000000000p-15, 0x0400 },
  { 0x1.ff80000000000p-15, 0x03ff },
  { 0x1.ff80000000000p-15, 0x03ff },
  { 0x1.8000000000000p-24, 0x0002 },
  { 0x1.5798ee2308c3ap-27, 0x0000 },
  { 0x1.fff5c939522dbp-25, 0x0001 },
  { -0x1.ad7f29abcaf48p-26, 0x8000 },
  { 0x1.4484bfeebc2a0p-100, 0x0000 },
  { -0x1.4484bfeebc2a0p-100, 0x8000 },
  { 0x0.0000000000001p-1022, 0x0000 },
  { 0x1.5540000000000p-2, 0x3555 },
  { 0x1.ffc0000000000p-1, 0x3bff },
  { 0x1.ffe0000000000p-1, 0x3c00 },
  { 0x1.ffe0000000001p-1, 0x3c00 },
  { 0x1.ffe0000000000p+10, 0x6800 },
  { 0x1.ffe0000000000p+11, 0x6c00 },
  { 0x1.0001000000000p+15, 0x7800 },
  { 0x1.0020000000000p+10, 0x6400 },
  { 0x1.0060000000000p+10, 0x6402 },
  { -0x1.0020000000000p+10, 0xe400 },
  { 0x1.81cd6c8b43958p+13, 0x7207 },
};

static int
half_is_nan (uint16_t h)
{
  return (h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0;
}

int
main (void)
{
  rng_t rng = { test_seed (16) };
  size_t i;
  unsigned h;
  int k;

  /* all bit patterns */
  for (h = 0; h < 65536; h++) {
    float f = r128norm_half_to_float ((uint16_t) h);
    double want = half_bits_to_double ((uint16_t) h);
    uint16_t back = r128norm_double_to_half (f);
    if (half_is_nan ((uint16_t) h)) {
      CHECK (isnan (f), "0x%04x decodes to %g, not NaN", h, f);
      CHECK (half_is_nan (back), "NaN 0x%04x encodes back to 0x%04x", h, back);
    } else {
      CHECK (f == want && !signbit (f) == !signbit (want), "0x%04x decodes to "
          "%a, expected %a", h, f, want);
      CHECK (back == h, "0x%04x -> %a -> 0x%04x", h, f, back);
    }
  }

  /* numpy's float16 */
  for (i = 0; i < sizeof numpy_table / sizeof numpy_table[0]; i++) {
    double v = numpy_table[i].value;
    uint16_t got = r128norm_double_to_half (v);
    if (isnan (v))
      CHECK (half_is_nan (got), "NaN -> 0x%04x", got);
    else
      CHECK (got == numpy_table[i].half, "%a (%.17g) -> 0x%04x, numpy 0x%04x",
          v, v, got, numpy_table[i].half);
  }

  /* random doubles over the half range and beyond, and exact ties */
  for (k = 0; k < 1000000; k++) {
    double v;
    uint16_t got, want;
    if (k & 1) {
      /* a random double with exponent in [-30, 17] */
      v = ldexp (1.0 + rng_uniform (&rng), (int) rng_int (&rng, -30, 17));
    } else {
      /* the midpoint between two neighbouring halves (or one double ULP
       * beside it), which only round to nearest even gets right */
      uint16_t a = (uint16_t) rng_int (&rng, 0, 0x7bfe);
      double lo = half_bits_to_double (a), hi = half_bits_to_double ((uint16_t) (a + 1));
      v = lo + (hi - lo) / 2.0;
      if (k % 6 == 2)
        v = nextafter (v, INFINITY);
      else if (k % 6 == 4)
        v = nextafter (v, 0.0);
    }
    if (rng_int (&rng, 0, 1))
      v = -v;
    got = r128norm_double_to_half (v);
    want = double_to_half_bits (v);
    CHECK (got == want, "%a (%.17g) -> 0x%04x, expected 0x%04x", v, v, got, want);
  }
  return test_finish ("test_half");
}
