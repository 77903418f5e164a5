/* IEEE 754 binary16 conversions, written out so that every input has one
 * well-defined result: subnormals, infinities, NaN, and round to nearest,
 * ties to even (the rounding numpy and the F16C instructions use). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "r128norm_kernels.h"

float
r128norm_half_to_float (uint16_t h)
{
  uint32_t sign = (uint32_t) (h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  float f;

  if (exponent == 0) {
    /* zero or subnormal: mantissa * 2^-24, exact in float */
    f = (float) mantissa * 5.9604644775390625e-8f;
    return sign ? -f : f;
  }
  if (exponent == 31)
    bits = sign | 0x7f800000u | (mantissa << 13);
  else
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  memcpy (&f, &bits, sizeof f);
  return f;
}

uint16_t
r128norm_double_to_half (double d)
{
  const uint16_t sign = signbit (d) ? 0x8000 : 0;
  const double a = fabs (d);
  double q, big, r;
  uint64_t bits;

  if (isnan (d))
    return sign | 0x7e00;
  /* 65520 lies halfway between the largest half (65504) and 2^16; the tie
   * goes to the even neighbour, which is infinity. */
  if (a >= 65520.0)
    return sign | 0x7c00;
  /* q: the last place of a half at a, 2^(floor(log2 a) - 10), and 2^-24
   * (the subnormals' spacing) below half's normal range.  a + 1.5 * 2^52 q
   * lies where doubles are q apart, so that one addition rounds a to a
   * multiple of q, to nearest with ties to even (the parity of the double's
   * last bit is that of a / q's); subtracting the constant again is exact.
   * frexp() and nearbyint() did the same several times slower. */
  memcpy (&bits, &a, sizeof bits);
  bits &= 0x7ff0000000000000ULL;
  memcpy (&q, &bits, sizeof q);
  q *= 0x1p-10;
  q = q < 0x1p-24 ? 0x1p-24 : q;
  big = q * 0x1.8p52;
  r = (a + big) - big;
  if (r < 0x1p-14)              /* subnormal: a multiple of 2^-24, 1024 at most */
    return sign | (uint16_t) (r * 0x1p24);
  memcpy (&bits, &r, sizeof bits);
  /* r is a half: exponent e - 1023 + 15, the top 10 bits of the fraction */
  return sign | (uint16_t) ((((bits >> 52) - 1008) << 10) | ((bits >> 42)
          & 0x3ff));
}

