/*
 * Copyright (c) 2026 The dhis2-setup authors. BSD-3-Clause, see LICENSE.
 *
 * The libssh functions dhis2-setup calls (the SSH transport), loaded on
 * first use by lazylib.c; the line format is lazy_curl.h's.
 */
#define LAZY_SSH_FUNCS(FN, VOID, HAND)					\
	FN(ssh_session, ssh_new, (void), ())				\
	VOID(ssh_free, (ssh_session s), (s))				\
	FN(int, ssh_options_set, (ssh_session s, enum ssh_options_e type, \
	    const void *value), (s, type, value))			\
	FN(int, ssh_connect, (ssh_session s), (s))			\
	VOID(ssh_disconnect, (ssh_session s), (s))			\
	FN(const char *, ssh_get_error, (void *error), (error))		\
	FN(socket_t, ssh_get_fd, (ssh_session s), (s))			\
	FN(int, ssh_send_ignore, (ssh_session s, const char *data),	\
	    (s, data))							\
	/* host keys */							\
	FN(int, ssh_get_server_publickey, (ssh_session s, ssh_key *key), \
	    (s, key))							\
	FN(enum ssh_known_hosts_e, ssh_session_is_known_server,	\
	    (ssh_session s), (s))					\
	FN(int, ssh_session_update_known_hosts, (ssh_session s), (s))	\
	FN(int, ssh_known_hosts_parse_line, (const char *host,		\
	    const char *line, struct ssh_knownhosts_entry **entry),	\
	    (host, line, entry))					\
	VOID(ssh_knownhosts_entry_free,					\
	    (struct ssh_knownhosts_entry *entry), (entry))		\
	FN(int, ssh_get_publickey_hash, (const ssh_key key,		\
	    enum ssh_publickey_hash_type type, unsigned char **hash,	\
	    size_t *hlen), (key, type, hash, hlen))			\
	FN(char *, ssh_get_fingerprint_hash,				\
	    (enum ssh_publickey_hash_type type, unsigned char *hash,	\
	    size_t len), (type, hash, len))				\
	VOID(ssh_clean_pubkey_hash, (unsigned char **hash), (hash))	\
	VOID(ssh_string_free_char, (char *s), (s))			\
	FN(enum ssh_keytypes_e, ssh_key_type, (const ssh_key key), (key)) \
	FN(const char *, ssh_key_type_to_char,				\
	    (enum ssh_keytypes_e type), (type))				\
	VOID(ssh_key_free, (ssh_key key), (key))			\
	/* authentication */						\
	FN(int, ssh_pki_import_privkey_file, (const char *filename,	\
	    const char *passphrase, ssh_auth_callback auth_fn,		\
	    void *auth_data, ssh_key *pkey),				\
	    (filename, passphrase, auth_fn, auth_data, pkey))		\
	FN(int, ssh_userauth_publickey, (ssh_session s,			\
	    const char *username, const ssh_key privkey),		\
	    (s, username, privkey))					\
	FN(int, ssh_userauth_agent, (ssh_session s,			\
	    const char *username), (s, username))			\
	FN(int, ssh_userauth_publickey_auto, (ssh_session s,		\
	    const char *username, const char *passphrase),		\
	    (s, username, passphrase))					\
	/* exec channels */						\
	FN(ssh_channel, ssh_channel_new, (ssh_session s), (s))		\
	FN(int, ssh_channel_open_session, (ssh_channel ch), (ch))	\
	FN(int, ssh_channel_request_exec, (ssh_channel ch,		\
	    const char *cmd), (ch, cmd))				\
	FN(int, ssh_channel_write, (ssh_channel ch, const void *data,	\
	    uint32_t len), (ch, data, len))				\
	FN(int, ssh_channel_send_eof, (ssh_channel ch), (ch))		\
	FN(int, ssh_channel_read_timeout, (ssh_channel ch, void *dest,	\
	    uint32_t count, int is_stderr, int timeout_ms),		\
	    (ch, dest, count, is_stderr, timeout_ms))			\
	FN(int, ssh_channel_read_nonblocking, (ssh_channel ch,		\
	    void *dest, uint32_t count, int is_stderr),			\
	    (ch, dest, count, is_stderr))				\
	FN(int, ssh_channel_is_eof, (ssh_channel ch), (ch))		\
	FN(int, ssh_channel_is_closed, (ssh_channel ch), (ch))		\
	FN(int, ssh_channel_get_exit_status, (ssh_channel ch), (ch))	\
	FN(int, ssh_channel_close, (ssh_channel ch), (ch))		\
	VOID(ssh_channel_free, (ssh_channel ch), (ch))			\
	/* SFTP */							\
	FN(sftp_session, sftp_new, (ssh_session s), (s))		\
	FN(int, sftp_init, (sftp_session sftp), (sftp))			\
	VOID(sftp_free, (sftp_session sftp), (sftp))			\
	FN(int, sftp_get_error, (sftp_session sftp), (sftp))		\
	FN(sftp_file, sftp_open, (sftp_session sftp, const char *file,	\
	    int accesstype, mode_t mode), (sftp, file, accesstype, mode)) \
	FN(ssize_t, sftp_read, (sftp_file file, void *buf, size_t count), \
	    (file, buf, count))						\
	FN(ssize_t, sftp_write, (sftp_file file, const void *buf,	\
	    size_t count), (file, buf, count))				\
	FN(int, sftp_close, (sftp_file file), (file))			\
	FN(int, sftp_chmod, (sftp_session sftp, const char *file,	\
	    mode_t mode), (sftp, file, mode))				\
	FN(int, sftp_chown, (sftp_session sftp, const char *file,	\
	    uid_t owner, gid_t group), (sftp, file, owner, group))	\
	FN(int, sftp_unlink, (sftp_session sftp, const char *file),	\
	    (sftp, file))
