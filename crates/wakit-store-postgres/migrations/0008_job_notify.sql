-- Worker wake-ups (see docs/schema.md): queuing jobs NOTIFYs `wakit_jobs` (once per
-- statement, delivered at commit), so idle workers in every replica claim them at once
-- instead of at their next poll.
CREATE FUNCTION wakit_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('wakit_jobs', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER jobs_notify AFTER INSERT ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION wakit_jobs_notify();
