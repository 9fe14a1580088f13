/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* Loads the libnfs v2 program as a module (RTLD_LOCAL, as qemu loads its
 * block drivers) after start, and runs it: its libnfs.so.16 arrives with
 * it. Exit status: the module's. */
#include <dlfcn.h>
#include <stdio.h>

int main(void)
{
	void *module = dlopen(FOREIGN_ABI_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
	if (module == NULL) {
		fprintf(stderr, "late_loader: %s\n", dlerror());
		return 2;
	}
	int (*run)(void) = (int (*)(void))dlsym(module, "foreign_abi_run");
	if (run == NULL) {
		fprintf(stderr, "late_loader: no foreign_abi_run\n");
		return 2;
	}
	return run();
}
