/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The one glibc function a static libstdc++ of GCC >= 13 takes at a version
 * Debian 12's glibc lacks: its emergency exception pool reads
 * GLIBCXX_TUNABLES with strtoul, which glibc >= 2.38's headers name
 * __isoc23_strtoul (GLIBC_2.38). The FSAL module and the shim link
 * libstdc++ in and must load on Debian 12 as built on Debian 13 (to say
 * that they do not fit, not to fail): this file gives them that name,
 * hidden, over the strtoul every glibc has. The C23 difference, a "0b"
 * prefix, does not arise in a tunables string. Compiled without
 * _GNU_SOURCE, so strtoul is not redirected here.
 */
#undef _GNU_SOURCE
#include <stdlib.h>

unsigned long __isoc23_strtoul(const char *nptr, char **endptr, int base);

__attribute__((visibility("hidden"))) unsigned long
__isoc23_strtoul(const char *nptr, char **endptr, int base)
{
	return strtoul(nptr, endptr, base);
}
