CREATE TABLE "enrollment_periods" (
	"tenant_id" text NOT NULL,
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"enrollment_id" uuid NOT NULL,
	"begin_date" date,
	"end_date" date,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"opened_by_run_id" uuid,
	"closed_by_run_id" uuid,
	CONSTRAINT "enrollment_periods_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "sis_run_link_images" (
	"tenant_id" text NOT NULL,
	"run_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"entity_type" text NOT NULL,
	"external_id" text NOT NULL,
	"before" jsonb NOT NULL,
	CONSTRAINT "sis_run_link_images_pk" PRIMARY KEY("tenant_id","run_id","entity_type","external_id"),
	CONSTRAINT "sis_run_link_images_entity_check" CHECK ("sis_run_link_images"."entity_type" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments'))
);
--> statement-breakpoint
CREATE TABLE "sis_run_record_images" (
	"tenant_id" text NOT NULL,
	"run_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"before" jsonb NOT NULL,
	CONSTRAINT "sis_run_record_images_pk" PRIMARY KEY("tenant_id","run_id","entity","entity_id"),
	CONSTRAINT "sis_run_record_images_entity_check" CHECK ("sis_run_record_images"."entity" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments'))
);
--> statement-breakpoint
CREATE TABLE "sis_sync_run_exclusions" (
	"run_id" uuid NOT NULL,
	"tenant_id" text NOT NULL,
	"entity" text NOT NULL,
	"external_id" text NOT NULL,
	"excluded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sis_sync_run_exclusions_pk" PRIMARY KEY("run_id","entity","external_id"),
	CONSTRAINT "sis_sync_run_exclusions_entity_check" CHECK ("sis_sync_run_exclusions"."entity" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments'))
);
--> statement-breakpoint
ALTER TABLE "sis_external_links" DROP CONSTRAINT "sis_external_links_matched_by_check";--> statement-breakpoint
ALTER TABLE "sis_sync_run_changes" DROP CONSTRAINT "sis_sync_run_changes_kind_check";--> statement-breakpoint
ALTER TABLE "sis_providers" ADD COLUMN "deactivation_grace_runs" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "sis_sync_run_changes" ADD COLUMN "fields" jsonb;--> statement-breakpoint
ALTER TABLE "sis_sync_run_changes" ADD COLUMN "matched_by" text;--> statement-breakpoint
ALTER TABLE "sis_sync_runs" ADD COLUMN "diagnosis" jsonb;--> statement-breakpoint
ALTER TABLE "sis_sync_runs" ADD COLUMN "undoes_run_id" uuid;--> statement-breakpoint
ALTER TABLE "sis_sync_run_exclusions" ADD CONSTRAINT "sis_sync_run_exclusions_run_id_sis_sync_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."sis_sync_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "enrollment_periods_enrollment_idx" ON "enrollment_periods" USING btree ("tenant_id","enrollment_id","opened_at");--> statement-breakpoint
CREATE UNIQUE INDEX "enrollment_periods_open_uq" ON "enrollment_periods" USING btree ("tenant_id","enrollment_id") WHERE "enrollment_periods"."closed_at" IS NULL;--> statement-breakpoint
CREATE INDEX "sis_external_links_grace_idx" ON "sis_external_links" USING btree ("tenant_id","provider_id","entity_type") WHERE "sis_external_links"."active" AND "sis_external_links"."missing_runs" > 0;--> statement-breakpoint
ALTER TABLE "sis_providers" ADD CONSTRAINT "sis_providers_grace_runs_check" CHECK ("sis_providers"."deactivation_grace_runs" >= 1 AND "sis_providers"."deactivation_grace_runs" <= 100);--> statement-breakpoint
ALTER TABLE "sis_external_links" ADD CONSTRAINT "sis_external_links_matched_by_check" CHECK ("sis_external_links"."matched_by" IN ('external_id', 'email', 'student_number', 'sourced_id', 'identifier', 'natural_key', 'created'));--> statement-breakpoint
ALTER TABLE "sis_sync_run_changes" ADD CONSTRAINT "sis_sync_run_changes_kind_check" CHECK ("sis_sync_run_changes"."kind" IN ('created', 'updated', 'deactivated', 'reactivated', 'linked'));--> statement-breakpoint
-- Enrollments loaded before periods were kept: one period each, from creation to now (active) or
-- to deactivation.
INSERT INTO "enrollment_periods" ("tenant_id", "enrollment_id", "begin_date", "end_date", "opened_at", "closed_at")
SELECT "tenant_id", "id", "begin_date", "end_date", "created_at",
       CASE WHEN "active" THEN NULL ELSE coalesce("deactivated_at", "updated_at") END
FROM "enrollments";
