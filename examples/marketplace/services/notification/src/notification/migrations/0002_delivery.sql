-- Each notification keeps its body and the event it answers (one e-mail per event).
ALTER TABLE notifications
    ADD COLUMN body TEXT,
    ADD COLUMN event_id TEXT,
    ADD COLUMN sent_at TIMESTAMPTZ;
CREATE UNIQUE INDEX notifications_event_key ON notifications (event_id) WHERE event_id IS NOT NULL;
CREATE INDEX notifications_recipient_idx ON notifications (lower(recipient), created_at);
