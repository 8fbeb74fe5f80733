-- The tables a sync writes in bulk lose their foreign keys: each key is a trigger fired per row
-- (at 100,000 students they took half of the enrollment insert). The engine keeps references whole
-- by construction: ids come from active links, and roster rows are never deleted. Decision 0006.
ALTER TABLE "classes" DROP CONSTRAINT "classes_tenant_fk";
--> statement-breakpoint
ALTER TABLE "classes" DROP CONSTRAINT "classes_course_fk";
--> statement-breakpoint
ALTER TABLE "classes" DROP CONSTRAINT "classes_school_fk";
--> statement-breakpoint
ALTER TABLE "courses" DROP CONSTRAINT "courses_tenant_fk";
--> statement-breakpoint
ALTER TABLE "courses" DROP CONSTRAINT "courses_school_fk";
--> statement-breakpoint
ALTER TABLE "enrollments" DROP CONSTRAINT "enrollments_tenant_fk";
--> statement-breakpoint
ALTER TABLE "enrollments" DROP CONSTRAINT "enrollments_class_fk";
--> statement-breakpoint
ALTER TABLE "enrollments" DROP CONSTRAINT "enrollments_user_fk";
--> statement-breakpoint
ALTER TABLE "schools" DROP CONSTRAINT "schools_tenant_fk";
--> statement-breakpoint
ALTER TABLE "sis_external_links" DROP CONSTRAINT "sis_external_links_provider_id_sis_providers_id_fk";
--> statement-breakpoint
ALTER TABLE "terms" DROP CONSTRAINT "terms_tenant_fk";
--> statement-breakpoint
ALTER TABLE "user_relationships" DROP CONSTRAINT "user_relationships_user_fk";
--> statement-breakpoint
ALTER TABLE "user_relationships" DROP CONSTRAINT "user_relationships_related_fk";
--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_tenant_fk";
--> statement-breakpoint
ALTER TABLE "sis_raw_classes" DROP CONSTRAINT "sis_raw_classes_run_id_sis_sync_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "sis_raw_courses" DROP CONSTRAINT "sis_raw_courses_run_id_sis_sync_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" DROP CONSTRAINT "sis_raw_enrollments_run_id_sis_sync_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "sis_raw_schools" DROP CONSTRAINT "sis_raw_schools_run_id_sis_sync_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "sis_raw_terms" DROP CONSTRAINT "sis_raw_terms_run_id_sis_sync_runs_id_fk";
--> statement-breakpoint
ALTER TABLE "sis_raw_users" DROP CONSTRAINT "sis_raw_users_run_id_sis_sync_runs_id_fk";
--> statement-breakpoint
-- New roster ids are time-ordered (UUID version 7, RFC 9562: 48 bits of Unix milliseconds, then
-- random bits), so a bulk insert appends to the primary-key index instead of writing a random page
-- per row. PostgreSQL 18 has uuidv7(); 15 and PGlite do not. Byte 6's high nibble becomes 0111.
CREATE OR REPLACE FUNCTION sis_uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
  SELECT encode(
    set_bit(set_bit(
      overlay(uuid_send(gen_random_uuid())
              PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
              FROM 1 FOR 6),
      52, 1), 53, 1),
    'hex')::uuid
$$;
--> statement-breakpoint
-- Staging holds every run's rows until retention prunes them, and each run re-samples it
-- (sync/load/analyze.ts): a sample of 3,000 rows (statistics target 10) gives the row counts and
-- id distributions its plans need at a tenth of the default's cost.
ALTER TABLE "sis_raw_schools" ALTER COLUMN "run_id" SET STATISTICS 10, ALTER COLUMN "external_id" SET STATISTICS 10, ALTER COLUMN "status" SET STATISTICS 10, ALTER COLUMN "invalid" SET STATISTICS 10, ALTER COLUMN "parent_external_id" SET STATISTICS 10;
--> statement-breakpoint
ALTER TABLE "sis_raw_terms" ALTER COLUMN "run_id" SET STATISTICS 10, ALTER COLUMN "external_id" SET STATISTICS 10, ALTER COLUMN "status" SET STATISTICS 10, ALTER COLUMN "invalid" SET STATISTICS 10, ALTER COLUMN "parent_external_id" SET STATISTICS 10;
--> statement-breakpoint
ALTER TABLE "sis_raw_courses" ALTER COLUMN "run_id" SET STATISTICS 10, ALTER COLUMN "external_id" SET STATISTICS 10, ALTER COLUMN "status" SET STATISTICS 10, ALTER COLUMN "invalid" SET STATISTICS 10, ALTER COLUMN "school_external_id" SET STATISTICS 10, ALTER COLUMN "school_year_external_id" SET STATISTICS 10;
--> statement-breakpoint
ALTER TABLE "sis_raw_classes" ALTER COLUMN "run_id" SET STATISTICS 10, ALTER COLUMN "external_id" SET STATISTICS 10, ALTER COLUMN "status" SET STATISTICS 10, ALTER COLUMN "invalid" SET STATISTICS 10, ALTER COLUMN "course_external_id" SET STATISTICS 10, ALTER COLUMN "school_external_id" SET STATISTICS 10, ALTER COLUMN "term_external_ids" SET STATISTICS 10;
--> statement-breakpoint
ALTER TABLE "sis_raw_users" ALTER COLUMN "run_id" SET STATISTICS 10, ALTER COLUMN "external_id" SET STATISTICS 10, ALTER COLUMN "status" SET STATISTICS 10, ALTER COLUMN "invalid" SET STATISTICS 10, ALTER COLUMN "email" SET STATISTICS 10, ALTER COLUMN "identifier" SET STATISTICS 10, ALTER COLUMN "username" SET STATISTICS 10, ALTER COLUMN "role" SET STATISTICS 10, ALTER COLUMN "school_external_ids" SET STATISTICS 10, ALTER COLUMN "agent_external_ids" SET STATISTICS 10;
--> statement-breakpoint
ALTER TABLE "sis_raw_enrollments" ALTER COLUMN "run_id" SET STATISTICS 10, ALTER COLUMN "external_id" SET STATISTICS 10, ALTER COLUMN "status" SET STATISTICS 10, ALTER COLUMN "invalid" SET STATISTICS 10, ALTER COLUMN "class_external_id" SET STATISTICS 10, ALTER COLUMN "user_external_id" SET STATISTICS 10, ALTER COLUMN "school_external_id" SET STATISTICS 10;
