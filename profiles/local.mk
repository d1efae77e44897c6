# profiles/: the profile model, YAML load/save, checks, examples.
libdhis2setup_a_SOURCES += profiles/profile.h profiles/diag.c \
	profiles/profile.c profiles/yamltree.h profiles/yamltree.c \
	profiles/profile_load.c profiles/profile_check.c profiles/profile_save.c \
	profiles/feature.h profiles/feature.c \
	profiles/schema.h profiles/schema.c \
	profiles/secrets.h profiles/secrets.c
nobase_dist_pkgdata_DATA += profiles/examples/single-server.yaml \
	profiles/examples/lxc-reference.yaml profiles/examples/machines.yaml \
	profiles/examples/clustered-replica.yaml
nobase_dist_pkgdata_DATA += assets/templates/nginx-site.conf \
	assets/templates/nginx-location.conf assets/templates/nginx-upstream.conf \
	assets/templates/nginx-proxy-snippet.conf assets/templates/apache2-site.conf \
	assets/templates/apache2-location.conf assets/templates/dhis.conf \
	assets/templates/server.xml assets/templates/tomcat.service
