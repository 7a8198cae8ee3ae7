/* SPDX-License-Identifier: MIT */
/*
 * Where the reference servers are, told from the path of the running
 * binary alone: an installed sockspec (PREFIX/bin/sockspec) finds them
 * in PREFIX/libexec/sockspec, a built one (build/bin/sockspec) next to
 * itself. Never a path compiled in from the build tree, so an installed
 * or copied tree can be moved. Pure string work; target_bin_dir() and
 * target_check_reference() (target.h) are the I/O around it.
 */
#ifndef SOCKSPEC_BINDIR_H
#define SOCKSPEC_BINDIR_H

#include <stddef.h>

/* The lookup path of an installed tree, relative to the directory of
 * the binary (CMake computes it from GNUInstallDirs). */
#ifndef SOCKSPEC_LIBEXEC_REL
#define SOCKSPEC_LIBEXEC_REL "../libexec/sockspec"
#endif

/* A file the installed directory must hold to be taken (every install
 * has it: the echo profiles' server). */
#define BINDIR_MARKER "ref-echo"

/* The two places, in the order they are tried. */
struct bindir_places {
	char *libexec; /* EXE_DIR/REL, normalised: "/usr/libexec/sockspec" */
	char *exe_dir; /* the directory of the binary: "/usr/bin" */
};

/* Fills *out from exe, an absolute path of the binary ("/usr/bin/sockspec"),
 * and rel, relative to its directory ("../libexec/sockspec"): "." and ".."
 * are resolved as text (exe comes from /proc/self/exe, which has no
 * symlinks left), never above "/". Returns 0, or -EINVAL when exe is
 * not absolute or names no file ("/"), -ENOMEM; free with
 * bindir_places_free(). */
int bindir_places(const char *exe, const char *rel, struct bindir_places *out);

void bindir_places_free(struct bindir_places *p);

#endif
