# profiles/: the profile model, YAML load/save, checks, examples.
libdhis2setup_a_SOURCES += profiles/profile.h profiles/diag.c \
	profiles/profile.c profiles/yamltree.h profiles/yamltree.c \
	profiles/profile_load.c profiles/profile_check.c profiles/profile_save.c
nobase_dist_pkgdata_DATA += profiles/examples/single-server.yaml \
	profiles/examples/lxc-reference.yaml profiles/examples/machines.yaml \
	profiles/examples/clustered-replica.yaml
