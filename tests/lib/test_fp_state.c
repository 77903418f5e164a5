/* The library leaves the caller's floating-point environment as it found
 * it: ORC 0.4.33's JIT sets the SSE flush-to-zero and denormals-are-zero
 * bits and does not clear them, which would silently change the
 * application's arithmetic on subnormals.  Checked for every kernel choice
 * and the format pairs ORC serves. */
#include <stdio.h>
#include <string.h>

#include "r128norm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

int
main (void)
{
  static const r128norm_format pairs[][2] = {
    {R128NORM_FORMAT_U8, R128NORM_FORMAT_U8},
    {R128NORM_FORMAT_U8, R128NORM_FORMAT_F32},
    {R128NORM_FORMAT_S16, R128NORM_FORMAT_S16},
    {R128NORM_FORMAT_U16, R128NORM_FORMAT_F32},
    {R128NORM_FORMAT_F32, R128NORM_FORMAT_F32},
  };
  static const r128norm_kernels choices[] = {
    R128NORM_KERNELS_AUTO, R128NORM_KERNELS_C, R128NORM_KERNELS_ORC,
    R128NORM_KERNELS_SIMD
  };
  static unsigned char in[4096 * 4], out[4096 * 4];
  /* the control bits (rounding, FTZ 0x8000, DAZ 0x40, exception masks);
   * the low six are sticky exception flags any float operation may set */
  const unsigned int control = ~0x3fu;
  const unsigned int before = _mm_getcsr () & control;
  int failures = 0;
  size_t p, k;
  volatile float tiny = 1e-40f;   /* subnormal */

  for (p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
    for (k = 0; k < sizeof choices / sizeof choices[0]; k++) {
      r128norm_state *st = r128norm_create (1, NULL);
      size_t isz = r128norm_format_size (pairs[p][0]);
      size_t osz = r128norm_format_size (pairs[p][1]);
      r128norm_channel ci = { in, (ptrdiff_t) isz, 0, 4096, 1 };
      r128norm_channel co = { out, (ptrdiff_t) osz, 0, 4096, 1 };
      unsigned int after;
      int i;

      for (i = 0; i < (int) sizeof in; i++)
        in[i] = (unsigned char) (i * 37);
      if (pairs[p][0] == R128NORM_FORMAT_F32)
        for (i = 0; i < 4096; i++) {
          float f = (float) (i % 100) * 0.01f;
          memcpy (in + 4 * i, &f, 4);
        }
      r128norm_set_formats (st, pairs[p][0], pairs[p][1]);
      r128norm_set_kernels (st, choices[k]);
      for (i = 0; i < 3; i++)
        r128norm_process (st, &ci, pairs[p][0] == pairs[p][1] ? NULL : &co,
            0.01);
      after = _mm_getcsr () & control;
      if (after != before || tiny * 1.0f == 0.0f) {
        printf ("FAIL pair %zu kernels %s: MXCSR %08x -> %08x\n", p,
            r128norm_get_kernel_name (st), before, after);
        failures++;
        _mm_setcsr (before);
      } else {
        printf ("ok   pair %zu kernels %s: MXCSR %08x kept\n", p,
            r128norm_get_kernel_name (st), after);
      }
      r128norm_destroy (&st);
    }
  }
  printf ("%d failures\n", failures);
  return failures ? 1 : 0;
}
#else
int
main (void)
{
  return 77;                    /* no SSE control register to check */
}
#endif
