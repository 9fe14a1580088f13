/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* The one owner of the rule every path LOCALIO takes from someone else
 * obeys, for C (the FSAL's configuration) and C++ (the map's paths, the
 * names the FSAL publishes, the client's path map, shared file names): a
 * component "." or ".." never names a child, and ".." is never followed.
 * Each caller says what it does with "." (skip it, or refuse it). */
#ifndef LOCALIO_PATH_RULES_H
#define LOCALIO_PATH_RULES_H

#include <stdbool.h>
#include <stddef.h>

enum localio_dots {
	LOCALIO_NOT_DOTS = 0,	/* a name (or empty) */
	LOCALIO_DOT = 1,	/* "." */
	LOCALIO_DOTDOT = 2,	/* ".." */
};

/* What the component of n bytes at p is. */
static inline enum localio_dots localio_dots_of(const char *p, size_t n)
{
	if (n == 0 || n > 2 || p[0] != '.')
		return LOCALIO_NOT_DOTS;
	return n == 1 ? LOCALIO_DOT : p[1] == '.' ? LOCALIO_DOTDOT : LOCALIO_NOT_DOTS;
}

/* True if the '/'-separated, NUL-terminated path has a ".." component. */
static inline bool localio_path_has_dotdot(const char *path)
{
	const char *p = path;

	while (*p != '\0') {
		const char *end = p;

		while (*end != '\0' && *end != '/')
			end++;
		if (localio_dots_of(p, (size_t)(end - p)) == LOCALIO_DOTDOT)
			return true;
		p = *end == '/' ? end + 1 : end;
	}
	return false;
}

#endif /* LOCALIO_PATH_RULES_H */
