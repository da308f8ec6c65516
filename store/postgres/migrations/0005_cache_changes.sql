-- What each replica's cache of accounts, API keys and workspace scopes
-- (cache.go) must drop, in commit order: triggers log every change to
-- users, api_keys, workspaces and workspace_documents, whichever statement
-- made it (cascades included), once per record and transaction. They run
-- at commit (deferred) and take an advisory lock before drawing seq, held
-- until the commit, so a reader that has seen seq n has seen every entry
-- before it. kind is 'user' or 'key' (id: its id) or 'workspaces' (id 0).
CREATE SEQUENCE cache_seq;
CREATE TABLE cache_changes (
	seq  bigint PRIMARY KEY,
	kind text NOT NULL,
	id   bigint NOT NULL,
	xid  xid8 NOT NULL DEFAULT pg_current_xact_id(),
	at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cache_changes_xid ON cache_changes (xid);

CREATE FUNCTION docent_cache_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	k text := TG_ARGV[0];
	i bigint := 0;
BEGIN
	IF k <> 'workspaces' THEN
		IF TG_OP = 'DELETE' THEN i := OLD.id; ELSE i := NEW.id; END IF;
	END IF;
	PERFORM pg_advisory_xact_lock(6582115, 4); -- lockClass, lockCache
	IF NOT EXISTS (SELECT 1 FROM cache_changes WHERE xid = pg_current_xact_id() AND kind = k AND id = i) THEN
		INSERT INTO cache_changes (seq, kind, id) VALUES (nextval('cache_seq'), k, i);
		PERFORM pg_notify('docent_cache', '');
	END IF;
	RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER users_cache AFTER INSERT OR UPDATE OR DELETE ON users
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION docent_cache_change('user');
CREATE CONSTRAINT TRIGGER api_keys_cache AFTER INSERT OR DELETE ON api_keys
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION docent_cache_change('key');
-- Recording a key's last use changes nothing a cache answers from.
CREATE CONSTRAINT TRIGGER api_keys_cache_update AFTER UPDATE ON api_keys
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
	WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.hash IS DISTINCT FROM NEW.hash
		OR OLD.data - 'last_used_at' IS DISTINCT FROM NEW.data - 'last_used_at')
	EXECUTE FUNCTION docent_cache_change('key');
CREATE CONSTRAINT TRIGGER workspaces_cache AFTER INSERT OR UPDATE OR DELETE ON workspaces
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION docent_cache_change('workspaces');
CREATE CONSTRAINT TRIGGER workspace_documents_cache AFTER INSERT OR UPDATE OR DELETE ON workspace_documents
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION docent_cache_change('workspaces');
