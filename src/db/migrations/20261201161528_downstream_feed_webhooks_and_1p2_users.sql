CREATE TABLE "sis_change_events" (
	"seq" bigint GENERATED ALWAYS AS IDENTITY (sequence name "sis_change_events_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"tenant_id" text NOT NULL,
	"run_id" uuid NOT NULL,
	"provider_id" uuid NOT NULL,
	"entity" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"changed_fields" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sis_change_events_pk" PRIMARY KEY("tenant_id","seq"),
	CONSTRAINT "sis_change_events_kind_check" CHECK ("sis_change_events"."kind" IN ('created', 'updated', 'deactivated', 'reactivated')),
	CONSTRAINT "sis_change_events_entity_check" CHECK ("sis_change_events"."entity" IN ('schools', 'terms', 'courses', 'classes', 'users', 'enrollments'))
);
--> statement-breakpoint
CREATE TABLE "sis_webhook_attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "sis_webhook_attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"response_status" integer,
	"error" text,
	"duration_ms" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sis_webhook_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event" text NOT NULL,
	"run_id" uuid,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone,
	"last_attempt_at" timestamp with time zone,
	"response_status" integer,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "sis_webhook_deliveries_status_check" CHECK ("sis_webhook_deliveries"."status" IN ('pending', 'succeeded', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "sis_webhook_subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"url" text NOT NULL,
	"description" text,
	"events" text[] DEFAULT '{run.applied}'::text[] NOT NULL,
	"secret_ciphertext" text NOT NULL,
	"secret_key_id" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"updated_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "preferred_given_name" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "preferred_middle_name" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "preferred_family_name" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "pronouns" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "master_identifier" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "primary_school_id" uuid;--> statement-breakpoint
CREATE INDEX "sis_change_events_run_idx" ON "sis_change_events" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "sis_webhook_attempts_delivery_idx" ON "sis_webhook_attempts" USING btree ("delivery_id","attempt");--> statement-breakpoint
CREATE INDEX "sis_webhook_deliveries_subscription_idx" ON "sis_webhook_deliveries" USING btree ("subscription_id","created_at");--> statement-breakpoint
CREATE INDEX "sis_webhook_deliveries_tenant_idx" ON "sis_webhook_deliveries" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "sis_webhook_deliveries_pending_idx" ON "sis_webhook_deliveries" USING btree ("next_attempt_at") WHERE "sis_webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "sis_webhook_subscriptions_tenant_idx" ON "sis_webhook_subscriptions" USING btree ("tenant_id");