ALTER TABLE "sis_providers" DROP CONSTRAINT "sis_providers_last_status_check";--> statement-breakpoint
ALTER TABLE "sis_sync_runs" DROP CONSTRAINT "sis_sync_runs_status_check";--> statement-breakpoint
ALTER TABLE "sis_providers" ADD COLUMN "blackout_windows" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sis_providers" ADD COLUMN "next_run_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sis_providers" ADD COLUMN "schedule_job_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_providers" ADD CONSTRAINT "sis_providers_last_status_check" CHECK ("sis_providers"."last_sync_status" IS NULL OR "sis_providers"."last_sync_status" IN ('PENDING', 'IN_PROGRESS', 'HELD', 'SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED', 'DISCARDED', 'SKIPPED'));--> statement-breakpoint
ALTER TABLE "sis_sync_runs" ADD CONSTRAINT "sis_sync_runs_status_check" CHECK ("sis_sync_runs"."status" IN ('PENDING', 'IN_PROGRESS', 'HELD', 'SUCCESS', 'PARTIAL', 'FAILURE', 'CANCELLED', 'DISCARDED', 'SKIPPED'));--> statement-breakpoint
-- A run is created PENDING (to be run) or SKIPPED (a scheduled run recorded as not run: a
-- blackout window, a run still going). INITIAL_RUN_STATUSES in src/domain/run-status.ts.
CREATE OR REPLACE FUNCTION sis_sync_runs_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status NOT IN ('PENDING', 'SKIPPED') THEN
      RAISE EXCEPTION 'a sync run starts as PENDING or SKIPPED, not %', NEW.status USING ERRCODE = 'check_violation';
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
