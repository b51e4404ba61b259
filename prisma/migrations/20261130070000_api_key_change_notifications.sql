-- migrate:up
-- The API remembers the rows of keys it has verified and forgets one the moment this trigger says
-- it changed (LISTEN api_key_changes): a revocation still takes effect at once, without a read on
-- every request. A changed agent (its role or partner) clears them all: that is rare.
CREATE FUNCTION notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_keys' THEN
    PERFORM pg_notify('api_key_changes', OLD.prefix);
  ELSE
    PERFORM pg_notify('api_key_changes', '*');
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER api_keys_notify_change AFTER UPDATE OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION notify_api_key_change();
CREATE TRIGGER agents_notify_change AFTER UPDATE OR DELETE ON agents
  FOR EACH ROW EXECUTE FUNCTION notify_api_key_change();

-- migrate:down
DROP TRIGGER agents_notify_change ON agents;
DROP TRIGGER api_keys_notify_change ON api_keys;
DROP FUNCTION notify_api_key_change();
