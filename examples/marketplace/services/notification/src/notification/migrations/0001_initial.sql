-- notification: initial schema (template-owned; add later changes as 0002_*.sql and up).
CREATE TABLE "notifications" (
    id UUID PRIMARY KEY,
    "recipient" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "event_type" TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX "notifications_created_idx" ON "notifications" (created_at, id);

-- Idempotency: ids of consumed events, written in the handler's transaction.
CREATE TABLE processed_events (
    event_id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    processed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
