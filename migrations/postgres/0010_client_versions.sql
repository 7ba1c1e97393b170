-- Issue 15: a node may keep clients in memory (PostgresStore's client
-- cache) only if it can tell, in the very statement that issues a token,
-- that the client has not changed since. Every insert and every update
-- of a client takes a new version from one sequence, so a version is
-- never reused, not even by a client deleted and registered again under
-- the same id.
CREATE SEQUENCE client_versions;
ALTER TABLE clients ADD COLUMN version BIGINT NOT NULL DEFAULT nextval('client_versions');

CREATE FUNCTION clients_new_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := nextval('client_versions');
    RETURN NEW;
END
$$;

CREATE TRIGGER clients_new_version BEFORE UPDATE ON clients
    FOR EACH ROW EXECUTE FUNCTION clients_new_version();
