/* ORC kernels: not written yet; the C kernels serve every format. */
#include "r128norm_kernels.h"

int
r128norm_kernels_orc (r128norm_format in, r128norm_format out,
    r128norm_kernel_set *set)
{
  (void) in;
  (void) out;
  (void) set;
  return 0;
}
