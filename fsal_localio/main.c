/* SPDX-License-Identifier: LGPL-3.0-or-later */
/* FSAL_LOCALIO module: registration, the LOCALIO { } config block. */
#include "localio_methods.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "FSAL/fsal_init.h"
#include "gsh_config.h"
#include "localio_server.h"
#include "localio_server_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>

struct localio_fsal_module LOCALIO = {
	.module = {
		.fs_info = {
			.maxfilesize = UINT64_MAX,
			.maxlink = _POSIX_LINK_MAX,
			.maxnamelen = 1024,
			.maxpathlen = 1024,
			.no_trunc = true,
			.chown_restricted = true,
			.case_preserving = true,
			.link_support = true,
			.symlink_support = true,
			.lock_support = true,
			.named_attr = true,
			.unique_handles = true,
			.acl_support = FSAL_ACLSUPPORT_ALLOW,
			.cansettime = true,
			.homogenous = true,
			.supported_attrs = ALL_ATTRIBUTES,
			.maxread = FSAL_MAXIOSIZE,
			.maxwrite = FSAL_MAXIOSIZE,
			.link_supports_permission_checks = true,
			.expire_time_parent = -1,
		},
	},
};

void localio_config_error(struct config_error_type *err_type,
			  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	LogCrit(COMPONENT_CONFIG, "LOCALIO: %s", msg);
	/* Ganesha's config_proc_error is not exported to FSALs; its
	 * diagnostics stream is, and report_config_errors prints it. */
	if (err_type->fp != NULL)
		fprintf(err_type->fp, "LOCALIO: %s\n", msg);
	err_type->invalid = true;
}

static int localio_module_config_commit(void *node, void *link_mem,
					void *self_struct,
					struct config_error_type *err_type)
{
	struct localio_module_config *cfg = self_struct;
	const char *why = NULL;
	int errors = 0;

	(void)node;
	(void)link_mem;
	if (!localio_map_path_valid(cfg->map_path, &why)) {
		localio_config_error(err_type, "Map_Path \"%s\" %s",
				     cfg->map_path, why);
		errors++;
	}
	if (!localio_map_path_valid(cfg->map_dir, &why)) {
		localio_config_error(err_type, "Map_Directory \"%s\" %s",
				     cfg->map_dir, why);
		errors++;
	}
	/* Ranges are checked here rather than by the config_item so the
	 * message names the parameter (Ganesha's says only "out of range"). */
	if (!localio_map_mode_valid(cfg->map_mode, &why)) {
		localio_config_error(err_type, "Map_Mode 0%o %s",
				     (unsigned int)cfg->map_mode, why);
		errors++;
	}
	if (cfg->max_entries < LOCALIO_MIN_MAX_ENTRIES ||
	    cfg->max_entries > LOCALIO_MAX_MAX_ENTRIES) {
		localio_config_error(err_type,
			"Max_Entries %u is outside %u..%u",
			cfg->max_entries, LOCALIO_MIN_MAX_ENTRIES,
			LOCALIO_MAX_MAX_ENTRIES);
		errors++;
	}
	if (cfg->map_group != NULL) {
		int rc = localio_map_group_resolve(cfg->map_group,
						   &cfg->map_gid);

		if (rc == -ENOENT) {
			localio_config_error(err_type,
				"Map_Group \"%s\" is not an existing group",
				cfg->map_group);
			errors++;
		} else if (rc < 0) {
			localio_config_error(err_type,
				"Map_Group \"%s\" could not be looked up: %s",
				cfg->map_group, strerror(-rc));
			errors++;
		}
	}
	return errors;
}

static struct config_item module_params[] = {
	CONF_ITEM_PATH("Map_Path", 1, PATH_MAX - 1, NULL,
		       localio_module_config, map_path),
	CONF_ITEM_PATH("Map_Directory", 1, PATH_MAX - 1,
		       LOCALIO_DEFAULT_MAP_DIR, localio_module_config, map_dir),
	/* CONF_ITEM_MODE with a wider range: 0777 is enforced in commit */
	{ .name = "Map_Mode", .type = CONFIG_UINT32, .flags = CONFIG_MODE,
	  .u.ui32.minval = 0, .u.ui32.maxval = 07777,
	  .u.ui32.def = LOCALIO_DEFAULT_MAP_MODE, .u.ui32.zero_ok = true,
	  .off = offsetof(struct localio_module_config, map_mode) },
	CONF_ITEM_STR("Map_Group", 1, 255, NULL,
		      localio_module_config, map_group),
	CONF_ITEM_UI32("Max_Entries", 0, UINT32_MAX,
		       LOCALIO_DEFAULT_MAX_ENTRIES,
		       localio_module_config, max_entries),
	CONF_ITEM_UI16("Port", 0, UINT16_MAX, LOCALIO_DEFAULT_PORT,
		       localio_module_config, port),
	CONFIG_EOL
};

struct config_block localio_module_param_block = {
	.dbus_interface_name = "org.ganesha.nfsd.config.fsal.localio",
	.blk_desc.name = "LOCALIO",
	.blk_desc.type = CONFIG_BLOCK,
	.blk_desc.flags = CONFIG_UNIQUE,
	.blk_desc.u.blk.init = noop_conf_init,
	.blk_desc.u.blk.params = module_params,
	.blk_desc.u.blk.commit = localio_module_config_commit
};

void localio_module_config_release(struct localio_module_config *cfg)
{
	gsh_free(cfg->map_path);
	gsh_free(cfg->map_dir);
	gsh_free(cfg->map_group);
	memset(cfg, 0, sizeof(*cfg));
}

bool localio_module_config_load(config_file_t config,
				struct localio_module_config *cfg,
				struct config_error_type *err_type)
{
	localio_module_config_release(cfg);
	(void)load_config_from_parse(config, &localio_module_param_block, cfg,
				     true, err_type);
	return config_error_is_harmless(err_type);
}

static void localio_log_module_config(const struct localio_module_config *cfg)
{
	LogInfo(COMPONENT_FSAL,
		"LOCALIO: Map_Path = %s, Map_Directory = %s, Map_Mode = 0%03o, Map_Group = %s, Max_Entries = %u, Port = %u",
		cfg->map_path ? cfg->map_path : "(in Map_Directory)",
		cfg->map_dir, (unsigned int)cfg->map_mode,
		cfg->map_group ? cfg->map_group : "(server's group)",
		cfg->max_entries, (unsigned int)cfg->port);
}

static void localio_log_to_ganesha(int level, const char *message)
{
	switch (level) {
	case LOCALIO_SERVER_LOG_DEBUG:
		LogDebug(COMPONENT_FSAL, "%s", message);
		break;
	case LOCALIO_SERVER_LOG_INFO:
		LogInfo(COMPONENT_FSAL, "%s", message);
		break;
	case LOCALIO_SERVER_LOG_WARN:
		LogWarn(COMPONENT_FSAL, "%s", message);
		break;
	default:
		LogCrit(COMPONENT_FSAL, "%s", message);
		break;
	}
}

/* The numeric address NFS listens on; the LOCALIO listener binds to the
 * same one so that clients reach it where they reach NFS. */
static void localio_nfs_bind_address(char *buf, size_t len)
{
	const struct sockaddr_storage *ss =
		(const struct sockaddr_storage *)&nfs_param.core_param.bind_addr;
	const void *addr = NULL;

	int family = ss->ss_family;

	if (family == AF_INET) {
		addr = &((const struct sockaddr_in *)ss)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 =
			&((const struct sockaddr_in6 *)ss)->sin6_addr;

		/* Ganesha keeps an IPv4 Bind_addr as ::ffff:a.b.c.d */
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			addr = &a6->s6_addr[12];
		} else {
			addr = a6;
		}
	}
	if (addr == NULL || inet_ntop(family, addr, buf, len) == NULL)
		snprintf(buf, len, "0.0.0.0");
}

/* Starts the map and the LOCALIO listener. A failure is logged and leaves
 * every export working through RPC, without the bypass. */
static void localio_start_server(const struct localio_module_config *cfg)
{
	char bind_addr[INET6_ADDRSTRLEN];
	char err[512] = "";
	struct localio_server_params params = {
		.map_path = cfg->map_path,
		.map_dir = cfg->map_dir,
		.map_mode = cfg->map_mode,
		.map_gid = cfg->map_group != NULL ? (long long)cfg->map_gid : -1,
		.max_entries = cfg->max_entries,
		.port = cfg->port,
		.nfs_port = nfs_param.core_param.port[P_NFS],
		.bind_addr = bind_addr,
		.register_rpcbind = true,
		.fh_format = localio_ganesha_fh_format(),
		.on_wrote = localio_export_wrote,
	};
	int rc;

	if (localio_server_running())
		return;
	localio_server_set_log_sink(localio_log_to_ganesha);
	localio_nfs_bind_address(bind_addr, sizeof(bind_addr));
	rc = localio_server_start(&params, err, sizeof(err));
	if (rc != 0) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: bypass disabled, exports are served through RPC only: %s",
			err);
		return;
	}
	(void)localio_server_map_path(err, sizeof(err));
	LogEvent(COMPONENT_FSAL,
		 "LOCALIO: map %s published, program 400122 v1 listening on %s port %u",
		 err, bind_addr, (unsigned int)localio_server_port());
}

static fsal_status_t localio_init_config(struct fsal_module *fsal_hdl,
					 config_file_t config_struct,
					 struct config_error_type *err_type)
{
	struct localio_fsal_module *me =
		container_of(fsal_hdl, struct localio_fsal_module, module);

	if (!localio_module_config_load(config_struct, &me->config,
					err_type)) {
		LogCrit(COMPONENT_FSAL,
			"LOCALIO: invalid LOCALIO block in the configuration");
		return fsalstat(ERR_FSAL_INVAL, EINVAL);
	}
	display_fsinfo(fsal_hdl);
	localio_log_module_config(&me->config);
	LogEvent(COMPONENT_FSAL,
		 "LOCALIO: FSAL loaded and initialised (up to %u entries)",
		 me->config.max_entries);
	localio_start_server(&me->config);
	return fsalstat(ERR_FSAL_NO_ERROR, 0);
}

static void localio_dump_config(struct fsal_module *fsal_hdl, int log_fd)
{
	struct localio_fsal_module *me =
		container_of(fsal_hdl, struct localio_fsal_module, module);
	const struct localio_module_config *cfg = &me->config;

	dprintf(log_fd,
		"LOCALIO { Map_Path = %s; Map_Directory = %s; Map_Mode = 0%03o; Map_Group = %s; Max_Entries = %u; Port = %u; }\n",
		cfg->map_path ? cfg->map_path : "",
		cfg->map_dir ? cfg->map_dir : "", (unsigned int)cfg->map_mode,
		cfg->map_group ? cfg->map_group : "", cfg->max_entries,
		(unsigned int)cfg->port);
}

/* The version of the Ganesha that loads us, "X.Y" of the
 * libganesha_nfsd.so.X.Y that defines register_fsal in this process (the
 * dynamic linker opens it by its soname). False when there is none. */
static bool localio_server_version(char *buf, size_t len)
{
	static const char prefix[] = "libganesha_nfsd.so.";
	int (*const probe)(struct fsal_module *, const char *, uint32_t,
			   uint32_t, uint8_t) = register_fsal;
	Dl_info info;
	const char *base;

	if (probe == NULL ||
	    dladdr(*(void *const *)&probe, &info) == 0 ||
	    info.dli_fname == NULL)
		return false;
	base = strrchr(info.dli_fname, '/');
	base = base != NULL ? base + 1 : info.dli_fname;
	if (strncmp(base, prefix, sizeof(prefix) - 1) != 0)
		return false;
	snprintf(buf, len, "%s", base + sizeof(prefix) - 1);
	return true;
}

/* True when `version` is one this tree builds for (CMake's list): their
 * DisplayLogComponentLevel and COMPONENT_FSAL/NIV_CRIT are the same, so a
 * build for one may write to the log of the other. */
static bool localio_known_version(const char *version)
{
	static const char supported[] = LOCALIO_GANESHA_SUPPORTED;
	const char *p = supported;
	size_t n = strlen(version);

	while ((p = strstr(p, version)) != NULL) {
		bool starts = p == supported || p[-1] == ' ';

		if (starts && (p[n] == ' ' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* Refuses a server of another version: its structures differ from the
 * headers this module was built with. Nothing of Ganesha's is called but
 * its logger, and only on a version whose logger is known; Ganesha then
 * reports that the module did not register, fails the exports that name
 * LOCALIO and serves the others. */
static void localio_refuse_server(const char *server)
{
	char msg[512];

	snprintf(msg, sizeof(msg),
		 "LOCALIO: libfsallocalio.so was built for nfs-ganesha %s (FSAL API %d.%d) but this server is nfs-ganesha %s: install the LOCALIO FSAL built for nfs-ganesha %s. Exports with FSAL LOCALIO are not served; the other exports are.",
		 GANESHA_VERSION, FSAL_MAJOR_VERSION, FSAL_MINOR_VERSION,
		 server[0] != '\0' ? server : "unknown",
		 server[0] != '\0' ? server : "this server");
	/* Ganesha's log may be a file or syslog: stderr alone could be lost. */
	fprintf(stderr, "%s\n", msg);
	if (server[0] != '\0' && localio_known_version(server))
		DisplayLogComponentLevel(COMPONENT_FSAL, __FILE__, __LINE__,
					 __func__, NIV_CRIT, "%s", msg);
}

static bool registered;

MODULE_INIT static void localio_fsal_load(void)
{
	struct fsal_module *me = &LOCALIO.module;
	char server[32] = "";

	if (!localio_server_version(server, sizeof(server)) ||
	    strcmp(server, GANESHA_VERSION) != 0) {
		localio_refuse_server(server);
		return;
	}
	if (register_fsal(me, LOCALIO_FSAL_NAME, FSAL_MAJOR_VERSION,
			  FSAL_MINOR_VERSION, FSAL_ID_NO_PNFS) != 0) {
		/* Ganesha's log is not necessarily up during dlopen */
		fprintf(stderr, "FSAL_LOCALIO: register_fsal failed\n");
		return;
	}
	registered = true;
	me->m_ops.init_config = localio_init_config;
	me->m_ops.dump_config = localio_dump_config;
	me->m_ops.create_export = localio_create_export;
	me->m_ops.update_export = localio_update_export;
	localio_version_module_ops_init(&me->m_ops);

	localio_handle_ops_init(&LOCALIO.handle_ops);
	/* No logging here: a constructor can run before Ganesha's log is
	 * set up (init_config logs once the FSAL is in use). A refusal does
	 * log: only a server's dlopen reaches it, and the server's log is up
	 * by then. */
}

MODULE_FINI static void localio_fsal_unload(void)
{
	if (!registered)
		return;
	localio_server_stop();
	localio_server_set_log_sink(NULL);
	if (unregister_fsal(&LOCALIO.module) != 0) {
		fprintf(stderr, "FSAL_LOCALIO: unregister_fsal failed\n");
		return;
	}
	registered = false;
	localio_module_config_release(&LOCALIO.config);
}
