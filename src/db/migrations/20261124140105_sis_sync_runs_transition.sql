-- The run state machine of src/domain/run-status.ts (RUN_TRANSITIONS), mirrored in the database:
-- a run is created PENDING, and its status only moves along the allowed edges.
CREATE FUNCTION sis_sync_runs_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'PENDING' THEN
      RAISE EXCEPTION 'a sync run starts as PENDING, not %', NEW.status USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'PENDING' AND NEW.status IN ('IN_PROGRESS', 'CANCELLED', 'FAILURE'))
    OR (OLD.status = 'IN_PROGRESS' AND NEW.status IN ('SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED', 'HELD'))
    OR (OLD.status = 'HELD' AND NEW.status IN ('IN_PROGRESS', 'DISCARDED', 'FAILURE'))
  ) THEN
    RAISE EXCEPTION 'a sync run cannot go from % to %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sis_sync_runs_transition
  BEFORE INSERT OR UPDATE OF status ON sis_sync_runs
  FOR EACH ROW EXECUTE FUNCTION sis_sync_runs_check_transition();
