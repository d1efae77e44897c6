# tui/: frontends.  The wizard's questionnaire (wizard_screens.c) and its
# walk (wizard.c) draw nothing; the newt and plain-text frontends render
# its screens.
libdhis2setup_a_SOURCES += tui/wizard.c tui/wizard_screens.c tui/help.c \
	tui/newt_frontend.c tui/text_frontend.c tui/tui.h tui/actions.c
libdhis2setup_a_SOURCES += tui/dashboard.c tui/dashboard.h
# newt_frontend.c sets slang's line drawing (ASCII) itself.
D2S_LIBS += $(SLANG_LIBS)
nobase_dist_pkgdata_DATA += \
	assets/help/hosting.txt \
	assets/help/isolation.txt \
	assets/help/machines.txt \
	assets/help/machine.txt \
	assets/help/site.txt \
	assets/help/tls.txt \
	assets/help/letsencrypt.txt \
	assets/help/provided.txt \
	assets/help/tls-none.txt \
	assets/help/proxy.txt \
	assets/help/instances.txt \
	assets/help/instance.txt \
	assets/help/database.txt \
	assets/help/clustering.txt \
	assets/help/monitoring.txt \
	assets/help/alerting.txt \
	assets/help/encryption.txt \
	assets/help/backups.txt \
	assets/help/review.txt
